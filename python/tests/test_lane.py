"""The lane worker side: handshake, calls, inline sync tools, cancellation, streams, bad frames."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from snakepit_bridge import BaseAdapter, SessionContext, tool
from snakepit_bridge.lane import frames as f
from snakepit_bridge.lane.connection import LaneConnection

TOKEN = "lane-token"
ASYNC_GATE = threading.Event()


class LaneAdapter(BaseAdapter):
    @tool(description="the name of the thread the tool runs on")
    def thread_name(self) -> str:
        return threading.current_thread().name

    @tool(description="add")
    def add(self, a: int, b: int) -> int:
        return a + b

    @tool(description="wait until cancelled; report how long after the mark it noticed")
    def wait_cancel(self, ctx: SessionContext) -> float:
        ctx.wait_cancelled(10)
        return time.monotonic()

    @tool(description="async sleep")
    async def nap(self, ms: int) -> int:
        import asyncio

        await asyncio.sleep(ms / 1000)
        return ms

    @tool(description="count", supports_streaming=True)
    def count(self, n: int) -> Any:
        yield from range(n)

    @tool(description="yield n items, then raise", supports_streaming=True)
    def fail_after(self, n: int) -> Any:
        yield from range(n)
        raise RuntimeError(f"failed after {n} items")

    @tool(description="async: yield n items, then raise", supports_streaming=True)
    async def afail_after(self, n: int) -> Any:
        for i in range(n):
            yield i
        raise RuntimeError(f"async failed after {n} items")

    @tool(description="async: yield 1, wait for the test's gate, yield 2", supports_streaming=True)
    async def agated(self) -> Any:
        import asyncio

        yield 1
        await asyncio.get_running_loop().run_in_executor(None, ASYNC_GATE.wait, 10)
        yield 2

    @tool(description="call host tool double with x")
    def via_host(self, ctx: SessionContext, x: int) -> Any:
        return ctx.call_host_tool("double", x=x)

    @tool(description="bytes back")
    def echo_bytes(self, data: bytes) -> bytes:
        return data

    @tool(description="raise")
    def boom(self) -> None:
        raise KeyError("boom")


class Client:
    """The host side of a lane, written from docs/lane.md."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def send(self, frame_type: int, call_id: int, payload: bytes = b"", flags: int = 0) -> None:
        self.sock.sendall(f.encode_frame(frame_type, call_id, payload, flags))

    def recv(self, timeout: float = 10) -> tuple[int, int, int, bytes]:
        self.sock.settimeout(timeout)
        while True:
            if len(self.buffer) >= 12:
                length, frame_type, flags, _, call_id = f.HEADER.unpack_from(self.buffer)
                if len(self.buffer) >= length + 4:
                    payload = self.buffer[12 : length + 4]
                    self.buffer = self.buffer[length + 4 :]
                    return frame_type, flags, call_id, payload
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.buffer += data

    def hello(self, token: str = TOKEN, versions: list[int] | None = None) -> tuple[int, dict[str, Any] | str]:
        self.send(f.HELLO, 0, json.dumps({"versions": versions or [f.PROTOCOL_VERSION], "token": token}).encode())
        frame_type, _, _, payload = self.recv()
        return frame_type, json.loads(payload) if frame_type == f.WELCOME else payload.decode()

    def call(
        self,
        call_id: int,
        tool_name: str,
        arguments: dict[str, Any],
        *,
        stream: bool = False,
        credit: int = 0,
        blobs: dict[str, bytes] | None = None,
    ) -> None:
        header: dict[str, Any] = {"t": tool_name, "a": arguments}
        if blobs:
            header["b"] = [[name, len(data)] for name, data in blobs.items()]
        head = json.dumps(header).encode()
        payload = struct.pack(">III", 10000, credit, len(head)) + head + b"".join((blobs or {}).values())
        self.send(f.STREAM if stream else f.CALL, call_id, payload)


@pytest.fixture
def lane():
    yield from serving(LaneAdapter())


def serving(adapter: Any, max_frame: int = 1 << 20, **options: Any) -> Iterator[tuple[Client, LaneConnection]]:
    """A lane connection serving ``adapter`` on a reader thread, and the test's client end (fixture body)."""
    host, worker = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    connection = LaneConnection(worker, adapter, worker_id="w1", token=TOKEN, max_frame=max_frame, **options)

    def serve() -> None:
        if connection.handshake():
            connection.serve()

    thread = threading.Thread(target=serve, name="lane-reader", daemon=True)
    thread.start()
    client = Client(host)
    yield client, connection
    host.close()
    thread.join(10)
    assert not thread.is_alive()
    worker.close()


