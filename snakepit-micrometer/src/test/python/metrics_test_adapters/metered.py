"""``MeteredAdapter``: the showcase tools plus tools that emit telemetry, for the metrics tests."""

from __future__ import annotations

from snakepit_bridge import telemetry, tool
from snakepit_bridge.adapters.showcase import ShowcaseAdapter


class MeteredAdapter(ShowcaseAdapter):
    @tool(description="Emit one telemetry event with a rows measurement and a model tag")
    def emit_event(self, name: str, rows: int, model: str) -> bool:
        return telemetry.emit(name, {"rows": rows, "system_time": 1}, {"model": model, "request": "r-1"})

    @tool(description="Time an empty block with telemetry.span")
    def timed_block(self) -> str:
        with telemetry.span("model.load"):
            pass
        return "done"
