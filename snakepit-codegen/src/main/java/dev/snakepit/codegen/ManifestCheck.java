package dev.snakepit.codegen;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Compares a saved manifest with the adapter as it is now and sorts the differences into breaking
 * changes (callers written against the saved one may fail) and compatible ones.
 *
 * <p>Breaking: a tool removed; a parameter removed or renamed; a parameter whose type accepts less
 * than before (narrowed); a new required parameter, or an optional one made required; the streaming
 * flag or the return type changed. Compatible: new tools, new optional parameters, widened
 * parameter types, changed defaults, descriptions and versions.
 */
public final class ManifestCheck {

  /**
   * One difference.
   *
   * @param breaking whether callers of the saved manifest may fail
   * @param tool the tool it concerns, or null when it concerns the adapter itself (its class or version)
   * @param parameter the parameter it concerns, or null when it concerns the whole tool
   * @param what what changed
   */
  public record Change(boolean breaking, String tool, String parameter, String what) {
    /** One line: {@code BREAKING tool 'add' parameter 'b': removed} (or {@code INFO ...}). */
    @Override
    public String toString() {
      return (breaking ? "BREAKING" : "INFO") + (tool == null ? " adapter" : " tool '" + tool + "'")
          + (parameter == null ? "" : " parameter '" + parameter + "'") + ": " + what;
    }
  }

  /**
   * The differences, breaking ones first.
   *
   * @param changes every difference found, in tool order
   */
  public record Report(List<Change> changes) {
    /** Copies the list. */
    public Report {
      changes = List.copyOf(changes);
    }

    /** The breaking changes. */
    public List<Change> breaking() {
      return changes.stream().filter(Change::breaking).toList();
    }

    /** The compatible changes. */
    public List<Change> compatible() {
      return changes.stream().filter(c -> !c.breaking()).toList();
    }

    /** Whether nothing breaks. */
    public boolean isCompatible() {
      return breaking().isEmpty();
    }
  }

  private final Manifest saved;
  private final Manifest current;
  private final List<Change> changes = new ArrayList<>();

  private ManifestCheck(Manifest saved, Manifest current) {
    this.saved = Objects.requireNonNull(saved, "saved");
    this.current = Objects.requireNonNull(current, "current");
  }

  /** Compares {@code current} (the live adapter) with {@code saved}. */
  public static Report compare(Manifest saved, Manifest current) {
    var check = new ManifestCheck(saved, current);
    check.run();
    var ordered = new ArrayList<>(check.changes.stream().filter(Change::breaking).toList());
    ordered.addAll(check.changes.stream().filter(c -> !c.breaking()).toList());
    return new Report(ordered);
  }

  private void run() {
    for (var old : saved.tools()) {
      var now = current.tool(old.name());
      if (now == null) {
        breaking(old.name(), null, "tool removed");
        continue;
      }
      if (old.streaming() != now.streaming()) {
        breaking(old.name(), null, "streaming flag changed from " + old.streaming() + " to " + now.streaming());
      }
      if (!same(old.returns(), now.returns())) {
        breaking(old.name(), null, "return type changed from " + old.returns().text() + " to " + now.returns().text());
      }
      compareParameters(old, now);
      if (!old.description().equals(now.description())) {
        info(old.name(), null, "description changed");
      }
    }
    for (var now : current.tools()) {
      if (saved.tool(now.name()) == null) {
        info(now.name(), null, "new tool");
      }
    }
    if (!saved.adapterClass().equals(current.adapterClass())) {
      info(null, null, "class changed from " + saved.adapterClass() + " to " + current.adapterClass());
    }
    if (!java.util.Objects.equals(saved.version(), current.version())) {
      info(null, null, "version changed from " + saved.version() + " to " + current.version());
    }
  }

