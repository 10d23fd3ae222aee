"""``TelemetryBackend``: the interface of a telemetry backend."""

from __future__ import annotations

import abc
from typing import Any

__all__ = ["TelemetryBackend"]


class TelemetryBackend(abc.ABC):
    """Receives every event ``telemetry.emit`` accepts; ``emit`` must be fast and must not raise."""

    @abc.abstractmethod
    def emit(
        self,
        event_name: str,
        measurements: dict[str, Any],
        metadata: dict[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> None:
        """Deliver one event."""

    def close(self) -> None:  # noqa: B027  (optional hook)
        """Release resources (the worker is stopping)."""
