"""Metadata keys of the wire contract (request, response and gRPC call metadata)."""

from __future__ import annotations

__all__ = [
    "CORRELATION_ID_KEY",
    "FEATURES_TRAILER",
    "SHM_ARGUMENT_PREFIX",
    "SHM_RESULTS_KEY",
    "SHM_RESULT_KEY",
    "TIMEOUT_MS_KEY",
    "TOKEN_METADATA_KEY",
    "WORKER_ID_KEY",
]

TOKEN_METADATA_KEY = "x-snakepit-token"
"""gRPC call metadata carrying the pool's secret token (both directions)."""

WORKER_ID_KEY = "snakepit.worker_id"
"""Response / chunk metadata naming the worker that served the call."""

CORRELATION_ID_KEY = "correlation_id"
TIMEOUT_MS_KEY = "timeout_ms"

# Shared-memory hand-off of large bytes (docs/worker-contract.md): metadata keys and the Ping
# trailer that tells the host this worker supports it.
SHM_ARGUMENT_PREFIX = "snakepit.shm:"
SHM_RESULTS_KEY = "snakepit.shm_results"
SHM_RESULT_KEY = "snakepit.shm_result"
FEATURES_TRAILER = "snakepit-features"
