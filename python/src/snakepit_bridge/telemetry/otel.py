"""Snakepit's OpenTelemetry helpers: ``setup_tracing()``, ``get_tracer()``, ``otel_span()``.

The worker already traces every tool call when a ``TracerProvider`` is installed (``tracing``);
these helpers are for adapters written against Snakepit's API.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import Any

from .correlation import get_correlation_id, new_correlation_id, reset_correlation_id, set_correlation_id

__all__ = ["get_tracer", "otel_span", "setup_tracing"]

_state: dict[str, Any] = {"ready": False, "tracer": None}


def setup_tracing() -> None:
    """Install an OpenTelemetry ``TracerProvider`` (service ``SNAKEPIT_SERVICE_NAME``) when the SDK is
    present and none is installed yet; exports to OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is
    set and the exporter is installed, to the console when ``SNAKEPIT_OTEL_CONSOLE=1``. Idempotent."""
    if _state["ready"]:
        return
    _state["ready"] = True
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
    except ImportError:
        return
    import uuid

    current = trace.get_tracer_provider()
    if isinstance(current, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
        resource = Resource.create(
            {
                "service.name": os.environ.get("SNAKEPIT_SERVICE_NAME", "snakepit.python.bridge"),
                "service.namespace": "snakepit",
                "service.instance.id": os.environ.get("SNAKEPIT_INSTANCE_ID", uuid.uuid4().hex),
            }
        )
        provider = TracerProvider(resource=resource)
        exporter = None
        if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
            with contextlib.suppress(ImportError):
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

                exporter = OTLPSpanExporter()
        elif os.environ.get("SNAKEPIT_OTEL_CONSOLE") == "1":
            exporter = ConsoleSpanExporter()
        if exporter is not None:
            provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
    _state["tracer"] = trace.get_tracer("snakepit.bridge")


def get_tracer() -> Any:
    """The tracer installed by ``setup_tracing()``, or ``None`` before it (or without OpenTelemetry)."""
    return _state["tracer"]


def _metadata_correlation(metadata: Sequence[tuple[str, str]] | None) -> str | None:
    from .correlation import CORRELATION_HEADER

    for key, value in metadata or ():
        if key.lower() in (CORRELATION_HEADER, "correlation_id") and value:
            return value
    return None


@contextlib.contextmanager
def otel_span(
    name: str, *, context_metadata: Sequence[tuple[str, str]] | None = None, attributes: dict[str, Any] | None = None
) -> Iterator[Any]:
    """Run a block under a correlation id (from ``context_metadata``, the current one, or a new one)
    and, after ``setup_tracing()``, in an OpenTelemetry span named ``name``; yields the span or ``None``."""
    correlation_id = _metadata_correlation(context_metadata) or get_correlation_id() or new_correlation_id()
    token = set_correlation_id(correlation_id)
    try:
        tracer = get_tracer()
        if tracer is None:
            yield None
            return
        with tracer.start_as_current_span(name) as span:
            for key, value in (attributes or {}).items():
                span.set_attribute(key, value)
            span.set_attribute("snakepit.correlation_id", correlation_id)
            yield span
    finally:
        reset_correlation_id(token)
