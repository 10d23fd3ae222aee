"""Polling for the host's next frame for a bounded, adaptive time before a blocking read.

An idle CPU of a virtual machine halts once the worker blocks, and waking it again costs tens of
microseconds, more than a small call itself. A worker that has just answered usually gets its next
call within microseconds (a caller in a loop), so it polls for it first. The host sets the budget in
HELLO (``spin_us``, from ``SnakepitConfig.spinWait``; absent or 0: never poll). Adaptive: a worker
whose calls come further apart than the budget stops polling, backing off exponentially (up to 64
reads), and tries again now and then.
"""

from __future__ import annotations

import socket
import time

__all__ = ["Spin"]

_MAX_BACKOFF = 64


class Spin:
    """The polling state of one connection (used only by the thread holding its read role)."""

    __slots__ = ("budget", "estimate")

    def __init__(self, budget_s: float) -> None:
        self.budget = budget_s
        self.estimate = 0.0  # recent waits (moving average), or above the budget while backing off

    def recv_into(self, sock: socket.socket, view: memoryview) -> int:
        """Bytes read into ``view`` by polling, or -1 when nothing came in time (the caller blocks)."""
        budget = self.budget
        if budget <= 0:
            return -1
        if self.estimate > budget:
            self.estimate -= self.estimate / 8
            return -1
        recv_into = sock.recv_into
        flags = socket.MSG_DONTWAIT
        clock = time.perf_counter
        start = clock()
        while True:
            try:
                n = recv_into(view, 0, flags)
            except BlockingIOError:
                waited = clock() - start
                if waited >= budget:
                    self.estimate = min(max(self.estimate, budget) * 2, budget * _MAX_BACKOFF)
                    return -1
                continue
            self.estimate += (clock() - start - self.estimate) / 4
            return n
