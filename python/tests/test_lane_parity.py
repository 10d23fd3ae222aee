"""The lane behaves as the gRPC worker does where tools misbehave: exits, oversized results, telemetry."""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from test_lane import TOKEN, Client, serving

from snakepit_bridge import BaseAdapter, SessionContext, telemetry, tool
from snakepit_bridge.lane import frames as f
from snakepit_bridge.lane import worker
from snakepit_bridge.wire import shm

LIMIT = 64 * 1024


class MisbehavingAdapter(BaseAdapter):
    @tool(description="raise SystemExit")
    def system_exit(self, code: int) -> None:
        raise SystemExit(code)

    @tool(description="raise KeyboardInterrupt")
    def interrupt(self) -> None:
        raise KeyboardInterrupt

    @tool(description="yield, then raise SystemExit", supports_streaming=True)
    def exit_midway(self) -> Any:
        yield 1
        raise SystemExit(5)

    @tool(description="text of a given size")
    def big(self, size: int) -> str:
        return "x" * size

    @tool(description="bytes of a given size")
    def big_bytes(self, size: int) -> bytes:
        return b"\x00" * size

    @tool(description="one item of a given size", supports_streaming=True)
    def big_item(self, size: int) -> Any:
        yield "x" * size

    @tool(description="add")
    def add(self, a: int, b: int) -> int:
        return a + b

    @tool(description="end this call's session on the host")
    def end_session(self, ctx: SessionContext) -> int:
        return ctx.host.cleanup_session(ctx.session_id).resources_cleaned

    @tool(description="emit one telemetry event")
    def emit(self, name: str) -> bool:
        return telemetry.emit(
            name, {"count": 3, "ratio": 0.5, "flag": True, "odd": float("nan"), "label": "text"}, {"tag": "blue"}
        )


@pytest.fixture
def lane(monkeypatch: pytest.MonkeyPatch):
    # Each test gets its own event buffer (the worker's is process-wide).
    monkeypatch.setattr(telemetry.events, "_BUFFER", telemetry.events._EventBuffer(4))
    for client, _ in serving(MisbehavingAdapter(), max_frame=LIMIT):
        client.hello()
        yield client


@pytest.fixture
def shm_lane(tmp_path: Path):
    for client, _ in serving(MisbehavingAdapter(), max_frame=LIMIT, shm_dir=str(tmp_path)):
        client.hello()
        yield client


def error_of(client: Client, call_id: int) -> dict[str, Any]:
    """The error document of ``call_id``, skipping the stream's chunks before it."""
    while True:
        frame_type, _, got, payload = client.recv()
        assert got == call_id
        if frame_type == f.ERROR:
            return json.loads(payload)
        assert frame_type == f.CHUNK, payload


def still_serves(client: Client, call_id: int) -> None:
    client.call(call_id, "add", {"a": 40, "b": 2})
    frame_type, flags, got, payload = client.recv()
    start = 8 + f.U32.unpack_from(payload, 4)[0] if flags & f.F_META else 4  # META: a traced call
    assert (frame_type, got, json.loads(payload[start:])) == (f.RESULT, call_id, 42)


@pytest.mark.parametrize(
    ("tool_name", "arguments", "stream", "raised"),
    [
        ("system_exit", {"code": 4}, False, "SystemExit(4)"),
        ("interrupt", {}, False, "KeyboardInterrupt()"),
        ("exit_midway", {}, True, "SystemExit(5)"),
    ],
)
def test_an_exit_raised_in_a_tool_fails_the_call_and_the_worker_serves_on(
    lane, tool_name: str, arguments: dict[str, Any], stream: bool, raised: str
) -> None:
    lane.call(1, tool_name, arguments, stream=stream, credit=10)
    error = error_of(lane, 1)
    assert error["type"].endswith("ToolExitError")
    assert raised in error["message"] and "raise an exception instead" in error["message"]
    still_serves(lane, 2)


