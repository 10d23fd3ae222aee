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

import asyncio
import contextlib
import fnmatch
import json
import logging
import os
import random
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from . import snakepit_bridge_pb2 as pb2

__all__ = [
    "DROPPED_EVENT",
    "LOG_MARKER",
    "CallContextFilter",
    "JsonLogFormatter",
    "dropped_count",
    "emit",
    "log_formatter",
    "span",
]

LOG_MARKER = "@snakepit:log "
"""Prefix of a structured log line on stderr; the rest of the line is one JSON object."""

DROPPED_EVENT = "snakepit.telemetry.dropped"
"""Event telling the host how many events the full buffer dropped (measurement ``count``)."""

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------


class _Event:
    """An emitted event, kept as plain values until the stream converts it (emit stays cheap)."""

    __slots__ = ("correlation_id", "measurements", "metadata", "name", "timestamp_ns")

    def __init__(
        self,
        name: str,
        measurements: Mapping[str, Any],
        metadata: Mapping[str, Any] | None,
        correlation_id: str,
        timestamp_ns: int,
    ) -> None:
        self.name = name
        self.measurements = dict(measurements)
        self.metadata = dict(metadata) if metadata else {}
        self.correlation_id = correlation_id
        self.timestamp_ns = timestamp_ns

    def to_proto(self) -> pb2.TelemetryEvent:
        event = pb2.TelemetryEvent(
            event_parts=self.name.split("."), timestamp_ns=self.timestamp_ns, correlation_id=self.correlation_id
        )
        for key, value in self.measurements.items():
            target = event.measurements[str(key)]
            if isinstance(value, bool):
                target.int_value = int(value)
            elif isinstance(value, int):
                if _INT64_MIN <= value <= _INT64_MAX:
                    target.int_value = value
                else:
                    target.float_value = float(value)
            elif isinstance(value, float):
                target.float_value = value
            else:
                target.string_value = str(value)
        for key, value in self.metadata.items():
            event.metadata[str(key)] = str(value)
        return event


