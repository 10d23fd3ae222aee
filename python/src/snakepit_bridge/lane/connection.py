"""One lane connection inside the worker: handshake, frame reading, dispatch of calls.

Threads (docs/lane.md, "Python worker"): whichever thread holds the *read role* reads frames. A
sync tool called while no other call runs executes on the thread that read its frame; that thread
gives up the read role for the duration, and a watcher thread takes it over if the tool runs for
more than a couple of milliseconds, so cancel frames, pings and further calls are still read.
Async tools run on one event loop thread; sync tools arriving while another call runs go to the
tool thread pool (``workerConcurrency > 1``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hmac
import inspect
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..base_adapter import bind_arguments, busy_threads, tool_executor, tracked
from ..codec import StreamChunk, decode_arguments, encode_chunk, to_json
from ..errors import error_json
from ..session_context import _CURRENT, SessionContext
from . import frames as f
from .host import LaneHost

__all__ = ["LaneConnection"]

log = logging.getLogger("snakepit_bridge.lane")

WATCH_INTERVAL_S = 0.002  # how often the watcher looks for an abandoned read role
WATCH_PARK_CHECKS = 100  # consecutive idle looks after which the watcher sleeps until woken
READ_BUFFER = 256 * 1024
STREAM_BATCH = 64  # chunks of a fast generator coalesced into one write
SLOW_STEP_S = 0.00005  # a generator step slower than this flushes what is buffered before the next
SHM_ARGUMENT_PREFIX = "snakepit.shm:"
_DONE = object()


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


class LaneConnection:
    """Serves one host connection for one adapter."""

    def __init__(
        self,
        sock: socket.socket,
        adapter: Any,
        *,
        worker_id: str,
        token: str | None,
        max_frame: int,
        shm_dir: str | None = None,
        allow_pickle: bool = False,
    ) -> None:
        self.sock = sock
        self.adapter = adapter
        self.worker_id = worker_id
        self.token = token.encode() if token else None
        self.max_length = max_frame + f.MIN_LENGTH
        self.shm_dir = shm_dir
        self.allow_pickle = allow_pickle
        self.closed = False
        self.active_calls = 0
        self.calls: dict[int, _Call] = {}
        self.host = LaneHost(self)
        self._wlock = threading.Lock()
        self._rlock = threading.Lock()
        self._buf = bytearray(READ_BUFFER)
        self._view = memoryview(self._buf)
        self._start = 0
        self._end = 0
        self._inline_seq = 0
        self._watcher_parked = False
        self._wake = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_lock = threading.Lock()
        self._tools: dict[str, tuple[Any, Callable[..., Any]]] = {}
        self._stopped = threading.Event()
        self._count_lock = threading.Lock()
        self.tools_json: list[dict[str, Any]] = []

    # -- writing -------------------------------------------------------------------------------

    def send(self, frame_type: int, call_id: int, payload: bytes | bytearray = b"", flags: int = 0) -> None:
        """Write one frame (thread-safe)."""
        data = f.HEADER.pack(len(payload) + f.MIN_LENGTH, frame_type, flags, 0, call_id)
        with self._wlock:
            if len(payload) < 65536:
                self.sock.sendall(data + payload)
            else:
                self.sock.sendall(data)
                self.sock.sendall(payload)

    def send_raw(self, data: bytes | bytearray) -> None:
        """Write frames already encoded (a batch of chunks)."""
        with self._wlock:
            self.sock.sendall(data)

    # -- reading -------------------------------------------------------------------------------

    def _recv_frame(self) -> tuple[int, int, int, Any]:
        """The next frame ``(type, flags, call id, payload)``; the caller holds the read role."""
        buf = self._buf
        while True:
            available = self._end - self._start
            if available >= f.HEADER_SIZE:
                length, frame_type, flags, call_id = f.decode_header(buf, self._start, self.max_length)
                total = length + 4
                if available >= total:
                    payload = bytes(self._view[self._start + f.HEADER_SIZE : self._start + total])
                    self._start += total
                    if self._start == self._end:
                        self._start = self._end = 0
                    return frame_type, flags, call_id, payload
                if total > len(buf):
                    payload = bytearray(length - f.MIN_LENGTH)
                    have = available - f.HEADER_SIZE
                    payload[:have] = self._view[self._start + f.HEADER_SIZE : self._end]
                    self._start = self._end = 0
                    target = memoryview(payload)
                    while have < len(payload):
                        n = self.sock.recv_into(target[have:])
                        if n == 0:
                            raise EOFError("the host closed the lane in the middle of a frame")
                        have += n
                    return frame_type, flags, call_id, payload
            if self._start:
                buf[:available] = self._view[self._start : self._end]
                self._start, self._end = 0, available
            n = self.sock.recv_into(self._view[self._end :])
            if n == 0:
                raise EOFError("the host closed the lane")
            self._end += n

    # -- handshake ----------------------------------------------------------------------------

    def handshake(self) -> bool:
        """Read HELLO, check token and version, answer WELCOME (or GOAWAY and False)."""
        frame_type, _, _, payload = self._recv_frame()
        if frame_type != f.HELLO:
            self._goaway(f"expected HELLO as the first frame, got {f.TYPE_NAMES.get(frame_type, frame_type)}")
            return False
        try:
            hello = json.loads(payload)
        except ValueError:
            self._goaway("HELLO payload is not JSON")
            return False
        presented = str(hello.get("token", "")).encode()
        if self.token is not None and not hmac.compare_digest(presented, self.token):
            self._goaway("invalid pool token in HELLO")
            return False
        versions = hello.get("versions") or [hello.get("version")]
        if f.PROTOCOL_VERSION not in versions:
            self._goaway(
                f"lane protocol version mismatch: the host speaks {versions}, "
                f"this worker speaks {f.PROTOCOL_VERSION} (snakepit_bridge {_package_version()})"
            )
            return False
        welcome = {
            "version": f.PROTOCOL_VERSION,
            "worker_id": self.worker_id,
            "pid": os.getpid(),
            "features": ["shm"] if self.shm_dir else [],
            "tools": self.tools_json,
        }
        self.send(f.WELCOME, 0, json.dumps(welcome).encode())
        return True

    def _goaway(self, reason: str) -> None:
        log.warning("closing the lane: %s", reason)
        with contextlib.suppress(OSError):
            self.send(f.GOAWAY, 0, reason.encode())

    # -- the read role ------------------------------------------------------------------------

    def serve(self) -> None:
        """Run the connection on this thread (plus one watcher thread) until it closes."""
        watcher = threading.Thread(target=self._run_role, name="snakepit-lane-watch", daemon=True)
        watcher.start()
        self._run_role()
        self._stopped.wait()

    def _run_role(self) -> None:
        while not self.closed:
            if self._rlock.acquire(blocking=False):
                if self._lead_guarded(None):
                    self._rlock.release()
            else:
                self._watch()

    def _lead_guarded(self, until: threading.Event | None) -> bool:
        """``_lead`` closing the connection on a read failure; True if the caller must release the role."""
        try:
            return self._lead(until)
        except (EOFError, OSError) as exc:
            self._close(str(exc) or type(exc).__name__)
        except f.FrameError as exc:
            self._goaway(f"malformed frame: {exc}")
            self._close(f"malformed frame: {exc}")
        except Exception as exc:  # a bug: close rather than hang
            log.exception("lane reader failed")
            self._close(f"{type(exc).__name__}: {exc}")
        return True

    def _lead(self, until: threading.Event | None) -> bool:
        """Read and dispatch frames; False once the read role was lost (during an inline call)."""
        while not self.closed and (until is None or not until.is_set()):
            frame_type, flags, call_id, payload = self._recv_frame()
            if not self._dispatch(frame_type, flags, call_id, payload):
                return False
        return True

    def _watch(self) -> None:
        """Wait until the read role looks abandoned (an inline call runs long) or the connection closes."""
        seen = -1
        idle = 0
        while not self.closed:
            if idle >= WATCH_PARK_CHECKS:
                self._watcher_parked = True
                self._wake.wait()
                self._wake.clear()
                self._watcher_parked = False
                idle = 0
                seen = -1
            time.sleep(WATCH_INTERVAL_S)
            if self._rlock.locked():
                idle += 1
                seen = -1
                continue
            idle = 0
            if seen == self._inline_seq:
                return
            seen = self._inline_seq

    def await_event(self, event: threading.Event, timeout: float | None) -> bool:
        """Block until ``event`` is set, reading frames on this thread while nobody else does."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not event.is_set():
            if self.closed:
                return False
            if deadline is not None and time.monotonic() >= deadline:
                return False
            if self._rlock.acquire(blocking=False):
                if self._lead_guarded(event):
                    self._rlock.release()
            else:
                event.wait(WATCH_INTERVAL_S)
        return True

    def _close(self, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        log.info("lane closed: %s", reason)
        for call in list(self.calls.values()):
            self._cancel(call)
        self.host.fail_all(reason)
        self._wake.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self._stopped.set()

    # -- dispatch -----------------------------------------------------------------------------

    def _dispatch(self, frame_type: int, flags: int, call_id: int, payload: Any) -> bool:
        if frame_type == f.CALL or frame_type == f.STREAM:
            return self._on_call(frame_type == f.STREAM, call_id, payload)
        if frame_type == f.CANCEL:
            call = self.calls.get(call_id)
            if call is not None:
                self._cancel(call)
        elif frame_type == f.CREDIT:
            self._on_credit(call_id, payload)
        elif frame_type == f.HOST_RESULT:
            self.host.on_result(call_id, flags, payload)
        elif frame_type == f.PING:
            self.send(f.PONG, call_id, f.U32X2.pack(self.active_calls, busy_threads()))
        elif frame_type == f.GOAWAY:
            raise EOFError(f"the host said goodbye: {bytes(payload).decode(errors='replace')}")
        elif frame_type == f.TELEMETRY_CONTROL:
            pass
        else:
            raise f.FrameError(f"unexpected {f.TYPE_NAMES[frame_type]} frame from the host")
        return True

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
            if getter is None or not hasattr(self.adapter, "get_tools"):
                return None
            info = getter(name)  # raises ToolNotFoundError
            found = (info, getattr(self.adapter, info.attribute))
            self._tools[name] = found
        return found

    def _on_call(self, stream: bool, call_id: int, payload: Any) -> bool:
        started = time.perf_counter()
        _timeout_ms, credit, header, binary = f.decode_call(payload, json.loads)
        tool_name = header["t"]
        metadata = header.get("m") or {}
        ctx = SessionContext(
            header.get("s") or "", worker_id=self.worker_id, metadata=metadata, tool_name=tool_name, host=self.host
        )
        call = _Call(call_id, ctx)
        call.credit = credit
        if call_id in self.calls:
            raise f.FrameError(f"call id {call_id} is already in use")
        try:
            arguments = header.get("a") or {}
            if binary or header.get("h"):
                arguments = self._with_binary(arguments, binary, header, metadata)
            found = self._lookup(tool_name)
            kind = found[0].kind if found is not None else "adapter"
            if found is not None:
                kwargs = bind_arguments(found[0], arguments, ctx)
        except Exception as exc:
            self._fail(call, exc, stream)
            return True
        setter = getattr(self.adapter, "set_session_context", None)
        if stream:
            call.cond = threading.Condition() if kind != "async_generator" else None
            self.calls[call_id] = call
            self._count(1)
            if kind in ("async_generator", "async", "adapter"):
                self._on_loop(call, self._stream_async(call, found, kwargs if found else arguments, setter))
            else:
                tool_executor().submit(
                    contextvars.copy_context().run, tracked, self._stream_sync, call, found[1], kwargs, setter
                )
            return True
        self.calls[call_id] = call
        if kind == "sync" and found[0].run_in_thread:
            if self.active_calls == 0:
                # The fast path: run it here, on the thread that read the frame.
                self._count(1)
                self._inline_seq += 1
                self._rlock.release()
                if self._watcher_parked:
                    self._wake.set()
                try:
                    self._run_sync(call, found[1], kwargs, setter, started, header)
                finally:
                    self._count(-1)
                return self._rlock.acquire(blocking=False)
            self._count(1)
            tool_executor().submit(self._pooled_sync, call, found[1], kwargs, setter, started, header)
            return True
        self._count(1)
        self._on_loop(call, self._unary_async(call, found, kwargs if found else arguments, setter, started, header))
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
        merged.update(decode_arguments({}, binary, metadata, allow_pickle=self.allow_pickle))
        for item in header.get("h") or ():
            name, slot, length = item
            merged[name] = _read_file(self._shm_path(slot), int(length))
        return merged

    def _shm_path(self, name: str) -> str:
        if not isinstance(name, str) or not name or "/" in name or name in (".", "..") or self.shm_dir is None:
            raise ValueError(f"bad shared-memory file name {name!r}")
        return os.path.join(self.shm_dir, name)

    # -- unary calls --------------------------------------------------------------------------

    def _run_sync(
        self, call: _Call, func: Any, kwargs: dict[str, Any], setter: Any, started: float, header: Any
    ) -> None:
        token = _CURRENT.set(call.ctx)
        try:
            if setter is not None:
                setter(call.ctx)
            result = func(**kwargs)
            if _is_iterator(result):
                result = [item.data if isinstance(item, StreamChunk) else item for item in result]
            self._reply(call, result, started, header)
        except Exception as exc:
            self._fail(call, exc, False)
        finally:
            _CURRENT.reset(token)
            self.calls.pop(call.call_id, None)

    def _pooled_sync(self, *args: Any) -> None:
        try:
            tracked(self._run_sync, *args)
        finally:
            self._count(-1)

    async def _start(self, call: _Call, found: Any, kwargs: dict[str, Any], setter: Any) -> Any:
        """Call the tool on the loop (an adapter without ``get_tool`` through its ``execute_tool``)."""
        if setter is not None:
            setter(call.ctx)
        if found is not None:
            result = found[1](**kwargs)
        else:
            result = self.adapter.execute_tool(tool_name=call.ctx.tool_name, arguments=kwargs, context=call.ctx)
        while inspect.isawaitable(result):
            result = await result
        return result

    async def _unary_async(
        self, call: _Call, found: Any, kwargs: dict[str, Any], setter: Any, started: float, header: Any
    ) -> None:
        token = _CURRENT.set(call.ctx)
        try:
            result = await self._start(call, found, kwargs, setter)
            if hasattr(result, "__anext__"):
                result = [item.data if isinstance(item, StreamChunk) else item async for item in result]
            elif _is_iterator(result):
                result = await asyncio.to_thread(lambda: [i.data if isinstance(i, StreamChunk) else i for i in result])
            self._reply(call, result, started, header)
        except asyncio.CancelledError:
            log.info("tool %s cancelled", call.ctx.tool_name)
        except Exception as exc:
            self._fail(call, exc, False)
        finally:
            _CURRENT.reset(token)

    def _reply(self, call: _Call, result: Any, started: float, header: Mapping[str, Any]) -> None:
        if call.cancelled:
            return
        elapsed_us = int((time.perf_counter() - started) * 1_000_000) & 0xFFFFFFFF
        if isinstance(result, (bytes, bytearray, memoryview)):
            raw = result if isinstance(result, bytes) else bytes(result)
            offer = header.get("r")
            if offer and self.shm_dir is not None and len(raw) >= int(offer[0]) and len(raw) <= self.max_length:
                _write_file(self._shm_path(offer[1]), raw)
                payload = f.U32.pack(elapsed_us) + f"{offer[1]}:{len(raw)}".encode()
                self.send(f.RESULT, call.call_id, payload, f.F_BINARY | f.F_SHM)
                return
            self.send(f.RESULT, call.call_id, f.U32.pack(elapsed_us) + raw, f.F_BINARY)
            return
        self.send(f.RESULT, call.call_id, f.U32.pack(elapsed_us) + to_json(result).encode())

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

    # -- streams ------------------------------------------------------------------------------

    def _chunk_frame(self, call_id: int, item: Any) -> bytes:
        is_final = False
        extra = None
        if isinstance(item, StreamChunk):
            is_final = bool(item.is_final)
            extra = item.metadata
            item = item.data
        elif isinstance(item, dict) and item.get("is_final") is True:
            is_final = True
        data, content_type = encode_chunk(item)
        flags = (f.F_FINAL if is_final else 0) | _CHUNK_KINDS.get(content_type, f.CHUNK_BYTES)
        if extra:
            meta = json.dumps({str(k): str(v) for k, v in extra.items()}).encode()
            data = f.U32.pack(len(meta)) + meta + data
            flags |= f.F_META
        return f.HEADER.pack(len(data) + f.MIN_LENGTH, f.CHUNK, flags, 0, call_id) + data

    def _stream_sync(self, call: _Call, func: Any, kwargs: dict[str, Any], setter: Any) -> None:
        token = _CURRENT.set(call.ctx)
        iterator = None
        try:
            if setter is not None:
                setter(call.ctx)
            result = func(**kwargs)
            iterator = iter(result) if _is_iterator(result) else iter([result])
            batch = bytearray()
            batched = 0
            final_sent = False
            cond = call.cond
            assert cond is not None
            step_started = time.perf_counter()
            while True:
                if batch and (batched >= STREAM_BATCH or call.credit == 0):
                    self.send_raw(batch)
                    batch = bytearray()
                    batched = 0
                if call.credit == 0:
                    with cond:
                        while call.credit == 0 and not call.cancelled and not self.closed:
                            cond.wait()
                if call.cancelled or self.closed:
                    return
                item = next(iterator, _DONE)
                now = time.perf_counter()
                slow = now - step_started > SLOW_STEP_S
                step_started = now
                if item is _DONE:
                    break
                frame = self._chunk_frame(call.call_id, item)
                call.credit -= 1
                batch += frame
                batched += 1
                if frame[5] & f.F_FINAL:
                    final_sent = True
                    break
                if slow:
                    self.send_raw(batch)
                    batch = bytearray()
                    batched = 0
            if not final_sent:
                batch += f.HEADER.pack(f.MIN_LENGTH, f.CHUNK, f.F_FINAL, 0, call.call_id)
            self.send_raw(batch)
        except Exception as exc:
            self._fail(call, exc, True)
        finally:
            if iterator is not None and hasattr(iterator, "close"):
                with contextlib.suppress(Exception):
                    iterator.close()
            _CURRENT.reset(token)
            self.calls.pop(call.call_id, None)
            self._count(-1)

    async def _stream_async(self, call: _Call, found: Any, kwargs: dict[str, Any], setter: Any) -> None:
        token = _CURRENT.set(call.ctx)
        call.loop_event = asyncio.Event()
        try:
            result = await self._start(call, found, kwargs, setter)
            final_sent = False
            if hasattr(result, "__anext__"):
                items: Any = result
            else:
                items = _aiter_sync(result if _is_iterator(result) else iter([result]))
            try:
                async for item in items:
                    while call.credit <= 0 and not call.cancelled:
                        call.loop_event.clear()
                        await call.loop_event.wait()
                    if call.cancelled:
                        return
                    frame = self._chunk_frame(call.call_id, item)
                    call.credit -= 1
                    self.send_raw(frame)
                    if frame[5] & f.F_FINAL:
                        final_sent = True
                        break
            finally:
                aclose = getattr(items, "aclose", None)
                if aclose is not None:
                    await aclose()
            if not final_sent:
                self.send(f.CHUNK, call.call_id, b"", f.F_FINAL)
        except asyncio.CancelledError:
            log.info("stream %s cancelled", call.ctx.tool_name)
        except Exception as exc:
            self._fail(call, exc, True)
        finally:
            _CURRENT.reset(token)

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


_CHUNK_KINDS = {"application/json": f.CHUNK_JSON, "text/plain": f.CHUNK_TEXT, "application/octet-stream": f.CHUNK_BYTES}


def _is_iterator(result: Any) -> bool:
    return inspect.isgenerator(result) or (
        hasattr(result, "__next__") and not isinstance(result, (str, bytes, bytearray, memoryview, dict, list))
    )


async def _aiter_sync(iterator: Any) -> Any:
    """Step a sync generator in the tool thread pool, one item at a time."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    pool = tool_executor()
    while True:
        item = await loop.run_in_executor(pool, context.run, next, iterator, _DONE)
        if item is _DONE:
            return
        yield item


def _read_file(path: str, length: int) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        parts = []
        got = 0
        while got < length:
            chunk = os.pread(fd, length - got, got)
            if not chunk:
                raise OSError(f"{path} ended after {got} of {length} bytes")
            parts.append(chunk)
            got += len(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)
    finally:
        os.close(fd)


def _write_file(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        view = memoryview(data)
        offset = 0
        while offset < len(view):
            offset += os.pwrite(fd, view[offset:], offset)
    finally:
        os.close(fd)


def _package_version() -> str:
    from .. import __version__

    return __version__
