"""Snakepit's development-time thread-safety checks: which methods run on several threads, known
thread-unsafe libraries, and adapters that do not declare ``__thread_safe__``.

Checking is off by default (``enable_checking()`` turns the global checker on); ``strict_mode``
raises ``RuntimeError`` instead of warning.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
import threading
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

__all__ = [
    "ThreadSafetyChecker",
    "check_common_pitfalls",
    "check_thread_safe",
    "disable_checking",
    "enable_checking",
    "get_global_checker",
    "print_thread_safety_report",
    "require_thread_safe_adapter",
    "validate_adapter_thread_safety",
]

log = logging.getLogger("snakepit.thread_safety_checker")


class ThreadSafetyChecker:
    """Records which threads call which methods and warns (once per finding) about concurrency risks."""

    UNSAFE_LIBRARIES: dict[str, dict[str, str]] = {
        "matplotlib": {
            "reason": "pyplot keeps global figure state",
            "safe_pattern": "create figures per thread (object API) or hold a lock around plotting",
            "docs": "https://matplotlib.org/stable/users/explain/figure/backends.html",
        },
        "sqlite3": {
            "reason": "a connection belongs to the thread that opened it (check_same_thread)",
            "safe_pattern": "open one connection per thread",
            "docs": "https://docs.python.org/3/library/sqlite3.html",
        },
        "pandas": {
            "reason": "concurrent mutation of one DataFrame is not safe",
            "safe_pattern": "copy per call or hold a lock while mutating",
            "docs": "https://pandas.pydata.org/docs/",
        },
    }

    def __init__(self, enabled: bool = True, strict_mode: bool = False) -> None:
        self.enabled = enabled
        self.strict_mode = strict_mode
        self.access_map: dict[str, set[int]] = defaultdict(set)
        self.access_times: dict[str, list[float]] = defaultdict(list)
        self.warnings_issued: set[str] = set()
        self.thread_stats: dict[int, dict[str, Any]] = defaultdict(
            lambda: {"calls": 0, "total_time": 0.0, "methods": set()}
        )
        self.start_time = time.time()
        self._lock = threading.Lock()

    def _report(self, key: str, message: str) -> bool:
        """Warn (or raise in strict mode) the first time ``key`` is found; True if new."""
        if key in self.warnings_issued:
            return False
        self.warnings_issued.add(key)
        if self.strict_mode:
            raise RuntimeError(message)
        warnings.warn(message, RuntimeWarning, stacklevel=4)
        log.warning(message)
        return True

    def check_method_access(self, method_name: str, caller_frame: Any = None) -> None:
        """Record a call of ``method_name`` on this thread; warn when a second thread calls it."""
        if not self.enabled:
            return
        thread_id = threading.get_ident()
        with self._lock:
            self.access_map[method_name].add(thread_id)
            self.access_times[method_name].append(time.time())
            stats = self.thread_stats[thread_id]
            stats["calls"] += 1
            stats["methods"].add(method_name)
            threads = len(self.access_map[method_name])
        if threads > 1:
            where = f" (called from {caller_frame.f_code.co_filename}:{caller_frame.f_lineno})" if caller_frame else ""
            self._report(
                f"{method_name}_concurrent",
                f"THREAD SAFETY: method '{method_name}' is called from {threads} threads; "
                f"current thread {threading.current_thread().name}{where}",
            )

    def check_library_safety(self, imported_modules: set[str] | None = None) -> list[str]:
        """Warn about loaded libraries known to be thread-unsafe; returns the new warnings."""
        if not self.enabled:
            return []
        loaded = set(sys.modules) if imported_modules is None else imported_modules
        found = []
        for name, info in self.UNSAFE_LIBRARIES.items():
            if name in loaded:
                message = (
                    f"THREAD SAFETY: library '{name}' is loaded: {info['reason']}; "
                    f"safe pattern: {info['safe_pattern']} ({info['docs']})"
                )
                if self._report(f"unsafe_lib_{name}", message):
                    found.append(message)
        return found

    @contextlib.contextmanager
    def track_execution(self, method_name: str) -> Iterator[None]:
        """Add the block's duration to this thread's statistics."""
        if not self.enabled:
            yield
            return
        started = time.time()
        try:
            yield
        finally:
            with self._lock:
                self.thread_stats[threading.get_ident()]["total_time"] += time.time() - started

    def get_report(self) -> dict[str, Any]:
        """Statistics, findings and recommendations so far."""
        with self._lock:
            concurrent = {m: len(t) for m, t in self.access_map.items() if len(t) > 1}
            utilization = {
                tid: {
                    "calls": s["calls"],
                    "total_time": s["total_time"],
                    "methods": sorted(s["methods"]),
                    "avg_time_per_call": s["total_time"] / s["calls"] if s["calls"] else 0,
                }
                for tid, s in self.thread_stats.items()
            }
            return {
                "enabled": self.enabled,
                "strict_mode": self.strict_mode,
                "total_runtime": time.time() - self.start_time,
                "warnings_issued": len(self.warnings_issued),
                "warnings": sorted(self.warnings_issued),
                "concurrent_accesses": concurrent,
                "total_methods_tracked": len(self.access_map),
                "total_threads_seen": len(self.thread_stats),
                "thread_utilization": utilization,
                "recommendations": [
                    f"Protect shared state used by '{m}' ({n} threads) with a lock" for m, n in concurrent.items()
                ],
            }

    def reset(self) -> None:
        """Forget everything recorded."""
        with self._lock:
            self.access_map.clear()
            self.access_times.clear()
            self.warnings_issued.clear()
            self.thread_stats.clear()
            self.start_time = time.time()

    def __enter__(self) -> ThreadSafetyChecker:
        self.enabled = True
        return self

    def __exit__(self, *exc: Any) -> bool:
        for line in _report_lines(self.get_report()):
            log.info("%s", line)
        return False


_global_checker = ThreadSafetyChecker(enabled=False)


def enable_checking(strict_mode: bool = False) -> None:
    """Turn the global checker on (a fresh one)."""
    global _global_checker
    _global_checker = ThreadSafetyChecker(enabled=True, strict_mode=strict_mode)


def disable_checking() -> None:
    """Turn the global checker off."""
    _global_checker.enabled = False


def get_global_checker() -> ThreadSafetyChecker:
    return _global_checker


def check_thread_safe(func: Callable[..., Any]) -> Callable[..., Any]:
    """Record each call of ``func`` with the global checker (which warns about concurrent use)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        frame = sys._getframe(1)
        _global_checker.check_method_access(func.__name__, frame)
        with _global_checker.track_execution(func.__name__):
            return func(*args, **kwargs)

    return wrapper


