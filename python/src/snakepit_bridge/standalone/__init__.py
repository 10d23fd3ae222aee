"""Standalone (remote) worker: ``python -m snakepit_bridge.server --listen HOST:PORT ...``.

A worker that is not a child of the JVM: it listens on a network address for remote pools (TLS and
the pool token), serves the standard ``grpc.health.v1.Health`` service for probes, limits concurrent
tool calls, and drains on SIGTERM. ``options`` parses and checks the flags, ``servicer`` adds
draining, the concurrency limit and the incarnation id to the worker's servicer, ``serve`` runs it.
"""

from __future__ import annotations

from .options import StandaloneOptions, UsageError, add_arguments

__all__ = ["StandaloneOptions", "UsageError", "add_arguments"]
