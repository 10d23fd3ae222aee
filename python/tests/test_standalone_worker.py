"""The standalone worker for remote pools, as a real process: --listen, token, TLS, health, drain."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from conftest import request, wait_until
from grpc_health.v1 import health_pb2, health_pb2_grpc

from snakepit_bridge import snakepit_bridge_pb2 as pb2
from snakepit_bridge import snakepit_bridge_pb2_grpc as pb2_grpc
from snakepit_bridge.codec import decode_any

ENTRY = ["-m", "snakepit_bridge.server"]
ADAPTER = "snakepit_bridge.adapters.showcase.ShowcaseAdapter"
TOKEN = "remote-test-token"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate (openssl CLI)."""
    if not _which("openssl"):
        pytest.skip("openssl CLI not installed (needed to make test certificates)")
    d = tmp_path_factory.mktemp("pki")
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=snakepit test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        cwd=d,
    )
    for name, ext in (
        ("server", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
        ("client", "extendedKeyUsage=clientAuth"),
    ):
        _openssl(
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            f"/CN={name}",
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            cwd=d,
        )
        (d / f"{name}.ext").write_text(ext + "\n")
        _openssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            f"{name}.ext",
            "-out",
            f"{name}.crt",
            cwd=d,
        )
    (d / "token").write_text(TOKEN + "\n")
    return d


def _which(name: str) -> bool:
    return any(os.access(os.path.join(p, name), os.X_OK) for p in os.environ.get("PATH", "").split(os.pathsep))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Standalone:
    """A standalone worker process on 127.0.0.1, port from the ready file."""

    def __init__(self, tmp: Path, *flags: str, listen: str = "127.0.0.1:0") -> None:
        self.ready = tmp / f"ready-{os.urandom(4).hex()}"
        self.log = self.ready.with_suffix(".log")
        self.terminated = False
        env = dict(os.environ, SNAKEPIT_READY_FILE=str(self.ready))
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, *ENTRY, "--listen", listen, "--adapter", ADAPTER, *flags],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(lambda: self.ready.exists() or self.process.poll() is not None, 30, "the worker's ready file")
        if not self.ready.exists():
            raise AssertionError(f"worker exited {self.process.wait()}: {self.output}")
        self.port = int(self.ready.read_text())

    def channel(self, credentials: grpc.ChannelCredentials | None = None) -> grpc.Channel:
        target = f"localhost:{self.port}" if credentials else f"127.0.0.1:{self.port}"
        return grpc.secure_channel(target, credentials) if credentials else grpc.insecure_channel(target)

    def terminate(self) -> None:
        """SIGTERM once (a second one during the drain would kill the worker outright)."""
        if not self.terminated and self.process.poll() is None:
            self.terminated = True
            self.process.send_signal(signal.SIGTERM)

    def stop(self) -> int:
        self.terminate()
        try:
            code = self.process.wait(30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(10)
        return code

    @property
    def output(self) -> str:
        return self.log.read_text()


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator:
    started: list[Standalone] = []

    def start(*flags: str, listen: str = "127.0.0.1:0") -> Standalone:
        worker = Standalone(tmp_path, *flags, listen=listen)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def _refused(*flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *ENTRY, "--adapter", ADAPTER, *flags], capture_output=True, text=True, timeout=60
    )


def _token(value: str = TOKEN) -> list[tuple[str, str]]:
    return [("x-snakepit-token", value)]


def test_refuses_a_non_loopback_address_without_a_token() -> None:
    result = _refused("--listen", "0.0.0.0:0")
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0:0 without a token" in result.stderr
    assert "--token-file" in result.stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--listen", "127.0.0.1"], "--listen must be HOST:PORT"),
        (["--listen", "127.0.0.1:0", "--tls-cert", "x.crt"], "--tls-cert and --tls-key go together"),
        (["--listen", "127.0.0.1:0", "--max-concurrency", "0"], "--max-concurrency must be at least 1"),
        (["--listen", "127.0.0.1:0", "--token-file", "/nonexistent/token"], "--token-file '/nonexistent/token'"),
    ],
)
def test_rejects_bad_flags_naming_them(flags: list[str], message: str) -> None:
    result = _refused(*flags)
    assert result.returncode == 2
    assert message in result.stderr