def require_thread_safe_adapter(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``func(adapter, ...)``: ``ValueError`` unless ``adapter`` declares ``__thread_safe__ = True``."""

    @functools.wraps(func)
    def wrapper(adapter: Any, *args: Any, **kwargs: Any) -> Any:
        declared = getattr(adapter, "__thread_safe__", None)
        if declared is None:
            raise ValueError(
                f"Adapter {type(adapter).__name__} does not declare thread safety; "
                "set __thread_safe__ = True if it is thread safe."
            )
        if not declared:
            raise ValueError(
                f"Adapter {type(adapter).__name__} is marked as not thread safe (__thread_safe__ = False)."
            )
        return func(adapter, *args, **kwargs)

    return wrapper


def validate_adapter_thread_safety(adapter_class: type) -> bool:
    """Whether ``adapter_class`` declares ``__thread_safe__ = True`` (``ValueError`` if not, in strict mode)."""
    safe = getattr(adapter_class, "__thread_safe__", False) is True
    if not safe and _global_checker.strict_mode:
        raise ValueError(f"Adapter {adapter_class.__name__} is not thread-safe: set __thread_safe__ = True")
    return safe


def check_common_pitfalls(adapter_instance: Any) -> list[str]:
    """Findings about an adapter instance: public mutable state without a lock, no ``__thread_safe__``."""
    findings = []
    mutable = [
        name
        for name, value in vars(adapter_instance).items()
        if not name.startswith("_") and isinstance(value, (list, dict, set))
    ]
    if mutable and not hasattr(adapter_instance, "_lock"):
        findings.append(f"Adapter has shared mutable state {mutable} but no lock (add self._lock = threading.Lock())")
    _global_checker.check_library_safety()
    if not hasattr(type(adapter_instance), "__thread_safe__"):
        findings.append("Adapter does not declare __thread_safe__; add __thread_safe__ = True or False")
    return findings


def _report_lines(report: dict[str, Any]) -> list[str]:
    lines = [
        "Thread safety report",
        f"  runtime: {report['total_runtime']:.1f} s, threads seen: {report['total_threads_seen']}, "
        f"methods tracked: {report['total_methods_tracked']}",
    ]
    lines += [f"  warning: {w}" for w in report["warnings"]]
    lines += [f"  recommendation: {r}" for r in report["recommendations"]]
    return lines


def print_thread_safety_report() -> None:
    """Print the global checker's report."""
    print("\n".join(_report_lines(_global_checker.get_report())))
