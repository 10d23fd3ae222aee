"""One lane connection inside the worker: handshake, frame reading, dispatch of calls.

Threads (docs/lane.md, "Python worker"): whichever thread holds the *read role* reads frames. A
sync tool called while no other call runs executes on the thread that read its frame; that thread
gives up the read role for the duration, and a watcher thread takes it over if the tool runs for
more than a couple of milliseconds, so cancel frames, pings and further calls are still read.
Async tools run on one event loop thread; sync tools arriving while another call runs go to the
tool thread pool (``workerConcurrency > 1``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time

# hmac.compare_digest is this same constant-time comparison (hmac falls back to it without OpenSSL);
# importing hmac would load OpenSSL's libcrypto (_hashlib) in every worker for one token check.
from _operator import _compare_digest as compare_digest
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..runtime.executor import busy_threads
from ..runtime.invoker import Invoker
from . import frames as f
from .calls import CallHandling, _Call
from .host import LaneHost
from .spin import Spin
from .telemetry import LaneTelemetry

if TYPE_CHECKING:
    import asyncio
else:
    from .._lazy import asyncio  # imported on first use: sync tools never need it

__all__ = ["LaneConnection"]

log = logging.getLogger("snakepit_bridge.lane")

WATCH_INTERVAL_S = 0.002  # how often the watcher looks for an abandoned read role
WATCH_PARK_CHECKS = 100  # consecutive idle looks after which the watcher sleeps until woken
READ_BUFFER = 256 * 1024
MAX_SPIN_US = 10_000  # the most SnakepitConfig.spinWait allows


class LaneConnection(CallHandling):
    """Serves one host connection for one adapter."""

    def __init__(
        self,
        sock: socket.socket,
        adapter: Any,
        *,
        worker_id: str,
        token: str | None,
        max_frame: int,
        shm_dir: str | None = None,
        allow_pickle: bool = False,
    ) -> None:
        self.sock = sock
        self.adapter = adapter
        self.worker_id = worker_id
        self.token = token.encode() if token else None
        self.max_length = max_frame + f.MIN_LENGTH
        self.max_message_bytes = max_frame
        self.shm_dir = shm_dir
        self.allow_pickle = allow_pickle
        self.closed = False
        self.active_calls = 0
        self.calls: dict[int, _Call] = {}
        self.host = LaneHost(self)
        self.invoker = Invoker(adapter, worker_id=worker_id, host=self.host)
        # Snakepit adapters that override set_session_context get each call's context (as over gRPC).
        self._setter = self.invoker._setter
        self._wlock = threading.Lock()
        self._rlock = threading.Lock()
        self._buf = bytearray(READ_BUFFER)
        self._view = memoryview(self._buf)
        self._start = 0
        self._end = 0
        self._inline_seq = 0
        self._watcher_parked = False
        self._wake = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_lock = threading.Lock()
        self._tools: dict[str, tuple[Any, Callable[..., Any]]] = {}
        self._stopped = threading.Event()
        self._count_lock = threading.Lock()
        self.tools_json: list[dict[str, Any]] = []
        self.telemetry = LaneTelemetry(self.send, max_frame)
        self._spin = Spin(0.0)  # the host sets the budget in HELLO
        self._reading_for_call = False  # the reader is a call waiting for a host tool's answer

    # -- writing -------------------------------------------------------------------------------

    def send(self, frame_type: int, call_id: int, payload: bytes | bytearray = b"", flags: int = 0) -> None:
        """Write one frame (thread-safe)."""
        data = f.HEADER.pack(len(payload) + f.MIN_LENGTH, frame_type, flags, 0, call_id)
        with self._wlock:
            if len(payload) < 65536:
                self.sock.sendall(data + payload)
            else:
                self.sock.sendall(data)
                self.sock.sendall(payload)

    def send_raw(self, data: bytes | bytearray) -> None:
        """Write frames already encoded (a batch of chunks)."""
        with self._wlock:
            self.sock.sendall(data)

    # -- reading -------------------------------------------------------------------------------

    def _recv_frame(self) -> tuple[int, int, int, Any]:
        """The next frame ``(type, flags, call id, payload)``; the caller holds the read role."""
        buf = self._buf
        while True:
            available = self._end - self._start
            if available >= f.HEADER_SIZE:
                length, frame_type, flags, call_id = f.decode_header(buf, self._start, self.max_length)
                total = length + 4
                if available >= total:
                    payload = bytes(self._view[self._start + f.HEADER_SIZE : self._start + total])
                    self._start += total
                    if self._start == self._end:
                        self._start = self._end = 0
                    return frame_type, flags, call_id, payload
                if total > len(buf):
                    payload = bytearray(length - f.MIN_LENGTH)
                    have = available - f.HEADER_SIZE
                    payload[:have] = self._view[self._start + f.HEADER_SIZE : self._end]
                    self._start = self._end = 0
                    target = memoryview(payload)
                    while have < len(payload):
                        n = self.sock.recv_into(target[have:])
                        if n == 0:
                            raise EOFError("the host closed the lane in the middle of a frame")
                        have += n
                    return frame_type, flags, call_id, payload
            if self._start:
                buf[:available] = self._view[self._start : self._end]
                self._start, self._end = 0, available
            n = -1
            # Poll first when no other call needs this CPU or the GIL: the worker is idle, or the one
            # call in progress is the reader itself, waiting for a host tool's answer.
            if self.active_calls == 0 or (self.active_calls == 1 and self._reading_for_call):
                n = self._spin.recv_into(self.sock, self._view[self._end :])
            if n < 0:
                n = self.sock.recv_into(self._view[self._end :])
            if n == 0:
                raise EOFError("the host closed the lane")
            self._end += n

    # -- handshake ----------------------------------------------------------------------------

    def handshake(self) -> bool:
        """Read HELLO, check token and version, answer WELCOME (or GOAWAY and False)."""
        frame_type, _, _, payload = self._recv_frame()
        if frame_type != f.HELLO:
            self._goaway(f"expected HELLO as the first frame, got {f.TYPE_NAMES.get(frame_type, frame_type)}")
            return False
        try:
            hello = json.loads(payload)
        except ValueError:
            self._goaway("HELLO payload is not JSON")
            return False
        presented = str(hello.get("token", "")).encode()
        if self.token is not None and not compare_digest(presented, self.token):
            self._goaway("invalid pool token in HELLO")
            return False
        versions = hello.get("versions") or [hello.get("version")]
        if f.PROTOCOL_VERSION not in versions:
            self._goaway(
                f"lane protocol version mismatch: the host speaks {versions}, "
                f"this worker speaks {f.PROTOCOL_VERSION} (snakepit_bridge {_package_version()})"
            )
            return False
        spin_us = hello.get("spin_us")
        if isinstance(spin_us, int) and 0 < spin_us <= MAX_SPIN_US:
            self._spin = Spin(spin_us / 1_000_000)
        welcome = {
            "version": f.PROTOCOL_VERSION,
            "worker_id": self.worker_id,
            "pid": os.getpid(),
            "features": ["shm"] if self.shm_dir else [],
            "tools": self.tools_json,
        }
        self.send(f.WELCOME, 0, json.dumps(welcome).encode())
        return True

    def _goaway(self, reason: str) -> None:
        log.warning("closing the lane: %s", reason)
        with contextlib.suppress(OSError):
            self.send(f.GOAWAY, 0, reason.encode())

    # -- the read role ------------------------------------------------------------------------

    def serve(self) -> None:
        """Run the connection on this thread (plus one watcher thread) until it closes."""
        watcher = threading.Thread(target=self._run_role, name="snakepit-lane-watch", daemon=True)
        watcher.start()
        self._run_role()
        self._stopped.wait()

    def _run_role(self) -> None:
        while not self.closed:
            if self._rlock.acquire(blocking=False):
                if self._lead_guarded(None):
                    self._rlock.release()
            else:
                self._watch()

    def _lead_guarded(self, until: threading.Event | None) -> bool:
        """``_lead`` closing the connection on a read failure; True if the caller must release the role."""
        try:
            return self._lead(until)
        except (EOFError, OSError) as exc:
            self._close(str(exc) or type(exc).__name__)
        except f.FrameError as exc:
            self._goaway(f"malformed frame: {exc}")
            self._close(f"malformed frame: {exc}")
        except Exception as exc:  # a bug: close rather than hang
            log.exception("lane reader failed")
            self._close(f"{type(exc).__name__}: {exc}")
        return True

    def _lead(self, until: threading.Event | None) -> bool:
        """Read and dispatch frames; False once the read role was lost (during an inline call)."""
        while not self.closed and (until is None or not until.is_set()):
            frame_type, flags, call_id, payload = self._recv_frame()
            if not self._dispatch(frame_type, flags, call_id, payload):
                return False
        return True

    def _watch(self) -> None:
        """Wait until the read role looks abandoned (an inline call runs long) or the connection closes."""
        seen = -1
        idle = 0
        while not self.closed:
            if idle >= WATCH_PARK_CHECKS:
                self._watcher_parked = True
                self._wake.wait()
                self._wake.clear()
                self._watcher_parked = False
                idle = 0
                seen = -1
            time.sleep(WATCH_INTERVAL_S)
            if self._rlock.locked():
                idle += 1
                seen = -1
                continue
            idle = 0
            if seen == self._inline_seq:
                return
            seen = self._inline_seq

    def await_event(self, event: threading.Event, timeout: float | None) -> bool:
        """Block until ``event`` is set, reading frames on this thread while nobody else does."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not event.is_set():
            if self.closed:
                return False
            if deadline is not None and time.monotonic() >= deadline:
                return False
            if self._rlock.acquire(blocking=False):
                self._reading_for_call = True
                try:
                    release = self._lead_guarded(event)
                finally:
                    self._reading_for_call = False
                if release:
                    self._rlock.release()
            else:
                event.wait(WATCH_INTERVAL_S)
        return True

    def _close(self, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        log.info("lane closed: %s", reason)
        for call in list(self.calls.values()):
            self._cancel(call)
        self.host.fail_all(reason)
        self.telemetry.close()
        self._wake.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self._stopped.set()

    # -- dispatch -----------------------------------------------------------------------------

    def _dispatch(self, frame_type: int, flags: int, call_id: int, payload: Any) -> bool:
        if frame_type == f.CALL or frame_type == f.STREAM:
            return self._on_call(frame_type == f.STREAM, call_id, payload)
        if frame_type == f.CANCEL:
            call = self.calls.get(call_id)
            if call is not None:
                self._cancel(call)
        elif frame_type == f.CREDIT:
            self._on_credit(call_id, payload)
        elif frame_type == f.HOST_RESULT:
            self.host.on_result(call_id, flags, payload)
        elif frame_type == f.PING:
            # Like over gRPC: a cancelled call no longer counts as active, its thread still counts as busy.
            active = sum(1 for call in list(self.calls.values()) if not call.cancelled)
            self.send(f.PONG, call_id, f.U32X2.pack(active, busy_threads()))
        elif frame_type == f.GOAWAY:
            raise EOFError(f"the host said goodbye: {bytes(payload).decode(errors='replace')}")
        elif frame_type == f.TELEMETRY_CONTROL:
            self.telemetry.on_control(payload)
        else:
            raise f.FrameError(f"unexpected {f.TYPE_NAMES[frame_type]} frame from the host")
        return True


def _package_version() -> str:
    from .. import __version__

    return __version__
