"""Value encoding of the bridge protocol (kept as an import path; the code lives in ``wire.values``
(JSON and bytes, no protobuf) and ``wire.codec`` (protobuf ``Any``))."""

from .wire.codec import (
    PARAM_TYPE_URL,
    RESULT_TYPE_PREFIX,
    decode_any,
    decode_arguments,
    decode_result,
    encode_param,
    encode_result,
)
from .wire.values import BINARY_TYPES, StreamChunk, encode_chunk, to_json
from .wire.values import result_kind as _result_kind

__all__ = [
    "BINARY_TYPES",
    "PARAM_TYPE_URL",
    "RESULT_TYPE_PREFIX",
    "StreamChunk",
    "_result_kind",
    "decode_any",
    "decode_arguments",
    "decode_result",
    "encode_chunk",
    "encode_param",
    "encode_result",
    "to_json",
]
