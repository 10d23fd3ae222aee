"""``StderrBackend``: each event as one ``TELEMETRY:{json}`` line on stderr."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from typing import Any

from .base import TelemetryBackend

__all__ = ["StderrBackend"]


class StderrBackend(TelemetryBackend):
    """Writes ``TELEMETRY:`` + a JSON object (event, measurements, metadata, timestamp_ns, correlation_id)."""

    def emit(
        self,
        event_name: str,
        measurements: dict[str, Any],
        metadata: dict[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> None:
        line = {
            "event": event_name,
            "measurements": measurements,
            "metadata": metadata or {},
            "timestamp_ns": time.time_ns(),
            "correlation_id": correlation_id or "",
        }
        try:
            sys.stderr.write("TELEMETRY:" + json.dumps(line, default=str) + "\n")
            sys.stderr.flush()
        except Exception as exc:  # never break the tool
            with contextlib.suppress(Exception):
                sys.stderr.write(f"TELEMETRY_ERROR: {exc}\n")
