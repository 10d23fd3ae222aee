"""Graceful JSON for objects JSON cannot hold (the policy is described in ``serialization``)."""

from __future__ import annotations

import json
import os
import re
import threading
from typing import Any

__all__ = [
    "BINARY_THRESHOLD",
    "REPR_KEY",
    "TYPE_KEY",
    "UNSERIALIZABLE_KEY",
    "GracefulJSONEncoder",
    "graceful_default",
    "unserializable_marker",
]

BINARY_THRESHOLD = 10_240
"""Tensors and embeddings estimated above this many bytes travel as binary (``TypeSerializer``)."""

UNSERIALIZABLE_KEY = "__ffi_unserializable__"
TYPE_KEY = "__type__"
REPR_KEY = "__repr__"

_REPR_MAXLEN_DEFAULT = 500
_REPR_MAXLEN_LIMIT = 2000
_TOLIST_MAX_DEFAULT = 1_000_000
_MARKER_EVENT = "snakepit.serialization.unserializable_marker"
_MARKER_TYPES_LIMIT = 10_000

_REDACTIONS = (
    (re.compile(r"(authorization:\s*bearer\s+)\S+", re.IGNORECASE), r"\1<REDACTED>"),
    (re.compile(r"(bearer\s+)[\w\-.~+/]+=*", re.IGNORECASE), r"\1<REDACTED>"),
    (re.compile(r"\bsk-[A-Za-z0-9]{10,}\b"), "sk-<REDACTED>"),
    (
        re.compile(r"""(["']?(?:api[_-]?key|token|secret|password)["']?\s*[:=]\s*["'])[^"']+(["'])""", re.IGNORECASE),
        r"\1<REDACTED>\2",
    ),
)

_reported_types: set[str] = set()
_reported_lock = threading.Lock()


def _int_env(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, "").strip() or default)
    except ValueError:
        return default  # a bad value never stops a worker


def _detail(obj: Any, type_name: str) -> str | None:
    mode = os.environ.get("SNAKEPIT_UNSERIALIZABLE_DETAIL", "none").strip().lower()
    if mode == "type":
        return f"<unserializable {type_name}>"
    if mode not in ("repr_truncated", "repr_redacted_truncated"):
        return None
    try:
        text = repr(obj)
    except Exception:
        text = f"<repr failed for {type_name}>"
    if mode == "repr_redacted_truncated":
        for pattern, replacement in _REDACTIONS:
            text = pattern.sub(replacement, text)
    limit = max(0, min(_int_env("SNAKEPIT_UNSERIALIZABLE_REPR_MAXLEN", _REPR_MAXLEN_DEFAULT), _REPR_MAXLEN_LIMIT))
    return text[:limit]


def unserializable_marker(obj: Any) -> dict[str, Any]:
    """The marker that stands for ``obj`` (type always; ``__repr__`` as the env policy says).

    The first marker of each type emits a ``snakepit.serialization.unserializable_marker`` event.
    """
    cls = type(obj)
    type_name = f"{cls.__module__}.{cls.__qualname__}"
    marker: dict[str, Any] = {UNSERIALIZABLE_KEY: True, TYPE_KEY: type_name}
    detail = _detail(obj, type_name)
    if detail is not None:
        marker[REPR_KEY] = detail
    with _reported_lock:
        first = type_name not in _reported_types and len(_reported_types) < _MARKER_TYPES_LIMIT
        if first:
            _reported_types.add(type_name)
    if first:
        try:
            from . import telemetry

            telemetry.emit(_MARKER_EVENT, {"first_seen": 1}, {"type": type_name})
        except Exception:  # telemetry never breaks a result
            pass
    return marker


def _element_count_within(obj: Any, limit: int) -> bool | None:
    """Whether ``obj.tolist()`` stays within ``limit`` elements, judged before converting (None: unknown)."""
    size = None
    if hasattr(obj, "nnz") and hasattr(obj, "shape"):  # sparse matrix: dense size is the shape product
        try:
            size = 1
            for dim in obj.shape:
                size *= int(dim)
        except Exception:
            size = None
    elif hasattr(obj, "size") and (hasattr(obj, "shape") or hasattr(obj, "values")):
        try:
            size = int(obj.size)
        except Exception:
            size = None
    return None if size is None else size <= limit


def _count_leaves(value: list, limit: int) -> int:
    count, stack = 0, [value]
    while stack and count <= limit:
        for item in stack.pop():
            if isinstance(item, list):
                stack.append(item)
            else:
                count += 1
    return count


def graceful_default(obj: Any) -> Any:
    """A JSON form for ``obj`` by the conversions above, or its unserializable marker."""
    for name in ("model_dump", "to_dict", "_asdict"):
        method = getattr(obj, name, None)
        if callable(method):
            try:
                return method()
            except Exception:
                pass
    tolist = getattr(obj, "tolist", None)
    if callable(tolist):
        limit = max(0, _int_env("SNAKEPIT_TOLIST_MAX_ELEMENTS", _TOLIST_MAX_DEFAULT))
        if _element_count_within(obj, limit) is not False:
            try:
                converted = tolist()
                if not isinstance(converted, list) or _count_leaves(converted, limit) <= limit:
                    return converted
            except (MemoryError, Exception):
                pass
    isoformat = getattr(obj, "isoformat", None)
    if callable(isoformat):
        try:
            return isoformat()
        except Exception:
            pass
    return unserializable_marker(obj)


class GracefulJSONEncoder(json.JSONEncoder):
    """A ``json.JSONEncoder`` that never fails on an object: see ``graceful_default``."""

    def default(self, o: Any) -> Any:
        return graceful_default(o)
