"""The fork server: a real template process forks real workers (python -m snakepit_bridge.zygote)."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from conftest import TOKEN, wait_until

from snakepit_bridge import snakepit_bridge_pb2 as pb2
from snakepit_bridge import snakepit_bridge_pb2_grpc as pb2_grpc
from snakepit_bridge.zygote import fork_unsafe_reason

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server forks on Linux only")

ADAPTERS = Path(__file__).parent / "zygote_adapters"
PRELOADING = "preloading.PreloadingAdapter"
ORPHAN_BOUND_S = 3.0  # the contract says 2 s; a loaded test machine gets a little slack


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class OutputSocket:
    """The host's side of the output socket: collects each worker's lines by (worker id, stream)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: dict[tuple[str, str], list[str]] = {}
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(16)
        self.threads: list[threading.Thread] = []
        self.acceptor = threading.Thread(target=self._accept, name="test-output-accept", daemon=True)
        self.acceptor.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._read, args=(conn,), name="test-output-read", daemon=True)
            self.threads.append(thread)
            thread.start()

    def _read(self, conn: socket.socket) -> None:
        with conn, conn.makefile("r", encoding="utf-8", errors="replace") as reader:
            header = reader.readline().split()
            key = (header[0], header[1]) if len(header) == 2 else ("?", "?")
            for line in reader:
                self.lines.setdefault(key, []).append(line.rstrip("\n"))

    def text(self, worker_id: str, stream: str) -> str:
        return "\n".join(self.lines.get((worker_id, stream), []))

    def close(self) -> None:
        self.server.close()


class Template:
    """A template process started like the host starts it, with helpers to talk to it."""

    def __init__(self, tmp: Path, adapter: str, extra_path: list[Path], preload: list[str]) -> None:
        self.tmp = tmp
        self.adapter = adapter
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SNAKEPIT_")}
        self.env.update(
            PYTHONUNBUFFERED="1",
            PYTHONPATH=os.pathsep.join(str(p) for p in [ADAPTERS, *extra_path]),
            SNAKEPIT_PARENT_PID=str(os.getpid()),
        )
        if "SNAKEPIT_TEST_MARKER" in os.environ:
            self.env["SNAKEPIT_TEST_MARKER"] = os.environ["SNAKEPIT_TEST_MARKER"]
        args = [sys.executable, "-m", "snakepit_bridge.zygote", "--adapter", adapter, "--snakepit-run-id", "run-zygote"]
        for module in preload:
            args += ["--preload", module]
        self.proc = subprocess.Popen(
            args, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        self.buffer = b""
        self.events: list[dict[str, Any]] = []
        self.forked: list[int] = []

    def event(self, timeout: float = 20.0, match: Callable[[dict[str, Any]], bool] = lambda e: True) -> dict[str, Any]:
        """The next event matching ``match`` (earlier non-matching ones are kept)."""
        for seen in self.events:
            if match(seen):
                self.events.remove(seen)
                return seen
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                event = json.loads(line)
                if match(event):
                    return event
                self.events.append(event)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no template event within {timeout}s; stderr: {self.stderr()}")
            ready, _, _ = select.select([self.proc.stdout], [], [], remaining)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise AssertionError(f"the template exited ({self.proc.wait(5)}): {self.stderr()}")
                self.buffer += chunk

    def fork(self, worker_id: str, output: OutputSocket | None = None, **env: str) -> tuple[int, Path]:
        ready = self.tmp / f"{worker_id}.ready"
        worker_env = dict(self.env, SNAKEPIT_READY_FILE=str(ready), SNAKEPIT_WORKER_ID=worker_id)
        worker_env.update(env)
        request = {
            "op": "fork",
            "id": worker_id,
            "argv": ["--adapter", self.adapter, "--port", "0", "--snakepit-run-id", "run-zygote"],
            "env": worker_env,
            "cwd": str(self.tmp),
            "output": str(output.path) if output else None,
        }
        self.send(request)
        event = self.event(match=lambda e: e.get("id") == worker_id)
        assert event["event"] == "forked", event
        self.forked.append(event["pid"])
        return event["pid"], ready

    def send(self, request: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        self.proc.stdin.flush()

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return "(still running)"
        return self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""

    def close(self) -> None:
        for pid in self.forked:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def template(tmp_path: Path) -> Iterator[Callable[..., Template]]:
    started: list[Template] = []

    def factory(adapter: str = PRELOADING, extra_path: list[Path] | None = None, preload: list[str] | None = None):
        started.append(Template(tmp_path, adapter, extra_path or [], preload or []))
        return started[-1]

    yield factory
    for each in started:
        each.close()


@pytest.fixture
def output(tmp_path: Path) -> Iterator[OutputSocket]:
    sock = OutputSocket(tmp_path / "out.sock")
    yield sock
    sock.close()


def test_forked_worker_is_a_full_worker(template, output, tmp_path):
    tpl = template(preload=["json,decimal"])
    ready = tpl.event()
    assert ready["event"] == "ready" and ready["fork"] is True, ready
    assert ready["reason"] is None

    report = tmp_path / "report.json"
    pid, ready_file = tpl.fork("zw-1", output, ZYGOTE_TEST_REPORT=str(report), SNAKEPIT_AUTH_TOKEN=TOKEN)
    wait_until(ready_file.exists, 20, "the forked worker's ready file")
    port = int(ready_file.read_text())

    facts = json.loads(report.read_text())
    assert facts["preloaded_in"] == tpl.proc.pid, "preload() ran once, in the template"
    assert facts["preload_calls"] == 1
    assert facts["pid"] == pid != tpl.proc.pid
    assert facts["pgid"] == pid, "the worker leads its own process group"
    assert facts["worker_id"] == "zw-1"
    assert facts["cwd"] == str(tmp_path)

    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = pb2_grpc.BridgeServiceStub(channel)
        reply = stub.Ping(pb2.PingRequest(message="hi"), metadata=[("x-snakepit-token", TOKEN)], timeout=10)
        assert "hi" in reply.message

    wait_until(lambda: "listening on" in output.text("zw-1", "stderr"), 10, "the worker's log on its own stderr")
    wait_until(lambda: "stdout line from zw-1" in output.text("zw-1", "stdout"), 10, "the worker's own stdout")

    os.kill(pid, signal.SIGKILL)
    exit_event = tpl.event(match=lambda e: e.get("event") == "exit")
    assert exit_event == {"event": "exit", "pid": pid, "code": 128 + signal.SIGKILL}
    assert not alive(pid)


def test_a_spawned_worker_runs_the_preload_hook_itself_once(tmp_path):
    report = tmp_path / "report.json"
    ready = tmp_path / "spawned.ready"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAKEPIT_")}
    env.update(
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ADAPTERS),
        SNAKEPIT_READY_FILE=str(ready),
        ZYGOTE_TEST_REPORT=str(report),
        SNAKEPIT_TEST_MARKER=os.environ.get("SNAKEPIT_TEST_MARKER", ""),
    )
    args = [sys.executable, "-m", "snakepit_bridge.server", "--adapter", PRELOADING, "--port", "0"]
    proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: ready.exists() or proc.poll() is not None, 20, "the spawned worker's ready file")
        facts = json.loads(report.read_text())
        assert facts["preloaded_in"] == proc.pid and facts["preload_calls"] == 1
    finally:
        proc.kill()
        proc.wait(10)
        proc.stderr.close()


