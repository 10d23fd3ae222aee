"""The gRPC transport's worker: ping the host, load the adapter, serve, register tools, write the
ready file, heartbeat, then stop gracefully on SIGTERM (``worker.main`` picks this transport)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from typing import Any

import grpc

from .. import telemetry
from ..worker import lifecycle
from ..worker.heartbeat import HeartbeatTask, heartbeat_config
from .host import HostClient
from .server import DEFAULT_MAX_MESSAGE_BYTES, WorkerServer, tool_registrations

__all__ = ["run"]

log = logging.getLogger("snakepit_bridge.server")


def _rpc_text(exc: grpc.RpcError) -> str:
    code = exc.code() if hasattr(exc, "code") else None
    details = exc.details() if hasattr(exc, "details") else str(exc)
    return f"{code.name if code else 'UNKNOWN'}: {details}"


async def _serve(
    args: argparse.Namespace, adapter: Any, host_client: HostClient | None, worker_id: str, max_bytes: int
) -> int:
    try:
        await lifecycle.maybe_await(adapter.initialize()) if hasattr(adapter, "initialize") else None
    except Exception as exc:
        return lifecycle.fatal(
            lifecycle.EXIT_INITIALIZE, f"adapter {args.adapter} initialize() raised {type(exc).__name__}: {exc}", exc
        )

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    server = WorkerServer(
        adapter,
        host=args.host,
        port=args.port,
        worker_id=worker_id,
        token=os.environ.get("SNAKEPIT_AUTH_TOKEN") or None,
        host_client=host_client,
        max_message_bytes=max_bytes,
        allow_pickle=os.environ.get("SNAKEPIT_ALLOW_PICKLE") == "1",
    )
    port = await server.start()
    log.info("listening on %s:%d (adapter %s, run %s)", args.host, port, args.adapter, args.snakepit_run_id)

    if host_client is not None:
        try:
            registrations = tool_registrations(adapter)
            response = await asyncio.to_thread(host_client.register_tools, registrations)
            if response.success:
                log.info("registered %d tools with the host", len(registrations))
            else:
                log.warning("host rejected RegisterTools: %s", response.error_message)
        except Exception as exc:  # not fatal per the contract
            log.warning("RegisterTools failed: %s", exc)

    ready_file = os.environ.get("SNAKEPIT_READY_FILE")
    if ready_file:
        lifecycle.write_ready_file(ready_file, port)

    heartbeat = None
    config = heartbeat_config()
    if host_client is not None and config is not None:
        heartbeat = HeartbeatTask(host_client, config)
        heartbeat.start()

    await stop.wait()
    grace_s = float(os.environ.get("SNAKEPIT_SHUTDOWN_GRACE_MS", "2000")) / 1000
    log.info("stopping (grace %.1f s)", grace_s)
    if heartbeat is not None:
        heartbeat.stopped.set()
    telemetry.shutdown()
    await server.stop(grace_s)
    try:
        if hasattr(adapter, "cleanup"):
            await lifecycle.maybe_await(adapter.cleanup())
    except Exception as exc:
        log.error("adapter cleanup() raised %s: %s", type(exc).__name__, exc, exc_info=exc)
    log.info("stopped")
    return lifecycle.EXIT_OK


def run(args: argparse.Namespace, worker_id: str) -> int:
    """Serve ``args.adapter`` over gRPC until stopped; return the exit code."""
    max_bytes = args.max_message_size or int(
        os.environ.get("SNAKEPIT_MAX_MESSAGE_BYTES", str(DEFAULT_MAX_MESSAGE_BYTES))
    )
    address = os.environ.get("SNAKEPIT_GRPC_ADDRESS") or args.elixir_address
    host_client = None
    if address:
        host_client = HostClient(
            address,
            token=os.environ.get("SNAKEPIT_AUTH_TOKEN") or None,
            worker_id=worker_id,
            max_message_bytes=max_bytes,
        )
        budget = float(os.environ.get("SNAKEPIT_HOST_PING_TIMEOUT_MS", "5000")) / 1000
        try:
            host_client.ping_until_ready(budget)
        except grpc.RpcError as exc:
            host_client.close()
            return lifecycle.fatal(
                lifecycle.EXIT_HOST,
                f"the host at {address} (SNAKEPIT_GRPC_ADDRESS) did not answer Ping within {budget:.1f} s: "
                f"{_rpc_text(exc)}",
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

    lifecycle.warn_if_not_thread_safe(adapter, args.adapter)
    try:
        return asyncio.run(_serve(args, adapter, host_client, worker_id, max_bytes))
    finally:
        if host_client is not None:
            host_client.close()
