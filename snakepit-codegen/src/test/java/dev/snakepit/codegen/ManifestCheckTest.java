package dev.snakepit.codegen;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ManifestCheckTest {
  private static final String POINT = """
      "Point": {"name": "Point", "source": "dataclass", "fields": [
        {"name": "x", "type": {"kind": "number"}, "required": true},
        {"name": "label", "type": {"kind": "optional", "type": {"kind": "string"}}, "required": false, "default": null}]}""";

  private static final String BASE_TOOLS = """
      {"name": "add", "description": "Add", "streaming": false, "returns": {"kind": "integer"}, "parameters": [
        {"name": "a", "type": {"kind": "integer"}, "required": true},
        {"name": "b", "type": {"kind": "integer"}, "required": false, "default": 1}]},
      {"name": "convert", "description": "", "streaming": false, "returns": {"kind": "string"}, "parameters": [
        {"name": "mode", "type": {"kind": "literal", "values": ["upper", "lower"]}, "required": false, "default": "upper"},
        {"name": "scale", "type": {"kind": "number"}, "required": false, "default": 1.0}]},
      {"name": "move", "description": "", "streaming": false, "returns": {"kind": "object", "name": "Point"}, "parameters": [
        {"name": "point", "type": {"kind": "object", "name": "Point"}, "required": true}]},
      {"name": "count", "description": "", "streaming": true, "returns": {"kind": "integer"}, "parameters": []}""";

  private static Manifest manifest(String tools, String types) {
    return Manifest.parse("""
        {"format": "snakepit-manifest/1", "adapter": {"class": "m.A", "version": "1"}, "tools": [%s], "types": {%s}}
        """.formatted(tools, types), "test");
  }

  private static final Manifest BASE = manifest(BASE_TOOLS, POINT);

  private static ManifestCheck.Report against(String tools, String types) {
    return ManifestCheck.compare(BASE, manifest(tools, types));
  }

  private static ManifestCheck.Report against(String from, String to, boolean inTypes) {
    return inTypes ? against(BASE_TOOLS, POINT.replace(from, to)) : against(BASE_TOOLS.replace(from, to), POINT);
  }

  private static String lines(ManifestCheck.Report report) {
    return String.join("\n", report.changes().stream().map(Object::toString).toList());
  }

  @Test
  void shouldFindNothingWhenTheManifestsAreEqual() {
    var report = ManifestCheck.compare(BASE, BASE);
    assertThat(report.changes()).isEmpty();
    assertThat(report.isCompatible()).isTrue();
  }

  @Test
  void shouldReportARemovedToolAsBreaking() {
    var report = against(BASE_TOOLS.substring(0, BASE_TOOLS.indexOf(",\n{\"name\": \"count\"")), POINT);
    assertThat(report.isCompatible()).isFalse();
    assertThat(lines(report)).isEqualTo("BREAKING tool 'count': tool removed");
  }

  @Test
  void shouldReportARemovedParameterAsBreaking() {
    var report = against(BASE_TOOLS.replaceFirst(",\\s*" + java.util.regex.Pattern.quote(
        "{\"name\": \"b\", \"type\": {\"kind\": \"integer\"}, \"required\": false, \"default\": 1}"), ""), POINT);
    assertThat(lines(report)).isEqualTo("BREAKING tool 'add' parameter 'b': parameter removed");
  }

  @Test
  void shouldReportARenamedParameterAsBreaking() {
    var report = against("{\"name\": \"a\", \"type\": {\"kind\": \"integer\"}", "{\"name\": \"first\", \"type\": {\"kind\": \"integer\"}", false);
    assertThat(lines(report)).isEqualTo("BREAKING tool 'add' parameter 'a': renamed to 'first'");
  }

  @Test
  void shouldReportANarrowedTypeAsBreakingAndAWidenedOneAsCompatible() {
    var narrowed = against("{\"name\": \"scale\", \"type\": {\"kind\": \"number\"}", "{\"name\": \"scale\", \"type\": {\"kind\": \"integer\"}", false);
    assertThat(lines(narrowed)).isEqualTo("BREAKING tool 'convert' parameter 'scale': type narrowed from float to int");

    var fewerChoices = against("\"values\": [\"upper\", \"lower\"]", "\"values\": [\"upper\"]", false);
    assertThat(lines(fewerChoices)).startsWith("BREAKING tool 'convert' parameter 'mode': type narrowed from Literal['upper', 'lower'] to Literal['upper']");

    var widened = against("{\"name\": \"a\", \"type\": {\"kind\": \"integer\"}", "{\"name\": \"a\", \"type\": {\"kind\": \"number\"}", false);
    assertThat(widened.isCompatible()).isTrue();
    assertThat(lines(widened)).isEqualTo("INFO tool 'add' parameter 'a': type widened from int to float");

    var moreChoices = against("\"values\": [\"upper\", \"lower\"]", "\"values\": [\"upper\", \"lower\", \"title\"]", false);
    assertThat(moreChoices.isCompatible()).isTrue();
  }

  @Test
  void shouldReportANarrowedObjectFieldAsBreaking() {
    var report = against("{\"name\": \"label\", \"type\": {\"kind\": \"optional\", \"type\": {\"kind\": \"string\"}}",
        "{\"name\": \"label\", \"type\": {\"kind\": \"string\"}", true);
    assertThat(report.breaking()).extracting(Object::toString).contains(
        "BREAKING tool 'move' parameter 'point': type narrowed from Point to Point",
        "BREAKING tool 'move': return type changed from Point to Point");
  }

  @Test
  void shouldReportANewRequiredParameterAsBreakingAndANewOptionalOneAsCompatible() {
    var required = against("\"streaming\": true, \"returns\": {\"kind\": \"integer\"}, \"parameters\": []",
        "\"streaming\": true, \"returns\": {\"kind\": \"integer\"}, \"parameters\": [{\"name\": \"limit\", \"type\": {\"kind\": \"integer\"}, \"required\": true}]", false);
    assertThat(lines(required)).isEqualTo("BREAKING tool 'count' parameter 'limit': new required parameter (int)");

    var optional = against("\"streaming\": true, \"returns\": {\"kind\": \"integer\"}, \"parameters\": []",
        "\"streaming\": true, \"returns\": {\"kind\": \"integer\"}, \"parameters\": [{\"name\": \"limit\", \"type\": {\"kind\": \"integer\"}, \"required\": false, \"default\": 3}]", false);
    assertThat(optional.isCompatible()).isTrue();
    assertThat(lines(optional)).isEqualTo("INFO tool 'count' parameter 'limit': new optional parameter (int)");
  }

  @Test
  void shouldReportAnOptionalParameterMadeRequiredAsBreaking() {
    var report = against("{\"name\": \"b\", \"type\": {\"kind\": \"integer\"}, \"required\": false, \"default\": 1}",
        "{\"name\": \"b\", \"type\": {\"kind\": \"integer\"}, \"required\": true}", false);
    assertThat(lines(report)).isEqualTo("BREAKING tool 'add' parameter 'b': optional parameter is now required");
  }

  @Test
  void shouldReportAChangedStreamingFlagAsBreaking() {
    var report = against("\"streaming\": true", "\"streaming\": false", false);
    assertThat(lines(report)).isEqualTo("BREAKING tool 'count': streaming flag changed from true to false");
  }

  @Test
  void shouldReportAChangedReturnTypeAsBreaking() {
    var report = against("\"name\": \"add\", \"description\": \"Add\", \"streaming\": false, \"returns\": {\"kind\": \"integer\"}",
        "\"name\": \"add\", \"description\": \"Add\", \"streaming\": false, \"returns\": {\"kind\": \"number\"}", false);
    assertThat(lines(report)).isEqualTo("BREAKING tool 'add': return type changed from int to float");
  }

  @Test
  void shouldListNewToolsDefaultsAndDescriptionsAsCompatible() {
    var report = against(BASE_TOOLS.replace("\"default\": 1}", "\"default\": 2}").replace("\"description\": \"Add\"", "\"description\": \"Sum\"")
        + ",\n{\"name\": \"extra\", \"description\": \"\", \"streaming\": false, \"returns\": {\"kind\": \"any\"}, \"parameters\": []}", POINT);
    assertThat(report.isCompatible()).isTrue();
    assertThat(report.changes()).extracting(Object::toString).containsExactly(
        "INFO tool 'add' parameter 'b': default changed from 1 to 2",
        "INFO tool 'add': description changed",
        "INFO tool 'extra': new tool");
  }

  @Test
  void shouldListAChangedAdapterVersionAsCompatible() {
    var newer = Manifest.parse("""
        {"format": "snakepit-manifest/1", "adapter": {"class": "m.A", "version": "2"}, "tools": [%s], "types": {%s}}
        """.formatted(BASE_TOOLS, POINT), "test");
    var report = ManifestCheck.compare(BASE, newer);
    assertThat(report.isCompatible()).isTrue();
    assertThat(lines(report)).isEqualTo("INFO adapter: version changed from 1 to 2");
  }

  @Test
  void shouldHandleRecursiveObjectTypes() {
    var node = """
        "Node": {"name": "Node", "source": "dataclass", "fields": [
          {"name": "children", "type": {"kind": "list", "items": {"kind": "object", "name": "Node"}}, "required": false}]}""";
    var tools = "{\"name\": \"tree\", \"description\": \"\", \"streaming\": false, \"returns\": {\"kind\": \"object\", \"name\": \"Node\"}, \"parameters\": []}";
    assertThat(ManifestCheck.compare(manifest(tools, node), manifest(tools, node)).changes()).isEmpty();
  }
}
