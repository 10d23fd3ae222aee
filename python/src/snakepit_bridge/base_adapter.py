"""``BaseAdapter`` and the ``@tool`` decorator: tool discovery, introspection, validation, dispatch."""

from __future__ import annotations

import asyncio
import collections.abc as cabc
import concurrent.futures
import contextvars
import dataclasses
import functools
import inspect
import json
import os
import re
import threading
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, Union

from . import snakepit_bridge_pb2 as pb2
from .codec import encode_param
from .errors import InvalidArgumentsError, ToolNotFoundError
from .session_context import _CURRENT, SessionContext, current_context

__all__ = [
    "BaseAdapter",
    "ParameterInfo",
    "ToolInfo",
    "ToolMetadata",
    "describe_tool",
    "run_blocking",
    "tool",
    "type_string",
]

F = TypeVar("F", bound=Callable[..., Any])
_NoneType = type(None)
_EMPTY = inspect.Parameter.empty

# ---------------------------------------------------------------------------------------------
# The @tool decorator
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ToolMetadata:
    """What ``@tool`` records on a function (attribute ``_tool_metadata``)."""

    description: str = ""
    supports_streaming: bool = False
    required_variables: tuple[str, ...] = ()
    name: str | None = None
    run_in_thread: bool = True


_TOOL_OPTIONS = ("description", "supports_streaming", "required_variables", "name", "run_in_thread")


def _apply(func: Any, meta: ToolMetadata) -> Any:
    target = func.__func__ if isinstance(func, (staticmethod, classmethod)) else func
    if isinstance(target, type) or not callable(target):
        raise TypeError(f"@tool can only decorate functions or methods, got {type(func).__name__} {func!r}")
    target._tool_metadata = meta
    return func


def tool(
    func: Any = None,
    /,
    *,
    description: str = "",
    supports_streaming: bool = False,
    required_variables: cabc.Iterable[str] | None = None,
    name: str | None = None,
    run_in_thread: bool = True,
    **unknown: Any,
) -> Any:
    """Mark an adapter method as a tool; the function is returned unchanged (still callable).

    Usable bare (``@tool``), with keywords (``@tool(description="...", supports_streaming=True)``)
    or Snakepit-style with the description as the only positional argument (``@tool("...")``).
    ``run_in_thread=False`` runs a sync tool on the event loop (only for tools that never block).
    Generator functions are streaming tools whether or not ``supports_streaming`` is given.
    """
    if unknown:
        raise TypeError(
            f"@tool got unexpected keyword argument(s) {sorted(unknown)}; allowed: {', '.join(_TOOL_OPTIONS)}"
        )
    if isinstance(func, str):
        if description:
            raise TypeError("@tool: give the description either positionally or as description=, not both")
        description, func = func, None
    if not isinstance(description, str):
        raise TypeError(f"@tool description must be a str, got {type(description).__name__}")
    if not isinstance(supports_streaming, bool):
        raise TypeError(f"@tool supports_streaming must be a bool, got {type(supports_streaming).__name__}")
    if name is not None and (not isinstance(name, str) or not name):
        raise TypeError(f"@tool name must be a non-empty str, got {name!r}")
    if isinstance(required_variables, str):
        required_variables = [required_variables]
    meta = ToolMetadata(
        description=description,
        supports_streaming=supports_streaming,
        required_variables=tuple(required_variables or ()),
        name=name,
        run_in_thread=bool(run_in_thread),
    )
    if func is not None:
        return _apply(func, meta)

    def decorator(f: F) -> F:
        return _apply(f, meta)

    return decorator


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

    def to_proto(self) -> pb2.ParameterSpec:
        """This parameter as a ``ParameterSpec``."""
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

    def to_proto(self) -> pb2.ToolRegistration:
        """This tool as a ``ToolRegistration`` (what ``RegisterTools`` sends)."""
        return pb2.ToolRegistration(
            name=self.name,
            description=self.description,
            parameters=[p.to_proto() for p in self.parameters],
            metadata=dict(self.metadata),
            supports_streaming=self.supports_streaming,
        )

    def to_tool_spec(self) -> pb2.ToolSpec:
        """This tool as a ``ToolSpec``."""
        return pb2.ToolSpec(
            name=self.name,
            description=self.description,
            parameters=[p.to_proto() for p in self.parameters],
            metadata=dict(self.metadata),
            supports_streaming=self.supports_streaming,
        )


