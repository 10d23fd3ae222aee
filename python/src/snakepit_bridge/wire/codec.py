"""Protobuf side of the value codec: JSON-in-``Any`` parameters and typed ``Any`` results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import any_pb2, wrappers_pb2
from google.protobuf import struct_pb2 as _struct_pb2

from .values import add_binary_arguments, decode_json, encode_value, to_json

__all__ = [
    "PARAM_TYPE_URL",
    "RESULT_TYPE_PREFIX",
    "decode_any",
    "decode_arguments",
    "decode_result",
    "encode_param",
    "encode_result",
]

PARAM_TYPE_URL = "type.googleapis.com/google.protobuf.StringValue"
RESULT_TYPE_PREFIX = "type.googleapis.com/snakepit."

_WRAPPERS: dict[str, Any] = {
    "google.protobuf.StringValue": wrappers_pb2.StringValue,
    "google.protobuf.BoolValue": wrappers_pb2.BoolValue,
    "google.protobuf.Int64Value": wrappers_pb2.Int64Value,
    "google.protobuf.Int32Value": wrappers_pb2.Int32Value,
    "google.protobuf.DoubleValue": wrappers_pb2.DoubleValue,
    "google.protobuf.FloatValue": wrappers_pb2.FloatValue,
    "google.protobuf.Value": _struct_pb2.Value,
}

# One Any per kind is enough to learn the type URLs; the strings are built once.
_KIND_URLS: dict[str, str] = {}


def encode_result(value: Any) -> tuple[any_pb2.Any, bytes | None]:
    """Encode a tool result as ``(result Any, binary_result or None)``."""
    kind, text, binary = encode_value(value)
    url = _KIND_URLS.get(kind)
    if url is None:
        url = _KIND_URLS.setdefault(kind, RESULT_TYPE_PREFIX + kind)
    return any_pb2.Any(type_url=url, value=text), binary


def encode_param(value: Any) -> any_pb2.Any:
    """Encode one tool argument as JSON-in-Any (``type_url`` StringValue)."""
    return any_pb2.Any(type_url=PARAM_TYPE_URL, value=to_json(value).encode("utf-8"))


def decode_any(message: any_pb2.Any) -> Any:
    """Decode a JSON-in-Any value tolerantly (packed google.protobuf wrappers are unpacked).

    Raises ``ValueError`` when the value is neither JSON nor a known packed wrapper.
    """
    import json

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
        except ValueError:
            # Not JSON and not a packed wrapper: report it the way the JSON codec does.
            arguments[name] = decode_json(name, value.value)
    return add_binary_arguments(arguments, binary_parameters, metadata, allow_pickle=allow_pickle)
