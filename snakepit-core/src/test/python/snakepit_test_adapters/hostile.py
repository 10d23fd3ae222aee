"""Tools that misbehave in every way the bad-input catalogue covers (docs/reliability.md)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from snakepit_bridge import BaseAdapter, tool


class HostileAdapter(BaseAdapter):
    @tool(description="the worker's pid")
    def pid(self) -> int:
        return os.getpid()

    @tool(description="add two numbers")
    def add(self, a: float, b: float) -> float:
        return a + b

    @tool(description="return the argument unchanged")
    def echo(self, value: Any = None) -> Any:
        return value

    @tool(description="how deeply a value nests")
    def depth(self, value: Any = None) -> int:
        level = 0
        while isinstance(value, (list, dict)) and value:
            value = value[0] if isinstance(value, list) else next(iter(value.values()))
            level += 1
        return level

    @tool(description="return an object JSON cannot encode")
    def unencodable(self) -> Any:
        return object()

    @tool(description="return a dict whose keys JSON cannot hold (tuples)")
    def tuple_keys(self) -> Any:
        return {(1, 2): "pair"}

    @tool(description="return NaN, which strict JSON cannot hold")
    def nan(self) -> float:
        return float("nan")

    @tool(description="return a dict that contains itself")
    def cyclic(self) -> Any:
        value: dict[str, Any] = {}
        value["self"] = value
        return value

    @tool(description="return a string of the given size")
    def big(self, size: int) -> str:
        return "x" * size

    @tool(description="return bytes of the given size")
    def big_bytes(self, size: int) -> bytes:
        return b"\0" * size

    @tool(description="return a list nested the given number of levels")
    def nested(self, levels: int) -> Any:
        value: Any = []
        for _ in range(levels):
            value = [value]
        return value

    @tool(description="yield some items, then raise", supports_streaming=True)
    def fail_midway(self, after: int = 2) -> Iterator[dict[str, int]]:
        for i in range(after):
            yield {"i": i}
        raise RuntimeError(f"generator failed after {after} items")

    @tool(description="yield an item, then call sys.exit", supports_streaming=True)
    def exit_midway(self) -> Iterator[int]:
        yield 1
        raise SystemExit(5)

    @tool(description="exit the process with a code, skipping cleanup")
    def exit_process(self, code: int = 3) -> None:
        os._exit(code)

    @tool(description="raise SystemExit, as sys.exit() does")
    def system_exit(self, code: int = 4) -> None:
        raise SystemExit(code)

    @tool(description="raise KeyboardInterrupt")
    def interrupt(self) -> None:
        raise KeyboardInterrupt

    @tool(description="send a signal to the own process")
    def kill_self(self, signum: int = int(signal.SIGKILL)) -> None:
        os.kill(os.getpid(), signum)
        time.sleep(30)

    @tool(description="read address 0: a segmentation fault")
    def segfault(self) -> None:
        import ctypes

        ctypes.string_at(0)

    @tool(description="abort(): SIGABRT")
    def abort(self) -> None:
        os.abort()

    @tool(description="block the thread, ignoring cancellation, with a named helper thread also blocked")
    def stuck(self, ms: int = 60_000) -> int:
        release = threading.Event()
        helper = threading.Thread(target=_stuck_helper, args=(release, ms), name="hostile-helper", daemon=True)
        helper.start()
        time.sleep(ms / 1000)
        release.set()
        return ms

    @tool(description="allocate and touch memory until killed")
    def allocate(self, mb: int = 4096) -> int:
        chunks = []
        for _ in range(mb):
            chunks.append(bytearray(1024 * 1024))
        return len(chunks)


def _stuck_helper(release: threading.Event, ms: int) -> None:
    release.wait(ms / 1000)
