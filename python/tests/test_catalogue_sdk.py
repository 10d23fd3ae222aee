"""The Python SDK half of the bad-input catalogue (docs/reliability.md): misuse fails early and says what to do."""

from __future__ import annotations

import pytest

from snakepit_bridge import BaseAdapter, tool
from snakepit_bridge.errors import InvalidArgumentsError, SerializationError
from snakepit_bridge.tools import describe_tool
from snakepit_bridge.wire.codec import decode_any, decode_arguments
from snakepit_bridge.wire.values import to_json
from snakepit_bridge.worker.lifecycle import load_adapter


def test_positional_only_parameter_is_refused_when_the_tool_is_described() -> None:
    def f(a: int, /, b: int) -> int:
        return a + b

    with pytest.raises(TypeError, match=r"parameter 'a' is positional-only.*remove the '/'"):
        describe_tool(tool(f))


def test_tool_on_something_that_is_not_a_function_says_what_it_got() -> None:
    with pytest.raises(TypeError, match=r"can only decorate functions or methods, got int 123"):
        tool(123)  # type: ignore[call-overload]


def test_tool_with_an_empty_name_is_refused() -> None:
    with pytest.raises(TypeError, match=r"name must be a non-empty str"):
        tool(name="")(lambda: 1)


def test_result_nested_beyond_the_recursion_limit_is_a_serialization_error() -> None:
    value: list = []
    for _ in range(100_000):
        value = [value]
    with pytest.raises(SerializationError, match=r"nested deeper than Python's recursion limit.*Flatten it"):
        to_json(value)


def test_argument_nested_beyond_the_recursion_limit_is_an_invalid_argument() -> None:
    from google.protobuf import any_pb2

    nested = b"[" * 100_000 + b"]" * 100_000
    deep = any_pb2.Any(type_url="type.googleapis.com/google.protobuf.StringValue", value=nested)
    with pytest.raises(ValueError, match=r"nested deeper"):
        decode_any(deep)
    with pytest.raises(InvalidArgumentsError, match=r"Argument 'x' is nested deeper"):
        decode_arguments({"x": deep}, {}, {})


def test_class_that_is_not_an_adapter_is_refused_at_load() -> None:
    expected = r"'json.JSONDecoder' is not an adapter class.*subclass snakepit_bridge.BaseAdapter"
    with pytest.raises(TypeError, match=expected):
        load_adapter("json.JSONDecoder")


def test_adapter_subclass_loads() -> None:
    assert isinstance(load_adapter("snakepit_bridge.adapters.showcase.ShowcaseAdapter"), BaseAdapter)
