"""A test adapter whose module starts a thread at import: the fork server must not fork it."""

from __future__ import annotations

import threading

from snakepit_bridge import BaseAdapter, tool

_STOP = threading.Event()
threading.Thread(target=_STOP.wait, name="import-time-thread", daemon=True).start()


class ThreadedAdapter(BaseAdapter):
    """Works like any adapter once spawned."""

    @tool(description="Answer pong")
    def ping(self) -> str:
        return "pong"