@pytest.mark.parametrize(
    ("tool_name", "stream", "what"),
    [("big", False, "result (JSON)"), ("big_bytes", False, "result"), ("big_item", True, "stream item")],
)
def test_a_result_over_the_message_limit_is_a_payload_error_naming_size_and_limit(
    lane, tool_name: str, stream: bool, what: str
) -> None:
    lane.call(1, tool_name, {"size": LIMIT * 2}, stream=stream, credit=10)
    error = error_of(lane, 1)
    assert error["type"] == "PayloadTooLargeError"
    assert error["context"]["what"] == what
    assert error["context"]["limit"] == LIMIT
    assert error["context"]["size"] >= LIMIT * 2
    assert "Raise maxMessageSize" in error["message"]
    still_serves(lane, 2)


def control(client: Client, **settings: Any) -> None:
    client.send(f.TELEMETRY_CONTROL, 0, json.dumps(settings).encode())


EARLY: dict[int, list[dict[str, Any]]] = {}  # telemetry read while waiting for a result, by client


def emitted(client: Client, call_id: int, name: str) -> None:
    """Call the ``emit`` tool and wait for its result (its event may come before or after it)."""
    client.call(call_id, "emit", {"name": name})
    while True:
        frame_type, _, got, payload = client.recv()
        if frame_type != f.TELEMETRY:
            assert (frame_type, got) == (f.RESULT, call_id), payload
            return
        EARLY.setdefault(id(client), []).extend(json.loads(payload))


def telemetry_events(client: Client, count: int) -> list[dict[str, Any]]:
    events = EARLY.pop(id(client), [])
    while len(events) < count:
        frame_type, _, call_id, payload = client.recv()
        assert (frame_type, call_id) == (f.TELEMETRY, 0), payload
        events.extend(json.loads(payload))
    return events


def test_no_telemetry_travels_until_the_host_enables_it(lane) -> None:
    emitted(lane, 1, "model.predict")
    lane.send(f.PING, 7)
    assert lane.recv()[0] == f.PONG
    with pytest.raises(TimeoutError):
        lane.recv(timeout=0.2)


def test_an_event_travels_with_its_measurements_metadata_and_correlation_id(lane) -> None:
    control(lane, enabled=True)
    header = {"t": "emit", "a": {"name": "model.predict"}, "m": {"correlation_id": "cid-7"}}
    head = json.dumps(header).encode()
    lane.send(f.CALL, 1, f.U32X2.pack(0, 0) + f.U32.pack(len(head)) + head)
    frames = [lane.recv(), lane.recv()]
    assert sorted(frame[0] for frame in frames) == [f.RESULT, f.TELEMETRY]
    (event,) = json.loads(next(frame[3] for frame in frames if frame[0] == f.TELEMETRY))
    assert event["name"] == "model.predict"
    odd = event["measurements"].pop("odd")
    assert odd != odd  # NaN, a float as over gRPC
    assert event["measurements"] == {"count": 3, "ratio": 0.5, "flag": 1, "label": "text"}
    assert event["metadata"] == {"tag": "blue"}
    assert event["correlation_id"] == "cid-7"
    assert event["timestamp_ns"] > 0


def test_events_emitted_before_the_host_listens_arrive_once_it_does_and_drops_are_counted(lane) -> None:
    for i in range(6):  # the buffer holds 4
        emitted(lane, i + 1, f"early.{i}")
    control(lane, enabled=True)
    events = telemetry_events(lane, 5)
    assert events[0]["name"] == telemetry.DROPPED_EVENT and events[0]["measurements"] == {"count": 2}
    assert [e["name"] for e in events[1:]] == ["early.0", "early.1", "early.2", "early.3"]


def test_the_host_filters_and_turns_events_off(lane) -> None:
    control(lane, enabled=True, deny=["noise.*"])
    emitted(lane, 1, "noise.tick")
    emitted(lane, 2, "signal.tick")
    assert [e["name"] for e in telemetry_events(lane, 1)] == ["signal.tick"]
    control(lane, enabled=False)
    emitted(lane, 3, "signal.later")
    with pytest.raises(TimeoutError):
        lane.recv(timeout=0.2)


def test_a_telemetry_control_that_is_not_a_json_object_closes_the_lane_with_a_reason(lane) -> None:
    lane.send(f.TELEMETRY_CONTROL, 0, b"[1, 2]")
    frame_type, _, _, payload = lane.recv()
    assert frame_type == f.GOAWAY
    assert b"TELEMETRY_CONTROL" in payload
    with pytest.raises(EOFError):
        lane.recv()


