"""The JSON/bytes value codec of the bridge, free of protobuf and gRPC (any transport can use it).

Tool arguments arrive as JSON text (or raw bytes); results leave as JSON text with a kind
(``map``, ``list``, ``string``, ``float``, ``boolean``, ``null``) or as raw bytes (kind ``binary``).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
from collections.abc import Mapping
from typing import Any

from .._graceful import graceful_default
from ..errors import InvalidArgumentsError, SerializationError

__all__ = [
    "BINARY_TYPES",
    "StreamChunk",
    "add_binary_arguments",
    "decode_json",
    "encode_chunk",
    "encode_value",
    "result_kind",
    "to_json",
]

BINARY_TYPES = (bytes, bytearray, memoryview)


@dataclasses.dataclass(frozen=True, slots=True)
class StreamChunk:
    """One item of a streaming tool, with explicit finality and chunk metadata.

    ``data`` is encoded like any yielded value (JSON for dicts/lists/numbers, UTF-8 for ``str``,
    raw for bytes). Plain yielded values work too; use this to mark a chunk final or to attach
    metadata.
    """

    data: Any
    is_final: bool = False
    metadata: Mapping[str, str] | None = None


def _instance_of(obj: Any, module_name: str, class_name: str) -> bool:
    module = sys.modules.get(module_name)
    return module is not None and isinstance(obj, getattr(module, class_name))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    # A value can only be a datetime, UUID, path or Decimal if its module was imported: asking
    # sys.modules spares every worker start importing four modules it may never see a value of.
    datetime = sys.modules.get("datetime")
    if datetime is not None and isinstance(obj, (datetime.datetime, datetime.date, datetime.time)):
        return obj.isoformat()
    if isinstance(obj, enum.Enum):
        return obj.value
    if _instance_of(obj, "uuid", "UUID") or _instance_of(obj, "pathlib", "PurePath"):
        return str(obj)
    if _instance_of(obj, "decimal", "Decimal"):
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    module = type(obj).__module__
    if module.startswith("numpy"):
        if hasattr(obj, "tolist"):
            return obj.tolist()
        if hasattr(obj, "item"):
            return obj.item()
    if hasattr(obj, "model_dump") and callable(obj.model_dump):  # pydantic v2
        try:
            return obj.model_dump(mode="json")
        except TypeError:  # a model_dump() that takes no mode (Snakepit's duck-typed models)
            pass
    # Snakepit's graceful chain: to_dict(), _asdict(), tolist() (size-guarded), isoformat(), else a marker.
    return graceful_default(obj)


# One encoder for every call: json.dumps builds a new one per call when given options.
# NaN and the infinities are written as the bare tokens NaN / Infinity / -Infinity (the host reads them as doubles).
_ENCODER = json.JSONEncoder(default=_json_default, allow_nan=True, separators=(",", ":"))
_encode_string = json.encoder.encode_basestring_ascii  # what _ENCODER.encode does with a str


def to_json(value: Any) -> str:
    """Encode ``value`` as JSON text, converting obvious non-JSON types; else ``SerializationError``."""
    kind = type(value)
    if kind is str:  # the common small results, without the encoder's per-call set-up
        return _encode_string(value)
    if value is None:
        return "null"
    try:
        if kind is int:
            return int.__repr__(value)  # ValueError beyond sys.get_int_max_str_digits(), as the encoder
        return _ENCODER.encode(value)
    except (TypeError, ValueError) as exc:
        raise SerializationError(
            f"Cannot encode a result of type {type(value).__qualname__} as JSON: {exc}. "
            "Return JSON types (dict, list, str, int, float, bool, None) or bytes.",
            result_type=type(value).__qualname__,
        ) from exc
    except RecursionError as exc:
        raise SerializationError(
            f"Cannot encode a result of type {type(value).__qualname__} as JSON: it is nested deeper than Python's "
            f"recursion limit ({sys.getrecursionlimit()}). Flatten it, or return bytes.",
            result_type=type(value).__qualname__,
        ) from exc


def result_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "list"
    return "map"


def encode_value(value: Any) -> tuple[str, bytes, bytes | None]:
    """Encode a tool result as ``(kind, JSON text, raw bytes or None)``; bytes results have kind ``binary``."""
    if isinstance(value, BINARY_TYPES):
        raw = value if isinstance(value, bytes) else bytes(value)
        return "binary", json.dumps({"size": len(raw)}).encode(), raw
    text = to_json(value)
    # The kind of a converted value (dataclass, numpy array...) follows its JSON form.
    kind = (
        result_kind(value)
        if isinstance(value, (dict, list, tuple, str, int, float, type(None)))
        else result_kind(json.loads(text))
    )
    return kind, text.encode("utf-8"), None


def decode_json(name: str, raw: bytes) -> Any:
    """Decode one argument's JSON text (empty means ``None``); ``InvalidArgumentsError`` if it is not JSON."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except RecursionError as exc:
        raise InvalidArgumentsError(
            f"Argument '{name}' is nested deeper than Python's recursion limit ({sys.getrecursionlimit()}). "
            "Flatten it, or send it as bytes.",
            parameter=name,
            expected="JSON nested less deeply",
            received=repr(bytes(raw[:40])),
            problem="too_deep",
        ) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgumentsError(
            f"Argument '{name}' is not valid JSON: {exc}. Send each argument as UTF-8 JSON text.",
            parameter=name,
            expected="JSON text",
            received=repr(bytes(raw[:40])),
            problem="malformed_json",
        ) from exc


def add_binary_arguments(
    arguments: dict[str, Any],
    binary_parameters: Mapping[str, bytes],
    metadata: Mapping[str, str],
    *,
    allow_pickle: bool = False,
) -> dict[str, Any]:
    """Add the raw bytes arguments to ``arguments`` (unpickled only when marked so and allowed)."""
    for name, raw in binary_parameters.items():
        fmt = metadata.get(f"binary_format:{name}", "")
        if fmt == "pickle":
            if not allow_pickle:
                raise InvalidArgumentsError(
                    f"Argument '{name}' is marked binary_format=pickle but this worker does not allow "
                    "pickle (start it with SNAKEPIT_ALLOW_PICKLE=1).",
                    parameter=name,
                    expected="raw bytes",
                    received="pickle",
                    problem="value",
                )
            import pickle  # only for arguments marked so: most workers never unpickle

            arguments[name] = pickle.loads(raw)
        else:
            arguments[name] = raw
    return arguments


def encode_chunk(item: Any) -> tuple[bytes, str]:
    """Encode one stream item as ``(data, content_type)``."""
    if isinstance(item, BINARY_TYPES):
        return (item if isinstance(item, bytes) else bytes(item)), "application/octet-stream"
    if isinstance(item, str):
        return item.encode("utf-8"), "text/plain"
    return to_json(item).encode("utf-8"), "application/json"
