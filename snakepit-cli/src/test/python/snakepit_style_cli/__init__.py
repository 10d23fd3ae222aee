"""An adapter written in Snakepit 0.13's style, run through the Java pool by SnakepitStyleAdapterCallTest."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from snakepit_bridge import telemetry
from snakepit_bridge.adapters.showcase.tool import Tool
from snakepit_bridge.base_adapter import BaseAdapter, tool


class Unprintable:
    """No JSON form: arrives as Snakepit's unserializable marker."""


class Receipt:
    def __init__(self, total: int) -> None:
        self.total = total

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total}


class HandlerStyleAdapter(BaseAdapter):
    """Handler ``Tool``s dispatched by an ``execute_tool`` override, plus ``@tool`` methods."""

    def __init__(self) -> None:
        super().__init__()
        self.handlers = {"multiply": Tool(self.multiply)}

    def multiply(self, ctx: Any, a: float, b: float) -> float:
        return a * b

    def execute_tool(self, tool_name: str, arguments: dict[str, Any], context: Any) -> Any:
        if tool_name in self.handlers:
            return self.handlers[tool_name].func(context, **arguments)
        return self.call_tool(tool_name, **arguments)

    @tool(description="Emit an event and report the correlation id")
    def traced(self) -> dict[str, Any]:
        correlation_id = telemetry.get_correlation_id()
        telemetry.emit("cli.traced", {"n": 1}, correlation_id=correlation_id)
        return {"has_correlation_id": bool(correlation_id), "session_id": self.session_id or ""}

    @tool(description="Objects without JSON form and special floats")
    def odd_objects(self) -> dict[str, Any]:
        return {"day": date(2026, 1, 2), "receipt": Receipt(7), "thing": Unprintable(), "nan": math.nan, "inf": math.inf}
