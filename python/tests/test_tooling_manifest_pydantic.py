"""The manifest of pydantic models (object types); skipped where pydantic is not installed."""

import json

import jsonschema
import pytest

from snakepit_bridge import BaseAdapter, tool
from snakepit_bridge.tooling.manifest import SCHEMA_PATH, build_manifest

pydantic = pytest.importorskip("pydantic")


class Address(pydantic.BaseModel):
    """Where someone lives."""

    city: str
    zip_code: str | None = None


class Person(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(0, description="years")
    home: Address | None = None
    tags: list[str] = pydantic.Field(default_factory=list)


class PeopleAdapter(BaseAdapter):
    @tool
    def register(self, person: Person) -> Person:
        """Register a person."""
        return person


def test_pydantic_models_become_object_types():
    manifest = build_manifest(PeopleAdapter)
    jsonschema.validate(manifest, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    tool_ = manifest["tools"][0]
    assert tool_["parameters"][0]["type"] == {"kind": "object", "name": "Person"}
    assert tool_["returns"] == {"kind": "object", "name": "Person"}
    person = manifest["types"]["Person"]
    assert person["source"] == "pydantic"
    assert person["fields"] == [
        {"name": "name", "type": {"kind": "string"}, "required": True},
        {"name": "age", "type": {"kind": "integer"}, "required": False, "default": 0, "description": "years"},
        {
            "name": "home",
            "type": {"kind": "optional", "type": {"kind": "object", "name": "Address"}},
            "required": False,
            "default": None,
        },
        {"name": "tags", "type": {"kind": "list", "items": {"kind": "string"}}, "required": False, "default": []},
    ]
    assert manifest["types"]["Address"]["description"] == "Where someone lives."
