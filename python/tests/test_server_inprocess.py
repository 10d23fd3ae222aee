"""A real grpc.aio worker server on port 0, in process: results, errors, streaming, cancellation,
authentication and host tools."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import threading
from typing import Any

import grpc
import pytest
from conftest import FakeHost, Worker, request, wait_until

from snakepit_bridge import (
    BaseAdapter,
    HostToolError,
    HostToolNotFoundError,
    SessionContext,
    StreamChunk,
    current_context,
    tool,
)
from snakepit_bridge import snakepit_bridge_pb2 as pb2
from snakepit_bridge.host import HostClient


class StreamAdapter(BaseAdapter):
    def __init__(self) -> None:
        super().__init__()
        self.closed = threading.Event()
        self.async_closed = threading.Event()

    @tool
    def explicit(self) -> Any:
        yield StreamChunk("a", metadata={"k": "v"})
        yield StreamChunk(b"\x00\x01", is_final=True)
        yield "never sent"

    @tool
    async def unmarked(self, n: int = 2) -> Any:
        for i in range(n):
            yield {"i": i}

    @tool
    def broken(self) -> Any:
        yield {"ok": 1}
        raise RuntimeError("exploded mid-stream")

    @tool
    def endless_sync(self) -> Any:
        try:
            i = 0
            while True:
                i += 1
                yield i
                current_context().wait_cancelled(0.01)
        finally:
            self.closed.set()

    @tool
    async def endless_async(self) -> Any:
        try:
            while True:
                yield "tick"
                await asyncio.sleep(0.01)
        finally:
            self.async_closed.set()

    @tool
    def plain(self) -> list:
        return [1, 2]


class PlainAdapter:
    """Not a BaseAdapter: Snakepit-style explicit execute_tool."""

    def __init__(self) -> None:
        self.contexts: list[SessionContext] = []

    def set_session_context(self, context: SessionContext) -> None:
        self.contexts.append(context)

    def execute_tool(self, tool_name: str, arguments: dict, context: SessionContext) -> Any:
        if tool_name == "hello":
            return f"hello {arguments['name']} from {context.session_id}"
        raise KeyError(tool_name)


# -- Ping, results -----------------------------------------------------------------------------


def test_ping_answers_pong_with_server_time(showcase_worker: Worker) -> None:
    response = showcase_worker.stub.Ping(pb2.PingRequest(message="hi"), metadata=showcase_worker.metadata)
    assert response.message == "pong: hi"
    assert response.server_time.seconds > 0


def test_result_kinds_and_metadata(showcase_worker: Worker) -> None:
    response = showcase_worker.execute("add", a=2, b=2)
    assert response.success
    assert response.result.type_url == "type.googleapis.com/snakepit.float"
    assert response.result.value == b"4"
    assert response.metadata["snakepit.worker_id"] == "test-worker-1"
    assert showcase_worker.call("add", a=2, b=0.5) == 2.5
    kinds = {
        "map": {"a": [1]},
        "list": [1, "x"],
        "string": "text",
        "boolean": True,
        "null": None,
    }
    for kind, value in kinds.items():
        response = showcase_worker.execute("echo", message=value)
        assert response.result.type_url == f"type.googleapis.com/snakepit.{kind}"
        assert json.loads(response.result.value) == value


def test_literal_and_defaults(showcase_worker: Worker) -> None:
    assert showcase_worker.call("process_text", text="Abc")["result"] == "ABC"
    assert showcase_worker.call("process_text", text="Abc", operation="reverse")["result"] == "cbA"
    error = showcase_worker.error("process_text", text="Abc", operation="title")
    assert error["type"] == "InvalidArgumentsError"
    assert error["context"]["parameter"] == "operation"


def test_binary_both_ways(showcase_worker: Worker) -> None:
    payload = random.Random(7).randbytes(3 * 1024 * 1024)
    info = showcase_worker.call("process_binary", binary={"data": payload})
    assert info == {"size": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}
    response = showcase_worker.execute("echo_bytes", binary={"data": payload})
    assert response.result.type_url == "type.googleapis.com/snakepit.binary"
    assert json.loads(response.result.value) == {"size": len(payload)}
    assert response.binary_result == payload
    generated = showcase_worker.call("generate_bytes", size=1000, seed=3)
    assert generated == showcase_worker.call("generate_bytes", size=1000, seed=3)
    assert len(generated) == 1000


def test_session_counter_is_per_session(showcase_worker: Worker) -> None:
    assert showcase_worker.call("session_counter", session_id="a")["counter"] == 1
    assert showcase_worker.call("session_counter", session_id="a", increment=5)["counter"] == 6
    assert showcase_worker.call("session_counter", session_id="b")["counter"] == 1


def test_adapter_info(showcase_worker: Worker) -> None:
    info = showcase_worker.call("adapter_info")
    assert info["adapter"] == "ShowcaseAdapter"
    assert info["worker_id"] == "test-worker-1"
    assert info["tool_count"] == len(info["tools"])
    assert {"ping", "echo", "add", "process_text", "stream_progress", "fail", "sleep", "call_host"} <= set(
        info["tools"]
    )
    assert info["counters"]["calls"] >= 1
    assert info["grpcio_version"] == grpc.__version__


# -- errors ----------------------------------------------------------------------------------


def test_unknown_tool_error_json(showcase_worker: Worker) -> None:
    error = showcase_worker.error("nope", session_id="sess")
    assert error["type"] == "ToolNotFoundError"
    assert "add" in error["context"]["available_tools"]
    assert error["context"]["tool_name"] == "nope"
    assert error["context"]["session_id"] == "sess"
    assert error["context"]["worker_id"] == "test-worker-1"
    assert error["message"].startswith("Unknown tool 'nope'")


def test_missing_and_mistyped_arguments(showcase_worker: Worker) -> None:
    error = showcase_worker.error("add", a=1)
    assert error["type"] == "InvalidArgumentsError"
    assert error["message"] == ("Missing required argument 'b' (float) for tool 'add'. Parameters: a: float, b: float.")
    assert (
        error["context"] | {"parameter": "b", "expected": "float", "received": None, "problem": "missing"}
        == (error["context"])
    )
    error = showcase_worker.error("add", a="x", b=1)
    assert (error["context"]["problem"], error["context"]["received"]) == ("type", "str")


def test_malformed_json_argument(showcase_worker: Worker) -> None:
    req = request("add")
    req.parameters["a"].type_url = "type.googleapis.com/google.protobuf.StringValue"
    req.parameters["a"].value = b"{not json"
    response = showcase_worker.stub.ExecuteTool(req, timeout=5, metadata=showcase_worker.metadata)
    error = json.loads(response.error_message)
    assert error["type"] == "InvalidArgumentsError"
    assert error["context"]["problem"] == "malformed_json"
    assert error["context"]["parameter"] == "a"


def test_packed_wrapper_arguments_are_accepted(showcase_worker: Worker) -> None:
    from google.protobuf import wrappers_pb2

    req = request("echo")
    req.parameters["message"].Pack(wrappers_pb2.StringValue(value="packed"))
    response = showcase_worker.stub.ExecuteTool(req, timeout=5, metadata=showcase_worker.metadata)
    assert json.loads(response.result.value) == "packed"


def test_tool_exception_becomes_error_json(showcase_worker: Worker) -> None:
    error = showcase_worker.error("fail", error_type="KeyError", message="no key")
    assert error["type"] == "KeyError"
    assert "Traceback" in error["traceback"] and error["stacktrace"]
    custom = showcase_worker.error("fail", error_type="Whatever", message="custom")
    assert custom["type"] == "snakepit_bridge.adapters.showcase.ShowcaseError"
    assert custom["message"] == "custom"


def test_an_object_without_json_form_becomes_the_unserializable_marker(make_worker) -> None:
    class Odd(BaseAdapter):
        @tool
        def obj(self) -> Any:
            return {"kept": 1, "odd": object()}

        @tool
        def bad_key(self) -> Any:
            return {(1, 2): "tuple keys have no JSON form"}

    worker = make_worker(Odd())
    assert worker.call("obj") == {"kept": 1, "odd": {"__ffi_unserializable__": True, "__type__": "builtins.object"}}
    error = worker.error("bad_key")
    assert error["type"] == "SerializationError"
    assert error["context"]["result_type"] == "dict"


# -- plain adapters, generators through ExecuteTool -------------------------------------------


def test_plain_snakepit_style_adapter(make_worker) -> None:
    adapter = PlainAdapter()
    worker = make_worker(adapter)
    assert worker.call("hello", name="bob", session_id="s9") == "hello bob from s9"
    assert adapter.contexts[0].session_id == "s9"
    assert worker.error("other")["type"] == "KeyError"


def test_generator_through_execute_tool_returns_the_list(make_worker) -> None:
    worker = make_worker(StreamAdapter())
    assert worker.call("unmarked", n=3) == [{"i": 0}, {"i": 1}, {"i": 2}]


# -- streaming ---------------------------------------------------------------------------------


def test_stream_progress_marks_the_last_chunk_final(showcase_worker: Worker) -> None:
    chunks = list(showcase_worker.stream("stream_progress", steps=3, delay_ms=1))
    assert [c.chunk_id for c in chunks] == ["1", "2", "3"]
    assert [c.is_final for c in chunks] == [False, False, True]
    last = json.loads(chunks[-1].data)
    assert (last["step"], last["total"], last["progress"], last["is_final"]) == (3, 3, 100, True)
    assert chunks[0].metadata["content_type"] == "application/json"


def test_stream_chunks_and_appended_final_chunk(make_worker) -> None:
    worker = make_worker(StreamAdapter())
    explicit = list(worker.stream("explicit"))
    assert [(c.data, c.is_final) for c in explicit] == [(b"a", False), (b"\x00\x01", True)]
    assert explicit[0].metadata["k"] == "v" and explicit[0].metadata["content_type"] == "text/plain"
    assert explicit[1].metadata["content_type"] == "application/octet-stream"
    unmarked = list(worker.stream("unmarked", n=2))
    assert [(c.data, c.is_final) for c in unmarked] == [(b'{"i":0}', False), (b'{"i":1}', False), (b"", True)]
    single = list(worker.stream("plain"))
    assert [(c.data, c.is_final) for c in single] == [(b"[1,2]", False), (b"", True)]


def test_error_mid_stream_aborts_with_internal_and_json_details(make_worker) -> None:
    worker = make_worker(StreamAdapter())
    received = []
    with pytest.raises(grpc.RpcError) as info:
        for chunk in worker.stream("broken"):
            received.append(chunk)
    assert len(received) == 1
    assert info.value.code() == grpc.StatusCode.INTERNAL
    details = json.loads(info.value.details())
    assert details["type"] == "RuntimeError" and details["message"] == "exploded mid-stream"
    assert details["context"]["tool_name"] == "broken"


def test_stream_of_unknown_tool_is_not_found(showcase_worker: Worker) -> None:
    with pytest.raises(grpc.RpcError) as info:
        list(showcase_worker.stream("nope"))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    assert json.loads(info.value.details())["type"] == "ToolNotFoundError"


@pytest.mark.parametrize("tool_name", ["endless_sync", "endless_async"])
def test_client_cancel_closes_the_generator(make_worker, tool_name: str) -> None:
    adapter = StreamAdapter()
    worker = make_worker(adapter)
    call = worker.stream(tool_name)
    assert next(call).chunk_id == "1"
    call.cancel()
    closed = adapter.closed if tool_name == "endless_sync" else adapter.async_closed
    assert closed.wait(5), "generator finally block did not run"


def test_cancelled_showcase_stream_counts_closed_early(showcase_worker: Worker) -> None:
    call = showcase_worker.stream("stream_progress", steps=1000, delay_ms=5)
    next(call)
    call.cancel()
    wait_until(
        lambda: showcase_worker.call("adapter_info")["counters"]["streams_closed_early"] == 1,
        message="streams_closed_early",
    )


# -- cancellation ------------------------------------------------------------------------------


def test_deadline_cancels_async_tool(showcase_worker: Worker) -> None:
    with pytest.raises(grpc.RpcError) as info:
        showcase_worker.execute("sleep", ms=30_000, timeout=0.3)
    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    wait_until(
        lambda: showcase_worker.call("adapter_info")["counters"]["cancelled_calls"] == 1,
        message="async tool cancellation",
    )


def test_deadline_cancels_sync_tool_via_context_flag(showcase_worker: Worker) -> None:
    with pytest.raises(grpc.RpcError):
        showcase_worker.execute("sleep_sync", ms=30_000, timeout=0.3)
    wait_until(
        lambda: showcase_worker.call("adapter_info")["counters"]["cancelled_calls"] == 1,
        message="sync tool saw ctx.cancelled",
    )


def test_timeout_ms_metadata_cancels_with_error_json(showcase_worker: Worker) -> None:
    error = showcase_worker.error("sleep", ms=30_000, metadata={"timeout_ms": "100"})
    assert error["type"] == "CancelledError"
    assert error["context"]["reason"] == "timeout"


def test_sync_tools_do_not_block_the_event_loop(showcase_worker: Worker) -> None:
    slow = showcase_worker.stub.ExecuteTool.future(
        request("sleep_sync", ms=2000), timeout=10, metadata=showcase_worker.metadata
    )
    assert showcase_worker.call("add", a=1, b=1) == 2
    assert not slow.done()
    slow.cancel()


# -- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize("metadata", [[], [("x-snakepit-token", "wrong")]])
def test_calls_without_the_token_are_unauthenticated(showcase_worker: Worker, metadata: list) -> None:
    with pytest.raises(grpc.RpcError) as info:
        showcase_worker.stub.ExecuteTool(request("add", a=1, b=1), timeout=5, metadata=metadata)
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as info:
        list(showcase_worker.stub.ExecuteStreamingTool(request("stream_progress"), timeout=5, metadata=metadata))
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_host_only_rpcs_are_unimplemented(showcase_worker: Worker) -> None:
    with pytest.raises(grpc.RpcError) as info:
        showcase_worker.stub.Heartbeat(pb2.HeartbeatRequest(), timeout=5, metadata=showcase_worker.metadata)
    assert info.value.code() == grpc.StatusCode.UNIMPLEMENTED


# -- host tools ------------------------------------------------------------------------------


@pytest.fixture
def host_worker(make_worker, fake_host: FakeHost) -> Worker:
    from snakepit_bridge.adapters.showcase import ShowcaseAdapter

    client = HostClient(fake_host.address, token="s3cret-token", worker_id="hw-1")
    worker = make_worker(ShowcaseAdapter(), host_client=client, worker_id="hw-1")
    yield worker
    client.close()


def test_host_tools_are_callable_proxies(host_worker: Worker, fake_host: FakeHost) -> None:
    assert host_worker.call("call_host", tool="multiply", arguments={"a": 6, "b": 7}) == 42
    call = fake_host.servicer.tool_calls[-1]
    assert call.session_id == "s1" and call.metadata["snakepit.worker_id"] == "hw-1"
    assert set(fake_host.servicer.seen_tokens) == {"s3cret-token"}


def test_host_tool_errors(host_worker: Worker) -> None:
    error = host_worker.error("call_host", tool="missing", arguments={})
    assert error["type"] == "HostToolNotFoundError"
    assert error["context"]["available_tools"] == ["explode", "multiply", "reverse_bytes"]
    error = host_worker.error("call_host", tool="explode", arguments={})
    assert error["type"] == "HostToolError"
    assert error["context"]["remote_type"] == "java.lang.IllegalStateException"
    assert "boom from Java" in error["message"]


def test_session_context_host_tools_directly(fake_host: FakeHost) -> None:
    client = HostClient(fake_host.address, token="s3cret-token", worker_id="direct")
    try:
        ctx = SessionContext("sx", worker_id="direct", host=client)
        tools = ctx.host_tools
        assert set(tools) == {"multiply", "reverse_bytes", "explode"}
        assert tools["multiply"](a=2, b=3) == 6
        assert ctx.elixir_tools.keys() == tools.keys()
        assert ctx.call_elixir_tool("reverse_bytes", data=b"\x01\x02\x03") == b"\x03\x02\x01"
        assert fake_host.servicer.tool_calls[-1].binary_parameters["data"] == b"\x01\x02\x03"
        with pytest.raises(HostToolNotFoundError, match="Available host tools: explode, multiply"):
            ctx.call_host_tool("nope")
        with pytest.raises(HostToolError) as info:
            tools["explode"]()
        assert info.value.remote_type == "java.lang.IllegalStateException"
        assert info.value.remote_message == "boom from Java"
        assert asyncio.run(ctx.acall_host_tool("multiply", a=4, b=5)) == 20
    finally:
        client.close()
