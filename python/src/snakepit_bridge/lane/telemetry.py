"""Telemetry over the lane (docs/lane.md, "Telemetry"): TELEMETRY_CONTROL in, TELEMETRY frames out.

Nothing runs until the host asks: it sends TELEMETRY_CONTROL with ``"enabled": true`` only when the
pool has event listeners, and only then does a thread start that sends what tools emit
(``snakepit_bridge.telemetry.emit``). The calls' own frames never carry telemetry.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from ..telemetry import events
from . import frames as f

__all__ = ["LaneTelemetry", "encode_event"]

log = logging.getLogger("snakepit_bridge.lane")

_INT64 = range(-(2**63), 2**63)


def _measurement(value: Any) -> Any:
    """A measurement as the host reads it: an integer, a float, or text (as ``TelemetryValue`` over gRPC)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value if value in _INT64 else float(value)
    if isinstance(value, float):
        return value  # NaN and the infinities as the bare tokens results use (the host reads them as doubles)
    return str(value)


def encode_event(event: Any) -> bytes:
    """One event as the JSON object a TELEMETRY frame lists."""
    document = {
        "name": event.name,
        "measurements": {str(k): _measurement(v) for k, v in event.measurements.items()},
        "metadata": {str(k): str(v) for k, v in event.metadata.items()},
        "correlation_id": event.correlation_id,
        "timestamp_ns": event.timestamp_ns,
    }
    return json.dumps(document, separators=(",", ":")).encode()


class LaneTelemetry:
    """The worker's telemetry on one lane connection."""

    def __init__(self, send: Callable[[int, int, bytes], None], max_payload: int) -> None:
        self._send = send
        self._max_payload = max_payload
        self._buffer = events._BUFFER
        self._wakeup = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def on_control(self, payload: Any) -> None:
        """Apply a TELEMETRY_CONTROL frame; ``FrameError`` if it is not the documented JSON object."""
        try:
            control = json.loads(bytes(payload))
        except (ValueError, UnicodeDecodeError) as exc:
            raise f.FrameError(f"TELEMETRY_CONTROL payload is not JSON: {exc}") from None
        if not isinstance(control, dict):
            raise f.FrameError("TELEMETRY_CONTROL payload is not a JSON object")
        buffer = self._buffer
        if "sampling_rate" in control:
            buffer.sampling_rate = min(1.0, max(0.0, float(control["sampling_rate"])))
            buffer.sampling_patterns = [str(p) for p in control.get("event_patterns") or ()]
        if "allow" in control or "deny" in control:
            buffer.allow = [str(p) for p in control.get("allow") or ()]
            buffer.deny = [str(p) for p in control.get("deny") or ()]
        if "enabled" in control:
            buffer.enabled = bool(control["enabled"])
            if buffer.enabled and self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="snakepit-lane-telemetry", daemon=True)
                self._thread.start()

    def close(self) -> None:
        """Stop sending (the connection closed)."""
        self._stop.set()
        self._wakeup.set()

    def _run(self) -> None:
        try:
            self._buffer.pump(self._deliver, self._wakeup, self._stop)
        except OSError as exc:  # the lane closed under us: the connection reports why
            log.debug("telemetry stopped: %s", exc)

    def _deliver(self, batch: list[Any]) -> None:
        """Send ``batch`` in as few TELEMETRY frames as the frame limit allows."""
        parts: list[bytes] = []
        size = 2
        for event in batch:
            encoded = encode_event(event)
            if len(encoded) + 2 > self._max_payload:
                log.warning(
                    "telemetry event %s of %d bytes is over the lane's frame limit: dropped", event.name, len(encoded)
                )
                continue
            if parts and size + len(encoded) + 1 > self._max_payload:
                self._send(f.TELEMETRY, 0, b"[" + b",".join(parts) + b"]")
                parts, size = [], 2
            parts.append(encoded)
            size += len(encoded) + 1
        if parts:
            self._send(f.TELEMETRY, 0, b"[" + b",".join(parts) + b"]")
