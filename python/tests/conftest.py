"""Shared fixtures: an in-process worker server, a fake host BridgeService, and call helpers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from snakepit_bridge import snakepit_bridge_pb2 as pb2
from snakepit_bridge import snakepit_bridge_pb2_grpc as pb2_grpc
from snakepit_bridge.codec import decode_any, encode_param, encode_result
from snakepit_bridge.host import HostClient
from snakepit_bridge.server import WorkerServer

TOKEN = "s3cret-token"


class LoopThread:
    """An asyncio loop in a daemon thread; ``run(coro)`` waits for the result (bounded)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Any, timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


def wait_until(condition: Callable[[], bool], timeout: float = 5.0, message: str = "condition") -> None:
    """Wait (bounded) until ``condition()`` is true, using an Event-based poll with backoff."""
    import time

    deadline = time.monotonic() + timeout
    delay = 0.005
    waiter = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        waiter.wait(delay)
        delay = min(delay * 2, 0.1)


def request(
    tool: str,
    /,
    session_id: str = "s1",
    metadata: dict[str, str] | None = None,
    binary: dict[str, bytes] | None = None,
    **arguments: Any,
) -> pb2.ExecuteToolRequest:
    req = pb2.ExecuteToolRequest(session_id=session_id, tool_name=tool, metadata=metadata or {})
    for key, value in arguments.items():
        req.parameters[key].CopyFrom(encode_param(value))
    for key, value in (binary or {}).items():
        req.binary_parameters[key] = value
    return req


class Worker:
    """A started in-process worker plus a sync client stub."""

    def __init__(
        self,
        adapter: Any,
        *,
        token: str | None = TOKEN,
        host_client: HostClient | None = None,
        worker_id: str = "test-worker-1",
    ) -> None:
        self.adapter = adapter
        self.loop = LoopThread()
        self.token = token
        self.server = WorkerServer(adapter, worker_id=worker_id, token=token, host_client=host_client)
        self.port = self.loop.run(self.server.start())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = pb2_grpc.BridgeServiceStub(self.channel)

    @property
    def metadata(self) -> list[tuple[str, str]]:
        return [("x-snakepit-token", self.token)] if self.token else []

    def execute(self, tool: str, /, *, timeout: float = 10.0, **kwargs: Any) -> pb2.ExecuteToolResponse:
        return self.stub.ExecuteTool(request(tool, **kwargs), timeout=timeout, metadata=self.metadata)

    def call(self, tool: str, /, **kwargs: Any) -> Any:
        response = self.execute(tool, **kwargs)
        assert response.success, response.error_message
        if response.result.type_url.endswith(".binary"):
            return response.binary_result
        return json.loads(response.result.value)

    def error(self, tool: str, /, **kwargs: Any) -> dict[str, Any]:
        response = self.execute(tool, **kwargs)
        assert not response.success, response
        return json.loads(response.error_message)

    def stream(self, tool: str, /, *, timeout: float = 10.0, **kwargs: Any):
        return self.stub.ExecuteStreamingTool(request(tool, **kwargs), timeout=timeout, metadata=self.metadata)

    def close(self) -> None:
        self.channel.close()
        self.loop.run(self.server.stop(0))
        self.loop.close()


@pytest.fixture
def make_worker() -> Iterator[Callable[..., Worker]]:
    workers: list[Worker] = []

    def factory(adapter: Any, **kwargs: Any) -> Worker:
        worker = Worker(adapter, **kwargs)
        workers.append(worker)
        return worker

    yield factory
    for worker in workers:
        worker.close()


@pytest.fixture
def showcase_worker(make_worker: Callable[..., Worker]) -> Worker:
    from snakepit_bridge.adapters.showcase import ShowcaseAdapter

    return make_worker(ShowcaseAdapter())


# ---------------------------------------------------------------------------------------------
# A fake host
# ---------------------------------------------------------------------------------------------


