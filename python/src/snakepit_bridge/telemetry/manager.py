"""The active telemetry backend (Snakepit API): ``set_backend``, ``get_backend``, ``is_enabled``.

By default events go to the host (``GrpcBackend`` over the worker's own stream); ``set_backend(None)``
turns telemetry off, any other ``TelemetryBackend`` receives every event instead.
"""

from __future__ import annotations

from typing import Any

from . import events

__all__ = ["get_backend", "is_enabled", "set_backend"]


def set_backend(backend: Any) -> None:
    """Send events to ``backend`` (a ``TelemetryBackend``), or drop them all with ``None``."""
    events.set_custom_backend(backend)


def get_backend() -> Any:
    """The active backend (``None`` when telemetry is off)."""
    backend = events.custom_backend()
    if backend is events.DEFAULT_BACKEND:
        from .backends.grpc import GrpcBackend

        return GrpcBackend()
    return backend


def is_enabled() -> bool:
    """Whether events are delivered (a backend is set and, for the default, the host did not turn it off)."""
    backend = events.custom_backend()
    if backend is events.DEFAULT_BACKEND:
        return bool(events._BUFFER.enabled)
    return backend is not None
