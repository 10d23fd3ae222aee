"""Python side of the Snakepit benchmark: the floor servers, the Py4J peer and the bench adapter.

Every helper is started by the Java harness (``snakepit-bench``), prints one ``READY <address>`` line
on stdout once it serves, and exits when its stdin reaches EOF, so no helper outlives the harness.
"""

import os
import sys
import threading

__all__ = ["argmax_model", "blob", "exit_on_stdin_eof", "ready"]

_BLOBS: dict[int, bytes] = {}


def blob(size: int) -> bytes:
    """A cached payload of ``size`` bytes: the benchmarks measure moving bytes, not making them."""
    data = _BLOBS.get(size)
    if data is None:
        data = bytes(size)
        _BLOBS[size] = data
    return data


_MODEL: list = []


def argmax_model(x: object) -> int:
    """The "sync numpy tool" of the latency scenario: argmax of a fixed 8x4 matrix times ``x`` (4 floats).

    Stands for a small model's ``predict`` of one row: plain sync code around a numpy call.
    """
    import numpy as np

    if not _MODEL:
        _MODEL.append(np.arange(32, dtype=np.float64).reshape(8, 4) % 7 - 3)
    return int(np.argmax(_MODEL[0] @ np.asarray(x, dtype=np.float64)))


def ready(address: str) -> None:
    """Tell the harness we serve at ``address`` (a TCP port or ``unix:/path``)."""
    sys.stdout.write(f"READY {address}\n")
    sys.stdout.flush()


def exit_on_stdin_eof() -> None:
    """Exit the process (at once, without clean-up) when the harness closes our stdin or dies."""

    def watch() -> None:
        try:
            while sys.stdin.buffer.read1(4096):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch, name="stdin-watch", daemon=True).start()