class FakeHostServicer(pb2_grpc.BridgeServiceServicer):
    """Records what workers send and serves a few host tools."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self.registrations: list[pb2.RegisterToolsRequest] = []
        self.heartbeats = 0
        self.pings = 0
        self.tool_calls: list[pb2.ExecuteElixirToolRequest] = []
        self.seen_tokens: list[str | None] = []
        self.fail_heartbeats = False

    def _check(self, context: grpc.aio.ServicerContext) -> None:
        token = dict(context.invocation_metadata()).get("x-snakepit-token")
        self.seen_tokens.append(token)

    async def Ping(self, request, context):
        self._check(context)
        self.pings += 1
        return pb2.PingResponse(message=f"pong: {request.message}")

    async def RegisterTools(self, request, context):
        self._check(context)
        self.registrations.append(request)
        return pb2.RegisterToolsResponse(
            success=True, tool_ids={t.name: f"{request.session_id}:{t.name}" for t in request.tools}
        )

    async def Heartbeat(self, request, context):
        self._check(context)
        self.heartbeats += 1
        if self.fail_heartbeats:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "host is going away")
        return pb2.HeartbeatResponse(session_valid=True)

    async def GetExposedElixirTools(self, request, context):
        self._check(context)
        return pb2.GetExposedElixirToolsResponse(
            tools=[
                pb2.ToolSpec(name="multiply", description="Multiply a by b"),
                pb2.ToolSpec(name="reverse_bytes", description="Reverse a binary payload"),
                pb2.ToolSpec(name="explode", description="Always fails"),
            ]
        )

    async def ExecuteElixirTool(self, request, context):
        self._check(context)
        self.tool_calls.append(request)
        params = {k: decode_any(v) for k, v in request.parameters.items()}
        if request.tool_name == "multiply":
            result, binary = encode_result(params["a"] * params["b"])
        elif request.tool_name == "reverse_bytes":
            result, binary = encode_result(request.binary_parameters["data"][::-1])
        else:
            error = {"type": "java.lang.IllegalStateException", "message": "boom from Java"}
            return pb2.ExecuteElixirToolResponse(success=False, error_message=json.dumps(error))
        return pb2.ExecuteElixirToolResponse(success=True, result=result, binary_result=binary or b"")


class FakeHost:
    """A grpc.aio host on a loopback port, serving ``servicer`` (by default the ``FakeHostServicer``)."""

    def __init__(self, token: str | None = TOKEN, servicer: Any = None) -> None:
        self.loop = LoopThread()
        self.servicer = servicer if servicer is not None else FakeHostServicer(token)

        async def start() -> grpc.aio.Server:
            server = grpc.aio.server()
            pb2_grpc.add_BridgeServiceServicer_to_server(self.servicer, server)
            self.port = server.add_insecure_port("127.0.0.1:0")
            await server.start()
            return server

        self.server = self.loop.run(start())
        self.address = f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self.loop.run(self.server.stop(0))
        self.loop.close()


@pytest.fixture
def fake_host() -> Iterator[FakeHost]:
    host = FakeHost()
    yield host
    host.close()


# -- real worker processes -------------------------------------------------------------------

SHOWCASE = "snakepit_bridge.adapters.showcase.ShowcaseAdapter"


class WorkerProcess:
    """A real ``python -m snakepit_bridge.server`` process (stderr goes to a file next to the ready file)."""

    def __init__(self, proc: subprocess.Popen, ready_file: Path, stderr_file: Path) -> None:
        self.proc = proc
        self.ready_file = ready_file
        self.stderr_file = stderr_file
        self.channel: grpc.Channel | None = None
        self.stub: pb2_grpc.BridgeServiceStub | None = None
        self.auth = [("x-snakepit-token", TOKEN)]

    @classmethod
    def start(
        cls,
        adapter: str,
        ready: Path,
        *args: str,
        env: dict[str, str] | None = None,
        stdin: int | None = subprocess.DEVNULL,
    ) -> WorkerProcess:
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("SNAKEPIT_")}
        full_env.update({"PYTHONUNBUFFERED": "1", "SNAKEPIT_READY_FILE": str(ready), "SNAKEPIT_WORKER_ID": "proc-1"})
        full_env.update(env or {})
        stderr_file = ready.with_name(ready.name + ".stderr")
        command = [sys.executable, "-m", "snakepit_bridge.server", "--adapter", adapter]
        command += ["--port", "0", "--snakepit-run-id", "run-test", *args]
        with open(stderr_file, "wb") as sink:
            proc = subprocess.Popen(command, env=full_env, stdin=stdin, stdout=subprocess.DEVNULL, stderr=sink)
        return cls(proc, ready, stderr_file)

    def wait_ready(self, timeout: float = 15.0) -> int:
        wait_until(lambda: self.ready_file.exists() or self.proc.poll() is not None, timeout, "ready file")
        if not self.ready_file.exists():
            raise AssertionError(f"worker exited with {self.proc.returncode}: {self.stderr()}")
        return int(self.ready_file.read_text())

    def connect(self, port: int) -> None:
        """Open a channel to the worker's port (``stub`` and ``auth`` are then ready to use)."""
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = pb2_grpc.BridgeServiceStub(self.channel)

    def wait_exit(self, timeout: float = 15.0) -> int:
        return self.proc.wait(timeout)

    def stderr(self) -> str:
        return self.stderr_file.read_text(errors="replace") if self.stderr_file.exists() else ""

    def stop(self, timeout: float = 15.0) -> str:
        """SIGTERM, wait (kill after ``timeout``), close the channel; return everything on stderr."""
        if self.channel is not None:
            self.channel.close()
            self.channel = None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.stderr()


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def factory(
        *args: str, env: dict[str, str] | None = None, adapter: str = SHOWCASE, stdin: int | None = subprocess.DEVNULL
    ) -> WorkerProcess:
        worker = WorkerProcess.start(adapter, tmp_path / f"ready-{len(started)}", *args, env=env, stdin=stdin)
        started.append(worker)
        return worker

    yield factory
    for worker in started:
        worker.stop(timeout=10)
