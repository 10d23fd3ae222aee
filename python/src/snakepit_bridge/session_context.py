"""Per-call context handed to tools: session, worker, metadata, cancellation and host tools."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._current import CURRENT as _CURRENT  # noqa: F401  (the old import path of the variable)
from ._current import current_context
from .errors import HostToolNotFoundError, SnakepitError, ToolCancelledError
from .telemetry import tracing

if TYPE_CHECKING:
    import asyncio

    from .wire.host import HostClient
else:
    from ._lazy import asyncio  # imported on first use: sync tools never need it

__all__ = ["HostTool", "SessionContext", "current_context"]

log = logging.getLogger("snakepit_bridge.session_context")

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
        session_id: Any = "",
        snakepit_session_id: str | None = None,
        request_metadata: Mapping[str, str] | None = None,
        *,
        worker_id: str = "",
        metadata: Mapping[str, str] | None = None,
        tool_name: str = "",
        host: HostClient | None = None,
        stub: Any = None,
    ) -> None:
        if not isinstance(session_id, str):  # Snakepit's form: SessionContext(stub, session_id, request_metadata)
            stub, session_id = session_id, snakepit_session_id or ""
        if host is None and stub is not None:
            from .wire.host import HostClient

            host = HostClient.from_stub(stub, worker_id=worker_id)
        metadata = metadata if metadata is not None else request_metadata
        self.session_id = session_id
        self.worker_id = worker_id
        self.metadata: dict[str, str] = dict(metadata) if metadata else {}
        self.tool_name = tool_name
        self._host = host
        self._started = time.monotonic()
        # Made on first need: most calls are never cancelled and never wait, and a context is made per call.
        self._is_cancelled = False
        self._cancel_event: threading.Event | None = None
        self._host_tools: dict[str, HostTool] | None = None

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
    def host_tools(self) -> dict[str, HostTool]:
        """Host tools exposed to Python: each is callable (``proxy(**kwargs)``) and reads as Snakepit's
        spec dict (``name``, ``description``, ``parameters``); loaded once per context."""
        with _LAZY_LOCK:
            if self._host_tools is None:
                specs = self._require_host().list_host_tools(self.session_id)
                self._host_tools = {spec.name: HostTool(self, spec) for spec in specs}
            return dict(self._host_tools)

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
        known = self._host_tools
        if known is None and not getattr(self._require_host(), "reports_unknown_tools", False):
            # Other hosts may not name the available tools in their answer: check the list first.
            known = self.host_tools
        if known is not None and name not in known:
            raise HostToolNotFoundError(name, sorted(known))
        return self._invoke_host_tool(name, kwargs)

    async def acall_host_tool(self, name: str, **kwargs: Any) -> Any:
        """``call_host_tool`` for async tools (runs the blocking call in a thread)."""
        return await asyncio.to_thread(self.call_host_tool, name, **kwargs)

    # -- Snakepit names -----------------------------------------------------------------------

    @property
    def request_metadata(self) -> dict[str, str]:
        """The request metadata (Snakepit name of ``metadata``)."""
        return self.metadata

    @property
    def elixir_tools(self) -> dict[str, HostTool]:
        """``host_tools`` (Snakepit name); empty, with a warning, when the host cannot list them."""
        try:
            return self.host_tools
        except Exception as exc:
            log.warning("could not load host tools for session %r: %s", self.session_id, exc)
            return {}

    def call_elixir_tool(self, name: str, **kwargs: Any) -> Any:
        """``call_host_tool`` (Snakepit name; its errors are also ``ValueError`` / ``RuntimeError``)."""
        return self.call_host_tool(name, **kwargs)

    def cleanup(self) -> None:
        """Ask the host to clean the session up (best effort: failures are only logged)."""
        if self._host is None:
            return
        try:
            self._host.cleanup_session(self.session_id)
        except Exception as exc:
            log.debug("session %r cleanup failed (best effort): %s", self.session_id, exc)

    def __enter__(self) -> SessionContext:
        return self

    def __exit__(self, *exc: Any) -> bool:
        self.cleanup()
        return False

    def __repr__(self) -> str:
        return (
            f"SessionContext(session_id={self.session_id!r}, worker_id={self.worker_id!r}, "
            f"tool_name={self.tool_name!r}, cancelled={self.cancelled})"
        )


class HostTool(dict):
    """A host tool of a ``SessionContext``: call it with keyword arguments, or read it as Snakepit's
    spec dict ``{"name", "description", "parameters"}`` (``parameters``: name -> type, description, required)."""

    def __init__(self, context: SessionContext, spec: Any) -> None:
        super().__init__(
            name=spec.name,
            description=spec.description,
            parameters={
                p.name: {"type": p.type, "description": p.description, "required": p.required} for p in spec.parameters
            },
        )
        self._context = context
        self.__name__ = spec.name
        self.__doc__ = spec.description or f"Host tool {spec.name}."

    def __call__(self, **kwargs: Any) -> Any:
        return self._context._invoke_host_tool(self["name"], kwargs)

    def __repr__(self) -> str:
        return f"HostTool({dict.__repr__(self)})"