def _is_context_annotation(annotation: Any) -> bool:
    if annotation is SessionContext:
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


# ---------------------------------------------------------------------------------------------
# Argument validation
# ---------------------------------------------------------------------------------------------


def _received(value: Any) -> str:
    if value is None:
        return "None"
    return type(value).__name__


class _Mismatch(Exception):
    """Internal: a value does not match an annotation (``where`` locates nested elements)."""

    def __init__(self, where: str = "", detail: str = "") -> None:
        super().__init__(where)
        self.where = where
        self.detail = detail


def _pydantic_model(annotation: Any) -> Any:
    try:
        import pydantic
    except ImportError:
        return None
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    return None


def _check(value: Any, annotation: Any, where: str = "") -> Any:
    """Return ``value`` (possibly converted, e.g. list -> tuple) or raise ``_Mismatch``."""
    annotation = _strip_annotated(annotation)
    if annotation is _EMPTY or annotation is Any or annotation is object or isinstance(annotation, (str, TypeVar)):
        return value
    if annotation is None or annotation is _NoneType:
        if value is None:
            return None
        raise _Mismatch(where)
    if _is_union(annotation):
        args = typing.get_args(annotation)
        if value is None and _NoneType in args:
            return None
        last: _Mismatch | None = None
        for arg in args:
            if arg is _NoneType:
                continue
            try:
                return _check(value, arg, where)
            except _Mismatch as exc:
                last = exc
        if last is not None and len([a for a in args if a is not _NoneType]) == 1:
            raise last
        raise _Mismatch(where)
    origin = typing.get_origin(annotation)
    if origin is Literal:
        for choice in typing.get_args(annotation):
            if value == choice and type(value) is type(choice):
                return value
        raise _Mismatch(where, f"must be one of {list(typing.get_args(annotation))!r}")
    if annotation is bool:
        if isinstance(value, bool):
            return value
        raise _Mismatch(where)
    if annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _Mismatch(where)
    if annotation is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value  # ints stay ints (2 + 2 == 4, not 4.0)
        raise _Mismatch(where)
    if annotation is str:
        if isinstance(value, str):
            return value
        raise _Mismatch(where)
    if annotation in (bytes, bytearray):
        if isinstance(value, bytes):
            return value if annotation is bytes else bytearray(value)
        if isinstance(value, (bytearray, memoryview)):
            return annotation(value)
        if isinstance(value, str):  # JSON has no bytes: a string argument is taken as UTF-8
            return annotation(value.encode("utf-8"))
        raise _Mismatch(where)
    container = origin or annotation
    if container in (
        list,
        tuple,
        set,
        frozenset,
        cabc.Sequence,
        cabc.Iterable,
        cabc.Collection,
        cabc.MutableSequence,
        cabc.Set,
        cabc.MutableSet,
    ):
        if not isinstance(value, (list, tuple)) and not (
            container in (set, frozenset, cabc.Set, cabc.MutableSet) and isinstance(value, (set, frozenset))
        ):
            raise _Mismatch(where)
        args = typing.get_args(annotation)
        if container is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            if len(args) != len(value):
                raise _Mismatch(where, f"expected {len(args)} items, got {len(value)}")
            items = [_check(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args, strict=True))]
        else:
            element = args[0] if args else Any
            items = [_check(v, element, f"{where}[{i}]") for i, v in enumerate(value)]
        if container is tuple:
            return tuple(items)
        if container in (set, cabc.Set, cabc.MutableSet):
            return set(items)
        if container is frozenset:
            return frozenset(items)
        return items
    if container in (dict, cabc.Mapping, cabc.MutableMapping):
        if not isinstance(value, dict):
            raise _Mismatch(where)
        args = typing.get_args(annotation)
        key_type, value_type = (args[0], args[1]) if len(args) == 2 else (Any, Any)
        out = {}
        for key, item in value.items():
            checked_key = key
            if key_type is int and isinstance(key, str):
                try:
                    checked_key = int(key)
                except ValueError:
                    raise _Mismatch(f"{where}[{key!r}] (key)") from None
            else:
                checked_key = _check(key, key_type, f"{where}[{key!r}] (key)")
            out[checked_key] = _check(item, value_type, f"{where}[{key!r}]")
        return out
    model = _pydantic_model(annotation)
    if model is not None:
        if isinstance(value, model):
            return value
        import pydantic

        try:
            return model.model_validate(value)
        except pydantic.ValidationError as exc:
            raise _Mismatch(where, str(exc).replace("\n", " ")) from None
    # Other annotations (custom classes, numpy arrays...) cannot come from JSON: passed through.
    return value


