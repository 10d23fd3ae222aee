"""Frame layout of the local lane (docs/lane.md): a 12-byte header, then the payload.

Never imports grpc or protobuf: a worker serving only the lane starts without them.
"""

from __future__ import annotations

import struct
from typing import Any

__all__ = [
    "HEADER",
    "MIN_LENGTH",
    "PROTOCOL_VERSION",
    "FrameError",
    "decode_call",
    "decode_header",
    "encode_frame",
]

PROTOCOL_VERSION = 1

# length (bytes after this field) | type | flags | reserved | call id, big-endian.
HEADER = struct.Struct(">IBBHI")
HEADER_SIZE = HEADER.size  # 12
MIN_LENGTH = HEADER_SIZE - 4

U32 = struct.Struct(">I")
U32X2 = struct.Struct(">II")

# Frame types.
HELLO = 1
WELCOME = 2
CALL = 3
STREAM = 4
RESULT = 5
ERROR = 6
CHUNK = 7
CANCEL = 8
CREDIT = 9
HOST_CALL = 10
HOST_RESULT = 11
PING = 12
PONG = 13
TELEMETRY = 14
TELEMETRY_CONTROL = 15
GOAWAY = 16
HOST_TOOLS = 17

TYPE_NAMES = {
    HELLO: "HELLO",
    WELCOME: "WELCOME",
    CALL: "CALL",
    STREAM: "STREAM",
    RESULT: "RESULT",
    ERROR: "ERROR",
    CHUNK: "CHUNK",
    CANCEL: "CANCEL",
    CREDIT: "CREDIT",
    HOST_CALL: "HOST_CALL",
    HOST_RESULT: "HOST_RESULT",
    PING: "PING",
    PONG: "PONG",
    TELEMETRY: "TELEMETRY",
    TELEMETRY_CONTROL: "TELEMETRY_CONTROL",
    GOAWAY: "GOAWAY",
    HOST_TOOLS: "HOST_TOOLS",
}

# Flags.
F_BINARY = 0x01  # RESULT / HOST_RESULT: the data is raw bytes
F_FINAL = 0x01  # CHUNK: the last chunk of the stream
F_SHM = 0x02  # RESULT: the data is "<file>:<length>" of a shared-memory hand-off
F_META = 0x04  # RESULT / CHUNK: a u32-length-prefixed JSON metadata object precedes the data
F_FAILED = 0x08  # HOST_RESULT: the data is an error document
CHUNK_JSON = 0x00  # CHUNK content type, in flag bits 4-5
CHUNK_TEXT = 0x10
CHUNK_BYTES = 0x20
CHUNK_KIND_MASK = 0x30


class FrameError(ValueError):
    """A frame that breaks the layout: the connection that sent it is closed."""


def encode_frame(frame_type: int, call_id: int, payload: bytes | bytearray | memoryview = b"", flags: int = 0) -> bytes:
    """One frame as bytes (header and payload)."""
    return HEADER.pack(len(payload) + MIN_LENGTH, frame_type, flags, 0, call_id) + payload


def decode_header(buffer: bytes | bytearray | memoryview, offset: int, max_length: int) -> tuple[int, int, int, int]:
    """``(length, type, flags, call id)`` of the header at ``offset``; ``FrameError`` if it cannot be one."""
    length, frame_type, flags, reserved, call_id = HEADER.unpack_from(buffer, offset)
    if length < MIN_LENGTH or length > max_length:
        raise FrameError(f"frame length {length} outside {MIN_LENGTH}..{max_length}")
    if frame_type not in TYPE_NAMES:
        raise FrameError(f"unknown frame type {frame_type}")
    if reserved:
        raise FrameError(f"reserved header bits set ({reserved:#06x})")
    return length, frame_type, flags, call_id


def decode_call(
    payload: bytes | bytearray | memoryview, loads: Any
) -> tuple[int, int, dict[str, Any], dict[str, bytes]]:
    """A CALL, STREAM or HOST_CALL payload: ``(timeout ms, credit, header, bytes arguments)``.

    The layout is ``timeout_ms u32 | credit u32 | header_length u32 | header JSON | bytes arguments``,
    the header listing the bytes arguments in order as ``"b": [[name, length], ...]``.
    """
    size = len(payload)
    if size < 12:
        raise FrameError(f"call payload of {size} bytes is shorter than its 12-byte prefix")
    timeout_ms, credit = U32X2.unpack_from(payload, 0)
    (header_length,) = U32.unpack_from(payload, 8)
    end = 12 + header_length
    if end > size:
        raise FrameError(f"call header of {header_length} bytes overruns the {size}-byte payload")
    try:
        header = loads(bytes(payload[12:end]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise FrameError(f"call header is not JSON: {exc}") from None
    if not isinstance(header, dict) or not isinstance(header.get("t"), str):
        raise FrameError("call header is not a JSON object with a tool name 't'")
    binary: dict[str, bytes] = {}
    listed = header.get("b")
    if listed:
        if not isinstance(listed, list):
            raise FrameError("call header 'b' is not a list")
        for item in listed:
            if (
                not isinstance(item, list)
                or len(item) != 2
                or not isinstance(item[0], str)
                or not isinstance(item[1], int)
                or item[1] < 0
            ):
                raise FrameError(f"call header 'b' entry {item!r} is not [name, length]")
            name, length = item
            if end + length > size:
                raise FrameError(f"bytes argument {name!r} of {length} bytes overruns the payload")
            binary[name] = bytes(payload[end : end + length])
            end += length
    if end != size:
        raise FrameError(f"{size - end} bytes after the last bytes argument")
    return timeout_ms, credit, header, binary
