"""Telemetry events: a bounded buffer between ``emit`` (any thread) and the host.

The host reads them over gRPC (``StreamTelemetry``) or over the lane (TELEMETRY frames). Events are
kept as plain values; protobuf is imported only when the gRPC stream converts them.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .._current import CURRENT
from . import tracing
from .correlation import _EXPLICIT as _EXPLICIT_CORRELATION

if TYPE_CHECKING:
    import asyncio
    import random
else:
    from .._lazy import (
        asyncio,  # imported on first use: sync tools never need it
        random,  # only sampling needs it
    )

__all__ = ["DROPPED_EVENT", "dropped_count", "emit", "serve_stream", "shutdown", "span"]

DROPPED_EVENT = "snakepit.telemetry.dropped"
"""Event telling the host how many events the full buffer dropped (measurement ``count``)."""

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


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

    def to_proto(self) -> Any:
        from .. import snakepit_bridge_pb2 as pb2

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
    """Bounded, thread-safe buffer between ``emit`` (any thread) and one consumer (the host's stream).

    The consumer arms a wake-up before it waits; ``offer`` fires it at most once per wait (for the
    gRPC stream through ``call_soon_threadsafe``), so emitting costs a lock and an append.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._lock = threading.Lock()
        self._events: deque[_Event] = deque()
        self._dropped = 0
        self._unreported = 0
        self._wakeup: Callable[[], None] | None = None
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
        if self.deny and any(_fnmatchcase(name, p) for p in self.deny):
            return False
        if self.allow and not any(_fnmatchcase(name, p) for p in self.allow):
            return False
        if self.sampling_rate < 1.0 and (
            not self.sampling_patterns or any(_fnmatchcase(name, p) for p in self.sampling_patterns)
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
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening
                wake()
        return True

    @property
    def dropped(self) -> int:
        return self._dropped

    def pending(self) -> int:
        with self._lock:
            return len(self._events)

    # -- consumer side ------------------------------------------------------------------------

    def _take(self, generation: int) -> tuple[list[_Event], int, bool]:
        """Everything buffered, the unreported drop count, and whether the caller must stop.

        When there is nothing, the wake-up is armed: the consumer clears its flag before calling.
        """
        with self._lock:
            if self._closed or generation != self._generation:
                return [], 0, True
            events = list(self._events)
            self._events.clear()
            dropped, self._unreported = self._unreported, 0
            if not events and not dropped:
                self._armed = True
            return events, dropped, False

    def _subscribe(self, wake: Callable[[], None]) -> int:
        with self._lock:
            previous = self._wakeup
            self._generation += 1
            self._wakeup = wake
            self._armed = False
            self._closed = False
        if previous is not None:  # a newer subscriber replaces an older one
            with contextlib.suppress(RuntimeError):
                previous()
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
                wake()

    def control(self, message: Any) -> None:
        which = message.WhichOneof("control")
        if which == "toggle":
            self.enabled = message.toggle.enabled
        elif which == "sampling":
            self.sampling_rate = min(1.0, max(0.0, message.sampling.sampling_rate))
            self.sampling_patterns = list(message.sampling.event_patterns)
        elif which == "filter":
            self.allow = list(message.filter.allow)
            self.deny = list(message.filter.deny)

    def pump(self, deliver: Callable[[list[_Event]], None], wakeup: threading.Event, stop: threading.Event) -> None:
        """Hand buffered and new events to ``deliver`` on this thread until ``stop`` is set (then set
        ``wakeup`` too) or ``deliver`` raises: the lane's consumer. A newer subscriber ends it."""
        generation = self._subscribe(wakeup.set)
        try:
            while not stop.is_set():
                wakeup.clear()
                events, dropped, ended = self._take(generation)
                if ended:
                    return
                if dropped:
                    events.insert(0, dropped_event(dropped))
                if events:
                    deliver(events)
                else:
                    wakeup.wait()
        finally:
            self._unsubscribe(generation)

    async def serve(self, controls: Any) -> AsyncIterator[Any]:
        """``StreamTelemetry``: yield buffered and new events until the host or the worker stops."""
        loop = asyncio.get_running_loop()
        wakeup = asyncio.Event()
        generation = self._subscribe(lambda: loop.call_soon_threadsafe(wakeup.set))

        async def read_controls() -> None:
            with contextlib.suppress(Exception):
                async for message in controls:
                    self.control(message)

        reader = asyncio.create_task(read_controls())
        try:
            while True:
                wakeup.clear()
                events, dropped, stop = self._take(generation)
                if stop:
                    return
                if dropped:
                    yield dropped_event(dropped).to_proto()
                for event in events:
                    yield event.to_proto()
                if not events and not dropped:
                    await wakeup.wait()
        finally:
            self._unsubscribe(generation)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader


def dropped_event(count: int) -> _Event:
    """The event that tells the host how many events the full buffer dropped since it last read."""
    return _Event(DROPPED_EVENT, {"count": count}, None, "", time.time_ns())


def _buffer_capacity() -> int:
    try:
        return int(os.environ.get("SNAKEPIT_TELEMETRY_BUFFER", "1024"))
    except ValueError:
        return 1024


_BUFFER = _EventBuffer(_buffer_capacity())


DEFAULT_BACKEND: Any = object()
"""Marks the built-in backend: events go to ``_BUFFER`` and on to the host."""

_backend: Any = DEFAULT_BACKEND


def set_custom_backend(backend: Any) -> None:
    """Route events to ``backend`` (``None``: drop them; ``DEFAULT_BACKEND``: the host)."""
    global _backend
    _backend = backend


def custom_backend() -> Any:
    return _backend


def _correlation_id() -> str:
    explicit = _EXPLICIT_CORRELATION.get()
    if explicit is not None:
        return explicit
    call = CURRENT.get()
    return call.correlation_id if call is not None else ""


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
    if correlation_id is None:
        correlation_id = _correlation_id()
    backend = _backend
    if backend is not DEFAULT_BACKEND:
        if backend is None:
            return False
        backend.emit(name, dict(measurements or {}), dict(metadata) if metadata else None, correlation_id)
        return True
    buffer = _BUFFER
    if not buffer.accepts(name):
        return False
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
    otel_span = tracing.start_internal_span(name, metadata)
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


async def serve_stream(controls: Any) -> AsyncIterator[Any]:
    """The worker's ``StreamTelemetry`` implementation (one subscriber at a time; a new one wins)."""
    async for event in _BUFFER.serve(controls):
        yield event


def shutdown() -> None:
    """End the stream being served, so a graceful stop does not wait for it."""
    _BUFFER.close()


def _fnmatchcase(name: str, pattern: str) -> bool:
    # fnmatch (and its regex compilation) only when event filters are configured.
    import fnmatch

    return fnmatch.fnmatchcase(name, pattern)
