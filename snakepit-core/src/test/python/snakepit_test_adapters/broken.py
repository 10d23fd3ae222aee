"""Adapters that fail at start-up in the ways real adapters do."""

from snakepit_bridge import BaseAdapter, tool


class FailingInitAdapter(BaseAdapter):
    """Raises in initialize(), as an adapter whose model file is missing would."""

    def initialize(self) -> None:
        raise RuntimeError("model weights not found at /nonexistent/model.bin")

    @tool(description="never reachable")
    def ping(self) -> str:
        return "pong"


class FailWhenMarkedAdapter(BaseAdapter):
    """Starts normally until the file named by SNAKEPIT_TEST_FAIL_MARKER exists, then fails in initialize()."""

    def initialize(self) -> None:
        import os

        marker = os.environ.get("SNAKEPIT_TEST_FAIL_MARKER", "")
        if marker and os.path.exists(marker):
            raise RuntimeError(f"database unreachable (marker {marker} present)")

    @tool(description="answers while the adapter is healthy")
    def ping(self) -> str:
        return "pong"

    @tool(description="sleep, for a call to be in flight")
    async def sleep(self, ms: int) -> int:
        import asyncio

        await asyncio.sleep(ms / 1000)
        return ms
