"""Telemetry backends (Snakepit API): where ``telemetry.emit`` sends events."""

from .base import TelemetryBackend

__all__ = ["TelemetryBackend"]
