"""The manifest of an adapter: its tools with structured parameter and return types, as JSON.

Run as ``python -m snakepit_bridge.tooling.manifest --adapter module.Class [-o FILE]``; the
``snakepit manifest`` command does so. The manifest is read from the adapter *class* (nothing is
instantiated, ``initialize()`` does not run): tool discovery and parameter introspection are the
worker's own (``BaseAdapter.get_tools`` and ``describe_tool``); return types come from the
methods' annotations.

A type is a tree of nodes, each with a ``kind``:

``string`` ``integer`` ``number`` ``boolean`` ``bytes`` ``null`` ``any``
    leaves;
``list`` (``items``), ``dict`` (``values``; keys are strings in JSON), ``optional`` (``type``),
``union`` (``types``), ``literal`` (``values``: the allowed JSON scalars);
``object`` (``name``)
    a TypedDict, dataclass or pydantic model, defined once under the manifest's ``types``.

The JSON Schema of the manifest is ``manifest.schema.json`` beside this module.
"""

from __future__ import annotations

import argparse
import collections.abc as cabc
import dataclasses
import enum
import importlib
import inspect
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

from snakepit_bridge.base_adapter import BaseAdapter, ParameterInfo, ToolInfo, parse_docstring, type_string
from snakepit_bridge.codec import to_json

__all__ = ["MANIFEST_FORMAT", "SCHEMA_PATH", "build_manifest", "load_adapter_class", "main", "type_tree"]

MANIFEST_FORMAT = "snakepit-manifest/1"
SCHEMA_PATH = Path(__file__).with_name("manifest.schema.json")

_NoneType = type(None)
_EMPTY = inspect.Parameter.empty
_LIST_ORIGINS = (
    list,
    tuple,
    set,
    frozenset,
    cabc.Sequence,
    cabc.MutableSequence,
    cabc.Iterable,
    cabc.Collection,
    cabc.Set,
    cabc.MutableSet,
)
_DICT_ORIGINS = (dict, cabc.Mapping, cabc.MutableMapping)
_STREAM_ORIGINS = (
    cabc.Iterator,
    cabc.Iterable,
    cabc.Generator,
    cabc.AsyncIterator,
    cabc.AsyncIterable,
    cabc.AsyncGenerator,
)


class ManifestError(Exception):
    """The adapter cannot be loaded or described (the message says what to fix)."""


# ---------------------------------------------------------------------------------------------
# Type trees
# ---------------------------------------------------------------------------------------------


