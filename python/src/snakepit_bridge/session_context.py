"""Per-call context handed to tools: session, worker, metadata, cancellation and host tools."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ._current import CURRENT as _CURRENT  # noqa: F401  (the old import path of the variable)
from ._current import current_context
from .errors import HostToolNotFoundError, SnakepitError, ToolCancelledError
from .telemetry import tracing

if TYPE_CHECKING:
    from .wire.host import HostClient

__all__ = ["SessionContext", "current_context"]

# Guards the lazily made parts of contexts; held only for a moment, so one lock serves them all.
_LAZY_LOCK = threading.RLock()


class SessionContext:
    """Context of one tool call.

    Attributes:
        session_id: the session the call belongs to ("" when none).
        worker_id: the host's name for this worker.
        metadata: the request metadata (``correlation_id``, ``traceparent``, ...).
        tool_name: the tool being called.
    """

    def __init__(
        self,
        session_id: str = "",
        *,
        worker_id: str = "",
        metadata: Mapping[str, str] | None = None,
        tool_name: str = "",
        host: HostClient | None = None,
    ) -> None:
        self.session_id = session_id
        self.worker_id = worker_id
        self.metadata: dict[str, str] = dict(metadata) if metadata else {}
        self.tool_name = tool_name
        self._host = host
        self._started = time.monotonic()
        # Made on first need: most calls are never cancelled and never wait, and a context is made per call.
        self._is_cancelled = False
        self._cancel_event: threading.Event | None = None
        self._host_tools: dict[str, Callable[..., Any]] | None = None

    @classmethod
    def for_call(
        cls, session_id: str, worker_id: str, metadata: dict[str, str], tool_name: str, host: HostClient | None
    ) -> SessionContext:
        """A context that takes ``metadata`` as it is (no copy): the server builds a fresh dict per call."""
        ctx = cls.__new__(cls)
        ctx.session_id = session_id
        ctx.worker_id = worker_id
        ctx.metadata = metadata
        ctx.tool_name = tool_name
        ctx._host = host
        ctx._started = time.monotonic()
        ctx._is_cancelled = False
        ctx._cancel_event = None
        ctx._host_tools = None
        return ctx

    # -- identity ----------------------------------------------------------------------------

    @property
    def correlation_id(self) -> str:
        """The request's ``correlation_id`` metadata ("" when absent)."""
        return self.metadata.get("correlation_id", "")

    @property
    def host(self) -> HostClient | None:
        """The client to the host, or ``None`` in standalone mode."""
        return self._host

    @property
    def stub(self) -> Any:
        """The synchronous host stub (Snakepit compatibility), or ``None`` in standalone mode."""
        return self._host.stub if self._host else None

    # -- cancellation ------------------------------------------------------------------------

    @property
    def cancelled(self) -> bool:
        """True once the call was cancelled (client cancel, deadline, timeout); thread-safe."""
        return self._is_cancelled

    def cancel(self) -> None:
        """Mark the call cancelled (called by the server)."""
        self._is_cancelled = True
        event = self._cancel_event
        if event is not None:
            event.set()

    def raise_if_cancelled(self) -> None:
        """Raise ``ToolCancelledError`` when the call was cancelled; call it in long sync loops."""
        if self._is_cancelled:
            raise ToolCancelledError(f"Tool '{self.tool_name}' was cancelled")

    def wait_cancelled(self, timeout: float | None = None) -> bool:
        """Block up to ``timeout`` seconds until the call is cancelled; return whether it is."""
        with _LAZY_LOCK:
            if self._cancel_event is None:
                self._cancel_event = threading.Event()
        if self._is_cancelled:
            # cancel() may have run before the event existed.
            self._cancel_event.set()
        return self._cancel_event.wait(timeout)

    # -- host tools --------------------------------------------------------------------------

    def _require_host(self) -> HostClient:
        if self._host is None:
            raise SnakepitError(
                "No host connection: host tools need SNAKEPIT_GRPC_ADDRESS (the worker runs standalone)."
            )
        return self._host

    @property
    def host_tools(self) -> dict[str, Callable[..., Any]]:
        """Host tools exposed to Python, as callables ``proxy(**kwargs)`` (loaded once per context)."""
        with _LAZY_LOCK:
            if self._host_tools is None:
                specs = self._require_host().list_host_tools(self.session_id)
                proxies: dict[str, Callable[..., Any]] = {}
                for spec in specs:
                    proxies[spec.name] = self._make_proxy(spec.name, spec.description)
                self._host_tools = proxies
            return dict(self._host_tools)

    def _make_proxy(self, name: str, description: str) -> Callable[..., Any]:
        def proxy(**kwargs: Any) -> Any:
            return self._invoke_host_tool(name, kwargs)

        proxy.__name__ = name
        proxy.__qualname__ = f"host_tools.{name}"
        proxy.__doc__ = description or f"Host tool {name}."
        return proxy

    def _outgoing_metadata(self) -> dict[str, str]:
        out = {k: v for k, v in self.metadata.items() if k in ("correlation_id", "traceparent", "tracestate")}
        if self.worker_id:
            out["snakepit.worker_id"] = self.worker_id
        tracing.inject_current(out)
        return out

    def _host_call_timeout(self) -> float | None:
        """Seconds left of this call's ``timeout_ms`` budget (the host call's deadline), or ``None``."""
        try:
            budget = float(self.metadata.get("timeout_ms", "")) / 1000.0
        except ValueError:
            return None
        if budget <= 0:
            return None
        return max(0.001, budget - (time.monotonic() - self._started))

    def _invoke_host_tool(self, name: str, kwargs: Mapping[str, Any]) -> Any:
        with tracing.host_tool_span(name, self):
            return self._require_host().call_host_tool(
                self.session_id, name, kwargs, metadata=self._outgoing_metadata(), timeout=self._host_call_timeout()
            )

    def call_host_tool(self, name: str, **kwargs: Any) -> Any:
        """Call host tool ``name`` with keyword arguments and return its decoded result.

        Raises ``HostToolNotFoundError`` (listing the available tools) for an unknown name and
        ``HostToolError`` (remote type and message) when the host tool fails.
        """
        tools = self.host_tools
        if name not in tools:
            raise HostToolNotFoundError(name, sorted(tools))
        return self._invoke_host_tool(name, kwargs)

    async def acall_host_tool(self, name: str, **kwargs: Any) -> Any:
        """``call_host_tool`` for async tools (runs the blocking call in a thread)."""
        return await asyncio.to_thread(self.call_host_tool, name, **kwargs)

    # Snakepit aliases.
    @property
    def elixir_tools(self) -> dict[str, Callable[..., Any]]:
        """Alias of ``host_tools`` (Snakepit name)."""
        return self.host_tools

    def call_elixir_tool(self, name: str, **kwargs: Any) -> Any:
        """Alias of ``call_host_tool`` (Snakepit name)."""
        return self.call_host_tool(name, **kwargs)

    def __repr__(self) -> str:
        return (
            f"SessionContext(session_id={self.session_id!r}, worker_id={self.worker_id!r}, "
            f"tool_name={self.tool_name!r}, cancelled={self.cancelled})"
        )
