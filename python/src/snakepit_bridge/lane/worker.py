"""The lane worker: ``python -m snakepit_bridge.server --adapter module.Class --transport lane``.

Binds the Unix socket named by ``SNAKEPIT_LANE_SOCKET`` (mode 0600, inside the pool's private run
directory), writes ``unix:<path>`` to the ready file, serves one host connection, and exits when the
host closes it or stops the process.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import signal
import socket
import threading
from typing import TYPE_CHECKING, Any

from ..wire.values import to_json
from ..worker import lifecycle
from . import frames as f
from .connection import LaneConnection

if TYPE_CHECKING:
    import argparse
    import asyncio
else:
    from .._lazy import asyncio  # imported on first use: sync tools never need it

__all__ = ["bind", "run", "serve", "tool_descriptions"]

log = logging.getLogger("snakepit_bridge.lane")

SOCKET_ENV = "SNAKEPIT_LANE_SOCKET"
DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024


def tool_descriptions(adapter: Any) -> list[dict[str, Any]]:
    """The adapter's tools as the JSON the WELCOME frame carries (name, description, parameters)."""
    getter = getattr(adapter, "get_tools", None)
    described: list[dict[str, Any]] = []
    for info in getter() if getter is not None else ():
        if not hasattr(info, "parameters") or not hasattr(info, "name"):
            continue
        parameters = []
        for p in info.parameters:
            default = None
            if not p.required:
                with contextlib.suppress(Exception):
                    default = to_json(p.default)
            parameters.append(
                {
                    "name": p.name,
                    "type": p.type,
                    "required": p.required,
                    "default": default,
                    "description": p.description,
                }
            )
        described.append(
            {
                "name": info.name,
                "description": info.description,
                "streaming": bool(info.supports_streaming),
                "parameters": parameters,
            }
        )
    return described


def bind(path: str) -> socket.socket:
    """A listening Unix socket at ``path``, mode 0600 from the start."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        listener.bind(path)
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    listener.listen(1)
    return listener


def serve(
    listener: socket.socket,
    adapter: Any,
    *,
    worker_id: str,
    token: str | None,
    max_frame: int,
    tools: list[dict[str, Any]] | None = None,
) -> str:
    """Accept the host's connection and serve it; return why it ended.

    ``tools`` is ``tool_descriptions(adapter)`` when the caller has it already.
    """
    sock, _ = listener.accept()
    listener.close()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    shm_dir = os.environ.get("SNAKEPIT_SHM_DIR")
    connection = LaneConnection(
        sock,
        adapter,
        worker_id=worker_id,
        token=token,
        max_frame=max_frame,
        shm_dir=shm_dir if shm_dir and os.path.isdir(shm_dir) else None,
        allow_pickle=os.environ.get("SNAKEPIT_ALLOW_PICKLE") == "1",
    )
    connection.tools_json = tool_descriptions(adapter) if tools is None else tools
    try:
        if connection.handshake():
            connection.serve()
    except (OSError, EOFError, f.FrameError) as exc:
        return f"handshake failed: {exc}"
    finally:
        with contextlib.suppress(OSError):
            sock.close()
    return "the host closed the lane"


def run(args: argparse.Namespace, worker_id: str) -> int:
    """Serve ``args.adapter`` over the lane until the host closes it or stops us; return the exit code.

    Called by ``worker.main`` after the common start-up (logging, parent watches).
    """
    path = os.environ.get(SOCKET_ENV)
    if not path:
        return lifecycle.fatal(lifecycle.EXIT_USAGE, f"{SOCKET_ENV} is not set: the host names the lane socket")
    max_bytes = args.max_message_size or int(
        os.environ.get("SNAKEPIT_MAX_MESSAGE_BYTES", str(DEFAULT_MAX_MESSAGE_BYTES))
    )
    try:
        adapter = lifecycle.load_adapter(args.adapter)
    except Exception as exc:
        return lifecycle.fatal(
            lifecycle.EXIT_ADAPTER,
            f"could not import or instantiate adapter {args.adapter!r}: {type(exc).__name__}: {exc} "
            f"(PYTHONPATH={os.environ.get('PYTHONPATH', '')!r})",
            exc,
        )
    try:
        _maybe_run(adapter.initialize()) if hasattr(adapter, "initialize") else None
    except Exception as exc:
        return lifecycle.fatal(
            lifecycle.EXIT_INITIALIZE, f"adapter {args.adapter} initialize() raised {type(exc).__name__}: {exc}", exc
        )
    listener = bind(path)
    ready_file = os.environ.get("SNAKEPIT_READY_FILE")
    if ready_file:
        lifecycle.write_ready_file(ready_file, f"unix:{path}")
    log.info("lane listening on %s (adapter %s, run %s)", path, args.adapter, args.snakepit_run_id)
    # Described while the host notices the ready file and connects, not after it connected: the
    # WELCOME that carries the descriptions then leaves at once (they take milliseconds to build).
    tools = tool_descriptions(adapter)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    token = os.environ.get("SNAKEPIT_AUTH_TOKEN") or None

    def serve_then_stop() -> None:
        why = serve(listener, adapter, worker_id=worker_id, token=token, max_frame=max_bytes, tools=tools)
        log.info("stopping: %s", why)
        stop.set()

    threading.Thread(target=serve_then_stop, name="snakepit-lane", daemon=True).start()
    while not stop.wait(3600):
        pass
    with contextlib.suppress(OSError):
        os.unlink(path)
    try:
        if hasattr(adapter, "cleanup"):
            _maybe_run(adapter.cleanup())
    except Exception as exc:
        log.error("adapter cleanup() raised %s: %s", type(exc).__name__, exc, exc_info=exc)
    log.info("stopped")
    return lifecycle.EXIT_OK


def _maybe_run(value: Any) -> Any:
    if inspect.isawaitable(value):
        return asyncio.run(_await(value))
    return value


async def _await(value: Any) -> Any:
    while inspect.isawaitable(value):
        value = await value
    return value
