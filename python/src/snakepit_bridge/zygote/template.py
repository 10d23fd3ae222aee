"""The template process: import once, then fork workers on request.

``python -m snakepit_bridge.zygote --adapter module.Class [--preload mod[,mod...]]
[--worker-module snakepit_bridge.server] --snakepit-run-id RID``

Control protocol (JSON, one object per line; see docs/start-modes.md):

* The host writes requests to the template's **stdin**; EOF on stdin means the host is gone and
  the template exits (its children follow through their parent-death signal).
* The template writes replies and events to its **original stdout**, which it keeps as a private
  file descriptor; everything else printed in the template (an import's chatter) goes to stderr.
* After the imports the template writes ``{"event": "ready", "pid": P, "fork": true|false,
  "reason": null|"why not", "import_ms": N}``. With ``fork: false`` it exits right after: the
  host spawns workers instead and logs the reason. An import or preload failure is reported as
  ``{"event": "failed", "message": ...}`` (exit code 3).
* ``{"op": "fork", "id": WORKER_ID, "argv": [...], "env": {...}, "cwd": DIR|null,
  "output": SOCKET_PATH|null}`` forks a worker (``env`` is added to the template's environment
  less its ``SNAKEPIT_*`` variables; ``argv`` is what follows ``-m <worker module>``); the reply
  is ``{"event": "forked", "id": ..., "pid": N}`` or ``{"event": "error", "id": ..., "message": ...}``.
* When a forked worker exits, the template reaps it and writes ``{"event": "exit", "pid": N,
  "code": C}`` (``128 + signal`` for a worker killed by a signal, as the JVM reports it).
* ``{"op": "stop"}`` ends the template (its running workers get their parent-death signal).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import logging
import os
import selectors
import signal
import sys
import time
import traceback
from typing import TYPE_CHECKING, Any

from .._argv import parse_known_flags
from ..tools.registry import class_tools
from ..worker.lifecycle import adapter_class, preload_adapter
from ..worker.main import select_transport
from .child import become_worker, set_parent_death_signal
from .safety import GrpcWatch, fork_unsafe_reason

if TYPE_CHECKING:
    import argparse

__all__ = ["Template", "main"]

log = logging.getLogger("snakepit_bridge.zygote")

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_IMPORT = 3
DEFAULT_WORKER_MODULE = "snakepit_bridge.server"
# What a worker imports for its transport once it runs: imported in the template, so forked workers
# start with it (the transport is chosen as the worker chooses it: --transport, else SNAKEPIT_TRANSPORT).
TRANSPORT_MODULES = {"grpc": ("snakepit_bridge.wire.worker",), "lane": ("snakepit_bridge.lane.worker",)}


# What the host passes to a template, read without argparse (see _argv); anything else goes to _parser().
_FLAGS = {"--adapter": str, "--preload": str, "--worker-module": str, "--snakepit-run-id": str, "--transport": str}
_DEFAULTS = {
    "adapter": None,
    "preload": [],
    "worker_module": DEFAULT_WORKER_MODULE,
    "snakepit_run_id": "",
    "transport": None,
}


def _parser() -> argparse.ArgumentParser:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m snakepit_bridge.zygote", description="Snakepit worker template: imports once, forks workers"
    )
    parser.add_argument("--adapter", required=True, help="adapter class as module.Class")
    parser.add_argument("--preload", action="append", default=[], help="extra modules to import (comma-separated)")
    parser.add_argument("--worker-module", default=DEFAULT_WORKER_MODULE, help="module whose main(argv) runs a worker")
    parser.add_argument("--snakepit-run-id", default="", help="the host's run id (for logs and leftover reaping)")
    parser.add_argument("--transport", default=None, help="the workers' transport (default: as the worker chooses)")
    return parser


def _write_exit_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else status


class Template:
    """The template's state: the reply channel, the preloaded adapter, the forked children."""

    def __init__(self, reply_fd: int, worker_module: str, jvm_pid: int | None) -> None:
        self.reply_fd = reply_fd
        self.worker_module = worker_module
        self.jvm_pid = jvm_pid
        self.children: set[int] = set()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        os.set_blocking(self._wake_r, False)

    # -- replies -------------------------------------------------------------------------------

    def reply(self, **event: Any) -> None:
        """Write one event line to the host (whole line in one write)."""
        data = (json.dumps(event, separators=(",", ":")) + "\n").encode()
        view = memoryview(data)
        while view:
            written = os.write(self.reply_fd, view)
            view = view[written:]

    # -- preload -------------------------------------------------------------------------------

    def preload(self, adapter: str, modules: list[str], transport: str | None = None) -> list[str]:
        """Import the worker module and its transport, ``modules`` and the adapter's module; run the
        adapter's ``preload()``.

        Returns the gRPC channels and servers created meanwhile (they make forking unsafe).
        """
        importlib.import_module(self.worker_module)
        for name in TRANSPORT_MODULES.get(select_transport(transport), ()):
            importlib.import_module(name)
        with GrpcWatch() as watch:
            for name in modules:
                importlib.import_module(name)
            cls = adapter_class(adapter)
            preload_adapter(cls)
        if callable(getattr(cls, "get_tools", None)):
            # Forked workers inherit the descriptions (a failure shows in the worker, as without this).
            with contextlib.suppress(Exception):
                class_tools(cls)
        return watch.created

    # -- the loop ------------------------------------------------------------------------------

    def serve(self) -> int:
        """Answer requests until stdin reaches EOF or a stop request arrives."""
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)
        selector = selectors.DefaultSelector()
        selector.register(0, selectors.EVENT_READ, "stdin")
        selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        pending = b""
        try:
            while True:
                for key, _ in selector.select():
                    if key.data == "wake":
                        with contextlib.suppress(BlockingIOError):
                            while os.read(self._wake_r, 4096):
                                pass
                        self.reap()
                        continue
                    chunk = os.read(0, 65536)
                    if not chunk:
                        log.info("the host closed the control channel: stopping")
                        return EXIT_OK
                    pending += chunk
                    while b"\n" in pending:
                        line, pending = pending.split(b"\n", 1)
                        if line.strip() and not self.handle(line):
                            return EXIT_OK
        finally:
            selector.close()

    def handle(self, line: bytes) -> bool:
        """Handle one request line; ``False`` means stop."""
        try:
            request = json.loads(line)
        except ValueError:
            log.warning("ignoring a control line that is not JSON: %r", line[:200])
            return True
        op = request.get("op") if isinstance(request, dict) else None
        if op == "stop":
            return False
        if op == "fork":
            self.fork(request)
            return True
        log.warning("ignoring unknown control request %r", op)
        return True

    def fork(self, request: dict[str, Any]) -> None:
        """Fork one worker; the child never returns from here."""
        worker_id = request.get("id")
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        template_pid = os.getpid()
        try:
            pid = os.fork()
        except OSError as exc:
            self.reply(event="error", id=worker_id, message=f"fork() failed: {exc}")
            return
        if pid == 0:
            become_worker(
                request, template_pid, self.jvm_pid, (self.reply_fd, self._wake_r, self._wake_w), self.worker_module
            )
        self.children.add(pid)
        self.reply(event="forked", id=worker_id, pid=pid)

    def reap(self) -> None:
        """Collect every child that exited and tell the host its exit code."""
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            self.children.discard(pid)
            self.reply(event="exit", pid=pid, code=_write_exit_code(status))


