"""The gRPC ``BridgeService`` of a worker: Ping, ExecuteTool, ExecuteStreamingTool, StreamTelemetry.

Only wire work happens here (token check, protobuf decode/encode, status codes, shared memory); the
call itself is run by the transport-neutral ``runtime.Invoker``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import grpc

from .. import snakepit_bridge_pb2 as pb2
from .. import snakepit_bridge_pb2_grpc as pb2_grpc
from .. import telemetry
from ..errors import InvalidArgumentsError, ToolNotFoundError, error_json
from ..runtime.executor import busy_threads
from ..runtime.invoker import Invoker, is_stream_chunk_like, timeout_seconds
from .codec import decode_arguments, encode_result
from .metadata import FEATURES_TRAILER, SHM_RESULTS_KEY, TIMEOUT_MS_KEY, TOKEN_METADATA_KEY, WORKER_ID_KEY
from .shm import SharedMemory
from .values import encode_chunk

__all__ = ["STATUS_TRACEBACK_CHARS", "WorkerServicer"]

log = logging.getLogger("snakepit_bridge.server")

STATUS_TRACEBACK_CHARS = 3000  # status details travel in a trailer: keep the traceback tail only


class WorkerServicer(pb2_grpc.BridgeServiceServicer):
    """Serves Ping, ExecuteTool and ExecuteStreamingTool for one adapter instance."""

    def __init__(
        self,
        adapter: Any,
        *,
        worker_id: str,
        host: Any = None,
        allow_pickle: bool = False,
        shared_memory: SharedMemory | None = None,
    ) -> None:
        self.adapter = adapter
        self.worker_id = worker_id
        self.host = host
        self.allow_pickle = allow_pickle
        self.invoker = Invoker(adapter, worker_id=worker_id, host=host)
        # The pool token (x-snakepit-token), checked at the top of every RPC; None: no check. Inline
        # rather than a grpc.aio interceptor, which costs an extra coroutine and lookup per call.
        self.token: bytes | None = None
        # Shared-memory hand-off of large bytes (SNAKEPIT_SHM_DIR), or None.
        self.shared_memory = shared_memory

    @property
    def active_calls(self) -> int:
        """Tool calls in progress."""
        return self.invoker.active_calls

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

    def _error_context(self, request: pb2.ExecuteToolRequest) -> dict[str, Any]:
        context = {"tool_name": request.tool_name, "session_id": request.session_id, "worker_id": self.worker_id}
        correlation_id = request.metadata.get("correlation_id")
        if correlation_id:
            context["correlation_id"] = correlation_id
        return context

    async def _arguments(self, request: pb2.ExecuteToolRequest, metadata: Mapping[str, str]) -> dict[str, Any]:
        binary: Mapping[str, bytes] = request.binary_parameters
        if self.shared_memory is not None and SharedMemory.wanted(metadata):
            binary = await self.shared_memory.arguments(binary, metadata)
        return decode_arguments(request.parameters, binary, metadata, allow_pickle=self.allow_pickle)

    def _log_failure(self, request: pb2.ExecuteToolRequest, exc: BaseException) -> None:
        # INFO, not WARNING/ERROR: the caller receives the error with its traceback and decides how bad
        # it is; the host forwards these lines to its log (at DEBUG by default) as a worker-side trace.
        if isinstance(exc, (ToolNotFoundError, InvalidArgumentsError)):
            log.info("tool %s rejected: %s", request.tool_name, exc)
        else:
            log.info("tool %s failed: %s: %s", request.tool_name, type(exc).__name__, exc, exc_info=exc)

    # -- RPCs --------------------------------------------------------------------------------

    async def Ping(self, request: pb2.PingRequest, context: grpc.aio.ServicerContext) -> pb2.PingResponse:
        if self.token is not None:
            await self._authorize(context)
        response = pb2.PingResponse(
            message=f"pong: {request.message}", active_calls=self.invoker.active_calls, busy_threads=busy_threads()
        )
        response.server_time.GetCurrentTime()
        if self.shared_memory is not None:
            context.set_trailing_metadata(((FEATURES_TRAILER, "shm"),))
        return response

    async def ExecuteTool(
        self, request: pb2.ExecuteToolRequest, context: grpc.aio.ServicerContext
    ) -> pb2.ExecuteToolResponse:
        started = time.perf_counter()
        if self.token is not None:
            await self._authorize(context)
        metadata = dict(request.metadata)  # the one copy: the SessionContext keeps this dict
        invoker = self.invoker
        ctx = invoker.context(request.session_id, request.tool_name, metadata)
        with invoker.scope(ctx) as span:
            try:
                seconds = timeout_seconds(metadata)
                remaining = context.time_remaining()
                if remaining is not None and (seconds is None or remaining <= seconds):
                    # A gRPC deadline that ends first cancels the call anyway: skip the timer, and give host
                    # calls made by the tool what is really left (timeout_ms counts from the caller's start).
                    seconds = None
                    metadata[TIMEOUT_MS_KEY] = str(max(1, int(remaining * 1000)))
                result = await invoker.unary(ctx, await self._arguments(request, metadata), seconds)
                result_any, binary = encode_result(result)
                response = pb2.ExecuteToolResponse(success=True, result=result_any)
                if binary and not (
                    self.shared_memory is not None
                    and SHM_RESULTS_KEY in metadata
                    and await self.shared_memory.share_result(binary, metadata, response.metadata)
                ):
                    response.binary_result = binary
            except asyncio.CancelledError:
                ctx.cancel()
                log.info("tool %s cancelled (session %r)", request.tool_name, request.session_id)
                raise
            except Exception as exc:
                self._log_failure(request, exc)
                span.fail(exc)
                response = pb2.ExecuteToolResponse(
                    success=False, error_message=error_json(exc, self._error_context(request))
                )
        response.metadata[WORKER_ID_KEY] = self.worker_id
        span.traceparent(response.metadata)
        response.execution_time_ms = int((time.perf_counter() - started) * 1000)
        return response

    async def ExecuteStreamingTool(
        self, request: pb2.ExecuteToolRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb2.ToolChunk]:
        if self.token is not None:
            await self._authorize(context)
        metadata = dict(request.metadata)
        invoker = self.invoker
        ctx = invoker.context(request.session_id, request.tool_name, metadata)
        failure: BaseException | None = None
        code = grpc.StatusCode.INTERNAL
        with invoker.scope(ctx) as span:
            try:
                try:
                    result = await invoker.invoke(ctx, await self._arguments(request, metadata))
                except ToolNotFoundError:
                    code = grpc.StatusCode.NOT_FOUND
                    raise
                except InvalidArgumentsError:
                    code = grpc.StatusCode.INVALID_ARGUMENT
                    raise
                sequence = 0
                final_sent = False
                iterator = invoker.iterate(result, ctx)
                try:
                    async for item in iterator:
                        sequence += 1
                        chunk = self._chunk(item, sequence)
                        yield chunk
                        if chunk.is_final:
                            final_sent = True
                            break
                finally:
                    await iterator.aclose()
                if not final_sent:
                    final = pb2.ToolChunk(chunk_id=str(sequence + 1), is_final=True)
                    final.metadata[WORKER_ID_KEY] = self.worker_id
                    yield final
            except (asyncio.CancelledError, GeneratorExit):
                ctx.cancel()
                log.info("stream %s cancelled (session %r)", request.tool_name, request.session_id)
                raise
            except Exception as exc:
                self._log_failure(request, exc)
                span.fail(exc)
                failure = exc
        if failure is not None:
            details = error_json(failure, self._error_context(request), STATUS_TRACEBACK_CHARS)
            await context.abort(code, details)

    def _chunk(self, item: Any, sequence: int) -> pb2.ToolChunk:
        is_final = False
        extra: Mapping[str, str] | None = None
        if is_stream_chunk_like(item):
            is_final = bool(item.is_final)
            extra = getattr(item, "metadata", None)
            item = item.data
        elif isinstance(item, dict) and item.get("is_final") is True:
            is_final = True
        data, content_type = encode_chunk(item)
        chunk = pb2.ToolChunk(chunk_id=str(sequence), data=data, is_final=is_final)
        chunk.metadata["content_type"] = content_type
        chunk.metadata[WORKER_ID_KEY] = self.worker_id
        if extra:
            chunk.metadata.update({str(k): str(v) for k, v in extra.items()})
        return chunk

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
