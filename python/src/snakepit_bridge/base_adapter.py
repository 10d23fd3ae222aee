"""``BaseAdapter``: the base class of adapters (tool discovery and dispatch).

Kept as the import path of everything that used to live here: the ``@tool`` decorator
(``tools.decorator``), introspection (``tools.introspection``), validation (``tools.validation``)
and the tool thread pool (``runtime.executor``).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._current import CURRENT
from .runtime.executor import busy_threads, run_blocking, tool_executor, tracked
from .session_context import SessionContext
from .tools.decorator import ToolMetadata, tool
from .tools.introspection import MISSING, ParameterInfo, ToolInfo, describe_tool, parse_docstring, type_string
from .tools.registry import ToolRegistry
from .tools.validation import bind_arguments

if TYPE_CHECKING:
    import asyncio
else:
    from ._lazy import asyncio  # imported on first use: sync tools never need it

log = logging.getLogger("snakepit.bridge.base_adapter")

__all__ = [
    "MISSING",
    "BaseAdapter",
    "ParameterInfo",
    "ToolInfo",
    "ToolMetadata",
    "bind_arguments",
    "busy_threads",
    "describe_tool",
    "parse_docstring",
    "run_blocking",
    "tool",
    "tool_executor",
    "tracked",
    "type_string",
]


class BaseAdapter:
    """Base class for adapters: discovers ``@tool`` methods and dispatches calls to them.

    One instance serves every call of a worker; per-call state lives in the ``SessionContext``
    (``current_context()``, also readable as ``self.session_context``). Override
    ``initialize()``/``cleanup()`` (sync or async) for set-up and tear-down.
    """

    def __init__(self) -> None:
        self._registry: ToolRegistry | None = None

    # -- lifecycle hooks ---------------------------------------------------------------------

    @classmethod
    def preload(cls) -> None:
        """Called once per process before the adapter is constructed: load what every worker only
        reads (model weights, tables). With forked workers it runs once, in the template, and the
        workers share what it loaded; open per-process resources in ``initialize()`` instead."""
        return None

    def initialize(self) -> Any:
        """Called once after construction, before the worker reports ready (may be async)."""
        return None

    def cleanup(self) -> Any:
        """Called once when the worker stops (may be async)."""
        return None

    # -- the current call --------------------------------------------------------------------

    @property
    def session_context(self) -> SessionContext | None:
        """The context of the call running in this task or thread (Snakepit name; nothing is stored
        on the adapter, so concurrent calls each see their own)."""
        ctx = CURRENT.get()
        if ctx is not None:
            return ctx
        return self.__dict__.get("_assigned_session_context")

    @session_context.setter
    def session_context(self, context: SessionContext | None) -> None:
        # Snakepit-style set_session_context overrides assign this; the current call's context needs
        # no storing, anything else (a test, a call outside the worker) is kept as the fallback.
        if context is not None and context is CURRENT.get():
            return
        self.__dict__["_assigned_session_context"] = context

    def set_session_context(self, context: SessionContext) -> None:
        """Snakepit compatibility: the worker calls an overriding hook with each call's context."""
        self.session_context = context

    # -- discovery ---------------------------------------------------------------------------

    def _tool_registry(self) -> ToolRegistry:
        registry = self.__dict__.get("_registry")
        if registry is None:
            registry = ToolRegistry(self)
            self.__dict__["_registry"] = registry
        return registry

    def get_tools(self) -> list[ToolInfo]:
        """All ``@tool`` methods of this adapter, in definition order."""
        return list(self._tool_registry().tools)

    def get_tool_registrations(self) -> list[Any]:
        """``get_tools()`` as ``ToolRegistration`` messages."""
        return [t.to_proto() for t in self._tool_registry().tools]

    def get_tool(self, tool_name: str) -> ToolInfo:
        """The tool named ``tool_name``; ``ToolNotFoundError`` listing the available tools if none."""
        return self._tool_registry().get(tool_name)

    @property
    def session_id(self) -> str | None:
        """The current call's session id (Snakepit API); ``None`` outside a call."""
        ctx = self.session_context
        return ctx.session_id if ctx is not None else None

    def _registration_request(self, session_id: str, worker_id: str) -> tuple[Any, list[Any]]:
        from . import snakepit_bridge_pb2 as pb2

        tools = self.get_tool_registrations()
        request = pb2.RegisterToolsRequest(
            session_id=session_id, tools=tools, worker_id=worker_id or f"python-{id(self)}"
        )
        return request, tools

    def _registered_names(self, response: Any, tools: list[Any], session_id: str) -> list[str]:
        if response.success:
            return list(response.tool_ids.keys())
        if "duplicate_tool" in (response.error_message or ""):
            return [t.name for t in tools]  # registered before: nothing to do
        log.error("RegisterTools for session %r failed: %s", session_id, response.error_message)
        return []

    def register_with_session(self, session_id: str, stub: Any, worker_id: str = "") -> list[str]:
        """Snakepit API: send ``RegisterTools`` through ``stub`` (sync, future-like or, outside a running
        loop, async stubs); return the registered tool names ([] on failure, which is logged)."""
        request, tools = self._registration_request(session_id, worker_id)
        if not tools:
            return []
        try:
            response = stub.RegisterTools(request)
            if inspect.isawaitable(response):
                try:
                    asyncio.get_running_loop()
                except RuntimeError:
                    response = asyncio.run(_awaited(response))
                else:
                    raise RuntimeError(
                        "register_with_session got an async stub inside a running event loop; "
                        "use await register_with_session_async(...)"
                    )
            elif callable(getattr(response, "result", None)):
                response = response.result()
            return self._registered_names(response, tools, session_id)
        except RuntimeError:
            raise
        except Exception as exc:
            log.error("RegisterTools for session %r failed: %s", session_id, exc)
            return []

    async def register_with_session_async(self, session_id: str, stub: Any, worker_id: str = "") -> list[str]:
        """``register_with_session`` for async code: awaits aio stubs, runs blocking ones in a thread."""
        request, tools = self._registration_request(session_id, worker_id)
        if not tools:
            return []
        try:
            response = stub.RegisterTools(request)
            if inspect.isawaitable(response):
                response = await response
            elif callable(getattr(response, "result", None)):
                response = await asyncio.to_thread(response.result)
            return self._registered_names(response, tools, session_id)
        except Exception as exc:
            log.error("RegisterTools for session %r failed: %s", session_id, exc)
            return []

    # -- dispatch ----------------------------------------------------------------------------

    async def execute_tool(
        self, tool_name: str, arguments: Mapping[str, Any] | None = None, context: SessionContext | None = None
    ) -> Any:
        """Validate ``arguments`` and call tool ``tool_name``.

        Returns the tool's result; for generator tools returns the (not yet started) generator or
        async generator. Sync tools run in the tool thread pool.
        """
        info = self.get_tool(tool_name)
        kwargs = bind_arguments(info, arguments or {}, context)
        func = getattr(self, info.attribute)
        token = CURRENT.set(context) if context is not None and CURRENT.get() is not context else None
        try:
            if info.kind == "async":
                return await func(**kwargs)
            if info.kind in ("generator", "async_generator") or not info.run_in_thread:
                return func(**kwargs)
            return await run_blocking(func, **kwargs)
        finally:
            if token is not None:
                CURRENT.reset(token)

    def call_tool(self, tool_name: str, **kwargs: Any) -> Any:
        """Snakepit API: call tool (or method) ``tool_name`` synchronously (no validation, no thread);
        ``AttributeError`` when there is none."""
        info = self._tool_registry().by_name.get(tool_name)
        method = getattr(self, info.attribute if info is not None else tool_name, None)
        if method is None:
            raise AttributeError(f"Tool '{tool_name}' not found in {type(self).__name__}")
        if not callable(method):
            raise TypeError(f"'{tool_name}' is not a callable tool")
        return method(**kwargs)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable
