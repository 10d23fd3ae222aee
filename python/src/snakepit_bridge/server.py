"""The worker process: ``python -m snakepit_bridge.server --adapter module.Class --port 0 ...``.

Implements the launch contract of ``docs/worker-contract.md``: host ping, adapter import and
``initialize()``, bind, ``RegisterTools``, ready file, heartbeat, parent watches, graceful stop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import ctypes
import hmac
import importlib
import inspect
import json
import logging
import os
import random
import signal
import sys
import threading
import time
import traceback
from collections.abc import AsyncIterator, Mapping
from typing import Any

import grpc

from . import snakepit_bridge_pb2 as pb2
from . import snakepit_bridge_pb2_grpc as pb2_grpc
from . import telemetry
from .base_adapter import busy_threads, run_blocking, tool_executor, tracked
from .codec import StreamChunk, decode_arguments, encode_chunk, encode_result
from .errors import InvalidArgumentsError, ToolCancelledError, ToolNotFoundError, error_json
from .host import TOKEN_METADATA_KEY, HostClient
from .session_context import _CURRENT, SessionContext

__all__ = ["WorkerServer", "main"]

log = logging.getLogger("snakepit_bridge.server")

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_ADAPTER = 3
EXIT_INITIALIZE = 4
EXIT_HOST = 5

DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024
# Shared-memory hand-off of large bytes (docs/worker-contract.md): metadata keys and the Ping
# trailer that tells the host this worker supports it.
SHM_ARGUMENT_PREFIX = "snakepit.shm:"
SHM_RESULTS_KEY = "snakepit.shm_results"
SHM_RESULT_KEY = "snakepit.shm_result"
FEATURES_TRAILER = "snakepit-features"
SHM_INLINE_IO_BYTES = 8 * 1024 * 1024  # larger hand-off files are read and written off the event loop
STATUS_TRACEBACK_CHARS = 3000  # status details travel in a trailer: keep the traceback tail only
WORKER_ID_KEY = "snakepit.worker_id"
_DONE = object()


# ---------------------------------------------------------------------------------------------
# The servicer
# ---------------------------------------------------------------------------------------------


def _read_file(path: str, length: int) -> bytes:
    """The first ``length`` bytes of a file, read into one new ``bytes`` object (one copy)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.pread(fd, length, 0)
        if len(data) == length:
            return data
        parts = [data]
        got = len(data)
        while got < length:
            chunk = os.pread(fd, length - got, got)
            if not chunk:
                raise OSError(f"{path} ended after {got} of {length} bytes")
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)
    finally:
        os.close(fd)


