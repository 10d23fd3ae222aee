"""Running calls on a lane connection: inline sync tools, the tool pool, the event loop (streams: ``streams``)."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from .._lazy import asyncio  # imported on first use (async tools): sync tools never need it
from ..errors import check_payload_size, error_json
from ..runtime.executor import tool_executor, tracked
from ..runtime.invoker import exit_error, is_iterator_result, is_stream_chunk_like, timeout_seconds
from ..session_context import SessionContext
from ..tools.validation import bind_arguments
from ..wire.shm import read_file, write_result
from ..wire.values import add_binary_arguments, to_json
from . import frames as f
from .streams import StreamHandling

__all__ = ["CallHandling"]

log = logging.getLogger("snakepit_bridge.lane")

_DECODER = json.JSONDecoder()


def _loads(data: bytes) -> Any:
    """``json.loads`` of UTF-8 bytes without its per-call encoding detection (the host writes UTF-8)."""
    return _DECODER.decode(str(data, "utf-8"))


class _Call:
    """A call in progress: its context, cancellation hooks and stream credit."""

    __slots__ = ("call_id", "cancelled", "cond", "credit", "ctx", "loop_event", "task")

    def __init__(self, call_id: int, ctx: SessionContext) -> None:
        self.call_id = call_id
        self.ctx = ctx
        self.task: asyncio.Task[Any] | None = None
        self.credit = 0
        self.cond: threading.Condition | None = None
        self.cancelled = False
        self.loop_event: asyncio.Event | None = None


class CallHandling(StreamHandling):
    """The call-running half of ``LaneConnection`` (which provides sending, the read role and the counters)."""

    # Provided by LaneConnection.
    adapter: Any
    calls: dict[int, _Call]
    active_calls: int
    closed: bool
    shm_dir: str | None
    allow_pickle: bool
    max_length: int
    max_message_bytes: int
    worker_id: str

    def _cancel(self, call: _Call) -> None:
        call.cancelled = True
        call.ctx.cancel()
        task = call.task
        loop = self._loop
        if task is not None and loop is not None:
            loop.call_soon_threadsafe(task.cancel)
        if call.cond is not None:
            with call.cond:
                call.cond.notify_all()
        if call.loop_event is not None and loop is not None:
            loop.call_soon_threadsafe(call.loop_event.set)

    def _on_credit(self, call_id: int, payload: Any) -> None:
        if len(payload) != 4:
            raise f.FrameError(f"CREDIT payload of {len(payload)} bytes, expected 4")
        call = self.calls.get(call_id)
        if call is None:
            return
        (count,) = f.U32.unpack_from(payload, 0)
        if call.cond is not None:
            with call.cond:
                call.credit += count
                call.cond.notify_all()
        else:
            call.credit += count
            if call.loop_event is not None and self._loop is not None:
                self._loop.call_soon_threadsafe(call.loop_event.set)

    def _lookup(self, name: str) -> tuple[Any, Callable[..., Any]] | None:
        """``(ToolInfo, bound function)`` of a BaseAdapter tool, or None for other adapters."""
        found = self._tools.get(name)
        if found is None:
            getter = getattr(self.adapter, "get_tool", None)
            if getter is None or not hasattr(self.adapter, "get_tools") or self.invoker.dispatches_itself:
                return None
            info = getter(name)  # raises ToolNotFoundError
            found = (info, getattr(self.adapter, info.attribute))
            self._tools[name] = found
        return found

    def _on_call(self, stream: bool, call_id: int, payload: Any) -> bool:
        started = time.perf_counter()
        _timeout_ms, credit, header, binary = f.decode_call(payload, _loads)
        if call_id in self.calls:
            raise f.FrameError(f"call id {call_id} is already in use")
        tool_name = header["t"]
        metadata = header.get("m") or {}
        call = _Call(call_id, self.invoker.context(header.get("s") or "", tool_name, metadata))
        call.credit = credit
        try:
            arguments = header.get("a") or {}
            if binary or header.get("h"):
                arguments = self._with_binary(arguments, binary, header, metadata)
            found = self._lookup(tool_name)
            kind = found[0].kind if found is not None else "adapter"
            direct = kind == "generator" if stream else kind == "sync"
            kwargs = bind_arguments(found[0], arguments, call.ctx) if direct else arguments
        except Exception as exc:
            self._fail(call, exc, stream)
            return True
        self.calls[call_id] = call
        self._count(1)
        if not direct:
            # Async tools, generators of async tools and adapters of their own: the invoker, on the event loop.
            call.loop_event = asyncio.Event() if stream else None
            self._on_loop(call, self._stream_async(call, kwargs) if stream else self._unary_async(call, kwargs, header))
        elif stream:
            call.cond = threading.Condition()
            tool_executor().submit(contextvars.copy_context().run, tracked, self._stream_sync, call, found[1], kwargs)
        elif not found[0].run_in_thread:
            # A sync tool marked as never blocking: run it right here, still reading for everybody.
            try:
                self._run_sync(call, found[1], kwargs, started, header)
            finally:
                self._count(-1)
        elif self.active_calls == 1:
            # The fast path: the only call runs here, on the thread that read its frame.
            self._inline_seq += 1
            self._rlock.release()
            if self._watcher_parked:
                self._wake.set()
            try:
                # Counted as a busy tool thread, so a ping tells a stuck tool from an idle worker.
                tracked(self._run_sync, call, found[1], kwargs, started, header)
            finally:
                self._count(-1)
            return self._rlock.acquire(blocking=False)
        else:
            tool_executor().submit(self._pooled_sync, call, found[1], kwargs, started, header)
        return True

    def _done(self, call: _Call) -> None:
        self.calls.pop(call.call_id, None)
        self._count(-1)

    def _count(self, delta: int) -> None:
        with self._count_lock:
            self.active_calls += delta

    def _with_binary(
        self, arguments: dict[str, Any], binary: dict[str, bytes], header: dict[str, Any], metadata: Mapping[str, str]
    ) -> dict[str, Any]:
        merged = dict(arguments)
        add_binary_arguments(merged, binary, metadata, allow_pickle=self.allow_pickle)
        for item in header.get("h") or ():
            name, slot, length = item
            merged[name] = read_file(self._shm_path(slot), int(length))
        return merged

    def _shm_path(self, name: str) -> str:
        if not isinstance(name, str) or not name or "/" in name or name in (".", "..") or self.shm_dir is None:
            raise ValueError(f"bad shared-memory file name {name!r}")
        return os.path.join(self.shm_dir, name)

    # -- unary calls --------------------------------------------------------------------------

    def _run_sync(self, call: _Call, func: Any, kwargs: dict[str, Any], started: float, header: Any) -> None:
        try:
            with self.invoker.scope(call.ctx) as span:
                if self._setter is not None:
                    self._setter(call.ctx)
                result = func(**kwargs)
                if is_iterator_result(result):
                    result = [item.data if is_stream_chunk_like(item) else item for item in result]
            self._reply(call, result, started, header, span)
        except Exception as exc:
            self._fail(call, exc, False)
        except (SystemExit, KeyboardInterrupt) as exc:  # the call fails, the worker goes on (as over gRPC)
            self._fail(call, exit_error(call.ctx.tool_name, exc), False)
        finally:
            self.calls.pop(call.call_id, None)

    def _pooled_sync(self, *args: Any) -> None:
        try:
            tracked(self._run_sync, *args)
        finally:
            self._count(-1)

    async def _unary_async(self, call: _Call, arguments: dict[str, Any], header: Any) -> None:
        started = time.perf_counter()
        try:
            with self.invoker.scope(call.ctx) as span:
                result = await self.invoker.unary(call.ctx, arguments, timeout_seconds(call.ctx.metadata))
            self._reply(call, result, started, header, span)
        except asyncio.CancelledError:
            log.info("tool %s cancelled", call.ctx.tool_name)
        except Exception as exc:
            self._fail(call, exc, False)

    def _reply(self, call: _Call, result: Any, started: float, header: Mapping[str, Any], span: Any = None) -> None:
        if call.cancelled:
            return
        elapsed_us = int((time.perf_counter() - started) * 1_000_000) & 0xFFFFFFFF
        meta: dict[str, str] = {}
        if span is not None:
            span.traceparent(meta)  # the Python span that served the call, as over gRPC
        prefix, flags = f.U32.pack(elapsed_us), 0
        if meta:
            block = json.dumps(meta).encode()
            prefix, flags = prefix + f.U32.pack(len(block)) + block, f.F_META
        if isinstance(result, (bytes, bytearray, memoryview)):
            check_payload_size("result", len(result), self.max_message_bytes)
            raw = result if isinstance(result, bytes) else bytes(result)
            offer = header.get("r")
            if (
                offer
                and self.shm_dir is not None
                and int(offer[0]) <= len(raw) <= self.max_length
                and write_result(self._shm_path(offer[1]), raw)
            ):
                payload = prefix + f"{offer[1]}:{len(raw)}".encode()
                self.send(f.RESULT, call.call_id, payload, flags | f.F_BINARY | f.F_SHM)
                return
            self.send(f.RESULT, call.call_id, prefix + raw, flags | f.F_BINARY)
            return
        text = to_json(result).encode()
        check_payload_size("result (JSON)", len(text), self.max_message_bytes)
        self.send(f.RESULT, call.call_id, prefix + text, flags)

    def _fail(self, call: _Call, exc: BaseException, stream: bool) -> None:
        self.calls.pop(call.call_id, None)
        if call.cancelled:
            return
        log.info("tool %s failed: %s: %s", call.ctx.tool_name, type(exc).__name__, exc)
        context = {"tool_name": call.ctx.tool_name, "session_id": call.ctx.session_id, "worker_id": self.worker_id}
        correlation_id = call.ctx.metadata.get("correlation_id")
        if correlation_id:
            context["correlation_id"] = correlation_id
        self.send(f.ERROR, call.call_id, error_json(exc, context).encode())

    # -- the event loop -----------------------------------------------------------------------

    def _on_loop(self, call: _Call, coroutine: Any) -> None:
        loop = self.loop()

        def start() -> None:
            # Clean-up in a done callback: a task cancelled before its first step never enters the coroutine.
            call.task = loop.create_task(coroutine)
            call.task.add_done_callback(lambda _: self._done(call))
            if call.cancelled:
                call.task.cancel()

        loop.call_soon_threadsafe(start)

    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop of async tools (started on first use)."""
        loop = self._loop
        if loop is not None:
            return loop
        with self._loop_lock:
            if self._loop is None:
                ready = threading.Event()
                holder: list[asyncio.AbstractEventLoop] = []

                def run() -> None:
                    new = asyncio.new_event_loop()
                    holder.append(new)
                    asyncio.set_event_loop(new)
                    ready.set()
                    new.run_forever()

                threading.Thread(target=run, name="snakepit-lane-loop", daemon=True).start()
                ready.wait()
                self._loop = holder[0]
            return self._loop
