"""Snakepit 0.13 compatibility: every public name importable from its Snakepit path, and adapters
written in Snakepit's documented styles running in real worker processes."""

from __future__ import annotations

import importlib
import inspect
import json
import math
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from conftest import TOKEN, FakeHost, WorkerProcess, request

from snakepit_bridge import snakepit_bridge_pb2 as pb2
from snakepit_bridge import snakepit_bridge_pb2_grpc as pb2_grpc

TESTS = Path(__file__).resolve().parent

# Snakepit 0.13's public import paths (priv/python) and the names adapters use from them.
SNAKEPIT_NAMES = {
    "snakepit_bridge": [
        "SessionContext", "HeartbeatClient", "HeartbeatConfig", "configure_logging", "get_logger",
        "ZeroCopyRef", "__version__",
    ],
    "snakepit_bridge.base_adapter": ["BaseAdapter", "tool", "ToolMetadata"],
    "snakepit_bridge.base_adapter_threaded": [
        "ThreadSafeAdapter", "thread_safe_method", "ThreadLocalStorage", "RequestTracker",
        "require_thread_safe", "validate_thread_safety",
    ],
    "snakepit_bridge.session_context": ["SessionContext"],
    "snakepit_bridge.serialization": [
        "TypeSerializer", "GracefulJSONEncoder", "UNSERIALIZABLE_KEY", "TYPE_KEY", "REPR_KEY", "BINARY_THRESHOLD",
    ],
    "snakepit_bridge.heartbeat": ["HeartbeatClient", "HeartbeatConfig"],
    "snakepit_bridge.logging_config": ["configure_logging", "get_logger"],
    "snakepit_bridge.zero_copy": ["ZeroCopyRef"],
    "snakepit_bridge.thread_safety_checker": [
        "ThreadSafetyChecker", "enable_checking", "disable_checking", "get_global_checker", "check_thread_safe",
        "require_thread_safe_adapter", "validate_adapter_thread_safety", "check_common_pitfalls",
        "print_thread_safety_report",
    ],
    "snakepit_bridge.otel_tracing": [
        "setup_tracing", "get_tracer", "new_correlation_id", "set_correlation_id", "reset_correlation_id",
        "get_correlation_id", "span", "outgoing_metadata", "correlation_filter", "CORRELATION_HEADER",
    ],
    "snakepit_bridge.telemetry": [
        "emit", "span", "set_backend", "get_backend", "is_enabled", "setup_tracing", "get_tracer",
        "correlation_filter", "new_correlation_id", "set_correlation_id", "reset_correlation_id",
        "get_correlation_id", "outgoing_metadata", "CORRELATION_HEADER", "otel_span",
    ],
    "snakepit_bridge.telemetry.manager": ["set_backend", "get_backend", "is_enabled"],
    "snakepit_bridge.telemetry.stream": ["TelemetryStream"],
    "snakepit_bridge.telemetry.backends": ["TelemetryBackend"],
    "snakepit_bridge.telemetry.backends.base": ["TelemetryBackend"],
    "snakepit_bridge.telemetry.backends.grpc": ["GrpcBackend"],
    "snakepit_bridge.telemetry.backends.stderr": ["StderrBackend"],
    "snakepit_bridge.adapters": ["TemplateAdapter"],
    "snakepit_bridge.adapters.template": ["TemplateAdapter"],
    "snakepit_bridge.adapters.showcase": ["ShowcaseAdapter"],
    "snakepit_bridge.adapters.showcase.showcase_adapter": ["ShowcaseAdapter"],
    "snakepit_bridge.adapters.showcase.tool": ["Tool", "StreamChunk"],
    "snakepit_bridge.adapters.threaded_showcase": ["ThreadedShowcaseAdapter"],
    "snakepit_bridge_pb2": [
        "ExecuteToolRequest", "ExecuteToolResponse", "ToolChunk", "ToolRegistration", "ParameterSpec",
        "RegisterToolsRequest", "HeartbeatRequest", "TelemetryEvent", "TelemetryControl", "DESCRIPTOR",
    ],
    "snakepit_bridge_pb2_grpc": ["BridgeServiceStub", "BridgeServiceServicer", "add_BridgeServiceServicer_to_server"],
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(SNAKEPIT_NAMES))
def test_every_snakepit_public_name_imports_from_its_snakepit_path(module: str) -> None:
    loaded = importlib.import_module(module)
    missing = [name for name in SNAKEPIT_NAMES[module] if not hasattr(loaded, name)]
    assert missing == [], f"{module} lacks {missing}"


def test_the_top_level_generated_modules_are_ours() -> None:
    import snakepit_bridge_pb2
    import snakepit_bridge_pb2_grpc

    assert snakepit_bridge_pb2 is pb2 and snakepit_bridge_pb2_grpc is pb2_grpc


