"""Run a standalone worker: the bridge service (TLS, token) and grpc.health.v1 on ``--listen``, health
alone on ``--health-listen``; SIGTERM drains (NOT_SERVING, new calls refused, in-flight calls get
``--drain-grace`` seconds), then the adapter is cleaned up and the process exits."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import uuid
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from .. import snakepit_bridge_pb2_grpc as pb2_grpc
from ..wire.server import DEFAULT_MAX_MESSAGE_BYTES
from ..worker import lifecycle
from .options import StandaloneOptions, UsageError, bind_address
from .servicer import RemoteServicer

__all__ = ["new_incarnation", "run", "serve"]

log = logging.getLogger("snakepit_bridge.standalone")

BRIDGE_SERVICE = "snakepit.bridge.BridgeService"


def new_incarnation() -> str:
    """An id for this run of the worker: host name, pid and a random part."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _server_options(max_bytes: int) -> list[tuple[str, Any]]:
    return [
        ("grpc.max_send_message_length", max_bytes),
        ("grpc.max_receive_message_length", max_bytes),
        ("grpc.so_reuseport", 0),
        # Remote pools send keepalive pings to notice a dead link quickly: accept them, even between calls.
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_recv_ping_interval_without_data_ms", 1000),
        ("grpc.http2.max_ping_strikes", 0),
        # And notice a vanished pool the same way.
        ("grpc.keepalive_time_ms", 20000),
        ("grpc.keepalive_timeout_ms", 10000),
    ]


async def serve(options: StandaloneOptions, adapter: Any, worker_id: str, adapter_name: str) -> int:
    """Serve until SIGTERM/SIGINT, then drain; return the exit code."""
    try:
        if hasattr(adapter, "initialize"):
            await lifecycle.maybe_await(adapter.initialize())
    except Exception as exc:
        return lifecycle.fatal(
            lifecycle.EXIT_INITIALIZE, f"adapter {adapter_name} initialize() raised {type(exc).__name__}: {exc}", exc
        )

    max_bytes = int(os.environ.get("SNAKEPIT_MAX_MESSAGE_BYTES", str(DEFAULT_MAX_MESSAGE_BYTES)))
    servicer = RemoteServicer(
        adapter, worker_id=worker_id, incarnation=new_incarnation(), max_concurrency=options.max_concurrency
    )
    servicer.token = options.token.encode() if options.token else None
    health_servicer = health.aio.HealthServicer()

    server = grpc.aio.server(options=_server_options(max_bytes))
    pb2_grpc.add_BridgeServiceServicer_to_server(servicer, server)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    address = bind_address(options.host, options.port)
    credentials = options.server_credentials()
    port = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    if not port:
        return lifecycle.fatal(
            lifecycle.EXIT_USAGE, f"could not bind --listen {address} (in use, or not an address here)"
        )

    health_server = None
    if options.health_address is not None:
        health_server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, health_server)
        health_bind = bind_address(*options.health_address)
        if not health_server.add_insecure_port(health_bind):
            return lifecycle.fatal(lifecycle.EXIT_USAGE, f"could not bind --health-listen {health_bind}")
        await health_server.start()
    await server.start()
    await health_servicer.set(BRIDGE_SERVICE, health_pb2.HealthCheckResponse.SERVING)
    log.info(
        "listening on %s (%s, %s, max %d concurrent calls, incarnation %s, adapter %s)",
        bind_address(options.host, port),
        "TLS" + (" + client certificates" if options.tls_client_ca else "") if options.tls else "plaintext",
        "token required" if options.token else "no token (loopback only)",
        options.max_concurrency,
        servicer.incarnation,
        adapter_name,
    )
    ready_file = os.environ.get("SNAKEPIT_READY_FILE")
    if ready_file:
        lifecycle.write_ready_file(ready_file, port)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()

    log.info("draining: NOT_SERVING, refusing new calls, in-flight calls get %.1f s", options.drain_grace_s)
    servicer.draining = True
    await health_servicer.enter_graceful_shutdown()
    # Calls in flight may still call host tools: keep the host channels until they end (or the grace
    # runs out), then end the channels, which would otherwise hold server.stop for the whole grace.
    drain_started = loop.time()
    await servicer.until_idle(options.drain_grace_s)
    servicer.host_channels.close_all("the worker is stopping (SIGTERM)")
    await server.stop(max(0.0, options.drain_grace_s - (loop.time() - drain_started)))
    try:
        if hasattr(adapter, "cleanup"):
            await lifecycle.maybe_await(adapter.cleanup())
    except Exception as exc:
        log.error("adapter cleanup() raised %s: %s", type(exc).__name__, exc, exc_info=exc)
    if health_server is not None:
        await health_server.stop(0)
    log.info("stopped")
    return lifecycle.EXIT_OK


def run(args: argparse.Namespace, worker_id: str) -> int:
    """Run a standalone worker from parsed flags (``--listen`` given); return the exit code."""
    try:
        options = StandaloneOptions.from_args(args)
    except UsageError as exc:
        return lifecycle.fatal(lifecycle.EXIT_USAGE, str(exc))
    try:
        adapter = lifecycle.load_adapter(args.adapter)
    except Exception as exc:
        return lifecycle.fatal(
            lifecycle.EXIT_ADAPTER,
            f"could not import or instantiate adapter {args.adapter!r}: {type(exc).__name__}: {exc}",
            exc,
        )
    return asyncio.run(serve(options, adapter, worker_id, args.adapter))
