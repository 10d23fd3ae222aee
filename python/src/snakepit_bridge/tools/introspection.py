"""Tool introspection: type strings, docstrings, and the ``ToolInfo`` derived from a signature.

Nothing here imports protobuf at module level: ``to_proto()`` imports the generated module on use.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, Union

from .decorator import ToolMetadata

__all__ = [
    "MISSING",
    "ParameterInfo",
    "ToolInfo",
    "describe_tool",
    "parse_docstring",
    "type_string",
]

_NoneType = type(None)
_EMPTY = inspect.Parameter.empty

# ---------------------------------------------------------------------------------------------
# Type strings
# ---------------------------------------------------------------------------------------------


def _strip_annotated(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _is_union(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    return origin is Union or origin is types.UnionType


def type_string(annotation: Any) -> str:
    """Readable type text for a parameter spec: ``int``, ``list[str]``, ``Optional[int]``, ``Literal['a']``."""
    annotation = _strip_annotated(annotation)
    if annotation is _EMPTY or annotation is Any or annotation is object:
        return "Any"
    if annotation is None or annotation is _NoneType:
        return "None"
    if isinstance(annotation, str):
        return annotation
    if _is_union(annotation):
        args = typing.get_args(annotation)
        rest = [a for a in args if a is not _NoneType]
        inner = type_string(rest[0]) if len(rest) == 1 else f"Union[{', '.join(type_string(a) for a in rest)}]"
        return f"Optional[{inner}]" if len(rest) < len(args) else inner
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return f"Literal[{', '.join(repr(a) for a in typing.get_args(annotation))}]"
    if origin is not None:
        args = typing.get_args(annotation)
        base = getattr(origin, "__name__", str(origin))
        if not args:
            return base
        return f"{base}[{', '.join('...' if a is Ellipsis else type_string(a) for a in args)}]"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def _literal_choices(annotation: Any) -> list[Any] | None:
    annotation = _strip_annotated(annotation)
    if typing.get_origin(annotation) is Literal:
        return list(typing.get_args(annotation))
    if _is_union(annotation):
        for arg in typing.get_args(annotation):
            if typing.get_origin(arg) is Literal:
                return list(typing.get_args(arg))
    return None


# ---------------------------------------------------------------------------------------------
# Docstrings (Google "Args:" and reST ":param x:")
# ---------------------------------------------------------------------------------------------

_SECTION = re.compile(r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments)\s*:\s*$")
_OTHER_SECTION = re.compile(r"^[A-Z][A-Za-z ]*:\s*$")
_GOOGLE_PARAM = re.compile(r"^\*{0,2}(\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_REST_PARAM = re.compile(r"^:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$")
_REST_FIELD = re.compile(r"^:\w+")


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Return ``(summary, {parameter: description})`` from a Google-style or reST docstring."""
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    summary_lines: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped or _SECTION.match(stripped) or stripped.startswith(":"):
            break
        summary_lines.append(stripped)
    params: dict[str, str] = {}
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        rest = _REST_PARAM.match(stripped)
        if rest:
            name, text = rest.group(1), [rest.group(2).strip()]
            i += 1
            while i < len(lines) and lines[i].strip() and not _REST_FIELD.match(lines[i].strip()):
                text.append(lines[i].strip())
                i += 1
            params[name] = " ".join(t for t in text if t)
            continue
        if _SECTION.match(stripped) and lines[i] == lines[i].lstrip():
            i += 1
            current: str | None = None
            param_indent: int | None = None
            while i < len(lines):
                line = lines[i]
                if not line.strip():
                    i += 1
                    continue
                indent = len(line) - len(line.lstrip())
                if indent == 0:
                    break
                if param_indent is None:
                    param_indent = indent
                match = _GOOGLE_PARAM.match(line.strip())
                if indent <= param_indent and match:
                    current = match.group(1)
                    params[current] = match.group(3).strip()
                elif current is not None:
                    params[current] = f"{params[current]} {line.strip()}".strip()
                i += 1
            continue
        i += 1
    return " ".join(summary_lines), params


# ---------------------------------------------------------------------------------------------
# Tool introspection
# ---------------------------------------------------------------------------------------------

MISSING: Any = _EMPTY


@dataclasses.dataclass(frozen=True)
class ParameterInfo:
    """One tool parameter as derived from the signature, type hints and docstring."""

    name: str
    type: str
    required: bool
    default: Any = MISSING
    description: str = ""
    annotation: Any = _EMPTY
    choices: tuple[Any, ...] | None = None

    def to_proto(self) -> Any:
        """This parameter as a ``ParameterSpec``."""
        from .. import snakepit_bridge_pb2 as pb2
        from ..wire.codec import encode_param

        spec = pb2.ParameterSpec(name=self.name, type=self.type, description=self.description, required=self.required)
        if not self.required:
            try:
                spec.default_value.CopyFrom(encode_param(self.default))
            except Exception:  # a default that is not JSON-encodable is simply not advertised
                spec.ClearField("default_value")
        if self.choices is not None:
            spec.validation_json = json.dumps({"enum": list(self.choices)}, default=str)
        return spec


