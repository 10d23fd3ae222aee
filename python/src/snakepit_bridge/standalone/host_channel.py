"""Host tools for a standalone worker, over a stream the host opens (``OpenHostChannel``).

A remote worker cannot dial back to a JVM behind a load balancer or NAT, so each host (JVM replica)
opens one stream to the worker; the worker sends its tool registration and every host-tool call made
by that host's tool calls down it, and the host answers up it. Tool calls name their host in the
``x-snakepit-host`` header, which is how a call's host tools reach the replica that made the call.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import AsyncIterator, Mapping
from typing import Any

from .. import snakepit_bridge_pb2 as pb2
from ..errors import HostToolError
from ..wire.host import execute_request, execute_result

__all__ = ["HOST_ID_HEADER", "ChannelHost", "HostChannels", "HostRef", "MissingHost"]

# gRPC header on tool calls (and the hello's host id): which host's channel serves their host tools.
HOST_ID_HEADER = "x-snakepit-host"
# Ids of the worker's own messages (the registration) that nobody answers.
UNANSWERED = 0


class _Waiting:
    __slots__ = ("event", "reply")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reply: pb2.HostChannelReply | None = None


class ChannelHost:
    """One host's open channel, as a ``SessionContext`` uses it (the stand-in for ``HostClient``).

    Tools call it from their own threads and block for the answer; the stream itself lives on the
    event loop, so requests cross over with ``call_soon_threadsafe``.
    """

    stub = None  # no synchronous stub to the host: Snakepit adapters that use it need a local worker

    def __init__(self, host_id: str, loop: asyncio.AbstractEventLoop) -> None:
        self.host_id = host_id
        self._loop = loop
        self.outbox: asyncio.Queue[pb2.HostChannelDown | None] = asyncio.Queue()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._waiting: dict[int, _Waiting] = {}
        self._lost: str | None = None

    @property
    def pending(self) -> int:
        """Host calls waiting for an answer."""
        with self._lock:
            return len(self._waiting)

    def _ask(self, down: pb2.HostChannelDown, name: str, timeout: float | None) -> pb2.HostChannelReply:
        try:
            on_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            raise HostToolError(
                name,
                "BlockingCallOnEventLoop",
                "a host tool call blocks until the host answers; from an async tool use "
                "'await context.acall_host_tool(...)'",
            )
        waiting = _Waiting()
        with self._lock:
            if self._lost is not None:
                raise HostToolError(name, "HostChannelLost", self._lost)
            down.call_id = next(self._ids)
            self._waiting[down.call_id] = waiting
        if timeout is not None:
            down.timeout_ms = max(1, int(timeout * 1000))
        try:
            self._loop.call_soon_threadsafe(self.outbox.put_nowait, down)
            if not waiting.event.wait(timeout):
                raise HostToolError(
                    name, "DeadlineExceeded", f"no answer from host {self.host_id} within {timeout:.3f} s"
                )
        finally:
            with self._lock:
                self._waiting.pop(down.call_id, None)
        reply = waiting.reply
        if reply is None:
            raise HostToolError(name, "HostChannelLost", self._lost or "the host channel closed")
        if reply.WhichOneof("answer") == "failure":
            raise HostToolError(name, "HostError", reply.failure)
        return reply

    def answer(self, reply: pb2.HostChannelReply) -> None:
        """A reply arrived from the host (on the event loop)."""
        with self._lock:
            waiting = self._waiting.get(reply.call_id)
        if waiting is not None:  # else the caller gave up
            waiting.reply = reply
            waiting.event.set()

    def lose(self, reason: str) -> None:
        """The stream ended: fail every waiting call and every later one with ``reason``."""
        with self._lock:
            if self._lost is None:  # the first reason is the one that says what happened
                self._lost = f"the callback stream of host {self.host_id} closed: {reason}"
            waiting = list(self._waiting.values())
        for item in waiting:
            item.event.set()

    def list_host_tools(self, session_id: str, timeout: float | None = 10.0) -> list[pb2.ToolSpec]:
        """The host tools exposed to Python in ``session_id``."""
        down = pb2.HostChannelDown(tools=pb2.GetExposedElixirToolsRequest(session_id=session_id))
        return list(self._ask(down, "(list)", timeout).tools.tools)

    def call_host_tool(
        self,
        session_id: str,
        tool_name: str,
        arguments: Mapping[str, Any],
        *,
        metadata: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Run host tool ``tool_name`` on the host and return its decoded result."""
        down = pb2.HostChannelDown(execute=execute_request(session_id, tool_name, arguments, metadata))
        return execute_result(tool_name, self._ask(down, tool_name, timeout).execute)

    def close(self) -> None:
        """Nothing to close: the stream belongs to the host."""


