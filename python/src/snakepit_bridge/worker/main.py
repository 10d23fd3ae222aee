"""The worker's entry point: common start-up, then the transport the host asked for.

``python -m snakepit_bridge.server --adapter module.Class [--transport grpc]``; the transport comes
from ``--transport`` or ``SNAKEPIT_TRANSPORT`` (default ``grpc``). Each transport is imported only
when chosen, so a worker never pays for the ones it does not use.
"""

from __future__ import annotations

import logging
import os
import sys

from . import lifecycle

__all__ = ["DEFAULT_TRANSPORT", "TRANSPORTS", "main", "run", "select_transport"]

DEFAULT_TRANSPORT = "grpc"
TRANSPORTS = ("grpc", "lane")


def select_transport(requested: str | None) -> str:
    """``--transport``, else ``SNAKEPIT_TRANSPORT``, else ``grpc`` (lower case)."""
    return (requested or os.environ.get("SNAKEPIT_TRANSPORT") or DEFAULT_TRANSPORT).strip().lower()


def run(argv: list[str] | None = None) -> int:
    """Run a worker; return its exit code (see the worker contract)."""
    try:
        args = lifecycle.parse_arguments(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and lifecycle.EXIT_USAGE
    worker_id = os.environ.get("SNAKEPIT_WORKER_ID") or f"python-{os.getpid()}"
    lifecycle.configure_logging(worker_id)
    lifecycle.enable_crash_dumps()
    if not lifecycle.watch_parent():
        return lifecycle.EXIT_OK

    if args.listen:  # a standalone worker serving remote pools (docs/remote.md)
        from ..standalone.serve import run as run_standalone

        return run_standalone(args, worker_id)
    # The transport dispatch point: one branch per transport.
    transport = select_transport(args.transport)
    if transport == "grpc":
        from ..wire.worker import run as run_grpc

        return run_grpc(args, worker_id)
    if transport == "lane":
        from ..lane.worker import run as run_lane

        return run_lane(args, worker_id)
    return lifecycle.fatal(
        lifecycle.EXIT_USAGE, f"unknown transport {transport!r} (--transport / SNAKEPIT_TRANSPORT); known: {TRANSPORTS}"
    )


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the worker, then exit without waiting for stuck tool threads."""
    code = run(argv)
    if os.environ.get("SNAKEPIT_READY_FILE"):
        lifecycle.kill_own_process_group()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
