"""snakepit_bridge.testing: in-process calls with a worker's validation and serialization."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from snakepit_bridge import BaseAdapter, InvalidArgumentsError, SerializationError, current_context, tool
from snakepit_bridge.errors import HostToolError, HostToolNotFoundError
from snakepit_bridge.testing import ToolHarness
from snakepit_bridge.tooling.sample import SampleAdapter


class HostUser(BaseAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    def initialize(self) -> None:
        self.events.append("initialize")

    def cleanup(self) -> None:
        self.events.append("cleanup")

    @tool
    def lookup(self, key: str) -> str:
        ctx = current_context()
        assert ctx is not None
        return ctx.call_host_tool("fetch", key=key, raw=b"\x00")

    @tool
    def session(self) -> str:
        ctx = current_context()
        return ctx.session_id if ctx else ""

    @tool
    def bad_result(self) -> object:
        return {(1, 2): "tuple keys have no JSON form"}  # (an object() would travel as the unserializable marker)

    @tool
    async def letters(self, word: str) -> AsyncIterator[str]:
        for letter in word:
            yield letter


def test_calls_return_results_as_the_wire_carries_them():
    with ToolHarness(SampleAdapter()) as tools:
        assert tools.call("add", a=2, b=3) == 5
        assert tools.call("scale", values=[1, 2.5]) == [2.0, 5.0]
        assert tools.call("move", point={"x": 1.0, "y": 2.0}, dx=1.5) == {"x": 2.5, "y": 2.0, "label": None}
        assert tools.call("checksum", data=b"abc").startswith("ba7816bf")
        assert "greet" in tools.tools()


def test_streaming_tools_yield_decoded_chunks():
    with ToolHarness(SampleAdapter()) as tools:
        assert tools.stream("count_up", limit=3) == [1, 2, 3]
        assert tools.call("count_up", limit=2) == [1, 2]
    with ToolHarness(HostUser()) as tools:
        assert tools.stream("letters", word="hey") == ["h", "e", "y"]


def test_arguments_are_validated_like_a_worker_does():
    with ToolHarness(SampleAdapter()) as tools:
        with pytest.raises(InvalidArgumentsError) as error:
            tools.call("add", a="two", b=3)
        assert error.value.context["parameter"] == "a"
        with pytest.raises(InvalidArgumentsError, match="Missing required argument 'b'"):
            tools.call("add", a=1)
        with pytest.raises(InvalidArgumentsError, match="must be one of"):
            tools.call("convert", text="x", mode="title")


def test_a_result_the_worker_could_not_send_fails_here_too():
    with ToolHarness(HostUser()) as tools, pytest.raises(SerializationError):
        tools.call("bad_result")


def test_host_tools_are_plain_callables():
    adapter = HostUser()
    with ToolHarness(adapter, host_tools={"fetch": lambda key, raw: f"{key}:{raw!r}"}, session_id="s-1") as tools:
        assert tools.call("lookup", key="k") == "k:b'\\x00'"
        assert tools.host.calls == [("fetch", {"key": "k", "raw": b"\x00"})]
        assert tools.call("session") == "s-1"
    assert adapter.events == ["initialize", "cleanup"]


def test_host_tool_failures_and_unknown_host_tools_raise_as_in_a_worker():
    def broken(key: str, raw: bytes) -> str:
        raise KeyError(key)

    with ToolHarness(HostUser(), host_tools={"fetch": broken}) as tools, pytest.raises(HostToolError, match="KeyError"):
        tools.call("lookup", key="k")
    with ToolHarness(HostUser()) as tools, pytest.raises(HostToolNotFoundError):
        tools.call("lookup", key="k")
