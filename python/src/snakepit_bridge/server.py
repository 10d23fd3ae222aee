"""The worker process: ``python -m snakepit_bridge.server --adapter module.Class --port 0 ...``.

Kept as the entry point and import path; the code lives in ``worker`` (lifecycle, main) and ``wire``
(the gRPC servicer and server). The gRPC names below are imported on first use, so starting a
worker on another transport does not import gRPC.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .worker.lifecycle import (
    EXIT_ADAPTER,
    EXIT_HOST,
    EXIT_INITIALIZE,
    EXIT_OK,
    EXIT_USAGE,
    ParentPidWatch,
    StdinWatch,
    load_adapter,
    write_ready_file,
)
from .worker.main import main, run

if TYPE_CHECKING:
    from .wire.server import WorkerServer, tool_registrations
    from .wire.servicer import WorkerServicer

__all__ = [
    "EXIT_ADAPTER",
    "EXIT_HOST",
    "EXIT_INITIALIZE",
    "EXIT_OK",
    "EXIT_USAGE",
    "ParentPidWatch",
    "StdinWatch",
    "WorkerServer",
    "WorkerServicer",
    "load_adapter",
    "main",
    "run",
    "tool_registrations",
    "write_ready_file",
]

_LAZY = {
    "WorkerServer": "snakepit_bridge.wire.server",
    "WorkerServicer": "snakepit_bridge.wire.servicer",
    "tool_registrations": "snakepit_bridge.wire.server",
    "DEFAULT_MAX_MESSAGE_BYTES": "snakepit_bridge.wire.server",
    "HeartbeatTask": "snakepit_bridge.worker.heartbeat",
    "STATUS_TRACEBACK_CHARS": "snakepit_bridge.wire.servicer",
    "SHM_ARGUMENT_PREFIX": "snakepit_bridge.wire.metadata",
    "SHM_RESULTS_KEY": "snakepit_bridge.wire.metadata",
    "SHM_RESULT_KEY": "snakepit_bridge.wire.metadata",
    "FEATURES_TRAILER": "snakepit_bridge.wire.metadata",
    "WORKER_ID_KEY": "snakepit_bridge.wire.metadata",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if __name__ == "__main__":
    main()
