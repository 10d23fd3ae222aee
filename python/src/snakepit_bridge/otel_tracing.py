"""Snakepit's ``otel_tracing`` import path: OpenTelemetry set-up and correlation ids (see ``telemetry``)."""

from .telemetry.correlation import (
    CORRELATION_HEADER,
    correlation_filter,
    get_correlation_id,
    new_correlation_id,
    outgoing_metadata,
    reset_correlation_id,
    set_correlation_id,
)
from .telemetry.otel import get_tracer, setup_tracing
from .telemetry.otel import otel_span as span

__all__ = [
    "CORRELATION_HEADER",
    "correlation_filter",
    "get_correlation_id",
    "get_tracer",
    "new_correlation_id",
    "outgoing_metadata",
    "reset_correlation_id",
    "set_correlation_id",
    "setup_tracing",
    "span",
]
