"""The showcase adapter plus a gate: a tool that runs until the test opens it.

Tests that need a call to be running (or queued behind a running one) at a point of their choosing
use this instead of a tool that sleeps for "long enough", which fails when the machine is slow.
"""

import asyncio
import os

from snakepit_bridge import tool
from snakepit_bridge.adapters.showcase import ShowcaseAdapter


class GatedAdapter(ShowcaseAdapter):
    @tool(description="Run until the file at path exists (the test's gate); false after timeout_ms")
    async def wait_gate(self, path: str, timeout_ms: int = 30000) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_ms / 1000
        while not os.path.exists(path):
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.002)
        return True

    @tool(description="Note that call n ran (in this worker's run order); returns n")
    def note_run(self, n: int) -> int:
        self.__dict__.setdefault("_run_order", []).append(n)
        return n

    @tool(description="The n of every note_run call, in the order they ran")
    def runs(self) -> list:
        return list(self.__dict__.get("_run_order", []))
