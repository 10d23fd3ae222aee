package dev.snakepit.codegen;

/** A Markdown reference of a manifest's tools: one section per tool, a table of its parameters, its types. */
public final class MarkdownDocs {
  private MarkdownDocs() {}

  /** The reference as Markdown text. */
  public static String render(Manifest manifest) {
    var out = new StringBuilder();
    out.append("# ").append(manifest.adapterSimpleName()).append(" tools\n\n");
    out.append("Adapter `").append(manifest.adapterClass()).append("`");
    if (manifest.version() != null) {
      out.append(", version ").append(manifest.version());
    }
    out.append(". ").append(manifest.tools().size()).append(manifest.tools().size() == 1 ? " tool" : " tools").append(".\n\n");
    if (!manifest.description().isBlank()) {
      out.append(manifest.description()).append("\n\n");
    }
    for (var tool : manifest.tools()) {
      out.append("- [`").append(tool.name()).append("`](#").append(anchor(tool.name())).append(")");
      if (!tool.description().isBlank()) {
        out.append(": ").append(oneLine(tool.description()));
      }
      out.append("\n");
    }
    for (var tool : manifest.tools()) {
      out.append("\n## ").append(tool.name()).append("\n\n");
      if (!tool.description().isBlank()) {
        out.append(tool.description()).append("\n\n");
      }
      if (tool.parameters().isEmpty()) {
        out.append("No parameters.\n\n");
      } else {
        out.append("| Parameter | Type | Required | Default | Description |\n");
        out.append("|---|---|---|---|---|\n");
        for (var p : tool.parameters()) {
          out.append("| `").append(p.name()).append("` | `").append(cell(p.type().text())).append("` | ")
              .append(p.required() ? "yes" : "no").append(" | ")
              .append(p.defaultValue() == null ? "" : "`" + cell(p.defaultValue().toString()) + "`").append(" | ")
              .append(cell(oneLine(p.description()))).append(" |\n");
        }
        out.append("\n");
      }
      out.append(tool.streaming() ? "**Streams** chunks of type `" : "**Returns** `")
          .append(cell(tool.returns().text())).append("`.\n\n");
      out.append("```\nsnakepit call ").append(tool.name());
      for (var p : tool.parameters()) {
        if (p.required()) {
          out.append(" ").append(p.name()).append("=...");
        }
      }
      out.append(" --adapter ").append(manifest.adapterClass()).append("\n```\n");
    }
    if (!manifest.types().isEmpty()) {
      out.append("\n## Types\n");
      for (var type : manifest.types().values()) {
        out.append("\n### ").append(type.name()).append("\n\n");
        out.append("A ").append(type.source()).append(".");
        if (!type.description().isBlank()) {
          out.append(" ").append(type.description());
        }
        out.append("\n\n| Field | Type | Required | Description |\n|---|---|---|---|\n");
        for (var f : type.fields()) {
          out.append("| `").append(f.name()).append("` | `").append(cell(f.type().text())).append("` | ")
              .append(f.required() ? "yes" : "no").append(" | ").append(cell(oneLine(f.description()))).append(" |\n");
        }
      }
    }
    return out.toString();
  }

  private static String anchor(String name) {
    return name.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_ -]", "").replace(' ', '-');
  }

  private static String oneLine(String text) {
    return text.replaceAll("\\s+", " ").strip();
  }

  private static String cell(String text) {
    return text.replace("|", "\\|");
  }
}