def _element_received(value: Any, where: str) -> str:
    """Type name of the nested element at ``where`` (``[0]['k']``), best effort."""
    current = value
    for part in re.findall(r"\[([^\]]+)\]", where):
        try:
            current = (
                current[int(part)]
                if isinstance(current, (list, tuple))
                else current[json.loads(part.replace("'", '"'))]
            )
        except Exception:
            return _received(value)
    return _received(current)


def bind_arguments(info: ToolInfo, arguments: Mapping[str, Any], context: SessionContext | None) -> dict[str, Any]:
    """Validate ``arguments`` against the tool's signature; return the keyword arguments to call with."""
    known = {p.name: p for p in info.parameters}
    kwargs: dict[str, Any] = {}
    for name, value in arguments.items():
        param = known.get(name)
        if param is None:
            if info.accepts_var_kwargs:
                kwargs[name] = value
                continue
            raise InvalidArgumentsError(
                f"Unexpected argument '{name}' for tool '{info.name}'. Parameters: {info.signature_text()}.",
                parameter=name,
                expected=None,
                received=_received(value),
                problem="unexpected",
            )
        try:
            kwargs[name] = _check(value, param.annotation)
        except _Mismatch as exc:
            received = _element_received(value, exc.where) if exc.where else _received(value)
            place = f"argument '{name}{exc.where}'"
            literal = param.choices is not None and not exc.where and exc.detail.startswith("must be one of")
            detail = f" ({exc.detail})" if exc.detail else ""
            message = (
                f"Invalid value {value!r} for argument '{name}' of tool '{info.name}': {exc.detail}."
                if literal
                else f"Invalid type for {place} of tool '{info.name}': expected {param.type}, got "
                f"{received}{detail}. Parameters: {info.signature_text()}."
            )
            raise InvalidArgumentsError(
                message,
                parameter=name,
                expected=param.type,
                received=repr(value)[:200] if literal else received,
                problem="value" if literal else "type",
            ) from None
    for param in info.parameters:
        if param.required and param.name not in kwargs:
            raise InvalidArgumentsError(
                f"Missing required argument '{param.name}' ({param.type}) for tool '{info.name}'. "
                f"Parameters: {info.signature_text()}.",
                parameter=param.name,
                expected=param.type,
                received=None,
                problem="missing",
            )
    if info.context_parameter is not None:
        kwargs[info.context_parameter] = context
    return kwargs


# ---------------------------------------------------------------------------------------------
# Running blocking code
# ---------------------------------------------------------------------------------------------

_EXECUTOR: concurrent.futures.ThreadPoolExecutor | None = None
_EXECUTOR_LOCK = threading.Lock()


def tool_executor() -> concurrent.futures.ThreadPoolExecutor:
    """The worker's thread pool for sync tools (size ``SNAKEPIT_TOOL_THREADS``, default 64)."""
    global _EXECUTOR
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None:
            size = int(os.environ.get("SNAKEPIT_TOOL_THREADS", "64"))
            _EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=size, thread_name_prefix="snakepit-tool")
        return _EXECUTOR


_BUSY_THREADS = 0
_BUSY_LOCK = threading.Lock()


def busy_threads() -> int:
    """Tool threads running right now, including those of cancelled calls that have not returned."""
    with _BUSY_LOCK:
        return _BUSY_THREADS


