"""Snakepit's heartbeat API: ``HeartbeatConfig`` and an asyncio ``HeartbeatClient``.

Our worker already sends heartbeats itself (``SNAKEPIT_HEARTBEAT_CONFIG``, see ``worker.heartbeat``);
these classes serve adapters and scripts written against Snakepit's API. Importing this module
imports neither gRPC nor protobuf.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import logging
import os
import random
import re
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio
else:
    from ._lazy import asyncio  # imported on first use: sync tools never need it

__all__ = ["HeartbeatClient", "HeartbeatConfig"]

log = logging.getLogger("snakepit.bridge.heartbeat")

_TRUE = {"1", "true", "t", "yes", "y", "on"}


@dataclasses.dataclass(frozen=True)
class HeartbeatConfig:
    """Heartbeat settings (defaults as the host's): interval, timeout, misses allowed, delays, dependence."""

    enabled: bool = True
    interval_ms: int = 2_000
    timeout_ms: int = 10_000
    max_missed_heartbeats: int = 3
    initial_delay_ms: int = 0
    jitter_ms: int = 0
    dependent: bool = True

    @classmethod
    def from_mapping(
        cls, options: Mapping[str, Any] | None, *, defaults: HeartbeatConfig | None = None
    ) -> HeartbeatConfig:
        """A config from ``options`` (snake_case or camelCase keys; unknown keys ignored; bad values
        keep the default)."""
        values = dataclasses.asdict(defaults or cls())
        for raw_key, raw_value in (options or {}).items():
            key = re.sub(r"(?<!^)([A-Z])", r"_\1", str(raw_key)).lower()
            if key in values:
                values[key] = _coerce(key, raw_value, values[key])
        return cls(**values)


def _coerce(key: str, value: Any, default: Any) -> Any:
    if key in ("enabled", "dependent"):
        return value.strip().lower() in _TRUE if isinstance(value, str) else bool(value)
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    if key == "max_missed_heartbeats" and number < 0:
        return default
    return number


class HeartbeatClient:
    """Calls ``Heartbeat`` on ``stub`` every ``interval_ms`` from an asyncio task.

    After ``max_missed_heartbeats`` consecutive failures it calls ``on_threshold_exceeded(missed)``;
    a dependent client without one stops the process (SIGTERM).
    """

    def __init__(
        self,
        stub: Any,
        session_id: str,
        config: HeartbeatConfig | None = None,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        on_threshold_exceeded: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self._stub = stub
        self._session_id = session_id
        self._config = config or HeartbeatConfig()
        self._loop = loop
        self._on_threshold = on_threshold_exceeded or (self._terminate if self._config.dependent else None)
        self._task: asyncio.Task | None = None
        self._running = False
        self._missed = 0
        self._last_ping: float | None = None
        self._last_success: float | None = None

    @property
    def config(self) -> HeartbeatConfig:
        return self._config

    def start(self) -> bool:
        """Schedule the heartbeat loop on the event loop; False when disabled, running, or no loop."""
        if not self._config.enabled or self._running:
            return False
        loop = self._loop
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                log.warning("HeartbeatClient.start() needs a running event loop (or loop=)")
                return False
        self._running = True
        self._task = loop.create_task(self._run(), name="snakepit-heartbeat")
        return True

    async def stop(self) -> None:
        """Stop the loop (cancelling a heartbeat in flight)."""
        self._running = False
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def status(self) -> Mapping[str, Any]:
        """A snapshot: enabled, missed_heartbeats, last ping/success times (monotonic), running, dependent."""
        return {
            "enabled": self._config.enabled,
            "missed_heartbeats": self._missed,
            "last_ping_monotonic": self._last_ping,
            "last_success_monotonic": self._last_success,
            "running": self._running,
            "dependent": self._config.dependent,
        }

    async def ping_once(self) -> Any:
        """Send one heartbeat now; the response, or ``None`` when disabled or failed."""
        if not self._config.enabled:
            return None
        return await self._beat()

    async def _run(self) -> None:
        try:
            if self._config.initial_delay_ms > 0:
                await asyncio.sleep(self._config.initial_delay_ms / 1000)
            while self._running:
                await self._beat()
                await asyncio.sleep(
                    (self._config.interval_ms + random.uniform(0, max(0, self._config.jitter_ms))) / 1000
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("heartbeat loop stopped by an error")
        finally:
            self._running = False

    async def _beat(self) -> Any:
        from . import snakepit_bridge_pb2 as pb2
        from .telemetry import otel_span, outgoing_metadata

        self._last_ping = time.monotonic()
        request = pb2.HeartbeatRequest(session_id=self._session_id)
        request.client_time.GetCurrentTime()
        try:
            with otel_span("HeartbeatClient/SendPing", attributes={"snakepit.session_id": self._session_id}):
                call = self._stub.Heartbeat(
                    request, timeout=max(self._config.timeout_ms, 0) / 1000, metadata=outgoing_metadata()
                )
            response = await call if inspect.isawaitable(call) else call
            self._missed = 0
            self._last_success = time.monotonic()
            return response
        except Exception as exc:  # grpc.RpcError and friends: one missed heartbeat
            log.warning("heartbeat for session %s failed: %s", self._session_id, exc)
        self._missed += 1
        if self._missed >= self._config.max_missed_heartbeats and self._on_threshold is not None:
            try:
                await self._on_threshold(self._missed)
            except Exception:
                log.exception("heartbeat threshold handler raised")
        return None

    async def _terminate(self, missed: int) -> None:
        log.error("host missed %d heartbeats for session %s: stopping the worker", missed, self._session_id)
        loop = asyncio.get_running_loop()
        loop.call_soon(os.kill, os.getpid(), signal.SIGTERM)
        loop.call_later(5.0, os._exit, 70)
