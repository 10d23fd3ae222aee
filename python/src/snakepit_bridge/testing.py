"""An in-process harness for testing adapters with pytest: no worker, no sockets, no Java.

Calls go through what a worker does with them: arguments are encoded and decoded as on the wire
(JSON, bytes raw), validated against the tool's signature (``InvalidArgumentsError`` naming the
parameter), dispatched by ``execute_tool`` (sync tools in the tool thread pool), and results are
encoded and decoded again (``SerializationError`` for a result the worker could not send). Host
(Java) tools are plain Python callables::

    from snakepit_bridge.testing import ToolHarness

    def test_add():
        with ToolHarness(MyAdapter(), host_tools={"lookup": lambda key: key.upper()}) as tools:
            assert tools.call("add", a=2, b=3) == 5
            assert tools.stream("count_up", limit=3) == [1, 2, 3]
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable, Mapping
from typing import Any

from snakepit_bridge import snakepit_bridge_pb2 as pb2
from snakepit_bridge.base_adapter import run_blocking
from snakepit_bridge.codec import (
    BINARY_TYPES,
    decode_arguments,
    decode_result,
    encode_chunk,
    encode_param,
    encode_result,
)
from snakepit_bridge.errors import HostToolError, HostToolNotFoundError, SnakepitError
from snakepit_bridge.session_context import SessionContext

__all__ = ["StubHost", "ToolHarness"]


def _wire(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``arguments`` as the worker receives them: through JSON (bytes stay raw)."""
    parameters = {}
    binary = {}
    for name, value in arguments.items():
        if isinstance(value, BINARY_TYPES):
            binary[name] = bytes(value)
        else:
            parameters[name] = encode_param(value)
    return decode_arguments(parameters, binary, {})


def _decode_chunk(data: bytes, content_type: str) -> Any:
    if content_type == "application/octet-stream":
        return data
    if content_type == "text/plain":
        return data.decode("utf-8")
    return json.loads(data) if data else None


class StubHost:
    """Stands in for the host connection: host tools are Python callables taking keyword arguments."""

    def __init__(self, tools: Mapping[str, Callable[..., Any]] | None = None) -> None:
        self.tools: dict[str, Callable[..., Any]] = dict(tools or {})
        self.calls: list[tuple[str, dict[str, Any]]] = []

    @property
    def stub(self) -> None:
        """There is no gRPC stub in-process."""
        return None

    def list_host_tools(self, session_id: str, timeout: float | None = None) -> list[pb2.ToolSpec]:
        """The stubbed tools as the host would list them."""
        return [
            pb2.ToolSpec(name=name, description=(inspect.getdoc(func) or "").split("\n")[0])
            for name, func in self.tools.items()
        ]

    def call_host_tool(
        self,
        session_id: str,
        tool_name: str,
        arguments: Mapping[str, Any],
        *,
        metadata: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Call the stub with wire-decoded arguments; its result comes back through the result codec."""
        func = self.tools.get(tool_name)
        if func is None:
            raise HostToolNotFoundError(tool_name, sorted(self.tools))
        kwargs = _wire(arguments)
        self.calls.append((tool_name, kwargs))
        try:
            result = func(**kwargs)
        except Exception as exc:
            raise HostToolError(tool_name, type(exc).__name__, str(exc)) from exc
        result_any, binary = encode_result(result)
        return decode_result(result_any, binary or b"")


class ToolHarness:
    """Calls an adapter's tools in-process, with a worker's validation and serialization.

    Args:
        adapter: the adapter instance (its ``initialize()`` runs on entry, ``cleanup()`` on close).
        host_tools: host tool stubs by name, reachable through ``ctx.call_host_tool``.
        session_id: the session id the tools see.
    """

    def __init__(
        self,
        adapter: Any,
        *,
        host_tools: Mapping[str, Callable[..., Any]] | None = None,
        session_id: str = "test-session",
    ) -> None:
        self.adapter = adapter
        self.host = StubHost(host_tools)
        self.session_id = session_id
        self._loop = asyncio.new_event_loop()
        self._started = False

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> ToolHarness:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def start(self) -> None:
        """Run the adapter's ``initialize()`` (once)."""
        if not self._started:
            self._started = True
            self._run(self._maybe_await(getattr(self.adapter, "initialize", lambda: None)()))

    def close(self) -> None:
        """Run the adapter's ``cleanup()`` and close the event loop."""
        if self._loop.is_closed():
            return
        try:
            if self._started:
                self._run(self._maybe_await(getattr(self.adapter, "cleanup", lambda: None)()))
        finally:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    # -- calls -------------------------------------------------------------------------------

    def tools(self) -> list[str]:
        """The names of the adapter's tools, as a worker registers them."""
        return [info.name for info in self.adapter.get_tools()]

    def call(self, tool_name: str, /, **arguments: Any) -> Any:
        """Call a tool and return its decoded result (a streaming tool's chunks as a list)."""
        self.start()
        return self._run(self._call(tool_name, arguments))

    def stream(self, tool_name: str, /, **arguments: Any) -> list[Any]:
        """Call a streaming tool and return its decoded chunks, in order."""
        self.start()
        return self._run(self._stream(tool_name, arguments))

    # -- internals ---------------------------------------------------------------------------

    def _run(self, awaitable: Any) -> Any:
        if self._loop.is_closed():
            raise SnakepitError("this ToolHarness is closed")
        return self._loop.run_until_complete(awaitable)

    @staticmethod
    async def _maybe_await(value: Any) -> Any:
        while inspect.isawaitable(value):
            value = await value
        return value

    async def _invoke(self, tool_name: str, arguments: Mapping[str, Any]) -> Any:
        ctx = SessionContext(self.session_id, worker_id="harness", tool_name=tool_name, host=self.host)  # type: ignore[arg-type]
        setter = getattr(self.adapter, "set_session_context", None)
        if callable(setter):
            setter(ctx)
        result = self.adapter.execute_tool(tool_name=tool_name, arguments=_wire(arguments), context=ctx)
        return await self._maybe_await(result)

    async def _items(self, result: Any) -> list[Any]:
        if hasattr(result, "__anext__"):
            return [item async for item in result]
        if inspect.isgenerator(result) or (hasattr(result, "__next__") and not isinstance(result, (str, bytes))):
            return await run_blocking(list, result)
        return [result]

    async def _call(self, tool_name: str, arguments: Mapping[str, Any]) -> Any:
        result = await self._invoke(tool_name, arguments)
        if hasattr(result, "__anext__") or inspect.isgenerator(result):
            result = [getattr(item, "data", item) if _is_chunk(item) else item for item in await self._items(result)]
        result_any, binary = encode_result(result)
        return decode_result(result_any, binary or b"")

    async def _stream(self, tool_name: str, arguments: Mapping[str, Any]) -> list[Any]:
        result = await self._invoke(tool_name, arguments)
        chunks = []
        for item in await self._items(result):
            data = item.data if _is_chunk(item) else item
            chunks.append(_decode_chunk(*encode_chunk(data)))
        return chunks


def _is_chunk(item: Any) -> bool:
    return hasattr(item, "is_final") and hasattr(item, "data")
