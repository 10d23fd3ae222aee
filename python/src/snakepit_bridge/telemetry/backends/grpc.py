"""``GrpcBackend``: events go to the host over ``StreamTelemetry`` (the default backend)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import TelemetryBackend

if TYPE_CHECKING:
    from ..stream import TelemetryStream

__all__ = ["GrpcBackend"]


class GrpcBackend(TelemetryBackend):
    """Sends events through a ``TelemetryStream`` (the worker's own, unless given another)."""

    def __init__(self, stream: TelemetryStream | None = None) -> None:
        if stream is None:
            from ..stream import default_stream

            stream = default_stream()
        self._stream = stream

    @property
    def stream(self) -> TelemetryStream:
        """The stream events are put on."""
        return self._stream

    def emit(
        self,
        event_name: str,
        measurements: dict[str, Any],
        metadata: dict[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> None:
        self._stream.emit(event_name, measurements, metadata, correlation_id)

    def close(self) -> None:
        self._stream.close()
