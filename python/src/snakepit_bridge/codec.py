"""Value encoding of the bridge protocol: JSON-in-``Any`` parameters, typed results, stream chunks."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import enum
import json
import pickle
import uuid
from collections.abc import Mapping
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from google.protobuf import any_pb2, wrappers_pb2
from google.protobuf import struct_pb2 as _struct_pb2

from .errors import InvalidArgumentsError, SerializationError

__all__ = [
    "PARAM_TYPE_URL",
    "RESULT_TYPE_PREFIX",
    "StreamChunk",
    "decode_any",
    "decode_arguments",
    "decode_result",
    "encode_chunk",
    "encode_param",
    "encode_result",
    "to_json",
]

PARAM_TYPE_URL = "type.googleapis.com/google.protobuf.StringValue"
RESULT_TYPE_PREFIX = "type.googleapis.com/snakepit."
BINARY_TYPES = (bytes, bytearray, memoryview)

_WRAPPERS: dict[str, Any] = {
    "google.protobuf.StringValue": wrappers_pb2.StringValue,
    "google.protobuf.BoolValue": wrappers_pb2.BoolValue,
    "google.protobuf.Int64Value": wrappers_pb2.Int64Value,
    "google.protobuf.Int32Value": wrappers_pb2.Int32Value,
    "google.protobuf.DoubleValue": wrappers_pb2.DoubleValue,
    "google.protobuf.FloatValue": wrappers_pb2.FloatValue,
    "google.protobuf.Value": _struct_pb2.Value,
}


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


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, (_dt.datetime, _dt.date, _dt.time)):
        return obj.isoformat()
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (uuid.UUID, PurePath)):
        return str(obj)
    if isinstance(obj, Decimal):
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    module = type(obj).__module__
    if module.startswith("numpy"):
        if hasattr(obj, "tolist"):
            return obj.tolist()
        if hasattr(obj, "item"):
            return obj.item()
    if hasattr(obj, "model_dump") and callable(obj.model_dump):  # pydantic v2
        return obj.model_dump(mode="json")
    raise TypeError(f"Object of type {type(obj).__qualname__} is not JSON serializable")


# One encoder for every call: json.dumps builds a new one per call when given options.
_ENCODER = json.JSONEncoder(default=_json_default, allow_nan=False, separators=(",", ":"))


def to_json(value: Any) -> str:
    """Encode ``value`` as JSON text, converting obvious non-JSON types; else ``SerializationError``."""
    try:
        return _ENCODER.encode(value)
    except (TypeError, ValueError) as exc:
        raise SerializationError(
            f"Cannot encode a result of type {type(value).__qualname__} as JSON: {exc}. "
            "Return JSON types (dict, list, str, int, float, bool, None) or bytes.",
            result_type=type(value).__qualname__,
        ) from exc


def _result_kind(value: Any) -> str:
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


def encode_result(value: Any) -> tuple[any_pb2.Any, bytes | None]:
    """Encode a tool result as ``(result Any, binary_result or None)``."""
    if isinstance(value, BINARY_TYPES):
        raw = value if isinstance(value, bytes) else bytes(value)
        payload = json.dumps({"size": len(raw)}).encode()
        return any_pb2.Any(type_url=RESULT_TYPE_PREFIX + "binary", value=payload), raw
    text = to_json(value)
    # The kind of a converted value (dataclass, numpy array...) follows its JSON form.
    kind = (
        _result_kind(value)
        if isinstance(value, (dict, list, tuple, str, int, float, type(None)))
        else (_result_kind(json.loads(text)))
    )
    return any_pb2.Any(type_url=RESULT_TYPE_PREFIX + kind, value=text.encode("utf-8")), None


def encode_param(value: Any) -> any_pb2.Any:
    """Encode one tool argument as JSON-in-Any (``type_url`` StringValue)."""
    return any_pb2.Any(type_url=PARAM_TYPE_URL, value=to_json(value).encode("utf-8"))


def decode_any(message: any_pb2.Any) -> Any:
    """Decode a JSON-in-Any value tolerantly (packed google.protobuf wrappers are unpacked).

    Raises ``ValueError`` when the value is neither JSON nor a known packed wrapper.
    """
    raw = message.value
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as json_error:
        type_name = message.type_url.rsplit("/", 1)[-1]
        wrapper = _WRAPPERS.get(type_name)
        if wrapper is None:
            raise ValueError(f"not valid JSON ({json_error})") from json_error
        packed = wrapper()
        try:
            packed.ParseFromString(raw)
        except Exception as exc:  # DecodeError
            raise ValueError(f"neither JSON nor a packed {type_name}") from exc
        if isinstance(packed, _struct_pb2.Value):
            from google.protobuf.json_format import MessageToDict

            return MessageToDict(packed)
        return packed.value


def decode_result(result: any_pb2.Any, binary_result: bytes) -> Any:
    """Decode a ``result`` Any of a tool response (binary kind returns ``binary_result``)."""
    if result.type_url.endswith(".binary"):
        return binary_result
    return decode_any(result)


def decode_arguments(
    parameters: Mapping[str, any_pb2.Any],
    binary_parameters: Mapping[str, bytes],
    metadata: Mapping[str, str],
    *,
    allow_pickle: bool = False,
) -> dict[str, Any]:
    """Turn request ``parameters`` and ``binary_parameters`` into keyword arguments."""
    arguments: dict[str, Any] = {}
    for name, value in parameters.items():
        try:
            arguments[name] = decode_any(value)
        except ValueError as exc:
            raise InvalidArgumentsError(
                f"Argument '{name}' is not valid JSON: {exc}. Send each argument as UTF-8 JSON text.",
                parameter=name,
                expected="JSON text",
                received=repr(bytes(value.value[:40])),
                problem="malformed_json",
            ) from exc
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
