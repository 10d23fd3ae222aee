"""Host tools for standalone workers over OpenHostChannel: a real worker process, this test as the host."""

from __future__ import annotations

import json
import queue
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from conftest import request
from test_standalone_worker import TOKEN, Standalone

from snakepit_bridge import snakepit_bridge_pb2 as pb2
from snakepit_bridge import snakepit_bridge_pb2_grpc as pb2_grpc
from snakepit_bridge.wire.codec import decode_any, encode_result

HOST = "test-host-1"


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Standalone]:
    (tmp_path / "token").write_text(TOKEN)
    started = Standalone(tmp_path, "--token-file", str(tmp_path / "token"))
    yield started
    assert started.stop() == 0, started.output


class FakeHost:
    """The host's end of one channel: sends the hello, then whatever the test answers."""

    def __init__(self, stub: pb2_grpc.BridgeServiceStub, host_id: str = HOST) -> None:
        self.up: queue.Queue[pb2.HostChannelUp | None] = queue.Queue()
        self.up.put(pb2.HostChannelUp(hello=pb2.HostChannelHello(host_id=host_id)))
        self.call = stub.OpenHostChannel(iter(self.up.get, None), metadata=[("x-snakepit-token", TOKEN)], timeout=60)
        self.down: Iterator[pb2.HostChannelDown] = iter(self.call)

    def next(self, kind: str) -> pb2.HostChannelDown:
        message = next(self.down)
        assert message.WhichOneof("request") == kind, message
        return message

    def reply(self, call_id: int, **answer: object) -> None:
        self.up.put(pb2.HostChannelUp(reply=pb2.HostChannelReply(call_id=call_id, **answer)))

    def list_tools(self, *names: str) -> None:
        listed = self.next("tools")
        tools = pb2.GetExposedElixirToolsResponse(tools=[pb2.ToolSpec(name=name) for name in names])
        self.reply(listed.call_id, tools=tools)

    def close(self) -> None:
        self.up.put(None)
        self.call.cancel()


def _headers(host_id: str | None = HOST) -> list[tuple[str, str]]:
    headers = [("x-snakepit-token", TOKEN)]
    return [*headers, ("x-snakepit-host", host_id)] if host_id else headers


def _error(reply: pb2.ExecuteToolResponse) -> dict:
    assert not reply.success, reply
    return json.loads(reply.error_message)


def test_registers_its_tools_and_runs_host_tools_over_the_channel(worker: Standalone) -> None:
    with worker.channel() as channel:
        stub = pb2_grpc.BridgeServiceStub(channel)
        host = FakeHost(stub)
        try:
            registered = host.next("register")
            assert registered.call_id == 0
            assert "call_host" in {tool.name for tool in registered.register.tools}

            call = stub.ExecuteTool.future(
                request("call_host", tool="double", arguments={"x": 21}), metadata=_headers(), timeout=30
            )
            host.list_tools("double")
            execute = host.next("execute")
            assert execute.execute.tool_name == "double"
            assert decode_any(execute.execute.parameters["x"]) == 21
            assert 0 < execute.timeout_ms <= 30_500, "the host call carries what the tool still waits"
            result, _ = encode_result(42)
            host.reply(execute.call_id, execute=pb2.ExecuteElixirToolResponse(success=True, result=result))
            reply = call.result()
            assert reply.success, reply.error_message
            assert decode_any(reply.result) == 42
        finally:
            host.close()


def test_a_failing_host_tool_fails_the_remote_tool_with_the_host_error(worker: Standalone) -> None:
    with worker.channel() as channel:
        stub = pb2_grpc.BridgeServiceStub(channel)
        host = FakeHost(stub)
        try:
            host.next("register")
            call = stub.ExecuteTool.future(request("call_host", tool="explode"), metadata=_headers(), timeout=30)
            host.list_tools("explode")
            execute = host.next("execute")
            document = json.dumps({"type": "java.lang.IllegalStateException", "message": "boom from Java"})
            host.reply(execute.call_id, execute=pb2.ExecuteElixirToolResponse(success=False, error_message=document))
            error = _error(call.result())
            assert error["type"] == "HostToolError"
            assert error["message"] == "Host tool 'explode' failed: java.lang.IllegalStateException: boom from Java"
        finally:
            host.close()


def test_a_channel_lost_mid_call_fails_the_host_call_typed_and_forgets_the_channel(worker: Standalone) -> None:
    with worker.channel() as channel:
        stub = pb2_grpc.BridgeServiceStub(channel)
        host = FakeHost(stub)
        host.next("register")
        call = stub.ExecuteTool.future(request("call_host", tool="slow"), metadata=_headers(), timeout=30)
        host.list_tools("slow")
        host.next("execute")
        host.close()  # the host goes away while the tool waits for its answer

        error = _error(call.result())
        assert error["type"] == "HostToolError"
        assert "HostChannelLost" in error["message"] and HOST in error["message"], error["message"]

        # The channel is gone: a later call of this host finds none (after the short wait for a reopen).
        again = _error(stub.ExecuteTool(request("call_host", tool="slow"), metadata=_headers(), timeout=30))
        assert "NoHostChannel" in again["message"] and HOST in again["message"], again["message"]


def test_host_tools_fail_typed_for_a_call_that_names_no_host(worker: Standalone) -> None:
    with worker.channel() as channel:
        stub = pb2_grpc.BridgeServiceStub(channel)
        error = _error(stub.ExecuteTool(request("call_host", tool="x"), metadata=_headers(None), timeout=30))
        assert "NoHostChannel" in error["message"] and "x-snakepit-host" in error["message"]


def test_a_channel_without_a_hello_is_refused(worker: Standalone) -> None:
    with worker.channel() as channel:
        stub = pb2_grpc.BridgeServiceStub(channel)
        call = stub.OpenHostChannel(
            iter([pb2.HostChannelUp(reply=pb2.HostChannelReply(call_id=1))]), metadata=_headers(), timeout=30
        )
        with pytest.raises(grpc.RpcError) as refused:
            list(call)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "hello" in refused.value.details()


def test_sigterm_ends_host_channels_once_calls_finished_instead_of_waiting_the_grace(worker: Standalone) -> None:
    with worker.channel() as channel:
        stub = pb2_grpc.BridgeServiceStub(channel)
        host = FakeHost(stub)
        host.next("register")
        worker.terminate()  # --drain-grace is 30 s: the test's 60 s stream deadline would expose a wait
        with pytest.raises(StopIteration):
            next(host.down)
        host.up.put(None)
    assert worker.stop() == 0
