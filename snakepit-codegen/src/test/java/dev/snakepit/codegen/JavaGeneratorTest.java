package dev.snakepit.codegen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class JavaGeneratorTest {
  private static Manifest manifest(String tools, String types) {
    return Manifest.parse("""
        {"format": "snakepit-manifest/1", "adapter": {"class": "pkg.mod.MyAdapter", "version": "2.0", "description": "Mine."},
         "tools": [%s], "types": {%s}}""".formatted(tools, types), "test");
  }

  @Test
  void shouldNameTheInterfaceAfterTheAdapterAndMethodsInCamelCase() {
    var sources = JavaGenerator.generate(manifest("""
        {"name": "word_counts", "description": "Count words.", "streaming": false, "returns": {"kind": "dict", "values": {"kind": "integer"}},
         "parameters": [{"name": "text", "type": {"kind": "string"}, "required": true, "description": "the text"}]}""", ""), "com.acme", null);

    var source = sources.get("com/acme/MyAdapter.java");
    assertThat(source).contains("package com.acme;", "public interface MyAdapter {",
        "String ADAPTER = \"pkg.mod.MyAdapter\";",
        "@PythonTool(name = \"word_counts\")\n  Map<String, Long> wordCounts(@PythonParam(\"text\") String text);",
        "CompletableFuture<Map<String, Long>> wordCountsAsync(@PythonParam(\"text\") String text);",
        "   * Count words.", "@param text the text (str)");
  }

  @Test
  void shouldMapTypesOptionalsEnumsRecordsAndStreams() {
    var source = JavaGenerator.generate(manifest("""
        {"name": "go", "description": "", "streaming": false, "returns": {"kind": "optional", "type": {"kind": "object", "name": "point_2d"}},
         "parameters": [
          {"name": "class", "type": {"kind": "literal", "values": ["a-b", "c"]}, "required": true},
          {"name": "data", "type": {"kind": "bytes"}, "required": true},
          {"name": "weights", "type": {"kind": "list", "items": {"kind": "number"}}, "required": false, "default": []},
          {"name": "flag", "type": {"kind": "boolean"}, "required": false},
          {"name": "label", "type": {"kind": "optional", "type": {"kind": "string"}}, "required": true},
          {"name": "any", "type": {"kind": "union", "types": [{"kind": "string"}, {"kind": "integer"}]}, "required": true}]},
        {"name": "ticks", "description": "", "streaming": true, "returns": {"kind": "integer"}, "parameters": []},
        {"name": "nothing", "description": "", "streaming": false, "returns": {"kind": "null"}, "parameters": []}""", """
        "point_2d": {"name": "point_2d", "source": "pydantic", "fields": [
          {"name": "x", "type": {"kind": "number"}, "required": true},
          {"name": "tag_name", "type": {"kind": "string"}, "required": false}]}"""), "p", "Client").get("p/Client.java");

    assertThat(source).contains(
        "Optional<Point2d> go(@PythonParam(\"class\") GoClass class_, @PythonParam(\"data\") byte[] data, "
            + "@PythonParam(\"weights\") Optional<List<Double>> weights, @PythonParam(\"flag\") Optional<Boolean> flag, "
            + "@PythonParam(\"label\") String label, @PythonParam(\"any\") Object any)",
        "default Optional<Point2d> go(GoClass class_, byte[] data, String label, Object any) {",
        "return go(class_, data, Optional.empty(), Optional.empty(), label, any);",
        "enum GoClass {\n    A_B(\"a-b\"),\n    C(\"c\");",
        "@JsonValue\n    public String value()",
        "record Point2d(\n      @JsonProperty(\"x\") double x,\n      @JsonProperty(\"tag_name\") @JsonInclude(JsonInclude.Include.NON_NULL) String tagName) {}",
        "@PythonTool(name = \"ticks\", streaming = true)\n  Stream<Long> ticks();",
        "CompletableFuture<List<Long>> ticksAsync();",
        "void nothing();", "CompletableFuture<Void> nothingAsync();");
  }

  @Test
  void shouldEscapeJavadocAndRejectBadNames() {
    var tools = """
        {"name": "t", "description": "a */ b <c> @d", "streaming": false, "returns": {"kind": "any"}, "parameters": []}""";
    assertThat(JavaGenerator.generate(manifest(tools, ""), "p", null).get("p/MyAdapter.java"))
        .contains("a *&#47; b &lt;c&gt; &#64;d");
    assertThatThrownBy(() -> JavaGenerator.generate(manifest(tools, ""), "p.class", null))
        .isInstanceOf(ManifestException.class).hasMessageContaining("not a Java package name");
    assertThatThrownBy(() -> JavaGenerator.generate(manifest(tools, ""), "p", "lower"))
        .isInstanceOf(ManifestException.class).hasMessageContaining("not a Java class name");
    var clash = tools + ", " + tools.replace("\"t\"", "\"T\"");
    assertThatThrownBy(() -> JavaGenerator.generate(manifest(clash, ""), "p", null))
        .isInstanceOf(ManifestException.class).hasMessageContaining("tools 't' and 'T' both become Java method 't'");
  }
}