class _EventBuffer:
    """Bounded, thread-safe buffer between ``emit`` (any thread) and the host's stream (the loop).

    The stream's consumer arms a wake-up before it waits; ``offer`` fires it at most once per wait,
    through ``call_soon_threadsafe``, so emitting costs a lock and an append.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._lock = threading.Lock()
        self._events: deque[_Event] = deque()
        self._dropped = 0
        self._unreported = 0
        self._wakeup: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None
        self._armed = False
        self._generation = 0
        self._closed = False
        # Control from the host (TelemetryControl); read without the lock: plain attribute swaps.
        self.enabled = True
        self.sampling_rate = 1.0
        self.sampling_patterns: list[str] = []
        self.allow: list[str] = []
        self.deny: list[str] = []

    # -- producer side -----------------------------------------------------------------------

    def accepts(self, name: str) -> bool:
        if not self.enabled:
            return False
        if self.deny and any(fnmatch.fnmatchcase(name, p) for p in self.deny):
            return False
        if self.allow and not any(fnmatch.fnmatchcase(name, p) for p in self.allow):
            return False
        if self.sampling_rate < 1.0 and (
            not self.sampling_patterns or any(fnmatch.fnmatchcase(name, p) for p in self.sampling_patterns)
        ):
            return random.random() < self.sampling_rate
        return True

    def offer(self, event: _Event) -> bool:
        wake = None
        with self._lock:
            if len(self._events) >= self.capacity:
                self._dropped += 1
                self._unreported += 1
                return False
            self._events.append(event)
            if self._armed and self._wakeup is not None:
                self._armed = False
                wake = self._wakeup
        if wake is not None:
            loop, flag = wake
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening
                loop.call_soon_threadsafe(flag.set)
        return True

    @property
    def dropped(self) -> int:
        return self._dropped

    def pending(self) -> int:
        with self._lock:
            return len(self._events)

    # -- consumer side (on the event loop) ---------------------------------------------------

    def _take(self, generation: int, wakeup: asyncio.Event) -> tuple[list[_Event], int, bool]:
        """Everything buffered, the unreported drop count, and whether the caller must stop."""
        with self._lock:
            if self._closed or generation != self._generation:
                return [], 0, True
            events = list(self._events)
            self._events.clear()
            dropped, self._unreported = self._unreported, 0
            if not events and not dropped:
                wakeup.clear()
                self._armed = True
            return events, dropped, False

    def _subscribe(self, loop: asyncio.AbstractEventLoop, wakeup: asyncio.Event) -> int:
        with self._lock:
            previous = self._wakeup
            self._generation += 1
            self._wakeup = (loop, wakeup)
            self._armed = False
            self._closed = False
        if previous is not None:  # a newer subscriber replaces an older one
            with contextlib.suppress(RuntimeError):
                previous[0].call_soon_threadsafe(previous[1].set)
        return self._generation

    def _unsubscribe(self, generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self._wakeup = None
                self._armed = False

    def close(self) -> None:
        """End the stream being served (worker shutdown); events emitted later stay buffered."""
        with self._lock:
            self._closed = True
            wake = self._wakeup
        if wake is not None:
            with contextlib.suppress(RuntimeError):
                wake[0].call_soon_threadsafe(wake[1].set)

    def control(self, message: pb2.TelemetryControl) -> None:
        which = message.WhichOneof("control")
        if which == "toggle":
            self.enabled = message.toggle.enabled
        elif which == "sampling":
            self.sampling_rate = min(1.0, max(0.0, message.sampling.sampling_rate))
            self.sampling_patterns = list(message.sampling.event_patterns)
        elif which == "filter":
            self.allow = list(message.filter.allow)
            self.deny = list(message.filter.deny)

    async def serve(self, controls: Any) -> AsyncIterator[pb2.TelemetryEvent]:
        """``StreamTelemetry``: yield buffered and new events until the host or the worker stops."""
        loop = asyncio.get_running_loop()
        wakeup = asyncio.Event()
        generation = self._subscribe(loop, wakeup)

        async def read_controls() -> None:
            with contextlib.suppress(Exception):
                async for message in controls:
                    self.control(message)

        reader = asyncio.create_task(read_controls())
        try:
            while True:
                events, dropped, stop = self._take(generation, wakeup)
                if stop:
                    return
                if dropped:
                    yield _Event(DROPPED_EVENT, {"count": dropped}, None, "", time.time_ns()).to_proto()
                for event in events:
                    yield event.to_proto()
                if not events and not dropped:
                    await wakeup.wait()
        finally:
            self._unsubscribe(generation)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader


def _buffer_capacity() -> int:
    try:
        return int(os.environ.get("SNAKEPIT_TELEMETRY_BUFFER", "1024"))
    except ValueError:
        return 1024


_BUFFER = _EventBuffer(_buffer_capacity())


def _current_call() -> Any:
    from .session_context import current_context  # late: session_context imports this module

    return current_context()


def emit(
    name: str,
    measurements: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    correlation_id: str | None = None,
) -> bool:
    """Emit a telemetry event to the host; return whether it was buffered (False: filtered or dropped).

    Args:
        name: dotted event name, e.g. ``"model.predict"`` (any name is accepted).
        measurements: numbers (ints, floats; bools count as ints); other values travel as text.
        metadata: context for the event; values travel as text.
        correlation_id: defaults to the current call's ``correlation_id``.

    Never blocks: when the buffer is full the event is dropped and counted.
    """
    if not isinstance(name, str):
        raise TypeError(f"telemetry event name must be a str, got {type(name).__name__}")
    if not name:
        raise ValueError("telemetry event name must not be empty")
    buffer = _BUFFER
    if not buffer.accepts(name):
        return False
    if correlation_id is None:
        call = _current_call()
        correlation_id = call.correlation_id if call is not None else ""
    return buffer.offer(_Event(name, measurements or {}, metadata, correlation_id, time.time_ns()))


@contextlib.contextmanager
def span(name: str, metadata: Mapping[str, Any] | None = None, correlation_id: str | None = None) -> Iterator[None]:
    """Time a block: emits ``<name>.start`` (``system_time``), then ``<name>.stop`` or
    ``<name>.exception`` (``duration`` in nanoseconds; ``error_type``/``error_message`` metadata).

    With OpenTelemetry present, the block also runs in an INTERNAL span called ``name``.
    """
    start = time.time_ns()
    began = time.perf_counter_ns()
    emit(f"{name}.start", {"system_time": start}, metadata, correlation_id)
    otel_span = _start_internal_span(name, metadata)
    try:
        yield
    except BaseException as exc:
        details = dict(metadata or {})
        details["error_type"] = type(exc).__name__
        details["error_message"] = str(exc)[:500]
        emit(f"{name}.exception", {"duration": time.perf_counter_ns() - began}, details, correlation_id)
        if otel_span is not None:
            otel_span.fail(exc)
        raise
    else:
        emit(f"{name}.stop", {"duration": time.perf_counter_ns() - began}, metadata, correlation_id)
    finally:
        if otel_span is not None:
            otel_span.finish()


def dropped_count() -> int:
    """Events dropped so far because the buffer was full."""
    return _BUFFER.dropped


async def serve_stream(controls: Any) -> AsyncIterator[pb2.TelemetryEvent]:
    """The worker's ``StreamTelemetry`` implementation (one subscriber at a time; a new one wins)."""
    async for event in _BUFFER.serve(controls):
        yield event


