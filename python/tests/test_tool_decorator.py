"""The @tool decorator and tool introspection (types, defaults, docstrings, proto specs)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal, Optional, Union

import pytest

from snakepit_bridge import BaseAdapter, SessionContext, StreamChunk, tool
from snakepit_bridge import snakepit_bridge_pb2 as pb2
from snakepit_bridge.base_adapter import parse_docstring, type_string


class TypedAdapter(BaseAdapter):
    @tool(description="Every supported type")
    def typed(
        self,
        s: str,
        i: int,
        f: float,
        b: bool,
        raw: bytes,
        names: list[str],
        scores: dict[str, float],
        maybe: Optional[int],  # noqa: UP045 - the typing spelling is what we test
        maybe_new: int | None,
        mode: Literal["upper", "lower"],
        anything: Any,
        untyped,
        with_default: int = 3,
    ) -> None:
        """Summary line.

        Args:
            s: a string.
            i (int): an int with a
                continuation line.
        """

    @tool
    def rest_doc(self, x: int, y: str = "a") -> int:
        """Do rest things.

        :param x: the x value.
        :param str y: the y value.
        :returns: nothing useful
        """
        return x

    @tool("Positional description, Snakepit style")
    def positional(self) -> str:
        return "ok"

    @tool(description="streams")
    def gen(self, n: int = 2) -> Iterator[int]:
        yield from range(n)

    @tool
    async def agen(self) -> AsyncIterator[StreamChunk]:
        yield StreamChunk(1, is_final=True)

    @tool
    def with_context(self, value: int, ctx: SessionContext) -> int:
        return value

    def not_a_tool(self) -> None:
        pass


def tools_by_name(adapter: BaseAdapter) -> dict:
    return {t.name: t for t in adapter.get_tools()}


def test_decorator_returns_the_function_unchanged_and_callable() -> None:
    def f(x: int) -> int:
        return x * 2

    assert tool(f) is f
    assert tool(description="d")(f) is f
    assert f(4) == 8
    assert f._tool_metadata.description == "d"


@pytest.mark.parametrize(
    "misuse",
    [
        lambda: tool(42),
        lambda: tool(description=3),
        lambda: tool(supports_streaming="yes"),
        lambda: tool(descripton="typo"),
        lambda: tool()(42),
        lambda: tool(int),
    ],
)
def test_decorator_misuse_raises_a_clear_type_error(misuse) -> None:
    with pytest.raises(TypeError, match="@tool"):
        misuse()


def test_discovers_only_tool_methods_in_definition_order() -> None:
    names = [t.name for t in TypedAdapter().get_tools()]
    assert names == ["typed", "rest_doc", "positional", "gen", "agen", "with_context"]


def test_introspects_every_supported_type_hint() -> None:
    params = {p.name: p for p in tools_by_name(TypedAdapter())["typed"].parameters}
    assert {name: p.type for name, p in params.items()} == {
        "s": "str",
        "i": "int",
        "f": "float",
        "b": "bool",
        "raw": "bytes",
        "names": "list[str]",
        "scores": "dict[str, float]",
        "maybe": "Optional[int]",
        "maybe_new": "Optional[int]",
        "mode": "Literal['upper', 'lower']",
        "anything": "Any",
        "untyped": "Any",
        "with_default": "int",
    }
    assert all(p.required for name, p in params.items() if name != "with_default")
    assert not params["with_default"].required and params["with_default"].default == 3
    assert params["mode"].choices == ("upper", "lower")


def test_type_strings_for_nested_and_union_types() -> None:
    assert type_string(list[dict[str, int]]) == "list[dict[str, int]]"
    assert type_string(Union[int, str]) == "Union[int, str]"  # noqa: UP007
    assert type_string(Union[int, str, None]) == "Optional[Union[int, str]]"  # noqa: UP007
    assert type_string(tuple[int, ...]) == "tuple[int, ...]"


def test_google_docstring_gives_summary_and_parameter_descriptions() -> None:
    info = tools_by_name(TypedAdapter())["typed"]
    params = {p.name: p for p in info.parameters}
    assert info.description == "Every supported type"
    assert params["s"].description == "a string."
    assert params["i"].description == "an int with a continuation line."
    assert params["f"].description == ""


def test_rest_docstring_and_summary_as_default_description() -> None:
    info = tools_by_name(TypedAdapter())["rest_doc"]
    assert info.description == "Do rest things."
    assert {p.name: p.description for p in info.parameters} == {"x": "the x value.", "y": "the y value."}


def test_parse_docstring_handles_empty_and_plain_text() -> None:
    assert parse_docstring(None) == ("", {})
    assert parse_docstring("Just one line.") == ("Just one line.", {})


def test_positional_description_is_accepted() -> None:
    assert tools_by_name(TypedAdapter())["positional"].description == "Positional description, Snakepit style"


def test_generators_are_streaming_tools() -> None:
    tools = tools_by_name(TypedAdapter())
    assert tools["gen"].supports_streaming and tools["gen"].kind == "generator"
    assert tools["agen"].supports_streaming and tools["agen"].kind == "async_generator"
    assert not tools["rest_doc"].supports_streaming


def test_context_parameter_is_injected_not_advertised() -> None:
    info = tools_by_name(TypedAdapter())["with_context"]
    assert [p.name for p in info.parameters] == ["value"]
    assert info.context_parameter == "ctx"


def test_to_proto_builds_tool_registrations() -> None:
    registration = tools_by_name(TypedAdapter())["typed"].to_proto()
    assert isinstance(registration, pb2.ToolRegistration)
    params = {p.name: p for p in registration.parameters}
    assert json.loads(params["mode"].validation_json) == {"enum": ["upper", "lower"]}
    default = params["with_default"].default_value
    assert default.type_url == "type.googleapis.com/google.protobuf.StringValue"
    assert json.loads(default.value) == 3
    assert not params["s"].HasField("default_value") and params["s"].required
    assert registration.metadata["adapter_class"] == "TypedAdapter"
    spec = tools_by_name(TypedAdapter())["gen"].to_tool_spec()
    assert isinstance(spec, pb2.ToolSpec) and spec.supports_streaming


def test_overriding_a_tool_without_the_decorator_removes_it() -> None:
    class Child(TypedAdapter):
        def gen(self, n: int = 2) -> Iterator[int]:
            yield n

    assert "gen" not in tools_by_name(Child())


class _Described(BaseAdapter):
    @tool(description="twice")
    def double(self, x: int, ctx: SessionContext | None = None) -> int:
        """Double it.

        Args:
            x: the number
        """
        return 2 * x

    @staticmethod
    @tool
    def static_echo(value: str = "v") -> str:
        return value


def test_tools_described_once_per_class_match_those_described_from_an_instance() -> None:
    from snakepit_bridge.tools.introspection import describe_tool
    from snakepit_bridge.tools.registry import class_tools, tool_attributes

    adapter = _Described()
    from_instance = tuple(describe_tool(getattr(adapter, a), a, _Described) for a in tool_attributes(_Described))
    assert class_tools(_Described) == from_instance
    assert adapter.get_tools() == list(from_instance)


def test_tools_added_to_a_class_or_replaced_on_an_instance_are_seen() -> None:
    class Growing(BaseAdapter):
        @tool
        def first(self) -> int:
            return 1

    assert [t.name for t in Growing().get_tools()] == ["first"]

    def second(self: Any, y: str) -> str:
        return y

    Growing.second = tool(second)  # type: ignore[attr-defined]
    assert [t.name for t in Growing().get_tools()] == ["first", "second"]

    replaced = Growing()
    replaced.first = tool(description="own")(lambda: 2)  # type: ignore[method-assign]
    assert replaced.get_tool("first").description == "own"
