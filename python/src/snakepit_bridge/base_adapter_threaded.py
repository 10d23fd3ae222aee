"""Snakepit's thread profile API: ``ThreadSafeAdapter`` and helpers for adapters that serve
concurrent calls (``workerConcurrency > 1`` on the Java side).

Our worker always runs one adapter instance per worker, and sync tools run in a thread pool, so
several calls can be inside one adapter at once whenever ``workerConcurrency > 1``. Declare that
the adapter copes with it by subclassing ``ThreadSafeAdapter`` or setting ``__thread_safe__ = True``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from .base_adapter import BaseAdapter

__all__ = [
    "RequestTracker",
    "ThreadLocalStorage",
    "ThreadSafeAdapter",
    "require_thread_safe",
    "thread_safe_method",
    "validate_thread_safety",
]

log = logging.getLogger("snakepit.bridge.base_adapter_threaded")


class ThreadLocalStorage:
    """Per-thread key/value storage (each thread sees only its own values)."""

    def __init__(self) -> None:
        self._local = threading.local()

    def _values(self) -> dict[str, Any]:
        values = getattr(self._local, "values", None)
        if values is None:
            values = self._local.values = {}
        return values

    def get(self, key: str, default: Any = None) -> Any:
        return self._values().get(key, default)

    def set(self, key: str, value: Any) -> None:
        self._values()[key] = value

    def delete(self, key: str) -> None:
        self._values().pop(key, None)

    def clear(self) -> None:
        self._values().clear()


class RequestTracker:
    """Counts requests per thread: totals, active ones, threads seen."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.total_requests = 0
        self.requests_by_thread: dict[int, int] = defaultdict(int)
        self.active_requests: dict[int, int] = defaultdict(int)

    def start_request(self, thread_id: int | None = None) -> int:
        """Count a request starting on ``thread_id`` (default: this thread); returns its number."""
        thread_id = threading.get_ident() if thread_id is None else thread_id
        with self.lock:
            self.total_requests += 1
            self.requests_by_thread[thread_id] += 1
            self.active_requests[thread_id] += 1
            return self.total_requests

    def end_request(self, thread_id: int | None = None) -> None:
        """Count a request on ``thread_id`` as finished."""
        thread_id = threading.get_ident() if thread_id is None else thread_id
        with self.lock:
            if self.active_requests[thread_id] > 0:
                self.active_requests[thread_id] -= 1

    def get_stats(self) -> dict[str, int]:
        """``total_requests``, ``active_threads``, ``total_active_requests``, ``threads_seen``."""
        with self.lock:
            active = [n for n in self.active_requests.values() if n > 0]
            return {
                "total_requests": self.total_requests,
                "active_threads": len(active),
                "total_active_requests": sum(active),
                "threads_seen": len(self.requests_by_thread),
            }


def thread_safe_method(func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a method as safe to run concurrently; on a ``ThreadSafeAdapter`` each call is also tracked
    (``get_stats()``) and logged at DEBUG with its duration."""

    @functools.wraps(func)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        tracker = getattr(self, "_tracker", None) if isinstance(self, ThreadSafeAdapter) else None
        if tracker is None:
            return func(self, *args, **kwargs)
        number = tracker.start_request()
        started = time.perf_counter()
        try:
            return func(self, *args, **kwargs)
        finally:
            tracker.end_request()
            log.debug("request #%d %s took %.3f s", number, func.__name__, time.perf_counter() - started)

    wrapper.__thread_safe__ = True  # type: ignore[attr-defined]
    return wrapper


class ThreadSafeAdapter(BaseAdapter):
    """Base class of adapters that serve concurrent calls: a reentrant lock for shared state
    (``acquire_lock()``), thread-local storage, and request statistics."""

    __thread_safe__ = True

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()
        self._thread_local = ThreadLocalStorage()
        self._tracker = RequestTracker()

    @contextlib.contextmanager
    def acquire_lock(self) -> Iterator[None]:
        """Hold the adapter's lock for a critical section."""
        with self._lock:
            yield

    def get_thread_local(self, key: str, default: Any = None) -> Any:
        return self._thread_local.get(key, default)

    def set_thread_local(self, key: str, value: Any) -> None:
        self._thread_local.set(key, value)

    def clear_thread_local(self, key: str | None = None) -> None:
        """Clear one key, or every key with ``None`` (this thread only)."""
        if key is None:
            self._thread_local.clear()
        else:
            self._thread_local.delete(key)

    def get_stats(self) -> dict[str, Any]:
        """The adapter class, its thread-safety declaration and the request counts."""
        return {
            "adapter_class": type(self).__name__,
            "thread_safe": self.__thread_safe__,
            "tracker": self._tracker.get_stats(),
        }

    @contextlib.contextmanager
    def track_request(self, request_id: str | None = None) -> Iterator[int]:
        """Count the block as one request; yields its number."""
        number = self._tracker.start_request()
        try:
            yield number
        finally:
            self._tracker.end_request()


def validate_thread_safety(adapter_class: type) -> bool:
    """Whether ``adapter_class`` declares ``__thread_safe__ = True``."""
    return getattr(adapter_class, "__thread_safe__", False) is True


def require_thread_safe(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``func(adapter, ...)`` to raise ``ValueError`` unless ``adapter`` is declared thread safe."""

    @functools.wraps(func)
    def wrapper(adapter: Any, *args: Any, **kwargs: Any) -> Any:
        if not getattr(adapter, "__thread_safe__", False):
            raise ValueError(
                f"Adapter {type(adapter).__name__} is not thread-safe. "
                "Set __thread_safe__ = True (or subclass ThreadSafeAdapter) if it supports concurrent calls."
            )
        return func(adapter, *args, **kwargs)

    return wrapper
