"""``ThreadedShowcaseAdapter``: Snakepit's thread-safe showcase (for ``workerConcurrency > 1``).

It shows the three patterns of a thread-safe adapter: read-only state shared freely (the model),
per-thread state (a cache), and shared mutable state behind the adapter's lock (statistics).
"""

from __future__ import annotations

import dataclasses
import math
import random
import threading
import time
from typing import Any

from snakepit_bridge.base_adapter import tool
from snakepit_bridge.base_adapter_threaded import ThreadSafeAdapter, thread_safe_method

__all__ = ["ModelConfig", "ThreadedShowcaseAdapter"]


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """The read-only model description."""

    name: str = "ThreadedShowcaseModel"
    version: str = "2.0"
    complexity: int = 5


class ThreadedShowcaseAdapter(ThreadSafeAdapter):
    """Tools safe to run concurrently in one adapter instance."""

    __thread_safe__ = True

    def __init__(self) -> None:
        super().__init__()
        rng = random.Random(7)
        self.model_config = ModelConfig()  # pattern 1: read-only, shared
        self.model_weights = [[rng.uniform(-1, 1) for _ in range(10)] for _ in range(10)]
        self.global_stats: dict[str, Any] = {"total_requests": 0, "total_compute_time": 0.0, "thread_usage": {}}
        self.request_history: list[dict[str, Any]] = []  # pattern 3: guarded by self._lock

    def _record(self, tool_name: str, seconds: float) -> None:
        name = threading.current_thread().name
        with self.acquire_lock():
            self.global_stats["total_requests"] += 1
            self.global_stats["total_compute_time"] += seconds
            usage = self.global_stats["thread_usage"]
            usage[name] = usage.get(name, 0) + 1
            self.request_history.append({"tool": tool_name, "thread": name, "seconds": seconds, "at": time.time()})
            del self.request_history[:-100]

    @tool(description="Simple ping operation for connectivity testing")
    @thread_safe_method
    def ping(self, message: str = "pong") -> dict[str, Any]:
        self._record("ping", 0.0)
        return {"message": message, "thread": threading.current_thread().name, "timestamp": time.time()}

    @tool(description="CPU-intensive computation demonstrating concurrent execution")
    @thread_safe_method
    def compute_intensive(self, data: list[float], iterations: int = 1000) -> dict[str, Any]:
        started = time.perf_counter()
        cache = self.get_thread_local("cache", {})  # pattern 2: per thread
        key = (tuple(data), iterations)
        if key not in cache:
            value = 0.0
            for i in range(iterations):
                value += sum(math.sin(x * (i + 1)) for x in data)
            cache[key] = value
            self.set_thread_local("cache", cache)
        elapsed = time.perf_counter() - started
        self._record("compute_intensive", elapsed)
        return {"result": cache[key], "iterations": iterations, "thread": threading.current_thread().name}

    @tool(description="Matrix multiplication using shared model weights")
    @thread_safe_method
    def matrix_multiply(self, input_vector: list[float]) -> dict[str, Any]:
        width = len(self.model_weights[0])
        vector = (list(input_vector) + [0.0] * width)[:width]
        output = [sum(w * v for w, v in zip(row, vector, strict=True)) for row in self.model_weights]
        self._record("matrix_multiply", 0.0)
        return {"output": output, "model": self.model_config.name}

    @tool(description="Simulate batch processing with concurrent workers")
    @thread_safe_method
    def batch_process(self, items: list[dict[str, Any]], delay_ms: int = 10) -> dict[str, Any]:
        processed = []
        for item in items:
            time.sleep(max(0, delay_ms) / 1000)
            processed.append({**item, "processed": True})
        self._record("batch_process", len(items) * delay_ms / 1000)
        return {"processed": processed, "count": len(processed)}

    @tool(description="Get adapter statistics and thread usage")
    def get_adapter_stats(self) -> dict[str, Any]:
        with self.acquire_lock():
            stats = {**self.global_stats, "thread_usage": dict(self.global_stats["thread_usage"])}
        return {**self.get_stats(), "global_stats": stats}

    @tool(description="Stress test for concurrent request handling")
    @thread_safe_method
    def stress_test(self, duration_ms: int = 100, complexity: int = 1000) -> dict[str, Any]:
        started = time.perf_counter()
        rounds = 0
        while (time.perf_counter() - started) * 1000 < duration_ms:
            sum(i * i for i in range(complexity))
            rounds += 1
        self._record("stress_test", time.perf_counter() - started)
        return {"rounds": rounds, "thread": threading.current_thread().name}

    @tool(description="Clear thread-local caches")
    def clear_caches(self) -> dict[str, Any]:
        self.clear_thread_local()
        return {"cleared": True, "thread": threading.current_thread().name}

    @tool(description="Get recent request history")
    def get_history(self, limit: int = 10) -> dict[str, Any]:
        with self.acquire_lock():
            history = list(self.request_history[-limit:])
        return {"history": history, "count": len(history)}