def result(frame: tuple[int, int, int, bytes]) -> Any:
    frame_type, flags, _, payload = frame
    assert frame_type == f.RESULT, payload
    return payload[4:] if flags & f.F_BINARY else json.loads(payload[4:])


def test_handshake_reports_version_and_tools(lane) -> None:
    client, _ = lane
    frame_type, welcome = client.hello()
    assert frame_type == f.WELCOME
    assert welcome["version"] == f.PROTOCOL_VERSION
    assert welcome["worker_id"] == "w1"


def test_version_mismatch_names_both_versions(lane) -> None:
    client, _ = lane
    frame_type, reason = client.hello(versions=[99])
    assert frame_type == f.GOAWAY
    assert "[99]" in reason and f"speaks {f.PROTOCOL_VERSION}" in reason


def test_a_wrong_token_is_refused(lane) -> None:
    client, _ = lane
    frame_type, reason = client.hello(token="nope")
    assert frame_type == f.GOAWAY
    assert "token" in reason


def test_a_sync_tool_runs_on_the_thread_that_read_its_frame(lane) -> None:
    client, _ = lane
    client.hello()
    client.call(1, "thread_name", {})
    # One of the two threads that take turns reading (never a tool pool thread or the event loop).
    assert result(client.recv()) in ("lane-reader", "snakepit-lane-watch")
    for i in range(50):
        client.call(2 + i, "add", {"a": i, "b": 1})
        assert result(client.recv()) == i + 1


def test_tool_errors_come_back_as_error_documents(lane) -> None:
    client, _ = lane
    client.hello()
    client.call(1, "boom", {})
    frame_type, _, call_id, payload = client.recv()
    assert (frame_type, call_id) == (f.ERROR, 1)
    assert json.loads(payload)["type"] == "KeyError"
    client.call(2, "missing", {})
    assert json.loads(client.recv()[3])["type"] == "ToolNotFoundError"


def test_bytes_travel_after_the_header(lane) -> None:
    client, _ = lane
    client.hello()
    client.call(1, "echo_bytes", {}, blobs={"data": b"\x00\x01\xff" * 1000})
    assert result(client.recv()) == b"\x00\x01\xff" * 1000


def test_a_cancel_frame_reaches_a_running_sync_tool(lane) -> None:
    client, _ = lane
    client.hello()
    client.call(1, "wait_cancel", {})
    _wait_active(client, 1)
    client.send(f.CANCEL, 1)
    _wait_active(client, 0)


def test_a_cancel_frame_reaches_a_running_async_tool(lane) -> None:
    client, _ = lane
    client.hello()
    client.call(1, "nap", {"ms": 20000})
    _wait_active(client, 1)
    client.send(f.CANCEL, 1)
    _wait_active(client, 0)


def test_calls_overlap_while_a_sync_tool_blocks(lane) -> None:
    client, _ = lane
    client.hello()
    client.call(1, "wait_cancel", {})
    _wait_active(client, 1)
    client.call(2, "add", {"a": 1, "b": 2})
    frame = client.recv()
    assert frame[2] == 2 and result(frame) == 3
    client.send(f.CANCEL, 1)
    _wait_active(client, 0)


def test_streams_respect_credit(lane) -> None:
    client, _ = lane
    client.hello()
    client.call(1, "count", {"n": 10}, stream=True, credit=3)
    chunks = [client.recv() for _ in range(3)]
    assert [json.loads(c[3]) for c in chunks] == [0, 1, 2]
    with pytest.raises(TimeoutError):
        client.recv(timeout=0.2)
    client.send(f.CREDIT, 1, struct.pack(">I", 100))
    rest = []
    while True:
        frame = client.recv()
        rest.append(frame)
        if frame[1] & f.F_FINAL:
            break
    assert [json.loads(c[3]) for c in rest if c[3]] == list(range(3, 10))


def test_a_generator_that_raises_midway_delivers_its_chunks_then_the_error(lane) -> None:
    client, _ = lane
    client.hello()
    client.call(1, "fail_after", {"n": 2}, stream=True, credit=32)
    frames = [client.recv() for _ in range(3)]
    assert [frame[0] for frame in frames] == [f.CHUNK, f.CHUNK, f.ERROR]
    assert [json.loads(frame[3]) for frame in frames[:2]] == [0, 1]
    assert "failed after 2 items" in frames[2][3].decode()


