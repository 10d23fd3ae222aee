"""OpenTelemetry spans around tool calls and host-tool calls (optional: used when ``opentelemetry`` is installed)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["ActiveSpan", "host_tool_span", "inject_current", "start_internal_span", "start_tool_span"]


class _Otel:
    """The OpenTelemetry API, imported on first use (keeps worker start-up fast)."""

    loaded = False
    available = False
    trace: Any = None
    context: Any = None
    propagator: Any = None
    tracer: Any = None
    provider_from_env = False
    env_checked: bool | None = None

    @classmethod
    def load(cls) -> bool:
        if cls.loaded:
            return cls.available
        cls.loaded = True
        if os.environ.get("SNAKEPIT_TRACING", "").lower() in ("off", "0", "false"):
            return False
        try:
            from opentelemetry import context, trace
            from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
        except ImportError:
            return False
        cls.trace = trace
        cls.context = context
        cls.propagator = TraceContextTextMapPropagator()
        cls.provider_from_env = bool(os.environ.get("OTEL_PYTHON_TRACER_PROVIDER"))
        cls.available = True
        return True

    @classmethod
    def may_be_set_up(cls) -> bool:
        """Whether a tracer provider or a current span can exist at all: only code that imported
        OpenTelemetry (the adapter, an auto-instrumentation) or ``OTEL_PYTHON_TRACER_PROVIDER`` can
        install one. Asked before the first import, so a worker without tracing never pays for
        importing OpenTelemetry (~20 ms, on its first call)."""
        if cls.loaded or "opentelemetry.trace" in sys.modules:
            return True
        if cls.env_checked is None:  # the environment is read once: this runs on every call
            cls.env_checked = bool(os.environ.get("OTEL_PYTHON_TRACER_PROVIDER"))
        return cls.env_checked

    @classmethod
    def get_tracer(cls) -> Any:
        return cls.tracer

    @classmethod
    def recording(cls) -> bool:
        """Whether spans would be recorded: OpenTelemetry is present and a real provider is installed.

        Without one, spans would only repeat the caller's context, which travels on unchanged anyway.
        OpenTelemetry sets the global provider once and for all, so the tracer is looked up once, after
        the adapter installed its provider; until then the check is one attribute read.
        """
        if cls.tracer is not None:
            return True
        if not cls.may_be_set_up() or not cls.load():
            return False
        if getattr(cls.trace, "_TRACER_PROVIDER", _UNKNOWN) is None and not cls.provider_from_env:
            return False  # no provider set yet (the common case without tracing)
        provider = cls.trace.get_tracer_provider()
        if isinstance(provider, (cls.trace.ProxyTracerProvider, cls.trace.NoOpTracerProvider)):
            return False
        cls.tracer = provider.get_tracer("snakepit_bridge")
        return True


_UNKNOWN = object()


class ActiveSpan:
    """A span made current for a block; ``fail`` records an error, ``finish`` ends it (idempotent)."""

    __slots__ = ("_ended", "_token", "span")

    def __init__(self, span: Any, token: Any) -> None:
        self.span = span
        self._token = token
        self._ended = False

    def fail(self, exc: BaseException) -> None:
        if self.span is None or self._ended:
            return
        self.span.record_exception(exc)
        self.span.set_status(_Otel.trace.Status(_Otel.trace.StatusCode.ERROR, f"{type(exc).__name__}: {exc}"[:300]))

    def finish(self) -> None:
        if self.span is None or self._ended:
            return
        self._ended = True
        if self._token is not None:
            with contextlib.suppress(Exception):  # detached in another context: nothing to restore
                _Otel.context.detach(self._token)
            self._token = None
        self.span.end()

    def traceparent(self, target: Any) -> None:
        """Write this span's W3C ``traceparent`` (and ``tracestate``) into ``target``, if it is valid."""
        span = self.span
        if span is None or not span.get_span_context().is_valid:
            return
        _Otel.propagator.inject(target, context=_Otel.trace.set_span_in_context(span))


class _NoSpan(ActiveSpan):
    def __init__(self) -> None:
        super().__init__(None, None)

    def traceparent(self, target: Any) -> None:
        return


_NO_SPAN = _NoSpan()


def _start(name: str, kind_name: str, parent: Any, attributes: Mapping[str, Any]) -> ActiveSpan:
    trace = _Otel.trace
    span = _Otel.get_tracer().start_span(
        name, context=parent, kind=getattr(trace.SpanKind, kind_name), attributes=dict(attributes)
    )
    token = _Otel.context.attach(trace.set_span_in_context(span, parent))
    return ActiveSpan(span, token)


def start_tool_span(ctx: Any) -> ActiveSpan:
    """A SERVER span for a tool call, child of the request's ``traceparent``, made current."""
    if not _Otel.recording():
        return _NO_SPAN
    metadata = getattr(ctx, "metadata", {}) or {}
    parent = _Otel.propagator.extract(metadata) if "traceparent" in metadata else None
    attributes = {"rpc.system": "snakepit", "rpc.method": ctx.tool_name, "snakepit.worker_id": ctx.worker_id}
    if ctx.session_id:
        attributes["snakepit.session_id"] = ctx.session_id
    if ctx.correlation_id:
        attributes["snakepit.correlation_id"] = ctx.correlation_id
    return _start(f"tool {ctx.tool_name}", "SERVER", parent, attributes)


@contextlib.contextmanager
def host_tool_span(name: str, ctx: Any) -> Iterator[ActiveSpan]:
    """A CLIENT span around a host-tool call; ``inject_current`` then sends its context to the host."""
    if not _Otel.recording():
        yield _NO_SPAN
        return
    attributes = {"rpc.system": "snakepit", "rpc.method": name, "snakepit.worker_id": getattr(ctx, "worker_id", "")}
    correlation_id = getattr(ctx, "correlation_id", "")
    if correlation_id:
        attributes["snakepit.correlation_id"] = correlation_id
    active = _start(f"host_tool {name}", "CLIENT", None, attributes)
    try:
        yield active
    except BaseException as exc:
        active.fail(exc)
        raise
    finally:
        active.finish()


def start_internal_span(name: str, metadata: Mapping[str, Any] | None) -> ActiveSpan | None:
    if not _Otel.recording():
        return None
    attributes = {str(k): str(v) for k, v in (metadata or {}).items()}
    return _start(name, "INTERNAL", None, attributes)


def inject_current(metadata: dict[str, str]) -> None:
    """Overwrite ``traceparent``/``tracestate`` in ``metadata`` with the current span's, when there is one."""
    if not _Otel.may_be_set_up() or not _Otel.load():
        return
    current = _Otel.trace.get_current_span()
    if current.get_span_context().is_valid:
        metadata.pop("tracestate", None)
        _Otel.propagator.inject(metadata)