def _write_file(path: str, data: bytes) -> None:
    """Write ``data`` at the start of a file (created owner-only if new; a longer old tail is left as is)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        view = memoryview(data)
        offset = 0
        while offset < len(view):
            offset += os.pwrite(fd, view[offset:], offset)
    finally:
        os.close(fd)


def _is_stream_chunk_like(item: Any) -> bool:
    return isinstance(item, StreamChunk) or (
        not isinstance(item, (dict, list, str, bytes)) and hasattr(item, "data") and hasattr(item, "is_final")
    )


def _is_iterator_result(result: Any) -> bool:
    return (
        inspect.isgenerator(result)
        or inspect.isasyncgen(result)
        or (hasattr(result, "__next__") and not isinstance(result, (str, bytes, bytearray, memoryview, dict, list)))
        or hasattr(result, "__anext__")
    )


class WorkerServicer(pb2_grpc.BridgeServiceServicer):
    """Serves Ping, ExecuteTool and ExecuteStreamingTool for one adapter instance."""

    def __init__(
        self,
        adapter: Any,
        *,
        worker_id: str,
        host: HostClient | None = None,
        allow_pickle: bool = False,
    ) -> None:
        self.adapter = adapter
        self.worker_id = worker_id
        self.host = host
        self.allow_pickle = allow_pickle
        # The pool token (x-snakepit-token), checked at the top of every RPC; None: no check. Inline
        # rather than a grpc.aio interceptor, which costs an extra coroutine and lookup per call.
        self.token: bytes | None = None
        # (set_session_context or None, execute_tool, is it a coroutine function), looked up once.
        self._dispatch: tuple[Any, Any, bool] | None = None
        # Directory for shared-memory hand-off of large bytes (SNAKEPIT_SHM_DIR), or None.
        self.shm_dir: str | None = None
        # Results larger than this are not handed off either: they fail like an oversized message.
        self.max_message_bytes = DEFAULT_MAX_MESSAGE_BYTES
        # Tool RPCs in progress; read by Ping so the host can tell a stuck worker from an idle one.
        self.active_calls = 0

    # -- helpers -----------------------------------------------------------------------------

    async def _authorize(self, context: grpc.aio.ServicerContext) -> None:
        """Abort the call with UNAUTHENTICATED unless it carries the pool token."""
        for key, value in context.invocation_metadata() or ():
            if key == TOKEN_METADATA_KEY:
                presented = value.encode() if isinstance(value, str) else value
                if hmac.compare_digest(presented, self.token or b""):
                    return
                break
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or invalid x-snakepit-token")

    def _context(self, request: pb2.ExecuteToolRequest, metadata: dict[str, str] | None = None) -> SessionContext:
        return SessionContext(
            request.session_id,
            worker_id=self.worker_id,
            metadata=dict(request.metadata) if metadata is None else metadata,
            tool_name=request.tool_name,
            host=self.host,
        )

    def _error_context(self, request: pb2.ExecuteToolRequest) -> dict[str, Any]:
        context = {"tool_name": request.tool_name, "session_id": request.session_id, "worker_id": self.worker_id}
        correlation_id = request.metadata.get("correlation_id")
        if correlation_id:
            context["correlation_id"] = correlation_id
        return context

    async def _invoke(
        self, request: pb2.ExecuteToolRequest, ctx: SessionContext, metadata: Mapping[str, str] | None = None
    ) -> Any:
        if metadata is None:
            metadata = request.metadata
        binary: Mapping[str, bytes] = request.binary_parameters
        if self.shm_dir is not None and any(key.startswith(SHM_ARGUMENT_PREFIX) for key in metadata):
            binary = await self._shared_arguments(binary, metadata)
        arguments = decode_arguments(request.parameters, binary, metadata, allow_pickle=self.allow_pickle)
        adapter = self.adapter
        dispatch = self._dispatch
        if dispatch is None:
            setter = getattr(adapter, "set_session_context", None)
            execute = getattr(adapter, "execute_tool", None)
            dispatch = (setter if callable(setter) else None, execute, inspect.iscoroutinefunction(execute))
            self._dispatch = dispatch
        setter, execute, is_coroutine = dispatch
        if setter is not None:
            setter(ctx)
        else:
            with contextlib.suppress(AttributeError):
                adapter.session_context = ctx
        if execute is None:
            raise ToolNotFoundError(request.tool_name, [], type(adapter).__name__)
        if is_coroutine:
            result = await execute(tool_name=request.tool_name, arguments=arguments, context=ctx)
        else:
            result = await run_blocking(execute, tool_name=request.tool_name, arguments=arguments, context=ctx)
        while inspect.isawaitable(result):
            result = await result
        return result

    def _shm_path(self, name: str) -> str:
        if not name or "/" in name or name in (".", "..") or self.shm_dir is None:
            raise ValueError(f"bad shared-memory file name {name!r}")
        return os.path.join(self.shm_dir, name)

    async def _shared_arguments(self, binary: Mapping[str, bytes], metadata: Mapping[str, str]) -> dict[str, bytes]:
        """The bytes arguments, with those the host handed off through shared memory (``<file>:<length>``) read in."""
        merged = dict(binary)
        for key, value in metadata.items():
            if key.startswith(SHM_ARGUMENT_PREFIX):
                name, _, length_text = value.rpartition(":")
                path = self._shm_path(name)
                length = int(length_text)
                if length < SHM_INLINE_IO_BYTES:
                    data = _read_file(path, length)
                else:
                    data = await asyncio.to_thread(_read_file, path, length)
                merged[key[len(SHM_ARGUMENT_PREFIX) :]] = data
        return merged

    async def _share_result(self, binary: bytes, metadata: Mapping[str, str], response: Any) -> bool:
        """Write a large bytes result into the file the host offered (``<threshold>:<file>``); True if done."""
        threshold_text, _, name = metadata.get(SHM_RESULTS_KEY, "").partition(":")
        try:
            threshold = int(threshold_text)
        except ValueError:
            return False
        if self.shm_dir is None or not name or not threshold <= len(binary) <= self.max_message_bytes:
            return False
        path = self._shm_path(name)
        if len(binary) < SHM_INLINE_IO_BYTES:
            _write_file(path, binary)
        else:
            await asyncio.to_thread(_write_file, path, binary)
        response.metadata[SHM_RESULT_KEY] = f"{name}:{len(binary)}"
        return True

    @staticmethod
    def _timeout_s(request: pb2.ExecuteToolRequest, metadata: Mapping[str, str] | None = None) -> float | None:
        raw = (request.metadata if metadata is None else metadata).get("timeout_ms")
        if not raw:
            return None
        try:
            value = float(raw) / 1000.0
        except ValueError:
            return None
        return value if value > 0 else None

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

    async def _iterate(self, result: Any, ctx: SessionContext) -> AsyncIterator[Any]:
        """Iterate a tool result: async generators on the loop, sync ones step by step in a thread."""
        if hasattr(result, "__anext__"):
            try:
                async for item in result:
                    yield item
            finally:
                aclose = getattr(result, "aclose", None)
                if aclose is not None:
                    await aclose()
            return
        if not _is_iterator_result(result):
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
                item = await asyncio.wrap_future(pending)
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

    async def _drain(self, result: Any, ctx: SessionContext) -> Any:
        if not _is_iterator_result(result):
            return result
        items = []
        async with contextlib.aclosing(self._iterate(result, ctx)) as iterator:
            async for item in iterator:
                items.append(item.data if _is_stream_chunk_like(item) else item)
        return items

    def _response_metadata(self, target: Any) -> None:
        target[WORKER_ID_KEY] = self.worker_id

    # -- RPCs --------------------------------------------------------------------------------

    async def Ping(self, request: pb2.PingRequest, context: grpc.aio.ServicerContext) -> pb2.PingResponse:
        if self.token is not None:
            await self._authorize(context)
        response = pb2.PingResponse(
            message=f"pong: {request.message}", active_calls=self.active_calls, busy_threads=busy_threads()
        )
        response.server_time.GetCurrentTime()
        if self.shm_dir is not None:
            context.set_trailing_metadata(((FEATURES_TRAILER, "shm"),))
        return response

    async def ExecuteTool(
        self, request: pb2.ExecuteToolRequest, context: grpc.aio.ServicerContext
    ) -> pb2.ExecuteToolResponse:
        started = time.perf_counter()
        if self.token is not None:
            await self._authorize(context)
        metadata = dict(request.metadata)
        ctx = self._context(request, metadata)
        token = _CURRENT.set(ctx)
        trace = telemetry.start_tool_span(ctx)
        self.active_calls += 1
        try:
            seconds = self._timeout_s(request, metadata)
            remaining = context.time_remaining()
            if remaining is not None and (seconds is None or remaining <= seconds):
                # A gRPC deadline that ends first cancels the call anyway: skip the timer, and give host
                # calls made by the tool what is really left (timeout_ms counts from the caller's start).
                seconds = None
                metadata["timeout_ms"] = str(max(1, int(remaining * 1000)))
                ctx.metadata["timeout_ms"] = metadata["timeout_ms"]
            result = await self._with_timeout(self._invoke(request, ctx, metadata), seconds, ctx)
            result = await self._drain(result, ctx)
            result_any, binary = encode_result(result)
            if binary and self.shm_dir is not None and SHM_RESULTS_KEY in metadata:
                response = pb2.ExecuteToolResponse(success=True, result=result_any)
                if not await self._share_result(binary, metadata, response):
                    response.binary_result = binary
            else:
                response = pb2.ExecuteToolResponse(success=True, result=result_any, binary_result=binary or b"")
        except asyncio.CancelledError:
            ctx.cancel()
            log.info("tool %s cancelled (session %r)", request.tool_name, request.session_id)
            raise
        except Exception as exc:
            self._log_failure(request, exc)
            trace.fail(exc)
            message = error_json(exc, self._error_context(request))
            response = pb2.ExecuteToolResponse(success=False, error_message=message)
        finally:
            self.active_calls -= 1
            _CURRENT.reset(token)
            trace.finish()
        self._response_metadata(response.metadata)
        trace.traceparent(response.metadata)
        response.execution_time_ms = int((time.perf_counter() - started) * 1000)
        return response

    async def ExecuteStreamingTool(
        self, request: pb2.ExecuteToolRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb2.ToolChunk]:
        if self.token is not None:
            await self._authorize(context)
        ctx = self._context(request)
        token = _CURRENT.set(ctx)
        trace = telemetry.start_tool_span(ctx)
        failure: BaseException | None = None
        code = grpc.StatusCode.INTERNAL
        self.active_calls += 1
        try:
            try:
                result = await self._invoke(request, ctx)
            except (ToolNotFoundError, InvalidArgumentsError) as exc:
                code = (
                    grpc.StatusCode.NOT_FOUND
                    if isinstance(exc, ToolNotFoundError)
                    else (grpc.StatusCode.INVALID_ARGUMENT)
                )
                raise
            sequence = 0
            final_sent = False
            async with contextlib.aclosing(self._iterate(result, ctx)) as iterator:
                async for item in iterator:
                    sequence += 1
                    chunk = self._chunk(item, sequence)
                    yield chunk
                    if chunk.is_final:
                        final_sent = True
                        break
            if not final_sent:
                sequence += 1
                final = pb2.ToolChunk(chunk_id=str(sequence), is_final=True)
                self._response_metadata(final.metadata)
                yield final
        except asyncio.CancelledError:
            ctx.cancel()
            log.info("stream %s cancelled (session %r)", request.tool_name, request.session_id)
            raise
        except Exception as exc:
            self._log_failure(request, exc)
            trace.fail(exc)
            failure = exc
        finally:
            self.active_calls -= 1
            _CURRENT.reset(token)
            trace.finish()
        if failure is not None:
            details = error_json(failure, self._error_context(request), STATUS_TRACEBACK_CHARS)
            await context.abort(code, details)

    def _chunk(self, item: Any, sequence: int) -> pb2.ToolChunk:
        is_final = False
        extra: Mapping[str, str] | None = None
        if _is_stream_chunk_like(item):
            is_final = bool(item.is_final)
            extra = getattr(item, "metadata", None)
            item = item.data
        elif isinstance(item, dict) and item.get("is_final") is True:
            is_final = True
        data, content_type = encode_chunk(item)
        chunk = pb2.ToolChunk(chunk_id=str(sequence), data=data, is_final=is_final)
        chunk.metadata["content_type"] = content_type
        self._response_metadata(chunk.metadata)
        if extra:
            chunk.metadata.update({str(k): str(v) for k, v in extra.items()})
        return chunk

    def _log_failure(self, request: pb2.ExecuteToolRequest, exc: BaseException) -> None:
        # INFO, not WARNING/ERROR: the caller receives the error with its traceback and decides how bad
        # it is; the host forwards these lines to its log (at DEBUG by default) as a worker-side trace.
        if isinstance(exc, (ToolNotFoundError, InvalidArgumentsError)):
            log.info("tool %s rejected: %s", request.tool_name, exc)
        else:
            log.info("tool %s failed: %s: %s", request.tool_name, type(exc).__name__, exc, exc_info=exc)

    async def StreamTelemetry(self, request_iterator: Any, context: grpc.aio.ServicerContext) -> Any:
        if self.token is not None:
            await self._authorize(context)
        async for event in telemetry.serve_stream(request_iterator):
            yield event

    async def _host_only(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        if self.token is not None:
            await self._authorize(context)
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "served by the host, not by a worker")

    InitializeSession = _host_only
    CleanupSession = _host_only
    GetSession = _host_only
    Heartbeat = _host_only
    RegisterTools = _host_only
    GetExposedElixirTools = _host_only
    ExecuteElixirTool = _host_only


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------


def _bind_address(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def tool_registrations(adapter: Any) -> list[pb2.ToolRegistration]:
    """The adapter's tools as ``ToolRegistration`` messages (ours, or Snakepit's proto list)."""
    getter = getattr(adapter, "get_tools", None)
    if getter is None:
        return []
    registrations = []
    for item in getter():
        if isinstance(item, pb2.ToolRegistration):
            registrations.append(item)
        elif hasattr(item, "to_proto"):
            registrations.append(item.to_proto())
        elif hasattr(item, "SerializeToString"):  # a ToolRegistration from another generated module
            registrations.append(pb2.ToolRegistration.FromString(item.SerializeToString()))
    return registrations


class WorkerServer:
    """A grpc.aio server serving one adapter; ``start()`` binds and returns the port."""

    def __init__(
        self,
        adapter: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        worker_id: str = "",
        token: str | None = None,
        host_client: HostClient | None = None,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        allow_pickle: bool = False,
    ) -> None:
        self.adapter = adapter
        self.servicer = WorkerServicer(adapter, worker_id=worker_id, host=host_client, allow_pickle=allow_pickle)
        shm_dir = os.environ.get("SNAKEPIT_SHM_DIR")
        self.servicer.shm_dir = shm_dir if shm_dir and os.path.isdir(shm_dir) else None
        self.servicer.max_message_bytes = max_message_bytes
        self._token = token
        self._max_message_bytes = max_message_bytes
        self._address = _bind_address(host, port)
        self.server: grpc.aio.Server | None = None
        self.port = 0

    async def start(self) -> int:
        """Create the grpc.aio server on the running loop, bind, start; return the bound port."""
        self.servicer.token = self._token.encode() if self._token else None
        self.server = grpc.aio.server(
            options=[
                ("grpc.max_send_message_length", self._max_message_bytes),
                ("grpc.max_receive_message_length", self._max_message_bytes),
                ("grpc.so_reuseport", 0),
            ],
        )
        pb2_grpc.add_BridgeServiceServicer_to_server(self.servicer, self.server)
        self.port = self.server.add_insecure_port(self._address)
        if not self.port:
            raise OSError(f"could not bind {self._address}")
        await self.server.start()
        return self.port

    async def stop(self, grace_s: float | None) -> None:
        """Stop accepting calls; in-flight calls get ``grace_s`` seconds, then are cancelled."""
        if self.server is not None:
            await self.server.stop(grace_s)


# ---------------------------------------------------------------------------------------------
# Launch: helpers
# ---------------------------------------------------------------------------------------------


class _WorkerIdFilter(logging.Filter):
    def __init__(self, worker_id: str) -> None:
        super().__init__()
        self.worker_id = worker_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.worker_id = self.worker_id
        return True


def _configure_logging(worker_id: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_WorkerIdFilter(worker_id))
    handler.addFilter(telemetry.CallContextFilter())
    handler.setFormatter(telemetry.log_formatter(os.environ.get("SNAKEPIT_LOG_FORMAT", "")))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("SNAKEPIT_LOG_LEVEL", "INFO").upper())


def _fatal(code: int, message: str, exc: BaseException | None = None) -> int:
    if exc is not None:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    log.critical("%s (exit code %d)", message, code)
    print(f"snakepit worker: {message}", file=sys.stderr, flush=True)
    return code


def write_ready_file(path: str, port: int) -> None:
    """Write ``port`` to ``path.tmp``, fsync, rename to ``path`` (atomic for the host)."""
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="ascii") as handle:
        handle.write(str(port))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    with contextlib.suppress(OSError):
        directory = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def load_adapter(spec: str) -> Any:
    """Import ``module.Class`` and instantiate it with no arguments."""
    module_name, _, class_name = spec.rpartition(".")
    if not module_name:
        raise ValueError(f"--adapter must be 'module.Class', got {spec!r}")
    module = importlib.import_module(module_name)
    try:
        cls = getattr(module, class_name)
    except AttributeError:
        raise ImportError(f"module {module_name!r} has no attribute {class_name!r}") from None
    return cls()


def _request_stop(reason: str) -> None:
    log.info("stopping: %s", reason)  # the host is gone or stopping us: nobody to warn
    os.kill(os.getpid(), signal.SIGTERM)


def _set_parent_death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        if libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    except OSError as exc:
        log.warning("prctl(PR_SET_PDEATHSIG) unavailable: %s", exc)


class ParentPidWatch(threading.Thread):
    """Daemon thread: stops the worker when ``getppid()`` changes (the host died)."""

    def __init__(self, original_ppid: int, interval_s: float = 1.0) -> None:
        super().__init__(name="snakepit-parent-watch", daemon=True)
        self.original_ppid = original_ppid
        self.interval_s = interval_s

    def run(self) -> None:
        while os.getppid() == self.original_ppid:
            time.sleep(self.interval_s)
        _request_stop(f"parent process {self.original_ppid} is gone")


class StdinWatch(threading.Thread):
    """Daemon thread: stops the worker when stdin reaches EOF (the host closed the pipe or died)."""

    def __init__(self) -> None:
        super().__init__(name="snakepit-stdin-watch", daemon=True)

    def run(self) -> None:
        stream = sys.stdin.buffer if sys.stdin is not None else None
        if stream is None:
            return
        with contextlib.suppress(OSError, ValueError):
            while stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536):
                pass
        _request_stop("stdin reached EOF (host gone)")


class HeartbeatTask(threading.Thread):
    """Daemon thread calling ``Heartbeat`` every ``interval_ms``; a dependent worker stops after
    ``max_missed_heartbeats`` consecutive failures."""

    def __init__(self, host: HostClient, config: Mapping[str, Any], session_id: str = "") -> None:
        super().__init__(name="snakepit-heartbeat", daemon=True)
        self.host = host
        self.interval_s = max(0.01, float(config.get("interval_ms", 2000)) / 1000)
        self.timeout_s = max(0.01, float(config.get("timeout_ms", 10000)) / 1000)
        self.max_missed = max(1, int(config.get("max_missed_heartbeats", 3)))
        self.initial_delay_s = max(0.0, float(config.get("initial_delay_ms", 0)) / 1000)
        self.jitter_s = max(0.0, float(config.get("jitter_ms", 0)) / 1000)
        self.dependent = bool(config.get("dependent", True))
        self.session_id = session_id
        self.stopped = threading.Event()
        self.missed = 0

    def run(self) -> None:
        if self.stopped.wait(self.initial_delay_s):
            return
        while not self.stopped.is_set():
            try:
                self.host.heartbeat(self.session_id, timeout=self.timeout_s)
                self.missed = 0
            except grpc.RpcError as exc:
                self.missed += 1
                log.warning("heartbeat %d/%d failed: %s", self.missed, self.max_missed, _rpc_text(exc))
                if self.dependent and self.missed >= self.max_missed:
                    _request_stop(f"host missed {self.missed} heartbeats")
                    return
            if self.stopped.wait(self.interval_s + random.uniform(0, self.jitter_s)):
                return


def _rpc_text(exc: grpc.RpcError) -> str:
    code = exc.code() if hasattr(exc, "code") else None
    details = exc.details() if hasattr(exc, "details") else str(exc)
    return f"{code.name if code else 'UNKNOWN'}: {details}"


def _heartbeat_config() -> dict[str, Any] | None:
    raw = os.environ.get("SNAKEPIT_HEARTBEAT_CONFIG")
    if not raw:
        return None
    try:
        config = json.loads(raw)
    except ValueError:
        log.warning("ignoring SNAKEPIT_HEARTBEAT_CONFIG: not JSON: %r", raw)
        return None
    if not isinstance(config, dict) or not config.get("enabled", True):
        return None
    return config


async def _maybe_await(value: Any) -> Any:
    while inspect.isawaitable(value):
        value = await value
    return value


def _kill_own_process_group() -> None:
    """Take the tool's subprocesses down with the worker (only when we lead our process group)."""
    with contextlib.suppress(OSError):
        if os.getpgid(0) != os.getpid():
            return
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.killpg(os.getpid(), signal.SIGTERM)


