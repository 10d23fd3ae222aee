"""The worker's heartbeat to the host (``SNAKEPIT_HEARTBEAT_CONFIG``): a dependent worker stops when
the host stops answering. Works with any host client that has ``heartbeat(session_id, timeout)``."""

from __future__ import annotations

import json
import logging
import os
import random
import threading
from collections.abc import Mapping
from typing import Any

from .lifecycle import request_stop

__all__ = ["HeartbeatTask", "heartbeat_config"]

log = logging.getLogger("snakepit_bridge.server")


def _error_text(exc: BaseException) -> str:
    code = exc.code() if callable(getattr(exc, "code", None)) else None
    details = exc.details() if callable(getattr(exc, "details", None)) else str(exc)
    return f"{getattr(code, 'name', None) or type(exc).__name__}: {details}"


class HeartbeatTask(threading.Thread):
    """Daemon thread calling ``Heartbeat`` every ``interval_ms``; a dependent worker stops after
    ``max_missed_heartbeats`` consecutive failures."""

    def __init__(self, host: Any, config: Mapping[str, Any], session_id: str = "") -> None:
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
            except Exception as exc:  # grpc.RpcError and friends: a missed beat
                self.missed += 1
                log.warning("heartbeat %d/%d failed: %s", self.missed, self.max_missed, _error_text(exc))
                if self.dependent and self.missed >= self.max_missed:
                    request_stop(f"host missed {self.missed} heartbeats")
                    return
            if self.stopped.wait(self.interval_s + random.uniform(0, self.jitter_s)):
                return


def heartbeat_config() -> dict[str, Any] | None:
    """``SNAKEPIT_HEARTBEAT_CONFIG`` as a dict, or ``None`` when absent, invalid or disabled."""
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
