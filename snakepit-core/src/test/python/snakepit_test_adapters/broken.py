"""Adapters that fail at start-up in the ways real adapters do."""

from snakepit_bridge import BaseAdapter, tool


class FailingInitAdapter(BaseAdapter):
    """Raises in initialize(), as an adapter whose model file is missing would."""

    def initialize(self) -> None:
        raise RuntimeError("model weights not found at /nonexistent/model.bin")

    @tool(description="never reachable")
    def ping(self) -> str:
        return "pong"
