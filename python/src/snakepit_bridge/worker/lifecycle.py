"""Process lifecycle of a worker, whatever its transport: arguments, exit codes, logging, crash dumps,
the ready file, adapter loading, parent-death watches and stop signals. Imports neither gRPC nor protobuf."""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import functools
import importlib
import inspect
import logging
import os
import signal
import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any

from .. import telemetry
from .._argv import parse_known_flags

if TYPE_CHECKING:
    import argparse

__all__ = [
    "EXIT_ADAPTER",
    "EXIT_HOST",
    "EXIT_INITIALIZE",
    "EXIT_OK",
    "EXIT_USAGE",
    "ParentPidWatch",
    "StdinWatch",
    "configure_logging",
    "enable_crash_dumps",
    "fatal",
    "kill_own_process_group",
    "load_adapter",
    "maybe_await",
    "parse_arguments",
    "parser",
    "request_stop",
    "warn_if_not_thread_safe",
    "watch_parent",
    "write_ready_file",
]

log = logging.getLogger("snakepit_bridge.server")

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_ADAPTER = 3
EXIT_INITIALIZE = 4
EXIT_HOST = 5

STACK_DUMP_SIGNAL = getattr(signal, "SIGUSR2", None)
"""Sending this signal to a worker prints every thread's Python stack on stderr (the host does it
before it recycles a stuck worker)."""


# The launch contract: the flags a host passes to every worker it starts, read without argparse.
_LAUNCH_FLAGS = {
    "--adapter": str,
    "--port": int,
    "--host": str,
    "--snakepit-run-id": str,
    "--max-message-size": int,
    "--elixir-address": str,
    "--transport": str,
}
_LAUNCH_DEFAULTS = {
    "adapter": None,
    "port": 0,
    "host": "127.0.0.1",
    "snakepit_run_id": "",
    "max_message_size": None,
    "elixir_address": None,
    "transport": None,
    "listen": None,  # not a standalone worker (those flags go through the parser)
}


def parse_arguments(argv: list[str] | None = None) -> Any:
    """The worker's arguments: a launch-contract command line read directly, anything else by ``parser()``."""
    args = parse_known_flags(
        sys.argv[1:] if argv is None else argv, _LAUNCH_FLAGS, _LAUNCH_DEFAULTS, required=("--adapter",)
    )
    return args if args is not None else parser().parse_args(argv)


@functools.cache
def parser() -> argparse.ArgumentParser:
    """The worker's command line (the launch contract, plus ``--transport``).

    Built once per process: the fork template builds it, so a forked worker only parses. Building
    it costs milliseconds (argparse formats every option and looks up message translations).
    """
    import argparse

    from .. import standalone

    parser = argparse.ArgumentParser(
        prog="python -m snakepit_bridge.server", description="Snakepit bridge worker (serves one adapter)"
    )
    parser.add_argument("--adapter", required=True, help="adapter class as module.Class")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback only)")
    parser.add_argument("--snakepit-run-id", default="", help="the host's run id (for logs)")
    parser.add_argument("--max-message-size", type=int, default=None, help="max gRPC message size in bytes")
    parser.add_argument("--elixir-address", default=None, help="host address (Snakepit compatibility)")
    parser.add_argument(
        "--transport",
        default=None,
        help="how the host talks to this worker: grpc (default); also from SNAKEPIT_TRANSPORT",
    )
    standalone.add_arguments(parser)  # --listen ...: a standalone worker for remote pools
    return parser


class _WorkerIdFilter(logging.Filter):
    def __init__(self, worker_id: str) -> None:
        super().__init__()
        self.worker_id = worker_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.worker_id = self.worker_id
        return True


