"""A tool that ignores cancellation, as blocking C extensions and careless code do."""

import os
import time

from snakepit_bridge import BaseAdapter, tool


class StubbornAdapter(BaseAdapter):
    @tool(description="block the thread, ignoring cancellation")
    def block(self, ms: int) -> int:
        time.sleep(ms / 1000)
        return ms

    @tool(description="the worker's pid")
    def pid(self) -> int:
        return os.getpid()

    @tool(description="start a long-running child process and return its pid")
    def spawn_child(self) -> int:
        import subprocess

        return subprocess.Popen(["sleep", "600"]).pid
