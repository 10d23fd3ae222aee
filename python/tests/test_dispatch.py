"""BaseAdapter.execute_tool: dispatch, validation, every tool kind, contexts."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Literal, Optional

import pytest

from snakepit_bridge import (
    BaseAdapter,
    InvalidArgumentsError,
    SessionContext,
    ToolNotFoundError,
    current_context,
    tool,
)


class DispatchAdapter(BaseAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.threads: list[str] = []

    @tool
    def add(self, a: int, b: int) -> int:
        return a + b

    @tool
    def scale(self, x: float, factor: float = 2.0) -> float:
        return x * factor

    @tool
    def flag(self, on: bool) -> bool:
        return on

    @tool
    def opt(self, value: Optional[int] = None) -> Any:  # noqa: UP045
        return value

    @tool
    def choose(self, mode: Literal["a", "b"]) -> str:
        return mode

    @tool
    def nested(self, rows: list[dict[str, int]], tags: dict[str, list[str]] | None = None) -> int:
        return len(rows)

    @tool
    def blocking(self) -> str:
        self.threads.append(threading.current_thread().name)
        ctx = current_context()
        return ctx.session_id if ctx else ""

    @tool
    async def async_tool(self, delay_ms: int = 0) -> str:
        await asyncio.sleep(delay_ms / 1000)
        ctx = current_context()
        return ctx.session_id if ctx else ""

    @tool
    def gen(self, n: int) -> Any:
        yield from range(n)

    @tool
    async def agen(self, n: int) -> Any:
        for i in range(n):
            yield i

    @tool
    def kwargs_tool(self, a: int, **rest: Any) -> dict:
        return {"a": a, **rest}


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def ctx(session: str = "s") -> SessionContext:
    return SessionContext(session, worker_id="w")


def test_dispatches_by_name() -> None:
    assert run(DispatchAdapter().execute_tool("add", {"a": 2, "b": 3}, ctx())) == 5


def test_unknown_tool_lists_available_tools() -> None:
    with pytest.raises(ToolNotFoundError) as info:
        run(DispatchAdapter().execute_tool("nope", {}, ctx()))
    assert "add" in info.value.available_tools
    assert "Available tools: add, scale" in str(info.value)


@pytest.mark.parametrize(
    ("tool_name", "arguments", "parameter", "problem", "expected", "received"),
    [
        ("add", {"a": 1}, "b", "missing", "int", None),
        ("add", {"a": 1, "b": 2, "c": 3}, "c", "unexpected", None, "int"),
        ("add", {"a": "1", "b": 2}, "a", "type", "int", "str"),
        ("add", {"a": True, "b": 2}, "a", "type", "int", "bool"),
        ("add", {"a": 1.5, "b": 2}, "a", "type", "int", "float"),
        ("flag", {"on": 1}, "on", "type", "bool", "int"),
        ("choose", {"mode": "c"}, "mode", "value", "Literal['a', 'b']", "'c'"),
        ("nested", {"rows": [{"x": 1}, {"y": "2"}]}, "rows", "type", "list[dict[str, int]]", "str"),
        ("nested", {"rows": [], "tags": {"t": [1]}}, "tags", "type", "Optional[dict[str, list[str]]]", "int"),
        ("opt", {"value": "x"}, "value", "type", "Optional[int]", "str"),
    ],
)
def test_invalid_arguments_name_parameter_expected_and_received(
    tool_name: str, arguments: dict, parameter: str, problem: str, expected: Any, received: Any
) -> None:
    with pytest.raises(InvalidArgumentsError) as info:
        run(DispatchAdapter().execute_tool(tool_name, arguments, ctx()))
    error = info.value
    assert (error.parameter, error.problem, error.expected, error.received) == (parameter, problem, expected, received)
    assert parameter in str(error) and tool_name in str(error)


def test_missing_argument_message_lists_the_parameters() -> None:
    with pytest.raises(
        InvalidArgumentsError,
        match=r"Missing required argument 'b' \(int\) for tool 'add'\. "
        r"Parameters: a: int, b: int\.",
    ):
        run(DispatchAdapter().execute_tool("add", {"a": 1}, ctx()))


def test_accepted_values() -> None:
    adapter = DispatchAdapter()
    assert run(adapter.execute_tool("scale", {"x": 2}, ctx())) == 4.0
    assert run(adapter.execute_tool("opt", {"value": None}, ctx())) is None
    assert run(adapter.execute_tool("opt", {}, ctx())) is None
    assert run(adapter.execute_tool("choose", {"mode": "b"}, ctx())) == "b"
    assert run(adapter.execute_tool("nested", {"rows": [{"x": 1}], "tags": {"t": ["u"]}}, ctx())) == 1
    assert run(adapter.execute_tool("kwargs_tool", {"a": 1, "extra": "x"}, ctx())) == {"a": 1, "extra": "x"}


def test_sync_tools_run_in_a_thread_with_the_context() -> None:
    adapter = DispatchAdapter()
    assert run(adapter.execute_tool("blocking", {}, ctx("sess-sync"))) == "sess-sync"
    assert adapter.threads[0].startswith("snakepit-tool")


def test_async_tool_and_generators() -> None:
    adapter = DispatchAdapter()
    assert run(adapter.execute_tool("async_tool", {}, ctx("sess-async"))) == "sess-async"
    assert list(run(adapter.execute_tool("gen", {"n": 3}, ctx()))) == [0, 1, 2]

    async def collect() -> list:
        agen = await adapter.execute_tool("agen", {"n": 2}, ctx())
        return [item async for item in agen]

    assert run(collect()) == [0, 1]


def test_concurrent_calls_see_their_own_context() -> None:
    adapter = DispatchAdapter()

    async def main() -> list:
        calls = [adapter.execute_tool("async_tool", {"delay_ms": 20 - i}, ctx(f"s{i}")) for i in range(10)]
        calls += [adapter.execute_tool("blocking", {}, ctx(f"t{i}")) for i in range(10)]
        return await asyncio.gather(*calls)

    assert run(main()) == [f"s{i}" for i in range(10)] + [f"t{i}" for i in range(10)]
    assert current_context() is None


def test_pydantic_models_are_validated() -> None:
    pydantic = pytest.importorskip("pydantic")

    class Point(pydantic.BaseModel):
        x: int
        y: int

    class PydanticAdapter(BaseAdapter):
        @tool
        def norm(self, p: Point) -> int:
            return p.x + p.y

    adapter = PydanticAdapter()
    assert run(adapter.execute_tool("norm", {"p": {"x": 1, "y": 2}}, ctx())) == 3
    with pytest.raises(InvalidArgumentsError):
        run(adapter.execute_tool("norm", {"p": {"x": "a"}}, ctx()))


def test_initialize_and_cleanup_default_to_no_ops() -> None:
    adapter = DispatchAdapter()
    assert adapter.initialize() is None and adapter.cleanup() is None