def tracked(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run ``func`` counting it as a busy tool thread (call this inside the worker thread)."""
    global _BUSY_THREADS
    with _BUSY_LOCK:
        _BUSY_THREADS += 1
    try:
        return func(*args, **kwargs)
    finally:
        with _BUSY_LOCK:
            _BUSY_THREADS -= 1


async def run_blocking(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run ``func`` in the tool thread pool with the caller's contextvars (the ``SessionContext``).

    When the awaiting task is cancelled, the current ``SessionContext`` is marked cancelled so the
    thread can notice (``ctx.cancelled`` / ``ctx.raise_if_cancelled()``).
    """
    loop = asyncio.get_running_loop()
    call_context = contextvars.copy_context()
    future = loop.run_in_executor(tool_executor(), functools.partial(call_context.run, tracked, func, *args, **kwargs))
    try:
        return await future
    except asyncio.CancelledError:
        ctx = current_context()
        if ctx is not None:
            ctx.cancel()
        raise


# ---------------------------------------------------------------------------------------------
# BaseAdapter
# ---------------------------------------------------------------------------------------------


class BaseAdapter:
    """Base class for adapters: discovers ``@tool`` methods and dispatches calls to them.

    One instance serves every call of a worker; per-call state lives in the ``SessionContext``
    (``current_context()``). Override ``initialize()``/``cleanup()`` (sync or async) for set-up
    and tear-down.
    """

    session_context: SessionContext | None = None

    def __init__(self) -> None:
        self._tools_cache: list[ToolInfo] | None = None

    # -- lifecycle hooks ---------------------------------------------------------------------

    def initialize(self) -> Any:
        """Called once after construction, before the worker reports ready (may be async)."""
        return None

    def cleanup(self) -> Any:
        """Called once when the worker stops (may be async)."""
        return None

    def set_session_context(self, context: SessionContext) -> None:
        """Snakepit compatibility: receives the context of the current call."""
        self.session_context = context

    # -- discovery ---------------------------------------------------------------------------

    def get_tools(self) -> list[ToolInfo]:
        """All ``@tool`` methods of this adapter, in definition order."""
        cached = getattr(self, "_tools_cache", None)
        if cached is not None:
            return list(cached)
        found: dict[str, Any] = {}
        for klass in reversed(type(self).__mro__):
            for attr, value in vars(klass).items():
                target = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
                if getattr(target, "_tool_metadata", None) is not None:
                    found[attr] = value
                elif attr in found:
                    del found[attr]  # overridden without @tool: no longer a tool
        tools = [describe_tool(getattr(self, attr), attr, type(self)) for attr in found]
        self._tools_cache = tools
        return list(tools)

    def get_tool_registrations(self) -> list[pb2.ToolRegistration]:
        """``get_tools()`` as ``ToolRegistration`` messages."""
        return [t.to_proto() for t in self.get_tools()]

    def get_tool(self, tool_name: str) -> ToolInfo:
        """The tool named ``tool_name``; ``ToolNotFoundError`` listing the available tools if none."""
        by_name = getattr(self, "_tools_by_name", None)
        if by_name is None:
            by_name = {info.name: info for info in self.get_tools()}
            self._tools_by_name = by_name
        info = by_name.get(tool_name)
        if info is not None:
            return info
        raise ToolNotFoundError(tool_name, [t.name for t in self.get_tools()], type(self).__name__)

    def register_with_session(self, session_id: str, stub: Any, worker_id: str = "") -> list[str]:
        """Snakepit compatibility: send ``RegisterTools`` through ``stub``; return the registered names."""
        request = pb2.RegisterToolsRequest(
            session_id=session_id, tools=self.get_tool_registrations(), worker_id=worker_id
        )
        response = stub.RegisterTools(request)
        return list(response.tool_ids.keys()) if response.success else []

    # -- dispatch ----------------------------------------------------------------------------

    async def execute_tool(
        self, tool_name: str, arguments: Mapping[str, Any] | None = None, context: SessionContext | None = None
    ) -> Any:
        """Validate ``arguments`` and call tool ``tool_name``.

        Returns the tool's result; for generator tools returns the (not yet started) generator or
        async generator. Sync tools run in the tool thread pool.
        """
        info = self.get_tool(tool_name)
        kwargs = bind_arguments(info, arguments or {}, context)
        func = getattr(self, info.attribute)
        token = _CURRENT.set(context) if context is not None and _CURRENT.get() is not context else None
        try:
            if info.kind == "async":
                return await func(**kwargs)
            if info.kind in ("generator", "async_generator") or not info.run_in_thread:
                return func(**kwargs)
            return await run_blocking(func, **kwargs)
        finally:
            if token is not None:
                _CURRENT.reset(token)

    def call_tool(self, tool_name: str, **kwargs: Any) -> Any:
        """Snakepit compatibility: call a tool synchronously by name (no validation, no thread)."""
        return getattr(self, self.get_tool(tool_name).attribute)(**kwargs)