def configure_logging(worker_id: str) -> None:
    """Log to stderr with the worker id and call context (JSON lines when the host asks for them)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_WorkerIdFilter(worker_id))
    handler.addFilter(telemetry.CallContextFilter())
    handler.setFormatter(telemetry.log_formatter(os.environ.get("SNAKEPIT_LOG_FORMAT", "")))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("SNAKEPIT_LOG_LEVEL", "INFO").upper())


def enable_crash_dumps() -> None:
    """Print Python stacks on stderr: the crashing thread's on a fatal signal, every thread's on SIGUSR2.

    A crash dumps only the crashing thread so that its frames stay inside the few lines of stderr the
    host keeps for the crash report; with every thread (ten or more in a forked worker) the tool's
    frame scrolled out of that tail. SIGUSR2, sent to look at a stuck worker, still shows them all.
    """
    if sys.stderr is None:
        return
    with contextlib.suppress(ValueError, OSError, AttributeError, RuntimeError):
        faulthandler.enable(file=sys.stderr, all_threads=False)
        if STACK_DUMP_SIGNAL is not None:
            faulthandler.register(STACK_DUMP_SIGNAL, file=sys.stderr, all_threads=True, chain=False)


def fatal(code: int, message: str, exc: BaseException | None = None) -> int:
    """Report a start-up failure on stderr (and the log) and return its exit code."""
    if exc is not None:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    log.critical("%s (exit code %d)", message, code)
    print(f"snakepit worker: {message}", file=sys.stderr, flush=True)
    return code


def write_ready_file(path: str, port: int | str) -> None:
    """Write ``port`` to ``path.tmp`` and rename it to ``path`` (atomic for the host)."""
    tmp = f"{path}.tmp"
    # Owner-only (0600), like everything in the pool's run directory (docs/reliability.md).
    # No fsync: the file only hands the endpoint to a host that is running now, and the rename alone
    # makes it appear whole; it has no use after a machine crash (nor its worker). Raw bytes, since a
    # text file would import the ascii codec in every forked worker, on its way to ready.
    data = str(port).encode("ascii")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    os.replace(tmp, path)


def adapter_class(spec: str) -> Any:
    """Import ``module.Class`` and return the class."""
    module_name, _, class_name = spec.rpartition(".")
    if not module_name:
        raise ValueError(f"--adapter must be 'module.Class', got {spec!r}")
    module = importlib.import_module(module_name)
    try:
        cls = getattr(module, class_name)
    except AttributeError:
        raise ImportError(f"module {module_name!r} has no attribute {class_name!r}") from None
    if not isinstance(cls, type) or not callable(getattr(cls, "execute_tool", None)):
        raise TypeError(
            f"{spec!r} is not an adapter class (it has no execute_tool method): subclass "
            "snakepit_bridge.BaseAdapter and mark its tools with @tool"
        )
    return cls


_PRELOADED: set[Any] = set()


def preload_adapter(cls: Any) -> None:
    """Run the class's ``preload()`` hook once per process (a forked worker inherits the template's run)."""
    if cls in _PRELOADED:
        return
    hook = getattr(cls, "preload", None)
    if callable(hook):
        hook()
    _PRELOADED.add(cls)


def load_adapter(spec: str) -> Any:
    """Import ``module.Class``, run its ``preload()`` hook (once per process), instantiate it with no arguments."""
    cls = adapter_class(spec)
    preload_adapter(cls)
    return cls()


def warn_if_not_thread_safe(adapter: Any, spec: str) -> bool:
    """Warn, once per pool start, when the host runs several calls at once in this worker
    (``SNAKEPIT_WORKER_CONCURRENCY > 1``) and the adapter does not declare ``__thread_safe__ = True``.

    The first worker of a pool to get here writes a marker next to its ready file, so a pool of N
    workers logs one warning, not N. Returns whether this worker warned.
    """
    try:
        concurrency = int(os.environ.get("SNAKEPIT_WORKER_CONCURRENCY", "1"))
    except ValueError:
        return False
    if concurrency <= 1 or getattr(type(adapter), "__thread_safe__", False) is True:
        return False
    ready_file = os.environ.get("SNAKEPIT_READY_FILE")
    if ready_file:
        marker = os.path.join(os.path.dirname(os.path.abspath(ready_file)), "thread-safety-warned")
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            return False
        except OSError:
            pass  # cannot tell: warn
    log.warning(
        "adapter %s is not declared thread safe, but the pool runs up to %d calls at once in each worker "
        "(workerConcurrency=%d), all in one adapter instance. Once its shared state is safe for that, declare it "
        "with __thread_safe__ = True (or subclass snakepit_bridge.base_adapter_threaded.ThreadSafeAdapter); "
        "otherwise use workerConcurrency(1).",
        spec,
        concurrency,
        concurrency,
    )
    return True


async def maybe_await(value: Any) -> Any:
    """Await ``value`` while it is awaitable (adapter hooks may be sync or async)."""
    while inspect.isawaitable(value):
        value = await value
    return value


def request_stop(reason: str) -> None:
    """Ask the worker to stop gracefully (it handles SIGTERM like the host's stop)."""
    log.info("stopping: %s", reason)  # the host is gone or stopping us: nobody to warn
    os.kill(os.getpid(), signal.SIGTERM)


def _set_parent_death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        if libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    except OSError as exc:
        log.warning("prctl(PR_SET_PDEATHSIG) unavailable: %s", exc)


class ParentPidWatch(threading.Thread):
    """Daemon thread: stops the worker when ``getppid()`` changes (the host died)."""

    def __init__(self, original_ppid: int, interval_s: float = 1.0, hard_exit_s: float = 3.0) -> None:
        super().__init__(name="snakepit-parent-watch", daemon=True)
        self.original_ppid = original_ppid
        self.interval_s = interval_s
        self.hard_exit_s = hard_exit_s

    def run(self) -> None:
        while os.getppid() == self.original_ppid:
            time.sleep(self.interval_s)
        try:
            request_stop(f"parent process {self.original_ppid} is gone")
        finally:
            # Nobody is left to escalate to SIGKILL: a graceful stop that hangs (a stuck tool, a
            # cleanup() that never returns) must not leave an orphan behind.
            time.sleep(self.hard_exit_s)
            os._exit(0)


class StdinWatch(threading.Thread):
    """Daemon thread: stops the worker when stdin reaches EOF (the host closed the pipe or died)."""

    def __init__(self) -> None:
        super().__init__(name="snakepit-stdin-watch", daemon=True)

    def run(self) -> None:
        stream = sys.stdin.buffer if sys.stdin is not None else None
        if stream is None:
            return
        with contextlib.suppress(OSError, ValueError):
            while stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536):
                pass
        request_stop("stdin reached EOF (host gone)")


def watch_parent() -> bool:
    """Start the parent-death watches the host asked for; False when the parent is already gone."""
    if os.environ.get("SNAKEPIT_READY_FILE"):  # launched by a host: lead our own process group
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)
    parent_pid = os.environ.get("SNAKEPIT_PARENT_PID")
    if parent_pid:
        _set_parent_death_signal()
        if os.getppid() != int(parent_pid):
            log.warning("parent %s already gone (ppid %d): exiting", parent_pid, os.getppid())
            return False
        ParentPidWatch(int(parent_pid)).start()
    if os.environ.get("SNAKEPIT_PARENT_WATCH") == "stdin":
        StdinWatch().start()
    return True


def kill_own_process_group() -> None:
    """Take the tool's subprocesses down with the worker (only when we lead our process group)."""
    with contextlib.suppress(OSError):
        if os.getpgid(0) != os.getpid():
            return
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.killpg(os.getpid(), signal.SIGTERM)
