"""A test adapter whose module starts a thread at import (fork is unsafe then)."""

from __future__ import annotations

import threading

from snakepit_bridge import BaseAdapter

_STOP = threading.Event()
threading.Thread(target=_STOP.wait, name="import-time-thread", daemon=True).start()


class ThreadedAdapter(BaseAdapter):
    pass
