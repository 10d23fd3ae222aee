"""Snakepit 0.13's showcase tools (basic, session, binary, streaming and concurrency demos), written
for this bridge so Snakepit's usage examples run against our showcase adapter."""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import os
import random
import threading
import time
import uuid
from collections import namedtuple
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from snakepit_bridge import current_context, telemetry, tool

from .tool import StreamChunk

__all__ = ["SnakepitShowcaseTools"]

_STATE_LOCK = threading.RLock()
_Point = namedtuple("_Point", "x y")


def _session_id() -> str:
    ctx = current_context()
    return ctx.session_id if ctx is not None else ""


class _Opaque:
    """An object with no JSON form (becomes the unserializable marker)."""

    def __init__(self, status: int) -> None:
        self.status = status

    def __repr__(self) -> str:
        return f"_Opaque(status={self.status}, api_key='sk-demo0123456789abcdef')"


class _WithToDict:
    def __init__(self, code: int, message: str) -> None:
        self.code, self.message = code, message

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


class _WithModelDump:
    def __init__(self, **fields: Any) -> None:
        self.fields = fields

    def model_dump(self) -> dict[str, Any]:
        return dict(self.fields)


class SnakepitShowcaseTools:
    """Mixin of Snakepit's showcase tools (state per session lives in this worker's adapter)."""

    def _session_data(self) -> dict[str, dict[str, Any]]:
        with _STATE_LOCK:
            return self.__dict__.setdefault("_snakepit_sessions", {})

    # -- basic ----------------------------------------------------------------------------------

    @tool(description="Echo a message back")
    def basic_echo(self, message: str) -> dict[str, Any]:
        return {"echoed": {"message": message}}

    @tool(description="Add two numbers")
    def basic_add(self, a: float, b: float) -> float:
        return a + b

    @tool(description="Raise a demonstration error: value, runtime or generic")
    def error_demo(self, error_type: str = "generic") -> None:
        if error_type == "value":
            raise ValueError("This is a demonstration ValueError")
        if error_type == "runtime":
            raise RuntimeError("This is a demonstration RuntimeError")
        raise Exception("This is a generic exception")

    @tool(description="Emit telemetry events (emit and span) with the call's correlation id")
    def telemetry_demo(self, operation: str = "compute", delay_ms: int = 100) -> dict[str, Any]:
        correlation_id = telemetry.get_correlation_id()
        meta = {"tool": "telemetry_demo", "operation": operation}
        telemetry.emit("tool.execution.start", {"system_time": time.time_ns()}, meta, correlation_id=correlation_id)
        with telemetry.span("tool.execution", meta, correlation_id):
            time.sleep(max(0, delay_ms) / 1000)
            telemetry.emit("tool.result_size", {"bytes": 42}, {"tool": "telemetry_demo"}, correlation_id=correlation_id)
        return {
            "operation": operation,
            "delay_ms": delay_ms,
            "telemetry_enabled": telemetry.is_enabled(),
            "correlation_id": correlation_id,
            "message": "Telemetry events emitted",
        }

    @tool(description="Return objects JSON cannot hold: they arrive converted or as unserializable markers")
    def serialization_demo(self, demo_type: str = "all") -> dict[str, Any]:
        result: dict[str, Any] = {"demo_type": demo_type, "description": "Graceful serialization demo"}
        everything = demo_type == "all"
        if everything or demo_type == "datetime":
            result["datetime_demo"] = {"now": _dt.datetime.now(), "today": _dt.date.today(), "kept": 42}
        if everything or demo_type == "custom":
            result["custom_class_demo"] = {"custom_object": _Opaque(200), "nested": {"other": _Opaque(404), "n": 1}}
        if everything or demo_type == "convertible":
            result["convertible_demo"] = {
                "api_response": _WithToDict(200, "OK"),
                "pydantic_like": _WithModelDump(field1="value1", field2="value2"),
                "named_tuple": _Point(1, 2),
            }
        if everything or demo_type == "mixed_list":
            result["mixed_list_demo"] = [1, "two", _dt.datetime.now(), _Opaque(500), {"nested": "dict"}]
        if everything or demo_type == "complex":
            result["complex_demo"] = {
                "id": uuid.uuid4(),
                "amount": decimal.Decimal("12.50"),
                "items": [_WithModelDump(rank=i, score=i / 2) for i in range(3)],
                "client": _Opaque(0),
            }
        if everything or demo_type == "special_floats":
            result["special_floats_demo"] = {"nan": math.nan, "inf": math.inf, "neg_inf": -math.inf}
        return result

    @tool(description="Basic statistics about the adapter and this process")
    def get_stats(self) -> dict[str, Any]:
        ctx = current_context()
        return {
            "adapter": {
                "name": type(self).__name__,
                "registered_tools": len(self.get_tools()),  # type: ignore[attr-defined]
                "session_id": ctx.session_id if ctx else None,
            },
            "system": {"timestamp": time.time(), "pid": os.getpid()},
            "success": True,
        }

    @tool(description="Call a host tool by name when it is exposed to Python")
    def call_elixir_demo(self, tool_name: str, **kwargs: Any) -> dict[str, Any]:
        ctx = current_context()
        if ctx is None:
            raise RuntimeError("Session context not initialized")
        tools = ctx.elixir_tools
        if tool_name not in tools:
            return {"error": f"Host tool {tool_name} not found", "available_tools": sorted(tools)}
        return {"tool": tool_name, "result": ctx.call_elixir_tool(tool_name, **kwargs), "source": "host"}

    # -- sessions ------------------------------------------------------------------------------

    @tool(description="Start a session's state in this worker")
    def init_session(self, **kwargs: Any) -> dict[str, Any]:
        session_id = _session_id()
        with _STATE_LOCK:
            self._session_data().setdefault(session_id, {"counter": 0, "started": time.time(), **kwargs})
        return {"timestamp": _dt.datetime.now().isoformat(), "worker_pid": os.getpid(), "session_id": session_id}

    @tool(description="Set the session's counter")
    def set_counter(self, value: int) -> dict[str, Any]:
        with _STATE_LOCK:
            self._session_data().setdefault(_session_id(), {})["counter"] = value
        return {"value": value}

    @tool(description="Read the session's counter")
    def get_counter(self) -> dict[str, Any]:
        with _STATE_LOCK:
            return {"value": self._session_data().get(_session_id(), {}).get("counter", 0)}

    @tool(description="Add one to the session's counter and return it")
    def increment_counter(self) -> dict[str, Any]:
        with _STATE_LOCK:
            data = self._session_data().setdefault(_session_id(), {})
            data["counter"] = data.get("counter", 0) + 1
            return {"value": data["counter"]}

    @tool(description="Which worker process served this call")
    def get_worker_info(self, call_number: int = 0) -> dict[str, Any]:
        return {"worker_pid": str(os.getpid()), "call_number": call_number, "session_id": _session_id()}

    # -- binary data ---------------------------------------------------------------------------

    @tool(description="Create a tensor of random values")
    def create_tensor(self, name: str, shape: list[int], size_bytes: int | None = None) -> dict[str, Any]:
        elements = math.prod(shape) if shape else 0
        actual_bytes = elements * 8
        return {
            "name": name,
            "shape": shape,
            "size_bytes": actual_bytes,
            "encoding": "binary" if actual_bytes > 10_240 else "json",
            "elements": elements,
        }

    @tool(description="Create a deterministic embedding for a text")
    def create_embedding(self, text: str, dimensions: int) -> dict[str, Any]:
        rng = random.Random(text)
        vector = [rng.gauss(0, 1) for _ in range(dimensions)]
        size_bytes = dimensions * 8
        return {
            "text": text,
            "dimensions": dimensions,
            "encoding": "binary" if size_bytes > 10_240 else "json",
            "size_bytes": size_bytes,
            "norm": math.sqrt(sum(v * v for v in vector)),
        }

    # -- streaming -----------------------------------------------------------------------------

    @tool(description="Stream count chunks, the last one final", supports_streaming=True)
    def stream_data(self, count: int = 5, delay: float = 1.0) -> Iterator[StreamChunk]:
        for i in range(count):
            if i and delay > 0:
                time.sleep(delay)
            yield StreamChunk({"index": i + 1, "total": count, "message": f"Chunk {i + 1}/{count}"}, i == count - 1)

    @tool(description="Stream Fibonacci numbers", supports_streaming=True)
    def stream_fibonacci(self, count: int = 20) -> Iterator[StreamChunk]:
        a, b = 0, 1
        for i in range(count):
            yield StreamChunk({"index": i + 1, "value": a}, i == count - 1)
            a, b = b, a + b

    @tool(description="Stream a generated dataset in chunks", supports_streaming=True)
    def generate_dataset(self, rows: int = 1000, chunk_size: int = 100) -> Iterator[StreamChunk]:
        rng = random.Random(rows)
        sent = 0
        while sent < rows:
            batch = [[rng.random() for _ in range(3)] for _ in range(min(chunk_size, rows - sent))]
            sent += len(batch)
            yield StreamChunk({"rows_in_chunk": len(batch), "total_rows": sent, "data_sample": batch[0]}, sent >= rows)

    @tool(description="Stream messages until the caller closes the stream", supports_streaming=True)
    def infinite_stream(self, delay_ms: int = 500) -> Iterator[StreamChunk]:
        counter = 0
        ctx = current_context()
        while ctx is None or not ctx.cancelled:
            counter += 1
            yield StreamChunk({"message": f"Message #{counter}", "timestamp": _dt.datetime.now().isoformat()})
            time.sleep(max(0, delay_ms) / 1000)

    # -- concurrency ---------------------------------------------------------------------------

    @tool(description="Burn CPU for about duration_ms")
    def cpu_bound_task(self, task_id: str, duration_ms: int) -> dict[str, Any]:
        started = time.perf_counter()
        result = 0
        while (time.perf_counter() - started) * 1000 < duration_ms:
            result += sum(i * i for i in range(1000))
        return {
            "task_id": task_id,
            "result": result % 1_000_000,
            "actual_duration_ms": round((time.perf_counter() - started) * 1000, 2),
        }

    @tool(description="Sleep duration_ms")
    def sleep_task(self, duration_ms: int, task_number: int) -> dict[str, Any]:
        time.sleep(duration_ms / 1000)
        return {"task_number": task_number, "slept_ms": duration_ms}

    @tool(description="A trivial task")
    def lightweight_task(self, iteration: int) -> dict[str, Any]:
        return {"iteration": iteration, "result": iteration * 2}

    @tool(description="This worker's process figures")
    def get_pool_stats(self) -> dict[str, Any]:
        import resource

        return {
            "worker_pid": os.getpid(),
            "memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 2),
        }

    @tool(description="Run task_count small tasks on threads and report them")
    def concurrent_demo(self, task_count: int = 3) -> dict[str, Any]:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=max(1, task_count)) as pool:
            results = list(pool.map(lambda i: {"task": i, "result": i * i}, range(task_count)))
        return {"tasks": results, "elapsed_ms": round((time.perf_counter() - started) * 1000, 2)}
