"""``BenchAdapter``: the tools the benchmark calls through Snakepit.

The tools do no work, so the numbers are the bridge's own cost. Small echoes run on the event loop
(``run_in_thread=False``), like the floor's servicer; ``echo_threaded`` is the same tool with the
default of running sync tools in the tool thread pool, to show what that hop costs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from snakepit_bridge import BaseAdapter, current_context, tool

from . import argmax_model, blob


class BenchAdapter(BaseAdapter):
    """No-op tools for the benchmark."""

    @tool(run_in_thread=False, description="Return the argument unchanged (on the event loop)")
    def echo(self, message: Any) -> Any:
        """Return ``message``."""
        return message

    @tool(description="Return the argument unchanged (in the tool thread pool, the default for sync tools)")
    def echo_threaded(self, message: Any) -> Any:
        """Return ``message``."""
        return message

    @tool(description="Argmax of a small numpy matrix-vector product (a plain sync tool, default threading)")
    def argmax(self, x: list[float]) -> int:
        """Return the index of the largest entry of ``W @ x``."""
        return argmax_model(x)

    @tool(run_in_thread=False, description="Return the bytes unchanged")
    def echo_bytes(self, data: bytes) -> bytes:
        """Return ``data``."""
        return data

    @tool(run_in_thread=False, description="Receive bytes, return their size")
    def sink(self, data: bytes) -> int:
        """Return ``len(data)``."""
        return len(data)

    @tool(run_in_thread=False, description="Return size bytes (cached zeros)")
    def source(self, size: int) -> bytes:
        """Return ``size`` bytes."""
        return blob(size)

    @tool(supports_streaming=True, description="Yield count chunks of size bytes (async generator)")
    async def chunks(self, count: int, size: int = 32) -> AsyncIterator[bytes]:
        """Yield ``count`` chunks."""
        chunk = blob(size)
        for _ in range(count):
            yield chunk

    @tool(supports_streaming=True, description="Yield count chunks of size bytes (sync generator, in a thread)")
    def chunks_sync(self, count: int, size: int = 32) -> Iterator[bytes]:
        """Yield ``count`` chunks."""
        chunk = blob(size)
        for _ in range(count):
            yield chunk

    @tool(description="Call a host (Java) tool and return its result")
    def call_host(self, tool: str, arguments: dict[str, Any] | None = None) -> Any:
        """Call host tool ``tool`` with ``arguments``."""
        ctx = current_context()
        if ctx is None:
            raise RuntimeError("call_host needs a session context")
        return ctx.call_host_tool(tool, **(arguments or {}))