def main(argv: list[str] | None = None) -> None:
    """Run the template; exits the process."""
    try:
        args = parse_known_flags(
            sys.argv[1:] if argv is None else argv, _FLAGS, _DEFAULTS, required=("--adapter",), repeated=("--preload",)
        ) or _parser().parse_args(argv)
    except SystemExit as exc:
        os._exit(int(exc.code or 0) and EXIT_USAGE)
    # The reply channel is the original stdout; from here on stdout is stderr.
    reply_fd = os.dup(1)
    os.dup2(2, 1)
    logging.basicConfig(
        stream=sys.stderr,
        level=os.environ.get("SNAKEPIT_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s snakepit template %(process)d: %(message)s",
    )
    parent = os.environ.get("SNAKEPIT_PARENT_PID")
    jvm_pid = int(parent) if parent and parent.isdigit() else None
    if jvm_pid is not None:
        set_parent_death_signal(signal.SIGKILL)  # nothing to clean up: the children follow via theirs
        if os.getppid() != jvm_pid:
            os._exit(EXIT_OK)
    template = Template(reply_fd, args.worker_module, jvm_pid)
    started = time.monotonic()
    modules = [m.strip() for group in args.preload for m in group.split(",") if m.strip()]
    try:
        grpc_created = template.preload(args.adapter, modules, args.transport)
    except BaseException as exc:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        template.reply(event="failed", message=f"{type(exc).__name__}: {exc}")
        os._exit(EXIT_IMPORT)
    import_ms = round((time.monotonic() - started) * 1000, 1)
    reason = fork_unsafe_reason(grpc_created=grpc_created)
    if reason is None:
        # Objects from the imports move to a permanent generation: the collector never writes to
        # them again, so their pages stay shared with every forked worker. No gc.collect() first:
        # imports leave next to no garbage (none with the bench adapter), and a full collection
        # costs ~10 ms before the first worker can be forked.
        gc.freeze()
    template.reply(event="ready", pid=os.getpid(), fork=reason is None, reason=reason, import_ms=import_ms)
    if reason is not None:
        log.info("not forking: %s", reason)
        os._exit(EXIT_OK)
    log.info("ready to fork (adapter %s, imports %.0f ms, run %s)", args.adapter, import_ms, args.snakepit_run_id)
    code = template.serve()
    sys.stderr.flush()
    os._exit(code)
