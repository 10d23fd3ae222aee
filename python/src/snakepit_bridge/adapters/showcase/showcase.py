"""``ShowcaseAdapter``: one tool per feature of the bridge (results, bytes, streaming, errors,
cancellation, sessions, host tools), plus Snakepit's showcase tool set (``snakepit_tools``,
``ml_tools``). Used by the demos and the tests."""

from __future__ import annotations

import asyncio
import builtins
import hashlib
import os
import platform
import random
import threading
import time
from collections.abc import Iterator
from typing import Any, Literal

from snakepit_bridge import BaseAdapter, SessionContext, current_context, tool

from .ml_tools import MLWorkflowTools
from .snakepit_tools import SnakepitShowcaseTools

__all__ = ["ShowcaseAdapter", "ShowcaseError"]

_ALLOWED_ERRORS = frozenset(
    {
        "ValueError",
        "TypeError",
        "KeyError",
        "IndexError",
        "RuntimeError",
        "ZeroDivisionError",
        "AttributeError",
        "NotImplementedError",
        "LookupError",
        "ArithmeticError",
        "OSError",
        "TimeoutError",
        "PermissionError",
        "FileNotFoundError",
        "AssertionError",
    }
)


class ShowcaseError(Exception):
    """The custom error raised by ``fail`` for a type outside the builtin whitelist."""


ShowcaseError.__module__ = "snakepit_bridge.adapters.showcase"  # its public path (error JSON "type")


