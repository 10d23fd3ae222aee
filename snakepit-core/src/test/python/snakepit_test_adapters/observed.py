"""``ObservedAdapter``: tools that log, print, emit telemetry and call host tools, for the Java
observability tests (log forwarding, telemetry events, call interceptors)."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from snakepit_bridge import BaseAdapter, current_context, telemetry, tool

log = logging.getLogger("snakepit_test_adapters.observed")


class ObservedAdapter(BaseAdapter):
    @tool(description="Log one record per level (marker in each message); return the call's correlation id")
    def talk(self, marker: str) -> str:
        log.debug("%s debug detail", marker)
        log.info("%s info chatter", marker)
        log.warning("%s careful: weights are stale", marker)
        try:
            raise ValueError(f"{marker} bad row")
        except ValueError:
            log.exception("%s failed to score", marker)
        return current_context().correlation_id

    @tool(description="Print a line to stdout and one to stderr, then log a warning (the end marker)")
    def shout(self, marker: str) -> str:
        print(f"{marker} on stdout", flush=True)
        print(f"{marker} on stderr", file=sys.stderr, flush=True)
        log.warning("%s done", marker)
        return "ok"

    @tool(description="Log a warning, then exit the process at once")
    def warn_then_exit(self, marker: str) -> None:
        log.warning("%s about to exit", marker)
        logging.shutdown()
        os._exit(3)

    @tool(description="Emit one telemetry event; return the call's correlation id")
    def emit(self, name: str, count: int, tag: str) -> str:
        telemetry.emit(name, {"count": count, "ratio": 0.5, "label": "text"}, {"tag": tag})
        return current_context().correlation_id

    @tool(description="Time a block with telemetry.span")
    def timed(self, fail: bool = False) -> str:
        with telemetry.span("work.block", {"kind": "test"}):
            if fail:
                raise RuntimeError("block failed")
        return "done"

    @tool(description="The request metadata Python received")
    def metadata(self) -> dict[str, str]:
        return dict(current_context().metadata)

    @tool(description="Call a host tool and return its result")
    def call_host(self, tool: str, arguments: dict[str, Any] | None = None) -> Any:
        return current_context().call_host_tool(tool, **(arguments or {}))

    @tool(description="Stream n numbers")
    def count(self, n: int) -> Any:
        yield from range(n)

    @tool(description="Always fails")
    def fail(self) -> None:
        raise RuntimeError("failed on purpose")