@dataclasses.dataclass(frozen=True)
class ToolInfo:
    """A discovered tool: name, description, parameters, streaming and how to call it."""

    name: str
    description: str
    parameters: tuple[ParameterInfo, ...]
    supports_streaming: bool
    kind: str  # "sync" | "async" | "generator" | "async_generator"
    attribute: str
    run_in_thread: bool = True
    accepts_var_kwargs: bool = False
    context_parameter: str | None = None
    metadata: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def signature_text(self) -> str:
        """``a: int, b: int`` — used in error messages."""
        return ", ".join(f"{p.name}: {p.type}" for p in self.parameters) or "(none)"

    @functools.cached_property
    def parameters_by_name(self) -> Mapping[str, ParameterInfo]:
        """The parameters by name, built once (argument binding looks names up here on every call)."""
        return {p.name: p for p in self.parameters}

    @functools.cached_property
    def required_names(self) -> tuple[str, ...]:
        """Names of the required parameters, built once."""
        return tuple(p.name for p in self.parameters if p.required)

    def _proto(self, message_name: str) -> Any:
        from .. import snakepit_bridge_pb2 as pb2

        return getattr(pb2, message_name)(
            name=self.name,
            description=self.description,
            parameters=[p.to_proto() for p in self.parameters],
            metadata=dict(self.metadata),
            supports_streaming=self.supports_streaming,
        )

    def to_proto(self) -> Any:
        """This tool as a ``ToolRegistration`` (what ``RegisterTools`` sends)."""
        return self._proto("ToolRegistration")

    def to_tool_spec(self) -> Any:
        """This tool as a ``ToolSpec``."""
        return self._proto("ToolSpec")


def _is_context_annotation(annotation: Any) -> bool:
    if getattr(annotation, "__name__", None) == "SessionContext" and getattr(annotation, "__module__", "").startswith(
        "snakepit_bridge"
    ):
        return True
    return isinstance(annotation, str) and annotation.split(".")[-1] in ("SessionContext", "'SessionContext'")


def _tool_kind(func: Callable[..., Any]) -> str:
    target = inspect.unwrap(func)
    if inspect.isasyncgenfunction(target):
        return "async_generator"
    if inspect.iscoroutinefunction(target):
        return "async"
    if inspect.isgeneratorfunction(target):
        return "generator"
    return "sync"


def describe_tool(func: Callable[..., Any], attribute: str | None = None, adapter: type | None = None) -> ToolInfo:
    """Build the ``ToolInfo`` of a (bound or plain) function carrying ``@tool`` metadata or not."""
    meta: ToolMetadata = getattr(func, "_tool_metadata", None) or ToolMetadata()
    signature = inspect.signature(func)
    try:
        hints = typing.get_type_hints(inspect.unwrap(func), include_extras=True)
    except Exception:
        hints = {}
    summary, param_docs = parse_docstring(inspect.getdoc(func))
    params: list[ParameterInfo] = []
    var_kwargs = False
    context_parameter = None
    for param in signature.parameters.values():
        if param.name in ("self", "cls") and param.annotation is _EMPTY and not params:
            continue
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            var_kwargs = True
            continue
        annotation = hints.get(param.name, param.annotation)
        if _is_context_annotation(annotation) or _is_context_annotation(param.annotation):
            context_parameter = param.name
            continue
        choices = _literal_choices(annotation)
        params.append(
            ParameterInfo(
                name=param.name,
                type=type_string(annotation),
                required=param.default is _EMPTY,
                default=param.default,
                description=param_docs.get(param.name, ""),
                annotation=annotation,
                choices=tuple(choices) if choices is not None else None,
            )
        )
    kind = _tool_kind(func)
    name = meta.name or attribute or func.__name__
    metadata = {"snakepit.kind": kind}
    if adapter is not None:
        metadata["adapter_class"] = adapter.__name__
        metadata["module"] = adapter.__module__
    if meta.required_variables:
        metadata["required_variables"] = ",".join(meta.required_variables)
    return ToolInfo(
        name=name,
        description=meta.description or summary,
        parameters=tuple(params),
        supports_streaming=meta.supports_streaming or kind in ("generator", "async_generator"),
        kind=kind,
        attribute=attribute or func.__name__,
        run_in_thread=meta.run_in_thread,
        accepts_var_kwargs=var_kwargs,
        context_parameter=context_parameter,
        metadata=metadata,
    )
