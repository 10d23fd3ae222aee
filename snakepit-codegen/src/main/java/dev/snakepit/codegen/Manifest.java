package dev.snakepit.codegen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An adapter manifest ({@code snakepit-manifest/1}, as {@code python -m snakepit_bridge.tooling.manifest}
 * writes it): the adapter's tools with structured parameter and return types.
 *
 * @param adapterClass the adapter, {@code module.Class}
 * @param version the adapter's version, or null when it declares none
 * @param description the adapter's docstring summary
 * @param tools the tools, in definition order
 * @param types the object types (TypedDict, dataclass, pydantic) the tools refer to, by name
 */
public record Manifest(String adapterClass, String version, String description, List<Tool> tools,
    Map<String, ObjectType> types) {
  /** The format this reader understands. */
  public static final String FORMAT = "snakepit-manifest/1";

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Copies the collections. */
  public Manifest {
    Objects.requireNonNull(adapterClass, "adapterClass");
    description = description == null ? "" : description;
    tools = List.copyOf(tools);
    types = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(types));
  }

  /**
   * One tool.
   *
   * @param name the tool name callers use
   * @param description its description (the docstring summary unless {@code @tool} gave one)
   * @param streaming whether it streams; then {@code returns} is the type of each chunk
   * @param parameters its parameters, in signature order
   * @param returns its return (or chunk) type
   */
  public record Tool(String name, String description, boolean streaming, List<Parameter> parameters, TypeNode returns) {
    /** Copies the list. */
    public Tool {
      parameters = List.copyOf(parameters);
    }

    /** The parameter named {@code name}, or null. */
    public Parameter parameter(String name) {
      return parameters.stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
    }
  }

  /**
   * A tool parameter or a field of an object type.
   *
   * @param name the name on the wire
   * @param type its type
   * @param required whether callers must give it
   * @param defaultValue its default as JSON, or null when it has none (or none JSON can carry)
   * @param description its description from the docstring
   */
  public record Parameter(String name, TypeNode type, boolean required, JsonNode defaultValue, String description) {
    /** Normalizes the description. */
    public Parameter {
      description = description == null ? "" : description;
    }
  }

  /**
   * An object type: a TypedDict, dataclass or pydantic model.
   *
   * @param name its (unique) name in the manifest
   * @param source {@code typeddict}, {@code dataclass} or {@code pydantic}
   * @param description its docstring summary
   * @param fields its fields, in declaration order
   */
  public record ObjectType(String name, String source, String description, List<Parameter> fields) {
    /** Copies the list. */
    public ObjectType {
      description = description == null ? "" : description;
      fields = List.copyOf(fields);
    }
  }

  /** The tool named {@code name}, or null. */
  public Tool tool(String name) {
    return tools.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
  }

  /** The simple name of the adapter class ({@code SampleAdapter} for {@code pkg.sample.SampleAdapter}). */
  public String adapterSimpleName() {
    return adapterClass.substring(adapterClass.lastIndexOf('.') + 1);
  }

  // ---- reading ----------------------------------------------------------------------------------

  /**
   * Reads a manifest file.
   *
   * @throws ManifestException when the file is missing or is not a manifest (the message says which and where)
   */
  public static Manifest read(Path file) {
    try {
      return parse(Files.readString(file), file.toString());
    } catch (NoSuchFileException e) {
      throw new ManifestException("no manifest file '" + file + "' (write one with 'snakepit manifest -o " + file + "')");
    } catch (IOException e) {
      throw new ManifestException("cannot read manifest '" + file + "': " + e.getMessage(), e);
    }
  }

  /**
   * Parses manifest JSON text.
   *
   * @param where what to call the text in error messages (a file name)
   * @throws ManifestException when the text is not a {@value #FORMAT} manifest
   */
  public static Manifest parse(String json, String where) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new ManifestException(where + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new ManifestException(where + " is not a manifest (expected a JSON object)");
    }
    var format = root.path("format").asText("");
    if (!FORMAT.equals(format)) {
      throw new ManifestException(where + " has format '" + format + "', expected '" + FORMAT
          + "' (regenerate it with 'snakepit manifest')");
    }
    var adapter = root.path("adapter");
    var adapterClass = text(adapter, "class", where + ": adapter");
    var version = adapter.path("version").isTextual() ? adapter.path("version").textValue() : null;
    var tools = new ArrayList<Tool>();
    for (var tool : root.path("tools")) {
      var name = text(tool, "name", where + ": tool");
      var context = where + ": tool '" + name + "'";
      var parameters = new ArrayList<Parameter>();
      for (var parameter : tool.path("parameters")) {
        parameters.add(parameter(parameter, context));
      }
      tools.add(new Tool(name, tool.path("description").asText(""), tool.path("streaming").asBoolean(false),
          parameters, TypeNode.parse(tool.path("returns"), context + " returns")));
    }
    var types = new LinkedHashMap<String, ObjectType>();
    var typesNode = root.path("types");
    for (var names = typesNode.fieldNames(); names.hasNext(); ) {
      var name = names.next();
      var type = typesNode.get(name);
      var fields = new ArrayList<Parameter>();
      for (var field : type.path("fields")) {
        fields.add(parameter(field, where + ": type '" + name + "'"));
      }
      types.put(name, new ObjectType(name, type.path("source").asText(""), type.path("description").asText(""), fields));
    }
    var manifest = new Manifest(adapterClass, version, adapter.path("description").asText(""), tools, types);
    manifest.checkReferences(where);
    return manifest;
  }

  private static Parameter parameter(JsonNode node, String context) {
    var name = text(node, "name", context + ": parameter");
    return new Parameter(name, TypeNode.parse(node.path("type"), context + " parameter '" + name + "'"),
        node.path("required").asBoolean(false), node.has("default") ? node.get("default") : null,
        node.path("description").asText(""));
  }

  private static String text(JsonNode node, String field, String context) {
    var value = node.path(field);
    if (!value.isTextual() || value.textValue().isEmpty()) {
      throw new ManifestException(context + " has no '" + field + "'");
    }
    return value.textValue();
  }

  private void checkReferences(String where) {
    for (var tool : tools) {
      tool.parameters().forEach(p -> checkReferences(p.type(), where + ": tool '" + tool.name() + "'"));
      checkReferences(tool.returns(), where + ": tool '" + tool.name() + "'");
    }
    for (var type : types.values()) {
      type.fields().forEach(f -> checkReferences(f.type(), where + ": type '" + type.name() + "'"));
    }
  }

  private void checkReferences(TypeNode node, String context) {
    switch (node) {
      case TypeNode.ObjectRef ref when !types.containsKey(ref.name()) ->
          throw new ManifestException(context + " refers to type '" + ref.name() + "', which 'types' does not define");
      case TypeNode.ListOf list -> checkReferences(list.items(), context);
      case TypeNode.DictOf dict -> checkReferences(dict.values(), context);
      case TypeNode.Nullable nullable -> checkReferences(nullable.type(), context);
      case TypeNode.OneOf union -> union.types().forEach(t -> checkReferences(t, context));
      default -> { }
    }
  }
}
