"""Polling for the host's next frame for a bounded, adaptive time before a blocking read.

An idle CPU of a virtual machine halts once the worker blocks, and waking it again costs tens of
microseconds, more than a small call itself. A worker that has just answered usually gets its next
call within microseconds (a caller in a loop), so it polls for it first. The host sets the budget in
HELLO (``spin_us``, from ``SnakepitConfig.spinWait``; absent or 0: never poll). Adaptive: after a
poll that found nothing, the next 1, 2, 4 ... up to 64 reads block at once (a call that comes in
time resets that), so a worker whose calls come further apart polls on fewer than 2% of its reads.
"""

from __future__ import annotations

import os
import socket
import time

__all__ = ["Spin"]

_MAX_BACKOFF = 64


class Spin:
    """The polling state of one connection (used only by the thread holding its read role)."""

    __slots__ = ("backoff", "budget", "skipping")

    def __init__(self, budget_s: float) -> None:
        self.budget = budget_s
        self.backoff = 0  # reads skipped after the last poll that found nothing: 1, 2, 4 ... 64
        self.skipping = 0  # reads still to skip before polling again

    def recv_into(self, sock: socket.socket, view: memoryview) -> int:
        """Bytes read into ``view`` by polling, or -1 when nothing came in time (the caller blocks)."""
        budget = self.budget
        if budget <= 0:
            return -1
        if self.skipping:
            self.skipping -= 1
            return -1
        recv_into = sock.recv_into
        flags = socket.MSG_DONTWAIT
        clock = time.perf_counter
        yield_cpu = os.sched_yield
        deadline = clock() + budget
        while True:
            try:
                n = recv_into(view, 0, flags)
            except BlockingIOError:
                if clock() >= deadline:
                    self.backoff = min(max(1, self.backoff * 2), _MAX_BACKOFF)
                    self.skipping = self.backoff
                    return -1
                yield_cpu()  # on a busy machine whoever is runnable here goes first
                continue
            self.backoff = 0
            return n