  private void compareParameters(Manifest.Tool old, Manifest.Tool now) {
    var renamedTo = new HashSet<String>();
    for (int i = 0; i < old.parameters().size(); i++) {
      var before = old.parameters().get(i);
      var after = now.parameter(before.name());
      if (after == null) {
        // A parameter gone, and in its place one the saved manifest did not have: a rename.
        var inPlace = i < now.parameters().size() ? now.parameters().get(i) : null;
        if (inPlace != null && old.parameter(inPlace.name()) == null) {
          renamedTo.add(inPlace.name());
          breaking(old.name(), before.name(), "renamed to '" + inPlace.name() + "'");
        } else {
          breaking(old.name(), before.name(), "parameter removed");
        }
        continue;
      }
      if (after.required() && !before.required()) {
        breaking(old.name(), before.name(), "optional parameter is now required");
      } else if (!after.required() && before.required()) {
        info(old.name(), before.name(), "required parameter is now optional");
      }
      if (!new Relation(current, saved).accepts(after.type(), before.type())) {
        breaking(old.name(), before.name(), "type narrowed from " + before.type().text() + " to " + after.type().text());
      } else if (!same(before.type(), after.type())) {
        info(old.name(), before.name(), "type widened from " + before.type().text() + " to " + after.type().text());
      }
      if (!Objects.equals(before.defaultValue(), after.defaultValue()) && !after.required()) {
        info(old.name(), before.name(), "default changed from " + before.defaultValue() + " to " + after.defaultValue());
      }
    }
    for (var after : now.parameters()) {
      if (old.parameter(after.name()) != null || renamedTo.contains(after.name())) {
        continue;
      }
      if (after.required()) {
        breaking(old.name(), after.name(), "new required parameter (" + after.type().text() + ")");
      } else {
        info(old.name(), after.name(), "new optional parameter (" + after.type().text() + ")");
      }
    }
  }

  private void breaking(String tool, String parameter, String what) {
    changes.add(new Change(true, tool, parameter, what));
  }

  private void info(String tool, String parameter, String what) {
    changes.add(new Change(false, tool, parameter, what));
  }

  // ---- type relations ---------------------------------------------------------------------------

  /** Whether saved type {@code old} and current type {@code now} have the same values. */
  private boolean same(TypeNode old, TypeNode now) {
    return new Relation(current, saved).accepts(now, old) && new Relation(saved, current).accepts(old, now);
  }

  /**
   * "Accepts": whether every value of a type of {@code older} is a value of a type of {@code newer}.
   * {@code assumed} holds the object type pairs under comparison, so recursive types terminate.
   */
  private record Relation(Manifest newer, Manifest older, Set<String> assumed) {
    Relation(Manifest newer, Manifest older) {
      this(newer, older, new HashSet<>());
    }

    boolean accepts(TypeNode now, TypeNode old) {
      if (now instanceof TypeNode.Leaf leaf && leaf.kind() == TypeNode.Kind.ANY) {
        return true;
      }
      if (old instanceof TypeNode.OneOf union) {
        return union.types().stream().allMatch(t -> accepts(now, t));
      }
      if (old instanceof TypeNode.Nullable nullable) {
        return accepts(now, new TypeNode.Leaf(TypeNode.Kind.NULL)) && accepts(now, nullable.type());
      }
      return switch (now) {
        case TypeNode.Nullable nullable -> old instanceof TypeNode.Leaf l && l.kind() == TypeNode.Kind.NULL
            || accepts(nullable.type(), old);
        case TypeNode.OneOf union -> union.types().stream().anyMatch(t -> accepts(t, old));
        case TypeNode.Leaf leaf -> switch (old) {
          case TypeNode.Leaf o -> o.kind() == leaf.kind()
              || leaf.kind() == TypeNode.Kind.NUMBER && o.kind() == TypeNode.Kind.INTEGER;
          case TypeNode.Literal literal -> literal.values().stream().allMatch(v -> switch (leaf.kind()) {
            case STRING -> v.isTextual();
            case INTEGER -> v.isIntegralNumber();
            case NUMBER -> v.isNumber();
            case BOOLEAN -> v.isBoolean();
            case NULL -> v.isNull();
            default -> false;
          });
          default -> false;
        };
        case TypeNode.Literal literal -> old instanceof TypeNode.Literal o && literal.values().containsAll(o.values());
        case TypeNode.ListOf list -> old instanceof TypeNode.ListOf o && accepts(list.items(), o.items());
        case TypeNode.DictOf dict -> old instanceof TypeNode.DictOf o && accepts(dict.values(), o.values());
        case TypeNode.ObjectRef ref -> old instanceof TypeNode.ObjectRef o && acceptsObject(ref.name(), o.name());
      };
    }

    private boolean acceptsObject(String nowName, String oldName) {
      if (!assumed.add(nowName + "\u0000" + oldName)) {
        return true;
      }
      var now = newer.types().get(nowName);
      var old = older.types().get(oldName);
      if (now == null || old == null) {
        return false;
      }
      for (var field : old.fields()) {
        var match = now.fields().stream().filter(f -> f.name().equals(field.name())).findFirst().orElse(null);
        if (match == null || match.required() && !field.required() || !accepts(match.type(), field.type())) {
          return false;
        }
      }
      return now.fields().stream().noneMatch(f -> f.required()
          && old.fields().stream().noneMatch(o -> o.name().equals(f.name())));
    }
  }
}