def shutdown() -> None:
    """End the stream being served, so a graceful stop does not wait for it."""
    _BUFFER.close()


# ---------------------------------------------------------------------------------------------
# OpenTelemetry (optional)
# ---------------------------------------------------------------------------------------------


class _Otel:
    """The OpenTelemetry API, imported on first use (keeps worker start-up fast)."""

    loaded = False
    available = False
    trace: Any = None
    context: Any = None
    propagator: Any = None
    tracer: Any = None

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
        cls.available = True
        return True

    @classmethod
    def get_tracer(cls) -> Any:
        # Not cached: the adapter may install its TracerProvider after the first call.
        return cls.trace.get_tracer("snakepit_bridge")

    @classmethod
    def recording(cls) -> bool:
        """Whether spans would be recorded: OpenTelemetry is present and a real provider is installed.

        Without one, spans would only repeat the caller's context, which travels on unchanged anyway.
        """
        if not cls.load():
            return False
        provider = cls.trace.get_tracer_provider()
        return not isinstance(provider, (cls.trace.ProxyTracerProvider, cls.trace.NoOpTracerProvider))


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


def _start_internal_span(name: str, metadata: Mapping[str, Any] | None) -> ActiveSpan | None:
    if not _Otel.recording():
        return None
    attributes = {str(k): str(v) for k, v in (metadata or {}).items()}
    return _start(name, "INTERNAL", None, attributes)


def inject_current(metadata: dict[str, str]) -> None:
    """Overwrite ``traceparent``/``tracestate`` in ``metadata`` with the current span's, when there is one."""
    if not _Otel.load():
        return
    current = _Otel.trace.get_current_span()
    if current.get_span_context().is_valid:
        metadata.pop("tracestate", None)
        _Otel.propagator.inject(metadata)


# ---------------------------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------------------------


class CallContextFilter(logging.Filter):
    """Adds ``correlation_id``, ``tool`` and ``call_tag`` (`` cid=<id>`` or "") from the current call."""

    def filter(self, record: logging.LogRecord) -> bool:
        call = _current_call()
        correlation_id = call.correlation_id if call is not None else ""
        record.correlation_id = correlation_id
        record.tool = call.tool_name if call is not None else ""
        record.call_tag = f" cid={correlation_id}" if correlation_id else ""
        return True


class JsonLogFormatter(logging.Formatter):
    """One line per record: ``@snakepit:log`` then a JSON object (level, logger, message, ...)."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": record.created,
            "level": record.levelname,
            "levelno": record.levelno,
            "logger": record.name,
            "message": record.getMessage(),
            "thread": record.threadName,
        }
        for key in ("worker_id", "correlation_id", "tool"):
            value = getattr(record, key, "")
            if value:
                document[key] = value
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            document["exception"] = record.exc_text
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return LOG_MARKER + json.dumps(document, ensure_ascii=False, default=str)


PLAIN_FORMAT = "%(asctime)s %(levelname)s [%(worker_id)s%(call_tag)s] %(name)s: %(message)s"


def log_formatter(kind: str) -> logging.Formatter:
    """``JsonLogFormatter`` for ``kind == "json"`` (set by the Java host), else the plain text format."""
    if kind.lower() == "json":
        return JsonLogFormatter()
    return logging.Formatter(PLAIN_FORMAT)
