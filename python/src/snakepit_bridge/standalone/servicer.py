"""The standalone worker's servicer: the worker's own, plus draining, a concurrency limit and an
incarnation id that remote pools use to tell a restarted worker from the one holding a session."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from typing import Any

import grpc

from .. import snakepit_bridge_pb2 as pb2
from ..runtime.invoker import Invoker
from ..session_context import SessionContext
from ..wire.server import tool_registrations
from ..wire.servicer import WorkerServicer
from .host_channel import HOST_ID_HEADER, HostChannels

__all__ = ["CAPACITY_TRAILER", "EXPECT_INCARNATION_KEY", "INCARNATION_TRAILER", "RemoteServicer"]

# Ping trailers a remote pool reads when it connects and at every health check.
INCARNATION_TRAILER = "x-snakepit-incarnation"
CAPACITY_TRAILER = "x-snakepit-max-concurrency"
# Request metadata: a session call carries the incarnation its session is bound to; another
# incarnation (the worker restarted, its session state is gone) refuses it as a lost worker.
EXPECT_INCARNATION_KEY = "snakepit.incarnation"
WORKER_LOST_PREFIX = "snakepit.worker_lost: "

# The host (x-snakepit-host) of the RPC running in this task; each grpc.aio RPC runs in a task of its
# own, so the value never leaks from one call to another.
_CALL_HOST: contextvars.ContextVar[str | None] = contextvars.ContextVar("snakepit_call_host", default=None)


class _ChannelInvoker(Invoker):
    """Gives each call the channel of the host that made it as its ``SessionContext.host``."""

    def __init__(self, adapter: Any, *, worker_id: str, channels: HostChannels) -> None:
        super().__init__(adapter, worker_id=worker_id)
        self.channels = channels

    def context(self, session_id: str, tool_name: str, metadata: dict[str, str]) -> SessionContext:
        host = self.channels.host_for(_CALL_HOST.get())
        return SessionContext.for_call(session_id, self.worker_id, metadata, tool_name, host)


class RemoteServicer(WorkerServicer):
    """``WorkerServicer`` for remote pools: at most ``max_concurrency`` tool calls at once (the rest wait
    in arrival order), new calls refused with UNAVAILABLE once draining, incarnation checks."""

    def __init__(self, adapter: Any, *, worker_id: str, incarnation: str, max_concurrency: int) -> None:
        super().__init__(adapter, worker_id=worker_id)
        self.incarnation = incarnation
        self.max_concurrency = max_concurrency
        self.draining = False
        self._slots = asyncio.Semaphore(max_concurrency)
        # Tool calls admitted and not finished; the drain waits for zero before closing host channels.
        self._calls = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.host_channels = HostChannels()
        self.invoker = _ChannelInvoker(adapter, worker_id=worker_id, channels=self.host_channels)
        self._trailers = ((INCARNATION_TRAILER, incarnation), (CAPACITY_TRAILER, str(max_concurrency)))

    async def _refuse_when_draining(self, context: grpc.aio.ServicerContext) -> None:
        if self.draining:
            await context.abort(
                grpc.StatusCode.UNAVAILABLE,
                f"worker {self.worker_id} is draining (SIGTERM): send the call to another worker",
            )

    async def _admit(self, request: Any, context: grpc.aio.ServicerContext) -> None:
        if self.token is not None:
            await self._authorize(context)
        await self._refuse_when_draining(context)
        expected = request.metadata.get(EXPECT_INCARNATION_KEY)
        if expected and expected != self.incarnation:
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"{WORKER_LOST_PREFIX}session {request.session_id!r} was bound to worker incarnation {expected}, "
                f"this is {self.incarnation} (the worker restarted and its session state is gone)",
            )
        _CALL_HOST.set(_header(context, HOST_ID_HEADER))

    async def Ping(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        response = await super().Ping(request, context)
        context.set_trailing_metadata(self._trailers)
        return response

    def _started(self) -> None:
        self._calls += 1
        self._idle.clear()

    def _finished(self) -> None:
        self._calls -= 1
        if self._calls == 0:
            self._idle.set()

    async def until_idle(self, timeout_s: float) -> bool:
        """Wait (at most ``timeout_s``) until no tool call runs; False when some still do."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout_s)
            return True
        except asyncio.TimeoutError:
            return False

    async def ExecuteTool(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        await self._admit(request, context)
        self._started()
        try:
            async with self._slots:
                return await super().ExecuteTool(request, context)
        finally:
            self._finished()

    async def ExecuteStreamingTool(self, request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        await self._admit(request, context)
        self._started()
        try:
            async with self._slots:
                async for chunk in super().ExecuteStreamingTool(request, context):
                    yield chunk
        finally:
            self._finished()

    async def OpenHostChannel(
        self, request_iterator: AsyncIterator[Any], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[Any]:
        if self.token is not None:
            await self._authorize(context)
        await self._refuse_when_draining(context)  # a draining worker's channels close once its calls end
        registration = pb2.RegisterToolsRequest(worker_id=self.worker_id, tools=tool_registrations(self.adapter))
        try:
            async for down in self.host_channels.serve(request_iterator, registration):
                yield down
        except ValueError as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))


def _header(context: grpc.aio.ServicerContext, key: str) -> str | None:
    for name, value in context.invocation_metadata() or ():
        if name == key:
            return value if isinstance(value, str) else value.decode()
    return None
