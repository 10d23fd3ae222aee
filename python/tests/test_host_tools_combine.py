"""Host tools seen from a worker: the showcase's ``combine_host_tools`` against a fake host serving
``parse_json``, ``calculate_fibonacci`` and ``process_list``, deadline propagation, and the host's
not-found error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import TOKEN, FakeHost, Worker

from snakepit_bridge import SessionContext
from snakepit_bridge import snakepit_bridge_pb2 as pb2
from snakepit_bridge import snakepit_bridge_pb2_grpc as pb2_grpc
from snakepit_bridge.codec import decode_any, encode_result
from snakepit_bridge.errors import HostToolNotFoundError
from snakepit_bridge.host import HostClient

TOOLS = ("calculate_fibonacci", "parse_json", "process_list")


def _fibonacci(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


class CombineHostServicer(pb2_grpc.BridgeServiceServicer):
    """Serves the three host tools of the bidirectional example, the way the Java host does."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], float | None]] = []

    async def GetExposedElixirTools(self, request, context):
        return pb2.GetExposedElixirToolsResponse(tools=[pb2.ToolSpec(name=name) for name in TOOLS])

    async def ExecuteElixirTool(self, request, context):
        params = {k: decode_any(v) for k, v in request.parameters.items()}
        self.calls.append((request.tool_name, params, context.time_remaining()))
        if request.tool_name == "parse_json":
            value: Any = json.loads(params["json_string"])
        elif request.tool_name == "calculate_fibonacci":
            value = {"n": params["n"], "value": _fibonacci(params["n"])}
        elif request.tool_name == "process_list":
            items = params["items"]
            value = {"count": len(items), "sum": sum(items), "min": min(items), "max": max(items)}
        else:
            error = {
                "type": "HostToolNotFoundError",
                "message": f"Unknown host tool '{request.tool_name}'.",
                "context": {"tool_name": request.tool_name, "available_tools": list(TOOLS)},
            }
            return pb2.ExecuteElixirToolResponse(success=False, error_message=json.dumps(error))
        result, _ = encode_result(value)
        return pb2.ExecuteElixirToolResponse(success=True, result=result)


@pytest.fixture
def combine_host() -> Iterator[FakeHost]:
    host = FakeHost(servicer=CombineHostServicer())
    yield host
    host.close()


@pytest.fixture
def client(combine_host: FakeHost) -> Iterator[HostClient]:
    host_client = HostClient(combine_host.address, token=TOKEN, worker_id="combine-1")
    yield host_client
    host_client.close()


def test_combine_host_tools_calls_each_host_tool_and_combines_their_results(
    make_worker, combine_host: FakeHost, client: HostClient
) -> None:
    from snakepit_bridge.adapters.showcase import ShowcaseAdapter

    worker: Worker = make_worker(ShowcaseAdapter(), host_client=client, worker_id="combine-1")

    result = worker.call("combine_host_tools", json_string='{"numbers": [4, 9, 2]}', n=12)

    assert result == {
        "parsed": {"numbers": [4, 9, 2]},
        "fibonacci": {"n": 12, "value": 144},
        "processed": {"count": 3, "sum": 15, "min": 2, "max": 9},
        "host_tools": sorted(TOOLS),
    }
    sent = [(name, params) for name, params, _ in combine_host.servicer.calls]
    assert sent == [
        ("parse_json", {"json_string": '{"numbers": [4, 9, 2]}'}),
        ("calculate_fibonacci", {"n": 12}),
        ("process_list", {"items": [4, 9, 2], "operation": "stats"}),
    ]


def test_host_calls_carry_the_remaining_budget_of_the_tool_call_as_their_deadline(
    combine_host: FakeHost, client: HostClient
) -> None:
    bounded = SessionContext("s1", host=client, metadata={"timeout_ms": "5000"})
    unbounded = SessionContext("s1", host=client)

    bounded.call_host_tool("calculate_fibonacci", n=1)
    unbounded.call_host_tool("calculate_fibonacci", n=1)

    bounded_remaining = combine_host.servicer.calls[0][2]
    assert bounded_remaining is not None and 0 < bounded_remaining <= 5.0
    assert combine_host.servicer.calls[1][2] is None


def test_host_reporting_an_unknown_tool_raises_host_tool_not_found_with_its_list(client: HostClient) -> None:
    with pytest.raises(HostToolNotFoundError) as info:
        client.call_host_tool("s1", "no_such_tool", {})

    assert info.value.available_tools == list(TOOLS)
    assert "Available host tools: calculate_fibonacci, parse_json, process_list" in str(info.value)
