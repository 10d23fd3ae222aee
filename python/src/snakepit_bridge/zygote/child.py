"""What a forked child does before it becomes a full worker.

Runs in the child right after ``fork()``, single-threaded: drop the template's control channel
and signal set-up, take its own stdout/stderr (two connections to the host's output socket, so
the host reads each worker's streams separately), its own environment and working directory,
watch the template (parent-death signal) and the JVM (pid watch), then run the worker's ``main``
exactly as a spawned worker runs it. It never returns.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["JvmWatch", "become_worker", "process_start_time", "set_parent_death_signal"]

EXIT_CHILD_SETUP = 70  # the fork worked but the child could not set itself up (never reached main)


def set_parent_death_signal(signum: int) -> bool:
    """``prctl(PR_SET_PDEATHSIG, signum)``: the kernel sends ``signum`` when our parent exits (Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(1, signum, 0, 0, 0) == 0  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return False


def process_start_time(pid: int) -> str | None:
    """The start time of ``pid`` in clock ticks since boot (field 22 of /proc/PID/stat), or ``None``."""
    try:
        # Bytes, decoded here: a text-mode open with encoding="ascii" would import that codec in
        # every forked worker (the template never opens a file that way).
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read().decode("ascii", "replace")
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


class JvmWatch(threading.Thread):
    """Daemon thread: stops the worker when the JVM (its grandparent) is gone.

    The parent-death signal of a forked worker points at the template; this watch covers the JVM
    itself (a pid whose start time changed is a recycled pid, so it counts as gone). The worker
    gets SIGTERM (graceful stop); if it is still there ``hard_exit_s`` later, it exits at once.
    """

    def __init__(self, jvm_pid: int, interval_s: float = 0.25, hard_exit_s: float = 1.5) -> None:
        super().__init__(name="snakepit-jvm-watch", daemon=True)
        self.jvm_pid = jvm_pid
        self.start_time = process_start_time(jvm_pid)
        self.interval_s = interval_s
        self.hard_exit_s = hard_exit_s

    def _wait_on_pidfd(self) -> bool:
        """Block until the JVM exits, on a pidfd (Linux 5.3+); False when there is none to wait on.

        Polling ``/proc`` four times a second in every worker adds up: 128 idle workers woke the
        machine 500 times a second. A pidfd turns readable when the process exits, no wake-up before.
        """
        pidfd_open = getattr(os, "pidfd_open", None)
        if pidfd_open is None:
            return False
        try:
            fd = pidfd_open(self.jvm_pid)
        except ProcessLookupError:
            return True  # already gone
        except OSError:
            return False
        try:
            if not self.alive():  # the pid was recycled before we opened it: the JVM is gone
                return True
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            while not poller.poll():
                pass
            return True
        finally:
            os.close(fd)

    def alive(self) -> bool:
        """Whether the JVM this watch was created for still runs."""
        if self.start_time is None:
            try:
                os.kill(self.jvm_pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True
        return process_start_time(self.jvm_pid) == self.start_time

    def run(self) -> None:
        if not self._wait_on_pidfd():
            while self.alive():
                time.sleep(self.interval_s)
        with contextlib.suppress(OSError):
            os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(self.hard_exit_s)
        os._exit(0)


def _connect_output(path: str, worker_id: str, stream: str) -> int:
    """A connection to the host's output socket that announces itself as ``<worker id> <stream>``."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        sock.sendall(f"{worker_id} {stream}\n".encode())
        sock.shutdown(socket.SHUT_RD)
        return sock.detach()
    except BaseException:
        sock.close()
        raise


def _take_output(path: str, worker_id: str) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    for fd, name in ((1, "stdout"), (2, "stderr")):
        conn = _connect_output(path, worker_id, name)
        os.dup2(conn, fd)
        os.close(conn)


def become_worker(
    request: Mapping[str, Any],
    template_pid: int,
    jvm_pid: int | None,
    close_fds: Sequence[int],
    worker_module: str,
) -> None:
    """Turn this freshly forked child into the worker ``request`` describes; never returns."""
    code = EXIT_CHILD_SETUP
    try:
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL if signum != signal.SIGPIPE else signal.SIG_IGN)
        set_parent_death_signal(signal.SIGTERM)
        if os.getppid() != template_pid:  # the template died between fork() and prctl()
            os._exit(0)
        for fd in close_fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)

        worker_id = str(request["id"])
        # The template's environment (the host's, inherited) less its SNAKEPIT_ settings, plus the worker's own.
        environment = {k: v for k, v in os.environ.items() if not k.startswith("SNAKEPIT_")}
        environment.update({str(k): str(v) for k, v in dict(request.get("env") or {}).items()})
        # The worker's own parent watches (server.run) then point at the template, not the JVM.
        environment["SNAKEPIT_PARENT_PID"] = str(template_pid)
        environment.pop("SNAKEPIT_PARENT_WATCH", None)
        # Only what differs is changed: rewriting every variable (a setenv each, in a process whose
        # pages are all still shared) costs milliseconds in every forked worker.
        for key in [k for k in os.environ if k not in environment]:
            del os.environ[key]
        for key, value in environment.items():
            if os.environ.get(key) != value:
                os.environ[key] = value
        if request.get("cwd"):
            os.chdir(str(request["cwd"]))
        if request.get("output"):
            _take_output(str(request["output"]), worker_id)
        if jvm_pid:
            JvmWatch(jvm_pid).start()
        argv = [str(a) for a in request.get("argv") or []]
        sys.argv = [worker_module, *argv]
        module = importlib.import_module(worker_module)
        code = 0
        module.main(argv)  # the worker's own entry: it ends with os._exit
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            print(f"snakepit worker: forked child could not start: {type(exc).__name__}: {exc}", file=sys.stderr)
            import traceback

            traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
