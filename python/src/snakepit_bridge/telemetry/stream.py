"""``TelemetryStream`` (Snakepit API): a bounded event buffer served to the host by ``StreamTelemetry``."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from . import events

__all__ = ["TelemetryStream", "default_stream"]


class TelemetryStream:
    """Buffers events (dropping and counting them when full) until the host reads them.

    ``enabled``, ``sampling_rate`` and the allow/deny filters are set by the host's
    ``TelemetryControl`` messages.
    """

    def __init__(self, max_buffer: int = 1024, *, _buffer: Any = None) -> None:
        self._buffer = _buffer if _buffer is not None else events._EventBuffer(max_buffer)

    @property
    def enabled(self) -> bool:
        return self._buffer.enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._buffer.enabled = bool(value)

    @property
    def sampling_rate(self) -> float:
        return self._buffer.sampling_rate

    @sampling_rate.setter
    def sampling_rate(self, value: float) -> None:
        self._buffer.sampling_rate = min(1.0, max(0.0, float(value)))

    def emit(
        self,
        event_name: str,
        measurements: dict[str, Any],
        metadata: dict[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> None:
        """Queue one event (never blocks)."""
        if self._buffer.accepts(event_name):
            self._buffer.offer(
                events._Event(event_name, measurements or {}, metadata, correlation_id or "", time.time_ns())
            )

    async def stream(self, control_iter: Any, context: Any = None) -> AsyncIterator[Any]:
        """The ``StreamTelemetry`` handler: yields ``TelemetryEvent`` messages until closed."""
        async for event in self._buffer.serve(control_iter):
            yield event

    def close(self) -> None:
        """End the stream being served."""
        self._buffer.close()

    @property
    def dropped_count(self) -> int:
        """Events dropped because the buffer was full."""
        return self._buffer.dropped


def default_stream() -> TelemetryStream:
    """The worker's own stream (what ``StreamTelemetry`` serves)."""
    return TelemetryStream(_buffer=events._BUFFER)
