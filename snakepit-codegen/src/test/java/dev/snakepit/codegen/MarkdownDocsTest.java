package dev.snakepit.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MarkdownDocsTest {
  @Test
  void shouldDocumentEveryToolWithItsParametersAndTypes() {
    var manifest = Manifest.parse("""
        {"format": "snakepit-manifest/1", "adapter": {"class": "pkg.Greeter", "version": "1.2"},
         "tools": [{"name": "greet", "description": "Greet someone.", "streaming": false, "returns": {"kind": "string"},
           "parameters": [{"name": "name", "type": {"kind": "string"}, "required": false, "default": "world", "description": "who | whom"}]},
          {"name": "ticks", "description": "", "streaming": true, "returns": {"kind": "object", "name": "Tick"}, "parameters": []}],
         "types": {"Tick": {"name": "Tick", "source": "typeddict", "fields": [{"name": "n", "type": {"kind": "integer"}, "required": true}]}}}
        """, "test");

    var markdown = MarkdownDocs.render(manifest);

    assertThat(markdown).startsWith("# Greeter tools\n\nAdapter `pkg.Greeter`, version 1.2. 2 tools.\n")
        .contains("- [`greet`](#greet): Greet someone.", "## greet\n\nGreet someone.",
            "| `name` | `str` | no | `\"world\"` | who \\| whom |", "**Returns** `str`.",
            "**Streams** chunks of type `Tick`.", "No parameters.", "### Tick", "| `n` | `int` | yes |  |");
  }
}
