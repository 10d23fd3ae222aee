"""The tool thread pool: runs blocking (sync) tools off the event loop, counting busy threads."""

from __future__ import annotations

import contextvars
import functools
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._current import current_context

if TYPE_CHECKING:
    import asyncio
    import concurrent.futures as futures
else:
    from .._lazy import (
        asyncio,  # imported on first use: sync tools never need it
        futures,  # the pool is made on first use: inline sync tools never need it
    )

__all__ = ["busy_threads", "run_blocking", "tool_executor", "tracked"]

# ---------------------------------------------------------------------------------------------
# Running blocking code
# ---------------------------------------------------------------------------------------------

_EXECUTOR: futures.ThreadPoolExecutor | None = None
_EXECUTOR_LOCK = threading.Lock()


def tool_executor() -> futures.ThreadPoolExecutor:
    """The worker's thread pool for sync tools (size ``SNAKEPIT_TOOL_THREADS``, default 64)."""
    global _EXECUTOR
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None:
            size = int(os.environ.get("SNAKEPIT_TOOL_THREADS", "64"))
            _EXECUTOR = futures.ThreadPoolExecutor(max_workers=size, thread_name_prefix="snakepit-tool")
        return _EXECUTOR


_BUSY_THREADS = 0
_BUSY_LOCK = threading.Lock()


def busy_threads() -> int:
    """Tool threads running right now, including those of cancelled calls that have not returned."""
    with _BUSY_LOCK:
        return _BUSY_THREADS


def tracked(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run ``func`` counting it as a busy tool thread (call this inside the worker thread)."""
    global _BUSY_THREADS
    with _BUSY_LOCK:
        _BUSY_THREADS += 1
    try:
        return func(*args, **kwargs)
    finally:
        with _BUSY_LOCK:
            _BUSY_THREADS -= 1


async def run_blocking(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run ``func`` in the tool thread pool with the caller's contextvars (the ``SessionContext``).

    When the awaiting task is cancelled, the current ``SessionContext`` is marked cancelled so the
    thread can notice (``ctx.cancelled`` / ``ctx.raise_if_cancelled()``).
    """
    loop = asyncio.get_running_loop()
    call_context = contextvars.copy_context()
    future = loop.run_in_executor(tool_executor(), functools.partial(call_context.run, tracked, func, *args, **kwargs))
    try:
        return await future
    except asyncio.CancelledError:
        ctx = current_context()
        if ctx is not None:
            ctx.cancel()
        raise