class ShowcaseAdapter(SnakepitShowcaseTools, MLWorkflowTools, BaseAdapter):
    """Demonstrates every kind of tool the bridge supports (where a Snakepit showcase tool has the
    same name as one of ours, ours is kept)."""

    __thread_safe__ = True  # shared state is guarded by self._lock

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._counters = {"calls": 0, "cancelled_calls": 0, "streams_closed_early": 0, "sleeping": 0}
        self._sessions: dict[str, int] = {}

    def _count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counters[name] += amount

    def set_session_context(self, context: SessionContext) -> None:
        """Count every call (the server calls this once per tool call)."""
        super().set_session_context(context)
        self._count("calls")

    # -- simple results -----------------------------------------------------------------------

    @tool(description="Answer a ping with a message, the worker id and the time")
    def ping(self, message: str = "pong") -> dict[str, Any]:
        """Answer a ping.

        Args:
            message: text echoed back in the reply.
        """
        ctx = current_context()
        return {"message": message, "worker_id": ctx.worker_id if ctx else "", "timestamp": time.time()}

    @tool(description="Return the argument unchanged")
    def echo(self, message: Any) -> Any:
        """Return ``message`` unchanged (any JSON value).

        Args:
            message: any JSON value.
        """
        return message

    @tool(description="Add two numbers (ints stay ints)")
    def add(self, a: float, b: float) -> float:
        """Add two numbers; 2 + 2 gives 4, 2 + 0.5 gives 2.5.

        Args:
            a: first addend.
            b: second addend.
        """
        return a + b

    @tool(description="Describe this adapter and worker: versions, tools, counters")
    def adapter_info(self) -> dict[str, Any]:
        """Describe the adapter, the worker process and its counters."""
        import grpc
        from google import protobuf

        ctx = current_context()
        with self._lock:
            counters = dict(self._counters)
        return {
            "adapter": type(self).__name__,
            "module": type(self).__module__,
            "pid": os.getpid(),
            "worker_id": ctx.worker_id if ctx else "",
            "python_version": platform.python_version(),
            "grpcio_version": grpc.__version__,
            "protobuf_version": protobuf.__version__,
            "tool_count": len(self.get_tools()),
            "tools": [t.name for t in self.get_tools()],
            "counters": counters,
        }

    @tool(description="Transform text: upper, lower or reverse")
    def process_text(self, text: str, operation: Literal["upper", "lower", "reverse"] = "upper") -> dict[str, Any]:
        """Transform ``text``.

        Args:
            text: the text to transform.
            operation: one of upper, lower, reverse.
        """
        result = {"upper": text.upper, "lower": text.lower, "reverse": lambda: text[::-1]}[operation]()
        return {"original": text, "operation": operation, "result": result, "length": len(text)}

    # -- streaming ----------------------------------------------------------------------------

    @tool(description="Stream progress updates, one per step", supports_streaming=True)
    def stream_progress(self, steps: int = 5, delay_ms: int = 100) -> Iterator[dict[str, Any]]:
        """Yield ``steps`` progress updates, ``delay_ms`` apart; the last one has ``is_final`` true.

        Args:
            steps: number of updates.
            delay_ms: pause between updates in milliseconds.
        """
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        ctx = current_context()
        started = time.monotonic()
        completed = False
        try:
            for step in range(1, steps + 1):
                if step > 1 and delay_ms > 0:
                    if ctx is not None and ctx.wait_cancelled(delay_ms / 1000):
                        return
                    if ctx is None:
                        time.sleep(delay_ms / 1000)
                completed = step == steps
                yield {
                    "step": step,
                    "total": steps,
                    "progress": round(step / steps * 100, 2),
                    "message": f"step {step} of {steps}",
                    "elapsed_ms": int((time.monotonic() - started) * 1000),
                    "is_final": step == steps,
                }
        finally:
            if not completed:
                self._count("streams_closed_early")

    # -- bytes --------------------------------------------------------------------------------

    @tool(description="Size and SHA-256 of a binary payload")
    def process_binary(self, data: bytes) -> dict[str, Any]:
        """Measure and hash ``data``.

        Args:
            data: the payload (sent raw in binary_parameters).
        """
        return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    @tool(description="Deterministic pseudo-random bytes")
    def generate_bytes(self, size: int, seed: int = 0) -> bytes:
        """Return ``size`` bytes; the same ``seed`` always gives the same bytes.

        Args:
            size: number of bytes (0 to 512 MiB).
            seed: seed of the generator.
        """
        if not 0 <= size <= 512 * 1024 * 1024:
            raise ValueError(f"size must be between 0 and 536870912, got {size}")
        return random.Random(seed).randbytes(size)

    @tool(description="Return the bytes unchanged")
    def echo_bytes(self, data: bytes) -> bytes:
        """Return ``data`` unchanged.

        Args:
            data: the payload.
        """
        return data

    # -- errors -------------------------------------------------------------------------------

    @tool(description="Raise an error of the given builtin type (or ShowcaseError)")
    def fail(self, error_type: str = "ValueError", message: str = "Intentional failure from fail") -> None:
        """Raise ``error_type(message)``; types outside a builtin whitelist raise ``ShowcaseError``.

        Args:
            error_type: builtin exception name such as ValueError, or anything else for ShowcaseError.
            message: the error message.
        """
        if error_type in _ALLOWED_ERRORS:
            raise getattr(builtins, error_type)(message)
        raise ShowcaseError(message)

    # -- cancellation -------------------------------------------------------------------------

    @tool(description="Sleep asynchronously (cancellable)")
    async def sleep(self, ms: int) -> dict[str, Any]:
        """Sleep ``ms`` milliseconds without blocking the worker; cancellation stops it.

        Args:
            ms: milliseconds to sleep.
        """
        started = time.monotonic()
        self._count("sleeping")
        try:
            await asyncio.sleep(ms / 1000)
        except asyncio.CancelledError:
            self._count("cancelled_calls")
            raise
        finally:
            self._count("sleeping", -1)
        return {"slept_ms": int((time.monotonic() - started) * 1000)}

    @tool(description="Sleep in a thread, polling for cancellation")
    def sleep_sync(self, ms: int, ctx: SessionContext) -> dict[str, Any]:
        """Block ``ms`` milliseconds in a worker thread, stopping early when the call is cancelled.

        Args:
            ms: milliseconds to sleep.
        """
        started = time.monotonic()
        self._count("sleeping")
        try:
            if ctx.wait_cancelled(ms / 1000):
                self._count("cancelled_calls")
                ctx.raise_if_cancelled()
        finally:
            self._count("sleeping", -1)
        return {"slept_ms": int((time.monotonic() - started) * 1000)}

    # -- sessions -----------------------------------------------------------------------------

    @tool(description="Increment and return a per-session counter")
    def session_counter(self, increment: int = 1) -> dict[str, Any]:
        """Add ``increment`` to this session's counter (kept in the worker) and return it.

        Args:
            increment: amount to add.
        """
        ctx = current_context()
        session_id = ctx.session_id if ctx else ""
        with self._lock:
            value = self._sessions.get(session_id, 0) + increment
            self._sessions[session_id] = value
        return {"session_id": session_id, "counter": value}

    # -- host tools ---------------------------------------------------------------------------

    @tool(description="Call a host (Java) tool through the session context")
    def call_host(self, tool: str, arguments: dict[str, Any] | None = None) -> Any:
        """Call host tool ``tool`` with ``arguments`` and return its result.

        Args:
            tool: name of the host tool.
            arguments: keyword arguments for the host tool.
        """
        ctx = current_context()
        if ctx is None:
            raise RuntimeError("call_host needs a session context")
        return ctx.call_host_tool(tool, **(arguments or {}))

    @tool(description="Combine the host tools parse_json, calculate_fibonacci and process_list")
    def combine_host_tools(self, json_string: str = '{"numbers": [5, 3, 8, 1]}', n: int = 10) -> dict[str, Any]:
        """Parse ``json_string`` on the host, take its ``numbers``, and let the host process them and
        compute the ``n``-th Fibonacci number; return everything together.

        Args:
            json_string: a JSON object with a ``numbers`` list.
            n: which Fibonacci number to compute.
        """
        ctx = current_context()
        if ctx is None:
            raise RuntimeError("combine_host_tools needs a session context")
        host = ctx.host_tools
        parsed = host["parse_json"](json_string=json_string)
        numbers = parsed.get("numbers", []) if isinstance(parsed, dict) else []
        fibonacci = ctx.call_host_tool("calculate_fibonacci", n=n)
        processed = ctx.call_host_tool("process_list", items=numbers, operation="stats")
        return {
            "parsed": parsed,
            "fibonacci": fibonacci,
            "processed": processed,
            "host_tools": sorted(host),
        }