def test_each_fork_is_a_separate_worker_and_exit_codes_are_reported(template, tmp_path):
    tpl = template()
    assert tpl.event()["fork"] is True
    first, ready1 = tpl.fork("zw-a")
    second, ready2 = tpl.fork("zw-b")
    wait_until(lambda: ready1.exists() and ready2.exists(), 20, "both ready files")
    assert first != second and ready1.read_text() != ready2.read_text()
    os.kill(first, signal.SIGTERM)
    event = tpl.event(match=lambda e: e.get("event") == "exit")
    assert event == {"event": "exit", "pid": first, "code": 0}, "a graceful stop exits 0"
    assert alive(second)


def test_workers_exit_when_the_template_is_killed(template):
    tpl = template()
    assert tpl.event()["fork"] is True
    pids = []
    for n in range(2):
        pid, ready = tpl.fork(f"zw-k{n}")
        wait_until(ready.exists, 20, "ready file")
        pids.append(pid)
    tpl.proc.kill()
    wait_until(lambda: not any(alive(p) for p in pids), ORPHAN_BOUND_S, "the forked workers to exit")


def test_template_and_workers_exit_when_the_control_channel_closes(template):
    tpl = template()
    assert tpl.event()["fork"] is True
    pid, ready = tpl.fork("zw-eof")
    wait_until(ready.exists, 20, "ready file")
    tpl.proc.stdin.close()
    tpl.proc.stdin = None
    assert tpl.proc.wait(ORPHAN_BOUND_S) == 0
    wait_until(lambda: not alive(pid), ORPHAN_BOUND_S, "the forked worker to exit")


