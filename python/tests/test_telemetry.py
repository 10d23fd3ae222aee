"""snakepit_bridge.telemetry: events over StreamTelemetry, OpenTelemetry spans, structured log lines."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from conftest import FakeHost, Worker
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from snakepit_bridge import BaseAdapter, SessionContext, current_context, telemetry, tool
from snakepit_bridge import snakepit_bridge_pb2 as pb2
from snakepit_bridge.host import HostClient
from snakepit_bridge.session_context import _CURRENT

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"


class TelemetryAdapter(BaseAdapter):
    @tool
    def measure(self, rows: int) -> str:
        telemetry.emit("model.predict", {"rows": rows, "latency_ms": 1.5, "ok": True, "label": "x"}, {"model": 3})
        return current_context().correlation_id

    @tool
    def timed(self, fail: bool = False) -> str:
        with telemetry.span("model.load", {"model": "v3"}):
            if fail:
                raise ValueError("no weights")
        return "loaded"

    @tool
    def callback(self, x: int) -> Any:
        return current_context().call_host_tool("multiply", a=x, b=2)

    @tool
    def chatty(self) -> str:
        logging.getLogger("my.model").warning("weights are stale")
        return "ok"


@pytest.fixture
def fresh_buffer(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    buffer = telemetry.events._EventBuffer(8)
    monkeypatch.setattr(telemetry.events, "_BUFFER", buffer)
    yield buffer


@pytest.fixture
def worker(make_worker, fresh_buffer) -> Worker:
    return make_worker(TelemetryAdapter())


class Subscription:
    """A StreamTelemetry call whose control stream stays open until closed."""

    def __init__(self, worker: Worker, *controls: pb2.TelemetryControl) -> None:
        self._done = threading.Event()
        initial = list(controls)

        def control_messages() -> Iterator[pb2.TelemetryControl]:
            yield from initial
            self._done.wait(10)

        self.call = worker.stub.StreamTelemetry(control_messages(), metadata=worker.metadata, timeout=10)

    def next(self) -> pb2.TelemetryEvent:
        return next(self.call)

    def close(self) -> None:
        self._done.set()
        self.call.cancel()


@pytest.fixture
def subscribe() -> Iterator[Any]:
    subscriptions: list[Subscription] = []

    def factory(worker: Worker, *controls: pb2.TelemetryControl) -> Subscription:
        subscription = Subscription(worker, *controls)
        subscriptions.append(subscription)
        return subscription

    yield factory
    for subscription in subscriptions:
        subscription.close()


def measurement(event: pb2.TelemetryEvent, key: str) -> Any:
    value = event.measurements[key]
    return getattr(value, value.WhichOneof("value"))


# -- events ----------------------------------------------------------------------------------


def test_an_event_emitted_by_a_tool_reaches_the_subscriber_with_the_calls_correlation_id(worker, subscribe) -> None:
    correlation_id = worker.call("measure", rows=120, metadata={"correlation_id": "cid-42"})
    assert correlation_id == "cid-42"
    event = subscribe(worker).next()
    assert list(event.event_parts) == ["model", "predict"]
    assert measurement(event, "rows") == 120
    assert event.measurements["rows"].WhichOneof("value") == "int_value"
    assert measurement(event, "latency_ms") == 1.5
    assert measurement(event, "ok") == 1
    assert measurement(event, "label") == "x"
    assert dict(event.metadata) == {"model": "3"}
    assert event.correlation_id == "cid-42"
    assert abs(event.timestamp_ns - time.time_ns()) < 60 * 10**9


def test_events_emitted_while_subscribed_arrive_in_order(worker, subscribe) -> None:
    subscription = subscribe(worker)
    for i in range(3):
        telemetry.emit("step", {"i": i})
    assert [measurement(subscription.next(), "i") for _ in range(3)] == [0, 1, 2]


def test_a_full_buffer_drops_new_events_counts_them_and_tells_the_host(worker, fresh_buffer, subscribe) -> None:
    results = [telemetry.emit("burst", {"i": i}) for i in range(20)]
    assert results == [True] * 8 + [False] * 12
    assert telemetry.dropped_count() == 12
    subscription = subscribe(worker)
    first = subscription.next()
    assert ".".join(first.event_parts) == telemetry.DROPPED_EVENT
    assert measurement(first, "count") == 12
    assert [measurement(subscription.next(), "i") for _ in range(8)] == list(range(8))


def test_emit_never_blocks_even_when_nobody_reads(fresh_buffer) -> None:
    started = time.perf_counter()
    threads = [threading.Thread(target=lambda: [telemetry.emit("x", {"n": 1}) for _ in range(2000)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert time.perf_counter() - started < 5
    assert fresh_buffer.pending() == 8
    assert telemetry.dropped_count() == 4 * 2000 - 8


def test_the_host_can_switch_events_off_and_filter_them(worker, subscribe) -> None:
    subscribe(worker, pb2.TelemetryControl(toggle=pb2.TelemetryToggle(enabled=False)))
    wait_for(lambda: not telemetry.events._BUFFER.enabled)
    assert telemetry.emit("ignored", {}) is False

    subscription = subscribe(
        worker,
        pb2.TelemetryControl(toggle=pb2.TelemetryToggle(enabled=True)),
        pb2.TelemetryControl(filter=pb2.TelemetryEventFilter(deny=["noisy.*"])),
    )
    wait_for(lambda: telemetry.events._BUFFER.enabled and telemetry.events._BUFFER.deny == ["noisy.*"])
    assert telemetry.emit("noisy.tick", {}) is False
    assert telemetry.emit("useful.tick", {}) is True
    assert ".".join(subscription.next().event_parts) == "useful.tick"


def test_span_emits_start_and_stop_or_exception_with_a_duration(worker, subscribe) -> None:
    assert worker.call("timed") == "loaded"
    assert worker.error("timed", fail=True)["type"] == "ValueError"
    subscription = subscribe(worker)
    events = [subscription.next() for _ in range(4)]
    names = [".".join(e.event_parts) for e in events]
    assert names == ["model.load.start", "model.load.stop", "model.load.start", "model.load.exception"]
    assert measurement(events[0], "system_time") > 0
    assert measurement(events[1], "duration") > 0
    assert events[3].metadata["error_type"] == "ValueError"
    assert events[3].metadata["error_message"] == "no weights"
    assert events[3].metadata["model"] == "v3"


def test_a_newer_subscriber_replaces_the_older_one(worker, subscribe) -> None:
    old = subscribe(worker)
    telemetry.emit("first", {})
    assert ".".join(old.next().event_parts) == "first"
    new = subscribe(worker)
    with pytest.raises(StopIteration):
        old.next()
    telemetry.emit("second", {})
    assert ".".join(new.next().event_parts) == "second"


def test_shutdown_ends_the_stream_so_a_graceful_stop_does_not_wait(worker, subscribe) -> None:
    subscription = subscribe(worker)
    wait_for(lambda: telemetry.events._BUFFER._wakeup is not None)
    telemetry.shutdown()
    with pytest.raises(StopIteration):
        subscription.next()


def test_event_names_must_be_non_empty_text(fresh_buffer) -> None:
    with pytest.raises(TypeError, match="must be a str"):
        telemetry.emit(42, {})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not be empty"):
        telemetry.emit("", {})


# -- OpenTelemetry ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


@pytest.fixture
def traced_worker(make_worker, fake_host: FakeHost, fresh_buffer, spans: InMemorySpanExporter) -> Iterator[Worker]:
    spans.clear()
    client = HostClient(fake_host.address, token="s3cret-token", worker_id="tw-1")
    yield make_worker(TelemetryAdapter(), host_client=client, worker_id="tw-1")
    client.close()


def test_a_tool_runs_in_a_server_span_that_continues_the_callers_trace(traced_worker, spans) -> None:
    response = traced_worker.execute("measure", rows=1, metadata={"traceparent": TRACEPARENT, "correlation_id": "c1"})
    assert response.success
    (tool_span,) = [s for s in spans.get_finished_spans() if s.name == "tool measure"]
    assert tool_span.kind == trace.SpanKind.SERVER
    assert format(tool_span.context.trace_id, "032x") == TRACE_ID
    assert format(tool_span.parent.span_id, "016x") == PARENT_SPAN_ID
    assert tool_span.attributes["snakepit.correlation_id"] == "c1"
    # The response names the span that served the call.
    _, trace_id, span_id, _ = response.metadata["traceparent"].split("-")
    assert (trace_id, span_id) == (TRACE_ID, format(tool_span.context.span_id, "016x"))


def test_a_host_tool_call_is_a_client_span_whose_context_travels_to_the_host(traced_worker, spans, fake_host) -> None:
    assert traced_worker.call("callback", x=21, metadata={"traceparent": TRACEPARENT}) == 42
    by_name = {s.name: s for s in spans.get_finished_spans()}
    tool_span, host_span = by_name["tool callback"], by_name["host_tool multiply"]
    assert host_span.kind == trace.SpanKind.CLIENT
    assert host_span.parent.span_id == tool_span.context.span_id
    sent = fake_host.servicer.tool_calls[-1].metadata["traceparent"]
    assert sent == f"00-{TRACE_ID}-{format(host_span.context.span_id, '016x')}-01"


def test_a_failing_tool_marks_its_span_as_an_error(traced_worker, spans) -> None:
    traced_worker.error("timed", fail=True, metadata={"traceparent": TRACEPARENT})
    by_name = {s.name: s for s in spans.get_finished_spans()}
    assert by_name["tool timed"].status.status_code == trace.StatusCode.ERROR
    assert by_name["model.load"].parent.span_id == by_name["tool timed"].context.span_id
    assert by_name["model.load"].status.status_code == trace.StatusCode.ERROR


def test_without_a_caller_trace_the_host_call_carries_no_foreign_context(fake_host, spans) -> None:
    client = HostClient(fake_host.address, token="s3cret-token", worker_id="direct")
    try:
        ctx = SessionContext("sx", worker_id="direct", host=client, metadata={"correlation_id": "c9"})
        assert ctx.call_host_tool("multiply", a=2, b=3) == 6
        sent = fake_host.servicer.tool_calls[-1].metadata
        assert sent["correlation_id"] == "c9"
        # A fresh trace started by the host-tool span itself.
        (host_span,) = [s for s in spans.get_finished_spans() if s.name == "host_tool multiply"][-1:]
        assert sent["traceparent"].split("-")[1] == format(host_span.context.trace_id, "032x")
    finally:
        client.close()


# -- logging ---------------------------------------------------------------------------------


def test_json_log_lines_carry_the_logger_level_worker_and_correlation_id(worker) -> None:
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Capture()
    handler.addFilter(telemetry.CallContextFilter())
    handler.setFormatter(telemetry.log_formatter("json"))
    logging.getLogger("my.model").addHandler(handler)
    try:
        assert worker.call("chatty", metadata={"correlation_id": "cid-7"}) == "ok"
        try:
            raise KeyError("lost")
        except KeyError:
            logging.getLogger("my.model").exception("outside a call")
    finally:
        logging.getLogger("my.model").removeHandler(handler)
    assert all(line.startswith(telemetry.LOG_MARKER) and "\n" not in line for line in lines)
    inside, outside = (json.loads(line[len(telemetry.LOG_MARKER) :]) for line in lines)
    assert inside["level"] == "WARNING" and inside["levelno"] == 30
    assert inside["logger"] == "my.model"
    assert inside["message"] == "weights are stale"
    assert inside["correlation_id"] == "cid-7"
    assert inside["tool"] == "chatty"
    assert "correlation_id" not in outside
    assert "KeyError: 'lost'" in outside["exception"]


def test_plain_log_lines_show_the_correlation_id_inside_a_call() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    record.worker_id = "w1"
    ctx_token = _CURRENT.set(SessionContext("s", worker_id="w1", metadata={"correlation_id": "abc"}, tool_name="t"))
    try:
        telemetry.CallContextFilter().filter(record)
    finally:
        _CURRENT.reset(ctx_token)
    assert telemetry.log_formatter("").format(record).endswith("INFO [w1 cid=abc] x: hello")


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    waiter = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        waiter.wait(0.005)


def test_unauthenticated_subscribers_are_rejected(worker) -> None:
    call = worker.stub.StreamTelemetry(iter(()), timeout=5)
    with pytest.raises(grpc.RpcError) as info:
        next(call)
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
