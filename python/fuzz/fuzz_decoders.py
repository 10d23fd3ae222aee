"""Fuzz harness (atheris) for every Python decoder of bytes another process sends.

Targets, each allowed to refuse only with its documented exception:
  any           wire.codec.decode_any / decode_result: ValueError
  arguments     wire.codec.decode_arguments (JSON, packed wrappers, binary, pickle markers): InvalidArgumentsError
  validation    tools.validation.bind_arguments against a typed signature: InvalidArgumentsError
  remote_error  wire.host._parse_remote_error (the host's error documents): never raises

Run one target:  python fuzz_decoders.py TARGET [libFuzzer options] [corpus dirs]
(python/tests/test_fuzz.py runs each for a bounded time with the corpus in python/fuzz/corpus/TARGET.)
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any, Literal

import atheris
from google.protobuf import any_pb2  # not instrumented: our decoders are the subject, not protobuf

with atheris.instrument_imports(include=["snakepit_bridge"]):
    from snakepit_bridge.errors import InvalidArgumentsError
    from snakepit_bridge.tools import bind_arguments, describe_tool
    from snakepit_bridge.wire import codec
    from snakepit_bridge.wire.host import _parse_remote_error

TYPE_URLS = [
    "type.googleapis.com/google.protobuf.StringValue",
    "type.googleapis.com/google.protobuf.BoolValue",
    "type.googleapis.com/google.protobuf.Int64Value",
    "type.googleapis.com/google.protobuf.DoubleValue",
    "type.googleapis.com/google.protobuf.Value",
    "type.googleapis.com/snakepit.map",
    "type.googleapis.com/snakepit.binary",
    "",
]


def typed_tool(
    count: int,
    ratio: float,
    name: str,
    flag: bool,
    items: list[int],
    table: dict[str, float],
    pair: tuple[int, str],
    mode: Literal["a", "b"],
    maybe: int | None = None,
    anything: Any = None,
) -> None:
    """A signature with every kind of annotation validation handles."""


TYPED = describe_tool(typed_tool)
PARAMETERS = [p.name for p in TYPED.parameters] + ["unknown"]


def _any(fdp: atheris.FuzzedDataProvider) -> any_pb2.Any:
    return any_pb2.Any(type_url=fdp.PickValueInList(TYPE_URLS), value=fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 4096)))


def fuzz_any(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    message = _any(fdp)
    with contextlib.suppress(ValueError):
        codec.decode_result(message, fdp.ConsumeBytes(16))


def fuzz_arguments(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    parameters = {fdp.ConsumeUnicodeNoSurrogates(8): _any(fdp) for _ in range(fdp.ConsumeIntInRange(0, 3))}
    binary = {fdp.ConsumeUnicodeNoSurrogates(8): fdp.ConsumeBytes(64) for _ in range(fdp.ConsumeIntInRange(0, 2))}
    metadata = {f"binary_format:{name}": fdp.PickValueInList(["pickle", "raw", ""]) for name in binary}
    with contextlib.suppress(InvalidArgumentsError):
        codec.decode_arguments(parameters, binary, metadata, allow_pickle=False)


def fuzz_validation(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    arguments: dict[str, Any] = {}
    for _ in range(fdp.ConsumeIntInRange(0, 6)):
        try:
            value = json.loads(fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 512)))
        except (ValueError, RecursionError):
            continue
        arguments[fdp.PickValueInList(PARAMETERS)] = value
    with contextlib.suppress(InvalidArgumentsError):
        bind_arguments(TYPED, arguments, None)


def fuzz_remote_error(data: bytes) -> None:
    kind, message, _ = _parse_remote_error(data.decode("utf-8", errors="replace"))
    assert isinstance(kind, str) and isinstance(message, str)


TARGETS = {
    "any": fuzz_any,
    "arguments": fuzz_arguments,
    "validation": fuzz_validation,
    "remote_error": fuzz_remote_error,
}


def main() -> None:
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