def _strip_annotated(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _json_value(value: Any) -> tuple[bool, Any]:
    """``(True, json_value)`` when ``value`` encodes as the worker would encode it, else ``(False, None)``."""
    try:
        return True, json.loads(to_json(value))
    except Exception:
        return False, None


def _pydantic_model(annotation: Any) -> Any:
    model_fields = getattr(annotation, "model_fields", None)
    if isinstance(annotation, type) and isinstance(model_fields, dict) and hasattr(annotation, "model_validate"):
        return annotation
    return None


class _Types:
    """The object types met while building trees, by name (each defined once; recursion allowed)."""

    def __init__(self) -> None:
        self.definitions: dict[str, dict[str, Any]] = {}
        self._names: dict[Any, str] = {}

    def reference(self, cls: type, source: str) -> dict[str, Any]:
        name = self._names.get(cls)
        if name is None:
            name = cls.__name__
            suffix = 2
            while name in self.definitions:
                name = f"{cls.__name__}{suffix}"
                suffix += 1
            self._names[cls] = name
            definition: dict[str, Any] = {
                "name": name,
                "source": source,
                "python": f"{cls.__module__}.{cls.__qualname__}",
            }
            self.definitions[name] = definition  # before the fields: a field may refer back to it
            summary, field_docs = parse_docstring(inspect.getdoc(cls) if cls.__doc__ else None)
            if source == "dataclass" and summary.startswith(f"{cls.__name__}("):
                summary = ""  # the generated dataclass docstring is the signature, not a description
            definition["description"] = summary
            definition["fields"] = self._fields(cls, source, field_docs)
        return {"kind": "object", "name": name}

    def _fields(self, cls: type, source: str, docs: dict[str, str]) -> list[dict[str, Any]]:
        try:
            hints = typing.get_type_hints(cls, include_extras=True)
        except Exception:
            hints = {}
        fields: list[dict[str, Any]] = []
        if source == "typeddict":
            required_keys = getattr(cls, "__required_keys__", frozenset(hints))
            for name, annotation in hints.items():
                fields.append(self._field(name, annotation, name in required_keys, _EMPTY, docs))
        elif source == "dataclass":
            for field in dataclasses.fields(cls):
                if not field.init:
                    continue
                default: Any = _EMPTY
                if field.default is not dataclasses.MISSING:
                    default = field.default
                elif field.default_factory is not dataclasses.MISSING:
                    default = field.default_factory()
                annotation = hints.get(field.name, field.type)
                fields.append(self._field(field.name, annotation, default is _EMPTY, default, docs))
        else:  # pydantic
            for name, info in cls.model_fields.items():
                required = info.is_required()
                default = _EMPTY if required or info.default_factory is not None else info.default
                if info.default_factory is not None:
                    try:
                        default = info.default_factory()
                    except TypeError:
                        default = _EMPTY
                field = self._field(name, hints.get(name, info.annotation), required, default, docs)
                if info.description and not field.get("description"):
                    field["description"] = info.description
                fields.append(field)
        return fields

    def _field(self, name: str, annotation: Any, required: bool, default: Any, docs: dict[str, str]) -> dict[str, Any]:
        field: dict[str, Any] = {"name": name, "type": type_tree(annotation, self), "required": required}
        if default is not _EMPTY:
            ok, value = _json_value(default)
            if ok:
                field["default"] = value
        if docs.get(name):
            field["description"] = docs[name]
        return field


def type_tree(annotation: Any, types_: _Types | None = None) -> dict[str, Any]:
    """The type tree of ``annotation`` (object types are recorded in ``types_``)."""
    registry = types_ if types_ is not None else _Types()
    annotation = _strip_annotated(annotation)
    if annotation is _EMPTY or annotation is Any or annotation is object or isinstance(annotation, (str, TypeVar)):
        return {"kind": "any"}
    if annotation is None or annotation is _NoneType:
        return {"kind": "null"}
    origin = typing.get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        args = typing.get_args(annotation)
        rest = [a for a in args if a is not _NoneType]
        inner = (
            type_tree(rest[0], registry)
            if len(rest) == 1
            else {"kind": "union", "types": [type_tree(a, registry) for a in rest]}
        )
        return {"kind": "optional", "type": inner} if len(rest) < len(args) else inner
    if origin is Literal:
        return {"kind": "literal", "values": [_literal_value(v) for v in typing.get_args(annotation)]}
    if annotation is bool:
        return {"kind": "boolean"}
    if annotation is int:
        return {"kind": "integer"}
    if annotation is float:
        return {"kind": "number"}
    if annotation is str:
        return {"kind": "string"}
    if annotation in (bytes, bytearray, memoryview):
        return {"kind": "bytes"}
    container = origin or annotation
    if container in _LIST_ORIGINS:
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        if not args:
            return {"kind": "list", "items": {"kind": "any"}}
        items = [type_tree(a, registry) for a in args]
        distinct = [t for i, t in enumerate(items) if t not in items[:i]]
        return {"kind": "list", "items": distinct[0] if len(distinct) == 1 else {"kind": "union", "types": distinct}}
    if container in _DICT_ORIGINS:
        args = typing.get_args(annotation)
        return {"kind": "dict", "values": type_tree(args[1], registry) if len(args) == 2 else {"kind": "any"}}
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            return {"kind": "literal", "values": [_literal_value(member.value) for member in annotation]}
        if typing.is_typeddict(annotation):
            return registry.reference(annotation, "typeddict")
        if dataclasses.is_dataclass(annotation):
            return registry.reference(annotation, "dataclass")
        if _pydantic_model(annotation) is not None:
            return registry.reference(annotation, "pydantic")
        if issubclass(annotation, str):
            return {"kind": "string"}
        if (
            annotation.__module__ == "datetime"
            or annotation.__name__ in ("UUID", "Decimal")
            or issubclass(annotation, Path)
        ):
            return {"kind": "string"}  # the worker's JSON encoder writes these as text
    return {"kind": "any"}


def _literal_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _chunk_annotation(annotation: Any) -> Any:
    """The item type of a streaming tool's ``Iterator[T]`` / ``Generator[T, ...]`` / async forms."""
    annotation = _strip_annotated(annotation)
    origin = typing.get_origin(annotation)
    if origin in _STREAM_ORIGINS:
        args = typing.get_args(annotation)
        return args[0] if args else Any
    return annotation


# ---------------------------------------------------------------------------------------------
# The manifest
# ---------------------------------------------------------------------------------------------


def load_adapter_class(spec: str) -> type:
    """Import ``module.Class`` (without instantiating it)."""
    module_name, _, class_name = spec.rpartition(".")
    if not module_name:
        raise ManifestError(f"--adapter must be 'module.Class', got {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ManifestError(
            f"cannot import adapter module {module_name!r}: {exc}. Add its directory with --pythonpath."
        ) from exc
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise ManifestError(f"module {module_name!r} has no class {class_name!r}")
    return cls


def _version(cls: type) -> str | None:
    for candidate in (getattr(cls, "version", None), getattr(sys.modules.get(cls.__module__), "__version__", None)):
        if isinstance(candidate, (str, int, float)) and not isinstance(candidate, bool):
            return str(candidate)
    return None


def _tools(cls: type) -> list[ToolInfo]:
    # The worker's own discovery, on an instance whose __init__ and initialize() never ran.
    bare = cls.__new__(cls)
    return BaseAdapter.get_tools(bare)


def _parameter(param: ParameterInfo, registry: _Types) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": param.name,
        "type": type_tree(param.annotation, registry),
        "python": param.type,
        "required": param.required,
    }
    if not param.required:
        ok, value = _json_value(param.default)
        if ok:
            entry["default"] = value
    entry["description"] = param.description
    return entry


