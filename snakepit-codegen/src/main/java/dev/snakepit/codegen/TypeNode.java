package dev.snakepit.codegen;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** A node of a manifest type tree: a leaf, a container, an optional, a union, a literal or an object. */
public sealed interface TypeNode {

  /** The type as Python-like text, for messages and docs: {@code list[int]}, {@code Optional[Point]}. */
  String text();

  /** The leaf kinds. */
  enum Kind { STRING, INTEGER, NUMBER, BOOLEAN, BYTES, NULL, ANY }

  /** A leaf: {@code string}, {@code integer}, {@code number}, {@code boolean}, {@code bytes}, {@code null}, {@code any}. */
  record Leaf(Kind kind) implements TypeNode {
    @Override
    public String text() {
      return switch (kind) {
        case STRING -> "str";
        case INTEGER -> "int";
        case NUMBER -> "float";
        case BOOLEAN -> "bool";
        case BYTES -> "bytes";
        case NULL -> "None";
        case ANY -> "Any";
      };
    }
  }

  /** {@code list[items]}. */
  record ListOf(TypeNode items) implements TypeNode {
    @Override
    public String text() {
      return "list[" + items.text() + "]";
    }
  }

  /** {@code dict[str, values]}. */
  record DictOf(TypeNode values) implements TypeNode {
    @Override
    public String text() {
      return "dict[str, " + values.text() + "]";
    }
  }

  /** {@code Optional[type]}: the value may be null. */
  record Nullable(TypeNode type) implements TypeNode {
    @Override
    public String text() {
      return "Optional[" + type.text() + "]";
    }
  }

  /** {@code Union[...]}: any of the types. */
  record OneOf(List<TypeNode> types) implements TypeNode {
    /** Copies the list. */
    public OneOf {
      types = List.copyOf(types);
    }

    @Override
    public String text() {
      return "Union[" + types.stream().map(TypeNode::text).collect(Collectors.joining(", ")) + "]";
    }
  }

  /** {@code Literal[...]}: one of the given JSON scalars. */
  record Literal(List<JsonNode> values) implements TypeNode {
    /** Copies the list. */
    public Literal {
      values = List.copyOf(values);
    }

    @Override
    public String text() {
      return "Literal[" + values.stream().map(v -> v.isTextual() ? "'" + v.textValue() + "'" : v.toString())
          .collect(Collectors.joining(", ")) + "]";
    }

    /** Whether every value is a string. */
    public boolean allStrings() {
      return values.stream().allMatch(JsonNode::isTextual);
    }
  }

  /** An object type defined in the manifest's {@code types}. */
  record ObjectRef(String name) implements TypeNode {
    @Override
    public String text() {
      return name;
    }
  }

  /** Parses a type node. */
  static TypeNode parse(JsonNode node, String context) {
    var kind = node.path("kind").asText("");
    return switch (kind) {
      case "string" -> new Leaf(Kind.STRING);
      case "integer" -> new Leaf(Kind.INTEGER);
      case "number" -> new Leaf(Kind.NUMBER);
      case "boolean" -> new Leaf(Kind.BOOLEAN);
      case "bytes" -> new Leaf(Kind.BYTES);
      case "null" -> new Leaf(Kind.NULL);
      case "any" -> new Leaf(Kind.ANY);
      case "list" -> new ListOf(parse(node.path("items"), context));
      case "dict" -> new DictOf(parse(node.path("values"), context));
      case "optional" -> new Nullable(parse(node.path("type"), context));
      case "union" -> {
        var types = new ArrayList<TypeNode>();
        node.path("types").forEach(t -> types.add(parse(t, context)));
        yield new OneOf(types);
      }
      case "literal" -> {
        var values = new ArrayList<JsonNode>();
        node.path("values").forEach(values::add);
        yield new Literal(values);
      }
      case "object" -> new ObjectRef(node.path("name").asText(""));
      default -> throw new ManifestException(context + " has a type of unknown kind '" + kind + "': " + node);
    };
  }
}
