"""Adapters written the way Snakepit 0.13 documents them, used by test_snakepit_compat.py through real
worker processes. Only Snakepit import paths are used here."""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime
from typing import Any

import snakepit_bridge_pb2 as pb2  # noqa: F401  (Snakepit scripts import the generated module top-level)
from snakepit_bridge import SessionContext, get_logger, telemetry
from snakepit_bridge.adapters.showcase.tool import StreamChunk, Tool
from snakepit_bridge.base_adapter import BaseAdapter, tool
from snakepit_bridge.base_adapter_threaded import ThreadSafeAdapter, thread_safe_method

log = get_logger(__name__)


class Opaque:
    def __repr__(self) -> str:
        return "Opaque(password='hunter2')"


class Reply:
    def __init__(self, code: int) -> None:
        self.code = code

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code}


class MathHandler:
    """A handler in Snakepit's showcase style: tools are ``Tool`` objects taking ``ctx`` first."""

    def get_tools(self) -> dict[str, Tool]:
        return {"multiply": Tool(self.multiply), "whoami": Tool(self.whoami), "countdown": Tool(self.countdown)}

    def multiply(self, ctx: SessionContext, a: float, b: float) -> float:
        return a * b

    def whoami(self, ctx: SessionContext) -> dict[str, Any]:
        return {"session_id": ctx.session_id, "metadata": dict(ctx.request_metadata)}

    def countdown(self, ctx: SessionContext, start: int = 3):
        for i in range(start, 0, -1):
            yield StreamChunk({"n": i}, is_final=i == 1)


class HandlerStyleAdapter(BaseAdapter):
    """``execute_tool`` override dispatching to handler ``Tool``s, falling back to ``@tool`` methods."""

    def __init__(self) -> None:
        super().__init__()
        self.tools = MathHandler().get_tools()
        self.session_context = None

    def set_session_context(self, session_context: SessionContext) -> None:
        self.session_context = session_context

    def execute_tool(self, tool_name: str, arguments: dict[str, Any], context: SessionContext) -> Any:
        if tool_name in self.tools:
            return self.tools[tool_name].func(context, **arguments)
        return self.call_tool(tool_name, **arguments)

    @tool(description="The session id as the adapter sees it")
    def session_info(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "context_session": self.session_context.session_id}

    @tool(description="Emit telemetry with the call's correlation id")
    def traced(self) -> dict[str, Any]:
        correlation_id = telemetry.get_correlation_id()
        with telemetry.span("compat.traced", {"tool": "traced"}, correlation_id):
            telemetry.emit("compat.event", {"value": 1}, {"tool": "traced"}, correlation_id=correlation_id)
        return {"correlation_id": correlation_id, "enabled": telemetry.is_enabled()}

    @tool(description="Objects JSON cannot hold, and special floats")
    def odd_objects(self) -> dict[str, Any]:
        return {
            "when": datetime(2026, 1, 2, 3, 4, 5),
            "reply": Reply(201),
            "opaque": Opaque(),
            "nan": math.nan,
            "inf": math.inf,
            "neg_inf": -math.inf,
        }

    @tool(description="Call a host tool through elixir_tools")
    def ask_host(self, x: int) -> Any:
        tools = self.session_context.elixir_tools
        spec = tools["multiply"]
        return {"spec_name": spec["name"], "description": spec["description"], "result": tools["multiply"](a=x, b=2)}

    @tool(description="Call an unknown host tool")
    def ask_missing(self) -> str:
        try:
            self.session_context.call_elixir_tool("nope")
        except ValueError as exc:
            return f"ValueError: {exc}"
        return "no error"


class CountingThreadedAdapter(ThreadSafeAdapter):
    """Snakepit's threaded style: shared state under ``acquire_lock``, tracked methods."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0
        self.inside = 0
        self.max_inside = 0
        self.gate = threading.Event()

    @tool(description="Add to a shared total; waits (bounded) so calls overlap")
    @thread_safe_method
    def add(self, amount: int, wait_for: int = 1) -> dict[str, Any]:
        with self.acquire_lock():
            self.inside += 1
            self.max_inside = max(self.max_inside, self.inside)
            if self.inside >= wait_for:
                self.gate.set()
        self.gate.wait(10)
        with self.acquire_lock():
            self.total += amount
            self.inside -= 1
        return {"total": self.total}

    @tool(description="Statistics")
    def stats(self) -> dict[str, Any]:
        return {**self.get_stats(), "max_inside": self.max_inside}


class PlainAdapter(BaseAdapter):
    """Not declared thread safe (for the workerConcurrency warning)."""

    @tool(description="Answer")
    def ping(self) -> str:
        time.sleep(0)
        return "pong"
