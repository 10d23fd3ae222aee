"""The real worker process: ``python -m snakepit_bridge.server`` with the launch contract."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from pathlib import Path

import grpc
import pytest
from conftest import TOKEN, FakeHost, request, wait_until

from snakepit_bridge import snakepit_bridge_pb2 as pb2
from snakepit_bridge import snakepit_bridge_pb2_grpc as pb2_grpc


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ready_file_register_tools_heartbeat_and_graceful_sigterm(spawn, fake_host: FakeHost) -> None:
    worker = spawn(
        env={
            "SNAKEPIT_GRPC_ADDRESS": fake_host.address,
            "SNAKEPIT_AUTH_TOKEN": TOKEN,
            "SNAKEPIT_HEARTBEAT_CONFIG": json.dumps({"enabled": True, "interval_ms": 50, "dependent": True}),
        }
    )
    port = worker.wait_ready()
    assert not Path(f"{worker.ready_file}.tmp").exists()
    servicer = fake_host.servicer
    assert servicer.pings >= 1
    assert len(servicer.registrations) == 1  # registered before the ready file was written
    registration = servicer.registrations[0]
    assert registration.worker_id == "proc-1"
    tools = {t.name: t for t in registration.tools}
    assert "add" in tools and tools["stream_progress"].supports_streaming
    operation = {p.name: p for p in tools["process_text"].parameters}["operation"]
    assert json.loads(operation.validation_json) == {"enum": ["upper", "lower", "reverse"]}
    wait_until(lambda: servicer.heartbeats >= 2, message="heartbeats")
    assert set(servicer.seen_tokens) == {TOKEN}

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = pb2_grpc.BridgeServiceStub(channel)
        metadata = [("x-snakepit-token", TOKEN)]
        assert stub.Ping(pb2.PingRequest(message="x"), timeout=5, metadata=metadata).message == "pong: x"
        response = stub.ExecuteTool(request("add", a=2, b=2), timeout=5, metadata=metadata)
        assert response.result.value == b"4" and response.metadata["snakepit.worker_id"] == "proc-1"
        response = stub.ExecuteTool(
            request("call_host", tool="multiply", arguments={"a": 3, "b": 4}), timeout=5, metadata=metadata
        )
        assert response.success and json.loads(response.result.value) == 12
        with pytest.raises(grpc.RpcError) as info:
            stub.Ping(pb2.PingRequest(), timeout=5)
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED

    worker.proc.send_signal(signal.SIGTERM)
    assert worker.wait_exit() == 0
    assert "[proc-1]" in worker.stderr()


def test_adapter_import_failure_exits_3_with_traceback(spawn, tmp_path: Path) -> None:
    (tmp_path / "broken_adapter.py").write_text("import no_such_module_xyz\n")
    worker = spawn(adapter="broken_adapter.Adapter", env={"PYTHONPATH": str(tmp_path)})
    assert worker.wait_exit() == 3
    stderr = worker.stderr()
    assert "Traceback (most recent call last)" in stderr
    assert "ModuleNotFoundError: No module named 'no_such_module_xyz'" in stderr
    assert not worker.ready_file.exists()


def test_initialize_failure_exits_4(spawn, tmp_path: Path) -> None:
    (tmp_path / "init_fails.py").write_text(
        "from snakepit_bridge import BaseAdapter\n"
        "class Adapter(BaseAdapter):\n"
        "    async def initialize(self):\n"
        "        raise RuntimeError('no model file')\n"
    )
    worker = spawn(adapter="init_fails.Adapter", env={"PYTHONPATH": str(tmp_path)})
    assert worker.wait_exit() == 4
    assert "RuntimeError: no model file" in worker.stderr()


def test_host_that_never_answers_exits_5(spawn) -> None:
    worker = spawn(
        env={
            "SNAKEPIT_GRPC_ADDRESS": f"127.0.0.1:{free_port()}",
            "SNAKEPIT_HOST_PING_TIMEOUT_MS": "300",
        }
    )
    assert worker.wait_exit() == 5
    assert "did not answer Ping" in worker.stderr()


def test_bad_command_line_exits_2(spawn) -> None:
    worker = spawn("--port", "not-a-number")
    assert worker.wait_exit() == 2


def test_dependent_worker_exits_when_heartbeats_fail(spawn, fake_host: FakeHost) -> None:
    fake_host.servicer.fail_heartbeats = True
    worker = spawn(
        env={
            "SNAKEPIT_GRPC_ADDRESS": fake_host.address,
            "SNAKEPIT_AUTH_TOKEN": TOKEN,
            "SNAKEPIT_HEARTBEAT_CONFIG": json.dumps({"interval_ms": 20, "max_missed_heartbeats": 2}),
        }
    )
    worker.wait_ready()
    assert worker.wait_exit() == 0
    assert "missed 2 heartbeats" in worker.stderr()


def test_stdin_eof_stops_the_worker(spawn) -> None:
    worker = spawn(env={"SNAKEPIT_PARENT_WATCH": "stdin"}, stdin=subprocess.PIPE)
    worker.wait_ready()
    worker.proc.stdin.close()
    assert worker.wait_exit() == 0