class MissingHost:
    """The host of a call that named none: host tools fail with a typed error saying why."""

    stub = None

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def list_host_tools(self, session_id: str, timeout: float | None = None) -> list[Any]:
        raise HostToolError("(list)", "NoHostChannel", self.reason)

    def call_host_tool(self, session_id: str, tool_name: str, arguments: Mapping[str, Any], **_: Any) -> Any:
        raise HostToolError(tool_name, "NoHostChannel", self.reason)

    def close(self) -> None:
        """Nothing to close."""


class HostRef:
    """A call's host, found by id when a host tool is called: the host's channel may open just after
    the call started (the pool opens it when it first sees the worker) or be replaced by a new one."""

    stub = None

    def __init__(self, channels: HostChannels, host_id: str) -> None:
        self._channels = channels
        self.host_id = host_id

    def list_host_tools(self, session_id: str, timeout: float | None = 10.0) -> list[pb2.ToolSpec]:
        return self._channels.channel(self.host_id, "(list)", timeout).list_host_tools(session_id, timeout)

    def call_host_tool(self, session_id: str, tool_name: str, arguments: Mapping[str, Any], **options: Any) -> Any:
        channel = self._channels.channel(self.host_id, tool_name, options.get("timeout"))
        return channel.call_host_tool(session_id, tool_name, arguments, **options)

    def close(self) -> None:
        """Nothing to close: channels belong to their hosts."""


class HostChannels:
    """The open channels of this worker, one per host id (a reconnecting host replaces its old one)."""

    # How long a host call waits for its host's channel to (re)open before failing.
    OPEN_WAIT_S = 2.0

    def __init__(self) -> None:
        self._open: dict[str, ChannelHost] = {}
        self._changed = threading.Condition()

    def __len__(self) -> int:
        with self._changed:
            return len(self._open)

    def host_for(self, host_id: str | None) -> HostRef | MissingHost:
        """The host object for a call that named ``host_id`` (``None``: the call named none)."""
        if not host_id:
            return MissingHost(
                "the call did not name its host (x-snakepit-host): only a snakepit pool can serve host tools"
            )
        return HostRef(self, host_id)

    def channel(self, host_id: str, name: str, timeout: float | None) -> ChannelHost:
        """The open channel of ``host_id``, waiting a little for one to open; else ``NoHostChannel``."""
        wait_s = self.OPEN_WAIT_S if timeout is None else min(self.OPEN_WAIT_S, timeout)
        with self._changed:
            if self._changed.wait_for(lambda: host_id in self._open, wait_s):
                return self._open[host_id]
        raise HostToolError(
            name, "NoHostChannel", f"host {host_id} has no callback stream open to this worker (OpenHostChannel)"
        )

    def close_all(self, reason: str) -> None:
        """End every channel (on the event loop): the worker is stopping."""
        with self._changed:
            channels = list(self._open.values())
        for channel in channels:
            channel.lose(reason)
            channel.outbox.put_nowait(None)

    def _register(self, channel: ChannelHost) -> ChannelHost | None:
        with self._changed:
            previous = self._open.get(channel.host_id)
            self._open[channel.host_id] = channel
            self._changed.notify_all()
        return previous

    def _unregister(self, channel: ChannelHost) -> None:
        with self._changed:
            if self._open.get(channel.host_id) is channel:
                del self._open[channel.host_id]

    async def serve(
        self, requests: AsyncIterator[pb2.HostChannelUp], registration: pb2.RegisterToolsRequest
    ) -> AsyncIterator[pb2.HostChannelDown]:
        """One host's stream: the hello names the host; then the registration, then host calls."""
        first = await anext(requests, None)
        if first is None or first.WhichOneof("kind") != "hello" or not first.hello.host_id:
            raise ValueError("OpenHostChannel must start with a hello naming the host (host_id)")
        host_id = first.hello.host_id
        channel = ChannelHost(host_id, asyncio.get_running_loop())
        previous = self._register(channel)
        if previous is not None:
            previous.lose("the host opened a new stream")
            previous.outbox.put_nowait(None)
        reader = asyncio.create_task(self._read(requests, channel))
        try:
            yield pb2.HostChannelDown(call_id=UNANSWERED, register=registration)
            while (down := await channel.outbox.get()) is not None:
                yield down
        finally:
            reader.cancel()
            self._unregister(channel)
            channel.lose("the stream ended")

    @staticmethod
    async def _read(requests: AsyncIterator[pb2.HostChannelUp], channel: ChannelHost) -> None:
        reason = "the host closed it"
        try:
            async for up in requests:
                if up.WhichOneof("kind") == "reply":
                    channel.answer(up.reply)
        except asyncio.CancelledError:
            reason = "the worker is stopping"
            raise
        except Exception as exc:  # the connection broke: grpc reports it as an error on the read
            reason = f"{type(exc).__name__}: {exc}"
        finally:
            channel.lose(reason)
            channel.outbox.put_nowait(None)
