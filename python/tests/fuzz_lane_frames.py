"""Fuzz target of the lane frame decoders (atheris): only FrameError may come out of bad input.

Run: ``python tests/fuzz_lane_frames.py -runs=100000 tests/fuzz_corpus/lane``
"""

from __future__ import annotations

import contextlib
import json
import sys

import atheris

with atheris.instrument_imports():
    from snakepit_bridge.lane import frames as f


def one_input(data: bytes) -> None:
    offset = 0
    while len(data) - offset >= f.HEADER_SIZE:
        try:
            length, frame_type, _flags, _call_id = f.decode_header(data, offset, 1 << 16)
        except f.FrameError:
            return
        payload = data[offset + f.HEADER_SIZE : offset + 4 + length]
        if frame_type in (f.CALL, f.STREAM, f.HOST_CALL):
            with contextlib.suppress(f.FrameError):
                f.decode_call(payload, json.loads)
        offset += 4 + length


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