def test_serves_tools_health_and_incarnation_with_the_token(spawn, pki: Path) -> None:
    worker = spawn("--token-file", str(pki / "token"))
    with worker.channel() as channel:
        health = health_pb2_grpc.HealthStub(channel)
        assert health.Check(health_pb2.HealthCheckRequest(), timeout=10).status == SERVING
        assert (
            health.Check(health_pb2.HealthCheckRequest(service="snakepit.bridge.BridgeService"), timeout=10).status
            == SERVING
        )
        stub = pb2_grpc.BridgeServiceStub(channel)
        _, call = stub.Ping.with_call(pb2.PingRequest(message="hi"), metadata=_token(), timeout=10)
        trailers = dict(call.trailing_metadata())
        assert trailers["x-snakepit-max-concurrency"] == "4"
        incarnation = trailers["x-snakepit-incarnation"]
        reply = stub.ExecuteTool(request("echo", message={"a": 1}), metadata=_token(), timeout=10)
        assert reply.success and decode_any(reply.result) == {"a": 1}

        with pytest.raises(grpc.RpcError) as wrong:
            stub.ExecuteTool(request("echo", message=1), metadata=_token("wrong"), timeout=10)
        assert wrong.value.code() == grpc.StatusCode.UNAUTHENTICATED

        with pytest.raises(grpc.RpcError) as lost:
            stub.ExecuteTool(
                request("echo", message=1, metadata={"snakepit.incarnation": "old-one"}), metadata=_token(), timeout=10
            )
        assert lost.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "snakepit.worker_lost" in lost.value.details() and incarnation in lost.value.details()
    assert worker.stop() == 0


def test_speaks_tls_and_requires_client_certificates_when_given_a_client_ca(spawn, pki: Path) -> None:
    worker = spawn(
        "--token-file",
        str(pki / "token"),
        "--tls-cert",
        str(pki / "server.crt"),
        "--tls-key",
        str(pki / "server.key"),
        "--tls-client-ca",
        str(pki / "ca.crt"),
    )
    ca = (pki / "ca.crt").read_bytes()
    with_cert = grpc.ssl_channel_credentials(ca, (pki / "client.key").read_bytes(), (pki / "client.crt").read_bytes())
    with worker.channel(with_cert) as channel:
        reply = pb2_grpc.BridgeServiceStub(channel).ExecuteTool(
            request("echo", message="tls"), metadata=_token(), timeout=10
        )
        assert reply.success and decode_any(reply.result) == "tls"
    with worker.channel(grpc.ssl_channel_credentials(ca)) as channel, pytest.raises(grpc.RpcError) as no_cert:
        pb2_grpc.BridgeServiceStub(channel).Ping(pb2.PingRequest(), metadata=_token(), timeout=10)
    assert no_cert.value.code() == grpc.StatusCode.UNAVAILABLE
    with worker.channel() as plaintext, pytest.raises(grpc.RpcError) as plain:
        pb2_grpc.BridgeServiceStub(plaintext).Ping(pb2.PingRequest(), metadata=_token(), timeout=10)
    assert plain.value.code() == grpc.StatusCode.UNAVAILABLE


def test_sigterm_drains_in_flight_calls_and_reports_not_serving(spawn, pki: Path) -> None:
    health_port = _free_port()
    worker = spawn(
        "--token-file", str(pki / "token"), "--health-listen", f"127.0.0.1:{health_port}", "--drain-grace", "30"
    )
    with worker.channel() as channel, grpc.insecure_channel(f"127.0.0.1:{health_port}") as health_channel:
        stub = pb2_grpc.BridgeServiceStub(channel)
        health = health_pb2_grpc.HealthStub(health_channel)
        assert health.Check(health_pb2.HealthCheckRequest(), timeout=10).status == SERVING
        outcome: dict[str, object] = {}

        def slow_call() -> None:
            try:
                outcome["reply"] = stub.ExecuteTool(request("sleep", ms=1500), metadata=_token(), timeout=60)
            except grpc.RpcError as exc:  # pragma: no cover - reported by the assertion below
                outcome["error"] = exc

        thread = threading.Thread(target=slow_call)
        thread.start()
        wait_until(
            lambda: stub.Ping(pb2.PingRequest(), metadata=_token(), timeout=10).active_calls >= 1,
            30,
            "the slow call to start",
        )
        worker.terminate()
        wait_until(
            lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=10).status == NOT_SERVING,
            30,
            "NOT_SERVING after SIGTERM",
        )
        with pytest.raises(grpc.RpcError) as refused:
            stub.ExecuteTool(request("echo", message=1), metadata=_token(), timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        thread.join(60)
        assert "error" not in outcome, outcome.get("error")
        assert outcome["reply"].success
    assert worker.stop() == 0
    assert "draining" in worker.output


def test_max_concurrency_queues_calls_beyond_the_limit(spawn, pki: Path) -> None:
    worker = spawn("--token-file", str(pki / "token"), "--max-concurrency", "1")
    finished: list[str] = []
    with worker.channel() as channel:
        stub = pb2_grpc.BridgeServiceStub(channel)
        first = stub.ExecuteTool.future(request("sleep", ms=800), metadata=_token(), timeout=60)
        wait_until(
            lambda: stub.Ping(pb2.PingRequest(), metadata=_token(), timeout=10).active_calls >= 1,
            30,
            "the first call to start",
        )
        first.add_done_callback(lambda _: finished.append("first"))
        second = stub.ExecuteTool.future(request("echo", message=2), metadata=_token(), timeout=60)
        second.add_done_callback(lambda _: finished.append("second"))
        assert second.result().success and first.result().success
    assert finished == ["first", "second"], "the second call waited for the only slot"
