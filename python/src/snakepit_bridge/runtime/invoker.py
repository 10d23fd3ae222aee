"""The one invoker: runs a tool call for any transport (unary or streaming), free of gRPC and protobuf.

A transport decodes the request into ``(session_id, tool_name, metadata, arguments)``, then::

    ctx = invoker.context(session_id, tool_name, metadata)
    with invoker.scope(ctx) as span:           # current call, active-call count, tracing span
        result = await invoker.unary(ctx, arguments, timeout_s)
        # or: async for item in invoker.stream(ctx, arguments): ...

and encodes what comes back. Nothing per call is written on the (shared) adapter.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from .._current import CURRENT
from ..errors import ToolCancelledError, ToolNotFoundError
from ..session_context import SessionContext
from ..telemetry import tracing
from ..wire.values import StreamChunk
from .executor import run_blocking, tool_executor, tracked

if TYPE_CHECKING:
    import asyncio
else:
    from .._lazy import asyncio  # imported on first use: sync tools never need it

__all__ = ["Invoker", "ToolExitError", "exit_error", "is_iterator_result", "is_stream_chunk_like", "timeout_seconds"]

_DONE = object()
# Result types that are never iterators to drain, decided by one lookup (most results are these).
_PLAIN_RESULTS = frozenset({int, float, str, bool, bytes, list, dict, type(None)})


class ToolExitError(RuntimeError):
    """A tool raised ``SystemExit`` or ``KeyboardInterrupt``: that call fails, the worker goes on.

    Left alone, either would leave the event loop and end the worker in the middle of other calls.
    """


def exit_error(tool_name: str, exc: BaseException) -> ToolExitError:
    """The error that fails a call whose tool raised ``SystemExit`` or ``KeyboardInterrupt`` (any transport)."""
    return ToolExitError(
        f"Tool '{tool_name}' raised {type(exc).__name__}({', '.join(map(repr, exc.args))}): a tool must not end "
        "the worker; raise an exception instead (the worker goes on serving)."
    )


def is_stream_chunk_like(item: Any) -> bool:
    """A ``StreamChunk`` (ours, or any object with ``data`` and ``is_final``, like Snakepit's)."""
    return isinstance(item, StreamChunk) or (
        not isinstance(item, (dict, list, str, bytes)) and hasattr(item, "data") and hasattr(item, "is_final")
    )


def is_iterator_result(result: Any) -> bool:
    """Whether a tool result is a (sync or async) iterator to be drained or streamed."""
    if type(result) in _PLAIN_RESULTS:
        return False
    return (
        inspect.isgenerator(result)
        or inspect.isasyncgen(result)
        or (hasattr(result, "__next__") and not isinstance(result, (str, bytes, bytearray, memoryview, dict, list)))
        or hasattr(result, "__anext__")
    )


def timeout_seconds(metadata: Mapping[str, str]) -> float | None:
    """The call's ``timeout_ms`` metadata in seconds, or ``None`` when absent or not positive."""
    raw = metadata.get("timeout_ms")
    if not raw:
        return None
    try:
        value = float(raw) / 1000.0
    except ValueError:
        return None
    return value if value > 0 else None


def _reset_current(token: contextvars.Token) -> None:
    # A stream closed early is finished from another task's Context: the variable dies with the
    # generator's Context anyway, so there is nothing to restore.
    try:  # noqa: SIM105 (not contextlib.suppress: this runs on every call)
        CURRENT.reset(token)
    except ValueError:
        pass


def _own_method(adapter: Any, name: str) -> Any:
    """The adapter's method ``name`` when the adapter defines its own, else ``None`` (``BaseAdapter``'s)."""
    method = getattr(adapter, name, None)
    if not callable(method):
        return None
    from ..base_adapter import BaseAdapter

    if getattr(type(adapter), name, None) is getattr(BaseAdapter, name):
        return None
    return method


class Invoker:
    """Calls the tools of one adapter instance; shared by every call and every transport of a worker."""

    def __init__(self, adapter: Any, *, worker_id: str = "", host: Any = None) -> None:
        self.adapter = adapter
        self.worker_id = worker_id
        self.host = host
        # Tool calls in progress; read by Ping so the host can tell a stuck worker from an idle one.
        self.active_calls = 0
        # Our ``BaseAdapter`` needs no per-call hand-off (``session_context`` reads the current call), so
        # the default hook is skipped; adapters that override it (Snakepit style) still get each context.
        self._setter = _own_method(adapter, "set_session_context")
        # An adapter that overrides ``execute_tool`` dispatches every call itself (handler-style tools
        # unknown to ``get_tools``): transports must not call its tools around it.
        self.dispatches_itself = _own_method(adapter, "execute_tool") is not None
        self._execute = getattr(adapter, "execute_tool", None)
        self._execute_is_coroutine = inspect.iscoroutinefunction(self._execute)

    def context(self, session_id: str, tool_name: str, metadata: dict[str, str]) -> SessionContext:
        """The call's ``SessionContext``; takes ``metadata`` (a fresh dict) without copying it."""
        return SessionContext.for_call(session_id, self.worker_id, metadata, tool_name, self.host)

    def scope(self, ctx: SessionContext) -> _CallScope:
        """Make ``ctx`` the current call, count it as active, and run it in a tracing span.

        Used as ``with invoker.scope(ctx) as span:``; a class rather than a generator-based context
        manager because every call of every transport enters one.
        """
        return _CallScope(self, ctx)

    async def invoke(self, ctx: SessionContext, arguments: dict[str, Any]) -> Any:
        """Call the tool; returns its result (for generator tools the not yet started generator)."""
        if self._setter is not None:
            self._setter(ctx)
        execute = self._execute
        if execute is None:
            raise ToolNotFoundError(ctx.tool_name, [], type(self.adapter).__name__)
        try:
            if self._execute_is_coroutine:
                result = await execute(tool_name=ctx.tool_name, arguments=arguments, context=ctx)
            else:
                result = await run_blocking(execute, tool_name=ctx.tool_name, arguments=arguments, context=ctx)
            while inspect.isawaitable(result):
                result = await result
        except (SystemExit, KeyboardInterrupt) as exc:
            raise exit_error(ctx.tool_name, exc) from exc
        return result

    async def unary(self, ctx: SessionContext, arguments: dict[str, Any], timeout_s: float | None = None) -> Any:
        """Call the tool within ``timeout_s`` and return its result (an iterator result is drained to a list)."""
        result = await self._with_timeout(self.invoke(ctx, arguments), timeout_s, ctx)
        if not is_iterator_result(result):
            return result
        items = []
        async with contextlib.aclosing(self.iterate(result, ctx)) as iterator:
            async for item in iterator:
                items.append(item.data if is_stream_chunk_like(item) else item)
        return items

    async def stream(self, ctx: SessionContext, arguments: dict[str, Any]) -> AsyncIterator[Any]:
        """Call the tool and yield its items (a non-iterator result is one item)."""
        result = await self.invoke(ctx, arguments)
        async with contextlib.aclosing(self.iterate(result, ctx)) as iterator:
            async for item in iterator:
                yield item

    async def _with_timeout(self, awaitable: Any, seconds: float | None, ctx: SessionContext) -> Any:
        if seconds is None:
            return await awaitable
        task = asyncio.current_task()
        assert task is not None
        expired = False

        def fire() -> None:
            nonlocal expired
            expired = True
            ctx.cancel()
            task.cancel()

        handle = asyncio.get_running_loop().call_later(seconds, fire)
        try:
            return await awaitable
        except asyncio.CancelledError:
            if expired:
                if hasattr(task, "uncancel"):
                    task.uncancel()
                raise ToolCancelledError(
                    f"Tool '{ctx.tool_name}' exceeded its timeout_ms={int(seconds * 1000)} and was cancelled",
                    reason="timeout",
                ) from None
            raise
        finally:
            handle.cancel()

    async def iterate(self, result: Any, ctx: SessionContext) -> AsyncIterator[Any]:
        """Iterate a tool result: async generators on the loop, sync ones step by step in a thread."""
        if hasattr(result, "__anext__"):
            try:
                async for item in result:
                    yield item
            except (SystemExit, KeyboardInterrupt) as exc:
                raise exit_error(ctx.tool_name, exc) from exc
            finally:
                aclose = getattr(result, "aclose", None)
                if aclose is not None:
                    await aclose()
            return
        if not is_iterator_result(result):
            yield result
            return
        pool = tool_executor()
        call_context = contextvars.copy_context()
        close = getattr(result, "close", None)

        def step() -> Any:
            try:
                return next(result)
            except StopIteration:
                return _DONE

        pending = None
        finished = False
        try:
            while True:
                pending = pool.submit(call_context.run, tracked, step)
                try:
                    item = await asyncio.wrap_future(pending)
                except (SystemExit, KeyboardInterrupt) as exc:
                    raise exit_error(ctx.tool_name, exc) from exc
                if item is _DONE:
                    finished = True
                    return
                yield item
        except asyncio.CancelledError:
            ctx.cancel()
            raise
        finally:
            if not finished and close is not None:

                def close_later(_: Any = None) -> None:
                    pool.submit(call_context.run, close)

                if pending is not None and not pending.done():
                    pending.add_done_callback(close_later)
                else:
                    close_later()


class _CallScope:
    """``Invoker.scope``: the current call, the active-call count and the tool span, for one block."""

    __slots__ = ("_ctx", "_invoker", "_span", "_token")

    def __init__(self, invoker: Invoker, ctx: SessionContext) -> None:
        self._invoker = invoker
        self._ctx = ctx

    def __enter__(self) -> tracing.ActiveSpan:
        self._token = CURRENT.set(self._ctx)
        self._span = tracing.start_tool_span(self._ctx)
        self._invoker.active_calls += 1
        return self._span

    def __exit__(self, exc_type: Any, exc: BaseException | None, traceback: Any) -> None:
        span = self._span
        try:
            if exc is not None and not isinstance(exc, (asyncio.CancelledError, GeneratorExit)):
                span.fail(exc)
        finally:
            self._invoker.active_calls -= 1
            _reset_current(self._token)
            span.finish()
