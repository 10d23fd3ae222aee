"""Argument validation: check decoded JSON arguments against a tool's signature before the call."""

from __future__ import annotations

import collections.abc as cabc
import json
import re
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from ..errors import InvalidArgumentsError
from .introspection import _EMPTY, ToolInfo, _is_union, _NoneType, _strip_annotated

__all__ = ["bind_arguments"]

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


# Item types a JSON list element passes as, per element annotation (exact types: bool is not an int here).
_EXACT_ELEMENTS: dict[Any, tuple[type, ...]] = {float: (float, int), int: (int,), str: (str,), bool: (bool,)}


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
            exact = _EXACT_ELEMENTS.get(element)
            if element is Any or element is object:
                items = list(value)
            elif exact is not None and all(type(v) in exact for v in value):
                # The common case (a JSON list of numbers or strings), without a check call and a
                # path string per item; anything else takes the item-by-item path below.
                items = list(value)
            else:
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


# ---------------------------------------------------------------------------------------------
# The fast path: most arguments already are what the annotation asks for, exactly as JSON decoded
# them. A predicate per parameter, built once per tool, says so in one or two type checks; values it
# does not vouch for take ``_check`` (which converts, and explains a mismatch).
# ---------------------------------------------------------------------------------------------

_Passes = Callable[[Any], bool]


def _always(_value: Any) -> bool:
    return True


def _exact(*types: type) -> _Passes:
    if len(types) == 1:
        only = types[0]
        return lambda value: type(value) is only
    return lambda value: type(value) in types


def _passes_unchanged(annotation: Any) -> _Passes | None:
    """A predicate true when ``_check(value, annotation)`` would return ``value`` itself (None: no cheap one)."""
    annotation = _strip_annotated(annotation)
    if annotation is _EMPTY or annotation is Any or annotation is object or isinstance(annotation, (str, TypeVar)):
        return _always
    exact = _EXACT_ELEMENTS.get(annotation)
    if exact is not None:
        return _exact(*exact)
    if _is_union(annotation):
        options = [arg for arg in typing.get_args(annotation) if arg is not _NoneType]
        if len(options) != 1 or len(options) == len(typing.get_args(annotation)):
            return None
        inner = _passes_unchanged(options[0])
        if inner is None:
            return None
        return lambda value: value is None or inner(value)
    origin = typing.get_origin(annotation) or annotation
    args = typing.get_args(annotation)
    if origin in (list, cabc.Sequence, cabc.Iterable, cabc.Collection, cabc.MutableSequence):
        element = args[0] if args else Any
        if element is Any or element is object:
            return lambda value: type(value) is list
        items = _EXACT_ELEMENTS.get(element)
        if items is None:
            return None
        return lambda value: type(value) is list and all(type(item) in items for item in value)
    if origin in (dict, cabc.Mapping, cabc.MutableMapping) and (not args or args[1] in (Any, object)):
        if not args or args[0] in (Any, object):
            return lambda value: type(value) is dict
        if args[0] is str:
            return lambda value: type(value) is dict and all(type(key) is str for key in value)
    return None


def _fast_checks(info: ToolInfo) -> dict[str, _Passes | None]:
    """Parameter name -> predicate (or None), built on first use and kept on the ToolInfo itself."""
    table = info.__dict__.get("_unchanged_checks")
    if table is None:
        table = {}
        for param in info.parameters:
            try:
                table[param.name] = _passes_unchanged(param.annotation)
            except TypeError:  # an unhashable annotation object: the full check handles it
                table[param.name] = None
        # Stored like ToolInfo's own cached properties (the dataclass is frozen; its fields are untouched).
        info.__dict__["_unchanged_checks"] = table
    return table


def bind_arguments(info: ToolInfo, arguments: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """Validate ``arguments`` against the tool's signature; return the keyword arguments to call with.

    ``context`` (the call's ``SessionContext``) is passed to the tool's context parameter, if it has one.
    """
    known = info.parameters_by_name
    fast = _fast_checks(info)
    kwargs: dict[str, Any] = {}
    for name, value in arguments.items():
        passes = fast.get(name)
        if passes is not None and passes(value):
            kwargs[name] = value
            continue
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
    for name in info.required_names:
        if name not in kwargs:
            param = known[name]
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