@pytest.mark.parametrize(
    ("target", "parameters"),
    [
        ("snakepit_bridge.SessionContext", ["session_id", "snakepit_session_id", "request_metadata"]),
        ("snakepit_bridge.HeartbeatClient", ["stub", "session_id", "config", "loop", "on_threshold_exceeded"]),
        ("snakepit_bridge.serialization.TypeSerializer.encode_any", ["value", "var_type"]),
        ("snakepit_bridge.serialization.TypeSerializer.decode_any", ["any_msg", "binary_data"]),
        ("snakepit_bridge.telemetry.emit", ["name", "measurements", "metadata", "correlation_id"]),
        ("snakepit_bridge.telemetry.otel_span", ["name", "context_metadata", "attributes"]),
        ("snakepit_bridge.BaseAdapter.register_with_session", ["self", "session_id", "stub"]),
        ("snakepit_bridge.BaseAdapter.register_with_session_async", ["self", "session_id", "stub"]),
        ("snakepit_bridge.logging_config.configure_logging", ["force"]),
    ],
)
def test_signatures_accept_snakepits_arguments(target: str, parameters: list[str]) -> None:
    module_name, _, attr_path = target.partition(".")
    obj = importlib.import_module(module_name)
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(f"{obj.__name__}.{part}")
    names = list(inspect.signature(obj).parameters)
    assert names[: len(parameters)] == parameters[: len(names)] and set(parameters) <= set(names)


# -- adapters in Snakepit's styles, in real worker processes -----------------------------------