def _return_annotation(cls: type, info: ToolInfo) -> Any:
    func = inspect.getattr_static(cls, info.attribute, None)
    if isinstance(func, (staticmethod, classmethod)):
        func = func.__func__
    if func is None:
        return _EMPTY
    try:
        return typing.get_type_hints(inspect.unwrap(func), include_extras=True).get("return", _EMPTY)
    except Exception:
        return inspect.signature(func).return_annotation


def build_manifest(cls: type) -> dict[str, Any]:
    """The manifest of adapter class ``cls`` as a JSON-ready dict."""
    registry = _Types()
    tools = []
    for info in _tools(cls):
        returns = _return_annotation(cls, info)
        if info.supports_streaming:
            returns = _chunk_annotation(returns)
        tools.append(
            {
                "name": info.name,
                "description": info.description,
                "streaming": info.supports_streaming,
                "parameters": [_parameter(p, registry) for p in info.parameters],
                "returns": type_tree(returns, registry),
                "returnsPython": type_string(returns),
            }
        )
    summary, _ = parse_docstring(inspect.getdoc(cls))
    return {
        "format": MANIFEST_FORMAT,
        "adapter": {
            "class": f"{cls.__module__}.{cls.__qualname__}",
            "version": _version(cls),
            "description": summary,
        },
        "tools": tools,
        "types": registry.definitions,
    }


def render(manifest: dict[str, Any]) -> str:
    """The manifest as stable, indented JSON text (one trailing newline)."""
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m snakepit_bridge.tooling.manifest --adapter module.Class [-o FILE]``."""
    parser = argparse.ArgumentParser(
        prog="python -m snakepit_bridge.tooling.manifest", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--adapter", required=True, help="module.Class of the adapter")
    parser.add_argument("-o", "--output", help="write the manifest to this file instead of stdout")
    args = parser.parse_args(argv)
    try:
        text = render(build_manifest(load_adapter_class(args.adapter)))
    except ManifestError as exc:
        print(f"snakepit manifest: {exc}", file=sys.stderr)
        return 1
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
