"""Snakepit bridge: the Python worker side of Snakepit for Java.

Write an adapter::

    from snakepit_bridge import BaseAdapter, tool

    class MyAdapter(BaseAdapter):
        @tool(description="Add two numbers")
        def add(self, a: float, b: float) -> float:
            return a + b

and run it with ``python -m snakepit_bridge.server --adapter mymodule.MyAdapter --port 0``.

Importing the package (and ``tools``, ``runtime``, ``worker``, ``telemetry``, ``errors``,
``wire.values``) imports neither gRPC nor protobuf; only the gRPC wire path does.
"""

import importlib
from typing import Any

from ._current import current_context
from .base_adapter import BaseAdapter, ParameterInfo, ToolInfo, ToolMetadata, run_blocking, tool
from .errors import (
    HostToolError,
    HostToolNotFoundError,
    InvalidArgumentsError,
    SerializationError,
    SnakepitError,
    ToolCancelledError,
    ToolNotFoundError,
)
from .logging_config import configure_logging, get_logger
from .session_context import SessionContext
from .wire.values import StreamChunk
from .zero_copy import ZeroCopyRef

__version__ = "0.1.0"

# Imported on first use (PEP 562): a worker that never sends heartbeats should not pay for the module.
_LAZY = {"HeartbeatClient": "heartbeat", "HeartbeatConfig": "heartbeat"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "BaseAdapter",
    "HeartbeatClient",
    "HeartbeatConfig",
    "HostToolError",
    "HostToolNotFoundError",
    "InvalidArgumentsError",
    "ParameterInfo",
    "SerializationError",
    "SessionContext",
    "SnakepitError",
    "StreamChunk",
    "ToolCancelledError",
    "ToolInfo",
    "ToolMetadata",
    "ToolNotFoundError",
    "ZeroCopyRef",
    "__version__",
    "configure_logging",
    "current_context",
    "get_logger",
    "run_blocking",
    "tool",
]