def test_a_result_that_does_not_fit_in_shared_memory_travels_in_the_message(
    shm_lane, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(shm, "_fallback_logged", False)
    (tmp_path / "r1").mkdir()  # writing the offered file fails, as on a full /dev/shm
    for call_id in (1, 2):
        header = {"t": "big_bytes", "a": {"size": 5000}, "r": [1000, "r1"]}
        head = json.dumps(header).encode()
        shm_lane.send(f.CALL, call_id, f.U32X2.pack(0, 0) + f.U32.pack(len(head)) + head)
        frame_type, flags, got, payload = shm_lane.recv()
        assert (frame_type, got, flags & (f.F_BINARY | f.F_SHM)) == (f.RESULT, call_id, f.F_BINARY)
        assert payload[4:] == b"\x00" * 5000
    assert sum("inside messages instead (logged once)" in r.getMessage() for r in caplog.records) == 1


def test_a_session_cleanup_reaches_the_host_as_a_host_tools_frame(lane) -> None:
    head = json.dumps({"t": "end_session", "s": "session-a"}).encode()
    lane.send(f.CALL, 1, f.U32X2.pack(0, 0) + f.U32.pack(len(head)) + head)
    frame_type, _, host_call, payload = lane.recv()
    assert frame_type == f.HOST_TOOLS
    assert json.loads(payload) == {"s": "session-a", "cleanup": True}
    lane.send(f.HOST_RESULT, host_call, b'{"success": true, "resources_cleaned": 1}')
    frame_type, _, call_id, payload = lane.recv()
    assert (frame_type, call_id, json.loads(payload[4:])) == (f.RESULT, 1, 1)


# -- the lane catalogue, worker side (the host side is LaneWireCatalogueTest) ---------------------


def goaway_then_eof(client: Client) -> str:
    frame_type, _, _, payload = client.recv()
    assert frame_type == f.GOAWAY, payload
    with pytest.raises(EOFError):
        client.recv()
    return payload.decode()


def test_a_frame_before_hello_closes_the_lane() -> None:
    for client, _ in serving(MisbehavingAdapter()):
        client.call(1, "add", {"a": 1, "b": 2})
        # (worker.serve closes the socket after a failed handshake; this bare connection leaves that to the test)
        frame_type, _, _, payload = client.recv()
        assert (frame_type, b"expected HELLO" in payload) == (f.GOAWAY, True)


def test_an_oversized_frame_closes_the_lane_before_its_payload_is_read(lane) -> None:
    lane.sock.sendall(f.HEADER.pack(LIMIT + f.MIN_LENGTH + 1, f.CALL, 0, 0, 1))
    assert "frame length" in goaway_then_eof(lane)


def test_a_call_whose_header_overruns_its_payload_closes_the_lane(lane) -> None:
    lane.send(f.CALL, 1, f.U32X2.pack(0, 0) + f.U32.pack(1000) + b"{}")
    assert "overruns" in goaway_then_eof(lane)


def test_a_frame_cut_short_by_the_host_ends_the_connection_quietly() -> None:
    for client, connection in serving(MisbehavingAdapter()):
        client.hello()
        client.sock.sendall(f.HEADER.pack(f.MIN_LENGTH + 100, f.CALL, 0, 0, 1) + b"x" * 10)
        client.sock.shutdown(socket.SHUT_WR)
        with pytest.raises(EOFError):
            client.recv()
        assert connection.closed


def test_a_second_connection_to_a_serving_worker_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "w.sock")
    listener = worker.bind(path)
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    serving_thread = threading.Thread(
        target=worker.serve,
        args=(listener, MisbehavingAdapter()),
        kwargs={"worker_id": "w1", "token": TOKEN, "max_frame": LIMIT},
        daemon=True,
    )
    serving_thread.start()
    host = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    host.connect(path)
    client = Client(host)
    assert client.hello()[0] == f.WELCOME
    intruder = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with pytest.raises(ConnectionRefusedError):
        intruder.connect(path)
    intruder.close()
    still_serves(client, 1)
    host.close()
    serving_thread.join(10)
    assert not serving_thread.is_alive()
