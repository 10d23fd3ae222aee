"""The current tool call: one ``ContextVar`` shared by every module (a leaf: imports nothing of ours)."""

from __future__ import annotations

import contextvars
from typing import Any

__all__ = ["CURRENT", "current_context"]

# Holds the SessionContext of the call running in this task or thread (typed Any: this module
# must not import session_context, which imports telemetry, which reads this variable).
CURRENT: contextvars.ContextVar[Any] = contextvars.ContextVar("snakepit_session_context", default=None)


def current_context() -> Any:
    """The ``SessionContext`` of the tool call running in this task or thread (``None`` outside a call)."""
    return CURRENT.get()