# ---------------------------------------------------------------------------------------------
# Launch: main
# ---------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m snakepit_bridge.server", description="Snakepit bridge worker (serves one adapter)"
    )
    parser.add_argument("--adapter", required=True, help="adapter class as module.Class")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback only)")
    parser.add_argument("--snakepit-run-id", default="", help="the host's run id (for logs)")
    parser.add_argument("--max-message-size", type=int, default=None, help="max gRPC message size in bytes")
    parser.add_argument("--elixir-address", default=None, help="host address (Snakepit compatibility)")
    parser.add_argument(
        "--transport", choices=("grpc", "lane"), default="grpc", help="grpc, or lane: the host's Unix-socket lane"
    )
    return parser


async def _serve(
    args: argparse.Namespace, adapter: Any, host_client: HostClient | None, worker_id: str, max_bytes: int
) -> int:
    try:
        await _maybe_await(adapter.initialize()) if hasattr(adapter, "initialize") else None
    except Exception as exc:
        return _fatal(EXIT_INITIALIZE, f"adapter {args.adapter} initialize() raised {type(exc).__name__}: {exc}", exc)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    server = WorkerServer(
        adapter,
        host=args.host,
        port=args.port,
        worker_id=worker_id,
        token=os.environ.get("SNAKEPIT_AUTH_TOKEN") or None,
        host_client=host_client,
        max_message_bytes=max_bytes,
        allow_pickle=os.environ.get("SNAKEPIT_ALLOW_PICKLE") == "1",
    )
    port = await server.start()
    log.info("listening on %s:%d (adapter %s, run %s)", args.host, port, args.adapter, args.snakepit_run_id)

    if host_client is not None:
        try:
            registrations = tool_registrations(adapter)
            response = await asyncio.to_thread(host_client.register_tools, registrations)
            if response.success:
                log.info("registered %d tools with the host", len(registrations))
            else:
                log.warning("host rejected RegisterTools: %s", response.error_message)
        except Exception as exc:  # not fatal per the contract
            log.warning("RegisterTools failed: %s", exc)

    ready_file = os.environ.get("SNAKEPIT_READY_FILE")
    if ready_file:
        write_ready_file(ready_file, port)

    heartbeat = None
    config = _heartbeat_config()
    if host_client is not None and config is not None:
        heartbeat = HeartbeatTask(host_client, config)
        heartbeat.start()

    await stop.wait()
    grace_s = float(os.environ.get("SNAKEPIT_SHUTDOWN_GRACE_MS", "2000")) / 1000
    log.info("stopping (grace %.1f s)", grace_s)
    if heartbeat is not None:
        heartbeat.stopped.set()
    telemetry.shutdown()
    await server.stop(grace_s)
    try:
        if hasattr(adapter, "cleanup"):
            await _maybe_await(adapter.cleanup())
    except Exception as exc:
        log.error("adapter cleanup() raised %s: %s", type(exc).__name__, exc, exc_info=exc)
    log.info("stopped")
    return EXIT_OK


