package dev.snakepit.codegen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ManifestTest {
  @Test
  void shouldRejectAnotherFormatNamingIt() {
    assertThatThrownBy(() -> Manifest.parse("{\"format\": \"x/2\"}", "m.json"))
        .isInstanceOf(ManifestException.class).hasMessageContaining("m.json has format 'x/2', expected 'snakepit-manifest/1'");
  }

  @Test
  void shouldRejectAReferenceToAnUndefinedType() {
    assertThatThrownBy(() -> Manifest.parse("""
        {"format": "snakepit-manifest/1", "adapter": {"class": "m.A", "version": null}, "types": {},
         "tools": [{"name": "t", "streaming": false, "parameters": [], "returns": {"kind": "object", "name": "Gone"}}]}""", "m.json"))
        .isInstanceOf(ManifestException.class).hasMessageContaining("tool 't' refers to type 'Gone'");
  }

  @Test
  void shouldSayHowToWriteAMissingFile() {
    assertThatThrownBy(() -> Manifest.read(Path.of("no-such-manifest.json")))
        .isInstanceOf(ManifestException.class).hasMessageContaining("snakepit manifest -o no-such-manifest.json");
  }

  @Test
  void shouldRejectInvalidJson() {
    assertThatThrownBy(() -> Manifest.parse("{", "m.json")).isInstanceOf(ManifestException.class).hasMessageContaining("not valid JSON");
  }
}