HOST_STAND_IN = textwrap.dedent(
    """
    import json, os, subprocess, sys, time
    env = dict(os.environ, SNAKEPIT_PARENT_PID=str(os.getpid()))
    tpl = subprocess.Popen([sys.executable, "-m", "snakepit_bridge.zygote", "--adapter", sys.argv[1]],
                           env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert json.loads(tpl.stdout.readline())["fork"]
    ready = sys.argv[2]
    request = {"op": "fork", "id": "zw-orphan", "argv": ["--adapter", sys.argv[1], "--port", "0"],
               "env": dict(env, SNAKEPIT_READY_FILE=ready, SNAKEPIT_WORKER_ID="zw-orphan")}
    tpl.stdin.write((json.dumps(request) + "\\n").encode()); tpl.stdin.flush()
    pid = json.loads(tpl.stdout.readline())["pid"]
    while not os.path.exists(ready):
        time.sleep(0.01)
    print(json.dumps({"template": tpl.pid, "worker": pid}), flush=True)
    time.sleep(600)
    """
)


def test_template_and_workers_exit_when_the_host_is_killed_with_sigkill(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNAKEPIT_")}
    env.update(PYTHONUNBUFFERED="1", PYTHONPATH=str(ADAPTERS))
    if "SNAKEPIT_TEST_MARKER" in os.environ:
        env["SNAKEPIT_TEST_MARKER"] = os.environ["SNAKEPIT_TEST_MARKER"]
    host = subprocess.Popen(
        [sys.executable, "-c", HOST_STAND_IN, PRELOADING, str(tmp_path / "orphan.ready")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    pids: dict[str, int] = {}
    try:
        ready, _, _ = select.select([host.stdout], [], [], 30)
        assert ready, "the stand-in host did not report its pids"
        pids = json.loads(host.stdout.readline())
        assert alive(pids["template"]) and alive(pids["worker"])
        host.kill()
        host.wait(10)
        wait_until(
            lambda: not alive(pids["template"]) and not alive(pids["worker"]),
            ORPHAN_BOUND_S,
            "the template and its worker to exit after the host's SIGKILL",
        )
    finally:
        host.kill()
        host.wait(10)
        host.stdout.close()
        for pid in pids.values():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_thread_alive_at_fork_time_means_spawn(template):
    tpl = template("threaded.ThreadedAdapter")
    ready = tpl.event()
    assert ready["fork"] is False
    assert "thread" in ready["reason"] and "import-time-thread" in ready["reason"], ready["reason"]
    assert tpl.proc.wait(10) == 0, "a template that cannot fork exits"


def test_a_grpc_channel_created_in_the_template_means_spawn(template):
    tpl = template("grpc_channel.GrpcChannelAdapter")
    ready = tpl.event()
    assert ready["fork"] is False
    assert "gRPC channel or server" in ready["reason"], ready["reason"]


def test_initialised_cuda_means_spawn(template):
    tpl = template("cuda_user.CudaAdapter", extra_path=[ADAPTERS / "fake_torch"])
    ready = tpl.event()
    assert ready["fork"] is False
    assert "CUDA" in ready["reason"], ready["reason"]


def test_macos_never_forks():
    reason = fork_unsafe_reason(platform="darwin", modules={}, threads=["python"])
    assert reason is not None and "macOS" in reason
    assert fork_unsafe_reason(platform="linux", modules={}, threads=["python"]) is None


def test_an_adapter_that_fails_to_import_is_reported(template):
    tpl = template("broken.BrokenAdapter")
    event = tpl.event()
    assert event["event"] == "failed"
    assert "broken on purpose" in event["message"]
    assert tpl.proc.wait(10) == 3


def test_the_jvm_watch_stops_the_worker_when_the_jvm_exits_without_polling(tmp_path):
    """A pidfd tells the watch at once: with a polling interval of an hour it still acts within 2 s."""
    if not hasattr(os, "pidfd_open"):
        pytest.skip("no pidfd on this platform: the watch polls")
    jvm = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    code = (
        "import signal, sys, time\n"
        "from snakepit_bridge.zygote.child import JvmWatch\n"
        "signal.signal(signal.SIGTERM, lambda *_: (print('stopping', flush=True), sys.exit(0)))\n"
        f"JvmWatch({jvm.pid}, interval_s=3600).start()\n"
        "print('watching', flush=True)\n"
        "time.sleep(60)\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout.readline().strip() == "watching"
        jvm.kill()
        jvm.wait(10)
        assert worker.wait(2) == 0
        assert worker.stdout.read().strip() == "stopping"
    finally:
        for process in (jvm, worker):
            if process.poll() is None:
                process.kill()
                process.wait(10)