def run(argv: list[str] | None = None) -> int:
    """Run a worker; return its exit code (see the worker contract)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and EXIT_USAGE
    if args.transport == "lane":
        from .lane.worker import run as run_lane

        return run_lane(argv)
    worker_id = os.environ.get("SNAKEPIT_WORKER_ID") or f"python-{os.getpid()}"
    _configure_logging(worker_id)

    launched_by_host = bool(os.environ.get("SNAKEPIT_READY_FILE"))
    if launched_by_host:
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)
    parent_pid = os.environ.get("SNAKEPIT_PARENT_PID")
    if parent_pid:
        _set_parent_death_signal()
        if os.getppid() != int(parent_pid):
            log.warning("parent %s already gone (ppid %d): exiting", parent_pid, os.getppid())
            return EXIT_OK
        ParentPidWatch(int(parent_pid)).start()
    if os.environ.get("SNAKEPIT_PARENT_WATCH") == "stdin":
        StdinWatch().start()

    max_bytes = args.max_message_size or int(
        os.environ.get("SNAKEPIT_MAX_MESSAGE_BYTES", str(DEFAULT_MAX_MESSAGE_BYTES))
    )
    address = os.environ.get("SNAKEPIT_GRPC_ADDRESS") or args.elixir_address
    host_client = None
    if address:
        host_client = HostClient(
            address,
            token=os.environ.get("SNAKEPIT_AUTH_TOKEN") or None,
            worker_id=worker_id,
            max_message_bytes=max_bytes,
        )
        budget = float(os.environ.get("SNAKEPIT_HOST_PING_TIMEOUT_MS", "5000")) / 1000
        try:
            host_client.ping_until_ready(budget)
        except grpc.RpcError as exc:
            host_client.close()
            return _fatal(
                EXIT_HOST,
                f"the host at {address} (SNAKEPIT_GRPC_ADDRESS) did not answer Ping within {budget:.1f} s: "
                f"{_rpc_text(exc)}",
            )

    try:
        adapter = load_adapter(args.adapter)
    except Exception as exc:
        return _fatal(
            EXIT_ADAPTER,
            f"could not import or instantiate adapter {args.adapter!r}: {type(exc).__name__}: {exc} "
            f"(PYTHONPATH={os.environ.get('PYTHONPATH', '')!r})",
            exc,
        )

    try:
        code = asyncio.run(_serve(args, adapter, host_client, worker_id, max_bytes))
    finally:
        if host_client is not None:
            host_client.close()
    return code


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the worker, then exit without waiting for stuck tool threads."""
    code = run(argv)
    if os.environ.get("SNAKEPIT_READY_FILE"):
        _kill_own_process_group()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