@pytest.fixture
def snakepit_worker(fake_host: FakeHost, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(adapter: str, **env: str) -> WorkerProcess:
        worker = WorkerProcess.start(
            f"snakepit_style_adapters.{adapter}",
            tmp_path / f"ready-{len(started)}",
            env={
                "SNAKEPIT_WORKER_ID": f"compat-{len(started)}",
                "SNAKEPIT_GRPC_ADDRESS": fake_host.address,
                "SNAKEPIT_AUTH_TOKEN": TOKEN,
                "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
                **env,
            },
        )
        started.append(worker)
        worker.connect(worker.wait_ready())
        return worker

    yield start
    for worker in started:
        worker.stop()


def _call(worker: WorkerProcess, tool: str, metadata: dict[str, str] | None = None, **kwargs) -> object:
    response = worker.stub.ExecuteTool(request(tool, metadata=metadata, **kwargs), timeout=20, metadata=worker.auth)
    assert response.success, response.error_message
    return json.loads(response.result.value, parse_constant=float)


def test_handler_style_adapter_with_execute_tool_override(snakepit_worker) -> None:
    worker = snakepit_worker("HandlerStyleAdapter")
    assert _call(worker, "multiply", a=6, b=7) == 42
    who = _call(worker, "whoami", metadata={"correlation_id": "c-9"})
    assert who["session_id"] == "s1" and who["metadata"]["correlation_id"] == "c-9"
    assert _call(worker, "session_info") == {"session_id": "s1", "context_session": "s1"}
    chunks = list(worker.stub.ExecuteStreamingTool(request("countdown", start=3), timeout=20, metadata=worker.auth))
    assert [json.loads(c.data) for c in chunks if c.data] == [{"n": 3}, {"n": 2}, {"n": 1}]
    assert chunks[-1].is_final


def test_telemetry_with_correlation_ids_reaches_the_host_stream(snakepit_worker) -> None:
    worker = snakepit_worker("HandlerStyleAdapter")
    assert _call(worker, "traced", metadata={"correlation_id": "corr-42"}) == {
        "correlation_id": "corr-42",
        "enabled": True,
    }
    stream = worker.stub.StreamTelemetry(iter(()), timeout=20, metadata=worker.auth)
    try:
        for event in stream:
            if ".".join(event.event_parts) == "compat.event":
                assert event.correlation_id == "corr-42"
                break
    finally:
        stream.cancel()


def test_graceful_serialization_and_special_floats(snakepit_worker) -> None:
    worker = snakepit_worker("HandlerStyleAdapter", SNAKEPIT_UNSERIALIZABLE_DETAIL="repr_redacted_truncated")
    result = _call(worker, "odd_objects")
    assert result["when"] == "2026-01-02T03:04:05"
    assert result["reply"] == {"code": 201}
    assert result["opaque"]["__ffi_unserializable__"] is True
    assert result["opaque"]["__type__"] == "snakepit_style_adapters.Opaque"
    assert "hunter2" not in result["opaque"]["__repr__"]
    assert math.isnan(result["nan"]) and result["inf"] == math.inf and result["neg_inf"] == -math.inf


def test_host_tools_through_elixir_tools_and_snakepit_errors(snakepit_worker) -> None:
    worker = snakepit_worker("HandlerStyleAdapter")
    assert _call(worker, "ask_host", x=21) == {"spec_name": "multiply", "description": "Multiply a by b", "result": 42}
    assert _call(worker, "ask_missing").startswith("ValueError: Unknown host tool 'nope'")


def test_threaded_adapter_runs_calls_concurrently_in_one_instance(snakepit_worker) -> None:
    worker = snakepit_worker("CountingThreadedAdapter")
    results: list[object] = []
    calls = [
        threading.Thread(target=lambda: results.append(_call(worker, "add", amount=5, wait_for=2))) for _ in range(2)
    ]
    for call in calls:
        call.start()
    for call in calls:
        call.join(30)
    assert sorted(r["total"] for r in results)[-1] == 10
    stats = _call(worker, "stats")
    assert stats["max_inside"] == 2 and stats["thread_safe"] is True and stats["tracker"]["total_requests"] == 2


def test_one_thread_safety_warning_per_pool_when_concurrency_is_above_one(snakepit_worker) -> None:
    first = snakepit_worker("PlainAdapter", SNAKEPIT_WORKER_CONCURRENCY="4")
    second = snakepit_worker("PlainAdapter", SNAKEPIT_WORKER_CONCURRENCY="4")
    safe = snakepit_worker("CountingThreadedAdapter", SNAKEPIT_WORKER_CONCURRENCY="4")
    logs = [w.stop() for w in (first, second, safe)]
    warned = [text for text in logs if "is not declared thread safe" in text]
    assert len(warned) == 1 and "snakepit_style_adapters.PlainAdapter" in warned[0] and "__thread_safe__" in warned[0]


def test_showcase_has_snakepits_tool_set() -> None:
    from snakepit_bridge.adapters.showcase import ShowcaseAdapter

    names = {t.name for t in ShowcaseAdapter().get_tools()}
    assert {
        "telemetry_demo", "serialization_demo", "error_demo", "increment_counter", "get_counter", "set_counter",
        "load_sample_data", "train_model", "predict_single", "create_tensor", "create_embedding",
        "cpu_bound_task", "sleep_task", "concurrent_demo", "stream_data", "stream_fibonacci",
    } <= names  # fmt: skip
    assert {"ping", "echo", "add", "fail", "sleep", "stream_progress"} <= names  # ours stay


def test_closing_a_stream_early_is_silent_and_leaves_the_worker_clean(snakepit_worker) -> None:
    worker = snakepit_worker("HandlerStyleAdapter")
    stream = worker.stub.ExecuteStreamingTool(request("countdown", start=1000), timeout=20, metadata=worker.auth)
    next(stream), next(stream)
    stream.cancel()
    with pytest.raises(grpc.RpcError):
        next(stream)
    assert _call(worker, "multiply", a=2, b=3) == 6
    log = worker.stop()
    assert "different Context" not in log and "Task exception was never retrieved" not in log


def test_snakepits_usage_examples_run_on_the_showcase(showcase_worker) -> None:
    call, error = showcase_worker.call, showcase_worker.error
    assert [call("increment_counter")["value"] for _ in range(3)] == [1, 2, 3]
    assert call("set_counter", value=10) == {"value": 10} and call("get_counter") == {"value": 10}
    assert call("telemetry_demo", delay_ms=1)["telemetry_enabled"] is True
    demo = call("serialization_demo")
    assert demo["custom_class_demo"]["custom_object"]["__ffi_unserializable__"] is True
    assert demo["convertible_demo"]["api_response"] == {"code": 200, "message": "OK"}
    assert math.isnan(demo["special_floats_demo"]["nan"])
    assert error("error_demo", error_type="value")["type"] == "ValueError"
    assert error("error_demo", error_type="runtime")["type"] == "RuntimeError"
    assert call("load_sample_data", dataset="iris", split=0.8)["total_samples"] == 150
    call("preprocess_data", normalize=True)
    chunks = showcase_worker.stream("train_model", algorithm="nearest_centroid")
    trained = [json.loads(c.data) for c in chunks if c.data]
    assert trained[-1]["type"] == "completed" and trained[-1]["final_accuracy"] > 0.8
    assert call("predict_single", features={"sepal_length": 0.0})["prediction"] in (0, 1, 2)
    assert call("cross_validate", cv_folds=3)["mean_accuracy"] > 0.8
    assert call("create_tensor", name="t", shape=[10, 20])["elements"] == 200
    assert call("create_embedding", text="hi", dimensions=8)["dimensions"] == 8
    assert call("concurrent_demo", task_count=3)["tasks"][2] == {"task": 2, "result": 4}
    assert call("cpu_bound_task", task_id="a", duration_ms=1)["task_id"] == "a"
    assert [json.loads(c.data)["value"] for c in showcase_worker.stream("stream_fibonacci", count=5) if c.data] == [
        0, 1, 1, 2, 3,
    ]  # fmt: skip


def test_session_context_built_from_a_stub_like_snakepit_does(fake_host: FakeHost) -> None:
    from snakepit_bridge import SessionContext

    channel = grpc.insecure_channel(fake_host.address)
    try:
        with SessionContext(pb2_grpc.BridgeServiceStub(channel), "s-7", request_metadata={"k": "v"}) as ctx:
            assert (ctx.session_id, ctx.request_metadata, ctx.metadata) == ("s-7", {"k": "v"}, {"k": "v"})
            multiply = ctx.elixir_tools["multiply"]
            assert (multiply["name"], multiply["description"]) == ("multiply", "Multiply a by b")
            assert multiply(a=3, b=4) == 12 and ctx.call_elixir_tool("multiply", a=2, b=5) == 10
            with pytest.raises(RuntimeError, match="boom from Java"):
                ctx.call_elixir_tool("explode")
        # leaving the block asked the host to clean the session up (best effort: the fake host cannot)
    finally:
        channel.close()
