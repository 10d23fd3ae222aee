"""The adapter manifest: type trees, schema validity, the command-line entry point."""

from __future__ import annotations

import dataclasses
import enum
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal, Optional, TypedDict

import jsonschema

from snakepit_bridge import BaseAdapter, tool
from snakepit_bridge.tooling.manifest import SCHEMA_PATH, build_manifest, main, type_tree

SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Options(TypedDict, total=False):
    verbose: bool


@dataclasses.dataclass
class Node:
    """A tree node."""

    value: int
    children: list[Node] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Person:
    name: str
    age: int = 0


class TypedAdapter(BaseAdapter):
    """A typed adapter."""

    version = "2.3.4"

    @tool(description="Everything at once")
    def everything(
        self,
        text: str,
        count: int = 3,
        ratio: float = 0.5,
        flag: bool = False,
        blob: bytes = b"",
        tags: list[str] | None = None,
        weights: dict[str, float] | None = None,
        mode: Literal["a", "b"] = "a",
        color: Color = Color.RED,
        options: Optional[Options] = None,  # noqa: UP045 - the old spelling must work too
        anything: Any = None,
    ) -> Person:
        """Do everything.

        Args:
            text: some text.
        """
        return Person(name=text)

    @tool
    def tree(self, root: Node) -> Node:
        """Return the tree."""
        return root

    @tool
    def numbers(self, n: int) -> Iterator[int]:
        """Count."""
        yield from range(n)

    @tool
    async def words(self) -> AsyncIterator[str]:
        """Words."""
        yield "a"

    @tool
    def nothing(self) -> None:
        """Nothing back."""


def test_manifest_validates_against_the_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(build_manifest(TypedAdapter), SCHEMA, cls=jsonschema.Draft202012Validator)


def test_showcase_manifest_validates_against_the_schema():
    from snakepit_bridge.adapters.showcase import ShowcaseAdapter
    from snakepit_bridge.tooling.sample import SampleAdapter

    for adapter in (ShowcaseAdapter, SampleAdapter):
        jsonschema.validate(build_manifest(adapter), SCHEMA, cls=jsonschema.Draft202012Validator)


def test_manifest_names_the_adapter_class_and_version():
    adapter = build_manifest(TypedAdapter)["adapter"]
    assert adapter == {"class": f"{__name__}.TypedAdapter", "version": "2.3.4", "description": "A typed adapter."}


def test_module_version_is_used_without_a_version_attribute():
    from snakepit_bridge.tooling.sample import SampleAdapter

    assert build_manifest(SampleAdapter)["adapter"]["version"] == "1.0.0"


def test_parameters_carry_type_trees_defaults_and_descriptions():
    tools = {t["name"]: t for t in build_manifest(TypedAdapter)["tools"]}
    params = {p["name"]: p for p in tools["everything"]["parameters"]}
    assert params["text"] == {
        "name": "text",
        "type": {"kind": "string"},
        "python": "str",
        "required": True,
        "description": "some text.",
    }
    assert params["count"]["type"] == {"kind": "integer"} and params["count"]["default"] == 3
    assert params["ratio"]["type"] == {"kind": "number"}
    assert params["flag"]["type"] == {"kind": "boolean"}
    assert params["blob"]["type"] == {"kind": "bytes"}
    assert params["tags"]["type"] == {"kind": "optional", "type": {"kind": "list", "items": {"kind": "string"}}}
    assert params["weights"]["type"] == {"kind": "optional", "type": {"kind": "dict", "values": {"kind": "number"}}}
    assert params["mode"]["type"] == {"kind": "literal", "values": ["a", "b"]}
    assert params["color"]["type"] == {"kind": "literal", "values": ["red", "green"]}
    assert params["color"]["default"] == "red"
    assert params["options"]["type"] == {"kind": "optional", "type": {"kind": "object", "name": "Options"}}
    assert params["anything"]["type"] == {"kind": "any"}
    assert tools["everything"]["description"] == "Everything at once"


def test_object_types_are_defined_once_with_their_fields():
    manifest = build_manifest(TypedAdapter)
    types = manifest["types"]
    assert types["Person"]["source"] == "dataclass"
    assert types["Person"]["fields"] == [
        {"name": "name", "type": {"kind": "string"}, "required": True},
        {"name": "age", "type": {"kind": "integer"}, "required": False, "default": 0},
    ]
    assert types["Options"]["source"] == "typeddict"
    assert types["Options"]["fields"] == [{"name": "verbose", "type": {"kind": "boolean"}, "required": False}]
    node = types["Node"]
    assert node["source"] == "dataclass" and node["description"] == "A tree node."
    assert node["fields"][1] == {
        "name": "children",
        "type": {"kind": "list", "items": {"kind": "object", "name": "Node"}},
        "required": False,
        "default": [],
    }


def test_return_types_and_streaming_chunk_types():
    tools = {t["name"]: t for t in build_manifest(TypedAdapter)["tools"]}
    assert tools["everything"]["returns"] == {"kind": "object", "name": "Person"}
    assert tools["tree"]["returns"] == {"kind": "object", "name": "Node"}
    assert tools["numbers"]["streaming"] is True and tools["numbers"]["returns"] == {"kind": "integer"}
    assert tools["words"]["streaming"] is True and tools["words"]["returns"] == {"kind": "string"}
    assert tools["nothing"]["returns"] == {"kind": "null"}
    assert tools["everything"]["streaming"] is False


def test_unannotated_types_are_any():
    assert type_tree(list) == {"kind": "list", "items": {"kind": "any"}}
    assert type_tree(dict) == {"kind": "dict", "values": {"kind": "any"}}
    assert type_tree(int | str) == {"kind": "union", "types": [{"kind": "integer"}, {"kind": "string"}]}
    assert type_tree(tuple[int, ...]) == {"kind": "list", "items": {"kind": "integer"}}


def test_command_line_writes_the_manifest(tmp_path):
    out = tmp_path / "manifest.json"
    assert main(["--adapter", "snakepit_bridge.tooling.sample.SampleAdapter", "-o", str(out)]) == 0
    manifest = json.loads(out.read_text(encoding="utf-8"))
    assert [t["name"] for t in manifest["tools"]][:2] == ["greet", "add"]


def test_command_line_reports_an_adapter_that_cannot_be_imported():
    done = subprocess.run(
        [sys.executable, "-m", "snakepit_bridge.tooling.manifest", "--adapter", "no_such_module.Adapter"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "cannot import adapter module 'no_such_module'" in done.stderr
    assert "--pythonpath" in done.stderr


def test_the_committed_sample_manifest_matches_the_sample_adapter():
    """The manifest the Maven plugin's tests generate from is the sample adapter's, as it is now."""
    from snakepit_bridge.tooling.manifest import render
    from snakepit_bridge.tooling.sample import SampleAdapter

    committed = SCHEMA_PATH.with_name("sample.manifest.json").read_text(encoding="utf-8")
    assert committed == render(build_manifest(SampleAdapter)), (
        "regenerate it: python -m snakepit_bridge.tooling.manifest --adapter "
        "snakepit_bridge.tooling.sample.SampleAdapter -o python/src/snakepit_bridge/tooling/sample.manifest.json"
    )