def test_an_async_generator_that_raises_midway_delivers_its_chunks_then_the_error(lane) -> None:
    client, _ = lane
    client.hello()
    client.call(1, "afail_after", {"n": 3}, stream=True, credit=32)
    frames = [client.recv() for _ in range(4)]
    assert [frame[0] for frame in frames] == [f.CHUNK, f.CHUNK, f.CHUNK, f.ERROR]
    assert [json.loads(frame[3]) for frame in frames[:3]] == [0, 1, 2]
    assert "async failed after 3 items" in frames[3][3].decode()


def test_an_async_generator_that_waits_sends_what_it_yielded_before_waiting(lane) -> None:
    client, _ = lane
    client.hello()
    ASYNC_GATE.clear()
    client.call(1, "agated", {}, stream=True, credit=32)
    try:
        first = client.recv(timeout=5)  # batched chunks must not wait for the generator's next item
        assert first[0] == f.CHUNK and json.loads(first[3]) == 1
    finally:
        ASYNC_GATE.set()
    second = client.recv()
    assert second[0] == f.CHUNK and json.loads(second[3]) == 2
    final = client.recv()
    assert final[0] == f.CHUNK and final[1] & f.F_FINAL


def test_a_host_call_is_one_round_trip_without_fetching_the_host_tool_list(lane) -> None:
    client, _ = lane
    client.hello()
    client.call(1, "via_host", {"x": 21})
    frame_type, _, host_call_id, payload = client.recv()
    assert frame_type == f.HOST_CALL, f.TYPE_NAMES.get(frame_type, frame_type)
    (header_length,) = struct.unpack_from(">I", payload, 8)
    header = json.loads(payload[12 : 12 + header_length])
    assert header["t"] == "double" and header["a"] == {"x": 21}
    client.send(f.HOST_RESULT, host_call_id, b"42")
    assert result(client.recv()) == 42


def test_an_unknown_host_tool_raises_the_hosts_not_found_error_with_the_available_tools(lane) -> None:
    client, _ = lane
    client.hello()
    client.call(1, "via_host", {"x": 1})
    _, _, host_call_id, _ = client.recv()
    error = {"type": "HostToolNotFoundError", "message": "Unknown", "context": {"available_tools": ["triple"]}}
    client.send(f.HOST_RESULT, host_call_id, json.dumps(error).encode(), f.F_FAILED)
    frame_type, _, _, payload = client.recv()
    assert frame_type == f.ERROR
    answer = json.loads(payload)
    assert answer["type"] == "HostToolNotFoundError" and "triple" in answer["message"]


def test_a_malformed_frame_closes_the_connection_with_a_reason(lane) -> None:
    client, _ = lane
    client.hello()
    client.sock.sendall(struct.pack(">IBBHI", 8, 200, 0, 0, 1))
    frame_type, _, _, payload = client.recv()
    assert frame_type == f.GOAWAY
    assert b"unknown frame type 200" in payload
    with pytest.raises(EOFError):
        client.recv()


def _wait_active(client: Client, expected: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        client.send(f.PING, 999)
        while True:
            frame_type, _, call_id, payload = client.recv()
            if frame_type == f.PONG and call_id == 999:
                break
        active, _ = struct.unpack(">II", payload)
        if active == expected:
            return
        assert time.monotonic() < deadline, f"active calls {active}, expected {expected}"
        time.sleep(0.005)


def test_a_lane_worker_does_not_import_grpc(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import snakepit_bridge.lane.worker, snakepit_bridge.lane.connection, snakepit_bridge.worker.main\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('grpc', 'google')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


def test_fuzz_frame_decoders_briefly(tmp_path: Path) -> None:
    """Runs the atheris fuzzer of the frame decoders on the corpus for a bounded number of runs."""
    pytest.importorskip("atheris")
    corpus = Path(__file__).parent / "fuzz_corpus" / "lane"
    runs = os.environ.get("SNAKEPIT_FUZZ_RUNS", "4000")
    out = subprocess.run(
        # New inputs go to tmp_path (the first corpus directory); the repository's corpus is only read.
        [
            sys.executable,
            str(Path(__file__).parent / "fuzz_lane_frames.py"),
            f"-runs={runs}",
            "-max_total_time=15",
            str(tmp_path),
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-4000:]
