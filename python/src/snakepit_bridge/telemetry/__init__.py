"""Telemetry from inside a worker: events for the host, OpenTelemetry spans, structured log lines.

Events reach the Java host over ``StreamTelemetry`` and are delivered to its
``PoolEventListener.telemetry()`` (and to Micrometer through ``snakepit-micrometer``)::

    from snakepit_bridge import telemetry

    @tool
    def predict(self, rows: list) -> list:
        telemetry.emit("model.predict", {"rows": len(rows)}, {"model": "v3"})
        with telemetry.span("model.inference", {"model": "v3"}):
            return self.model.predict(rows)

``emit`` never blocks and never raises for a full buffer: events wait in a bounded buffer
(``SNAKEPIT_TELEMETRY_BUFFER``, default 1024) until the host reads them; when it is full, new
events are dropped and counted (``dropped_count()``), and the host receives one
``snakepit.telemetry.dropped`` event with the count once it reads again.

Tracing: when ``opentelemetry`` is installed (the ``otel`` extra), each tool call runs in a SERVER
span whose parent is the caller's W3C ``traceparent`` (request metadata), and each host-tool call in
a CLIENT span whose context travels in the ``ExecuteElixirToolRequest`` metadata, so one trace shows
Java -> Python -> Java. Configure a ``TracerProvider`` (for example an OTLP exporter) in your
adapter to export the Python spans; without one, the trace context passes through unchanged.
``SNAKEPIT_TRACING=off`` turns the spans off.

Logging: ``CallContextFilter`` adds the worker id, the tool and the call's correlation id to every
record; ``JsonLogFormatter`` writes each record as one line ``@snakepit:log {json}``, which the Java
host parses (the worker uses it when the host sets ``SNAKEPIT_LOG_FORMAT=json``).
"""

from __future__ import annotations

from .correlation import (
    CORRELATION_HEADER,
    correlation_filter,
    get_correlation_id,
    new_correlation_id,
    outgoing_metadata,
    reset_correlation_id,
    set_correlation_id,
)
from .events import DROPPED_EVENT, dropped_count, emit, serve_stream, shutdown, span
from .logs import LOG_MARKER, PLAIN_FORMAT, CallContextFilter, JsonLogFormatter, log_formatter
from .manager import get_backend, is_enabled, set_backend
from .otel import get_tracer, otel_span, setup_tracing
from .tracing import ActiveSpan, host_tool_span, inject_current, start_tool_span

__all__ = [
    "CORRELATION_HEADER",
    "DROPPED_EVENT",
    "LOG_MARKER",
    "PLAIN_FORMAT",
    "ActiveSpan",
    "CallContextFilter",
    "JsonLogFormatter",
    "correlation_filter",
    "dropped_count",
    "emit",
    "get_backend",
    "get_correlation_id",
    "get_tracer",
    "host_tool_span",
    "inject_current",
    "is_enabled",
    "log_formatter",
    "new_correlation_id",
    "otel_span",
    "outgoing_metadata",
    "reset_correlation_id",
    "serve_stream",
    "set_backend",
    "set_correlation_id",
    "setup_tracing",
    "shutdown",
    "span",
    "start_tool_span",
]
