"""The standalone worker's servicer: the worker's own, plus draining, a concurrency limit and an
incarnation id that remote pools use to tell a restarted worker from the one holding a session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc

from ..wire.servicer import WorkerServicer

__all__ = ["CAPACITY_TRAILER", "EXPECT_INCARNATION_KEY", "INCARNATION_TRAILER", "RemoteServicer"]

# Ping trailers a remote pool reads when it connects and at every health check.
INCARNATION_TRAILER = "x-snakepit-incarnation"
CAPACITY_TRAILER = "x-snakepit-max-concurrency"
# Request metadata: a session call carries the incarnation its session is bound to; another
# incarnation (the worker restarted, its session state is gone) refuses it as a lost worker.
EXPECT_INCARNATION_KEY = "snakepit.incarnation"
WORKER_LOST_PREFIX = "snakepit.worker_lost: "


class RemoteServicer(WorkerServicer):
    """``WorkerServicer`` for remote pools: at most ``max_concurrency`` tool calls at once (the rest wait
    in arrival order), new calls refused with UNAVAILABLE once draining, incarnation checks."""

    def __init__(self, adapter: Any, *, worker_id: str, incarnation: str, max_concurrency: int) -> None:
        super().__init__(adapter, worker_id=worker_id)
        self.incarnation = incarnation
        self.max_concurrency = max_concurrency
        self.draining = False
        self._slots = asyncio.Semaphore(max_concurrency)
        self._trailers = ((INCARNATION_TRAILER, incarnation), (CAPACITY_TRAILER, str(max_concurrency)))

    async def _admit(self, request: Any, context: grpc.aio.ServicerContext) -> None:
        if self.token is not None:
            await self._authorize(context)
        if self.draining:
            await context.abort(
                grpc.StatusCode.UNAVAILABLE,
                f"worker {self.worker_id} is draining (SIGTERM): send the call to another worker",
            )
        expected = request.metadata.get(EXPECT_INCARNATION_KEY)
        if expected and expected != self.incarnation:
            await context.abort(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"{WORKER_LOST_PREFIX}session {request.session_id!r} was bound to worker incarnation {expected}, "
                f"this is {self.incarnation} (the worker restarted and its session state is gone)",
            )

    async def Ping(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        response = await super().Ping(request, context)
        context.set_trailing_metadata(self._trailers)
        return response

    async def ExecuteTool(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        await self._admit(request, context)
        async with self._slots:
            return await super().ExecuteTool(request, context)

    async def ExecuteStreamingTool(self, request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        await self._admit(request, context)
        async with self._slots:
            async for chunk in super().ExecuteStreamingTool(request, context):
                yield chunk
