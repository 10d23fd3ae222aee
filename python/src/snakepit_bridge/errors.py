"""The error family raised by ``snakepit_bridge`` and how errors become the wire error JSON."""

from __future__ import annotations

import builtins
import json
import traceback
from typing import Any

__all__ = [
    "HostToolError",
    "HostToolNotFoundError",
    "InvalidArgumentsError",
    "PayloadTooLargeError",
    "SerializationError",
    "SnakepitError",
    "ToolCancelledError",
    "ToolNotFoundError",
    "check_payload_size",
    "error_payload",
    "error_type_name",
]


class SnakepitError(Exception):
    """Base class of every error defined by ``snakepit_bridge``.

    ``error_type`` is the ``type`` reported in the error JSON; ``context`` holds the extra keys
    merged into the error JSON's ``context`` object.
    """

    error_type: str = "SnakepitError"

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context: dict[str, Any] = context


class ToolNotFoundError(SnakepitError, LookupError):
    """The requested tool does not exist; ``available_tools`` lists the ones that do."""

    error_type = "ToolNotFoundError"

    def __init__(self, tool_name: str, available_tools: list[str], adapter: str = "") -> None:
        where = f" in adapter {adapter}" if adapter else ""
        names = ", ".join(available_tools) if available_tools else "(none)"
        super().__init__(
            f"Unknown tool '{tool_name}'{where}. Available tools: {names}.",
            available_tools=list(available_tools),
        )
        self.tool_name = tool_name
        self.available_tools = list(available_tools)


class InvalidArgumentsError(SnakepitError, TypeError):
    """An argument is missing, unexpected, of the wrong type, or not valid JSON.

    ``problem`` is one of ``missing``, ``unexpected``, ``type``, ``malformed_json``, ``value``.
    """

    error_type = "InvalidArgumentsError"

    def __init__(
        self,
        message: str,
        *,
        parameter: str | None = None,
        expected: str | None = None,
        received: str | None = None,
        problem: str = "value",
    ) -> None:
        super().__init__(message, parameter=parameter, expected=expected, received=received, problem=problem)
        self.parameter = parameter
        self.expected = expected
        self.received = received
        self.problem = problem


class SerializationError(SnakepitError, TypeError):
    """A tool result (or stream item) cannot be encoded as JSON."""

    error_type = "SerializationError"

    def __init__(self, message: str, result_type: str) -> None:
        super().__init__(message, result_type=result_type)
        self.result_type = result_type


class PayloadTooLargeError(SnakepitError):
    """A tool result (or stream item) is over the pool's maximum message size (``maxMessageSize``).

    The host raises ``PayloadTooLargeException`` with ``size`` and ``limit`` from the context.
    """

    error_type = "PayloadTooLargeError"

    def __init__(self, what: str, size: int, limit: int) -> None:
        super().__init__(
            f"The {what} is {size} bytes, over the pool's maxMessageSize of {limit} bytes. Raise maxMessageSize "
            "in the pool config, or send the data in parts.",
            what=what,
            size=size,
            limit=limit,
        )


def check_payload_size(what: str, size: int, limit: int) -> None:
    """Raise ``PayloadTooLargeError`` when ``size`` is over ``limit`` (the pool's maxMessageSize)."""
    if size > limit:
        raise PayloadTooLargeError(what, size, limit)


class ToolCancelledError(SnakepitError):
    """The call was cancelled (client cancel, deadline, or ``timeout_ms``); reported as ``CancelledError``."""

    error_type = "CancelledError"


class HostToolError(SnakepitError, RuntimeError):
    """A host (Java) tool called through ``SessionContext.call_host_tool`` failed (also a ``RuntimeError``,
    which Snakepit raised).

    ``remote_type`` and ``remote_message`` are the error type and message reported by the host.
    """

    error_type = "HostToolError"

    def __init__(self, tool_name: str, remote_type: str, remote_message: str, details: Any = None) -> None:
        super().__init__(
            f"Host tool '{tool_name}' failed: {remote_type}: {remote_message}",
            host_tool=tool_name,
            remote_type=remote_type,
        )
        self.tool_name = tool_name
        self.remote_type = remote_type
        self.remote_message = remote_message
        self.details = details

    @property
    def type(self) -> str:
        """The remote error type."""
        return self.remote_type


class HostToolNotFoundError(SnakepitError, LookupError, ValueError):
    """The named host tool is not exposed by the host; ``available_tools`` lists those that are (also a
    ``ValueError``, which Snakepit raised)."""

    error_type = "HostToolNotFoundError"

    def __init__(self, tool_name: str, available_tools: list[str]) -> None:
        names = ", ".join(available_tools) if available_tools else "(none)"
        super().__init__(
            f"Unknown host tool '{tool_name}'. Available host tools: {names}.",
            available_tools=list(available_tools),
        )
        self.tool_name = tool_name
        self.available_tools = list(available_tools)


def error_type_name(exc: BaseException) -> str:
    """Return the ``type`` for the error JSON: bare name for builtins and our errors, else module.Class."""
    if isinstance(exc, SnakepitError):
        return exc.error_type
    cls = type(exc)
    if cls.__module__ == "builtins" or getattr(builtins, cls.__name__, None) is cls:
        return cls.__name__
    if cls.__module__ in ("asyncio.exceptions", "concurrent.futures._base") and cls.__name__ == "CancelledError":
        return "CancelledError"
    return f"{cls.__module__}.{cls.__qualname__}"


def error_payload(exc: BaseException, context: dict[str, Any], max_traceback_chars: int | None = None) -> dict:
    """Build the error object ``{type, message, traceback, stacktrace, context}`` for ``exc``.

    ``max_traceback_chars`` keeps only the tail of the traceback (used for gRPC status details,
    which travel in a size-limited trailer).
    """
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    if max_traceback_chars is not None and len(text) > max_traceback_chars:
        text = "...(truncated)...\n" + text[-max_traceback_chars:]
    full_context = dict(context)
    if isinstance(exc, SnakepitError):
        full_context.update(exc.context)
    message = exc.message if isinstance(exc, SnakepitError) else str(exc)
    return {
        "type": error_type_name(exc),
        "message": message,
        "traceback": text,
        "stacktrace": text.splitlines(),
        "context": full_context,
    }


def error_json(exc: BaseException, context: dict[str, Any], max_traceback_chars: int | None = None) -> str:
    """``error_payload`` as JSON text (non-JSON context values are stringified)."""
    return json.dumps(error_payload(exc, context, max_traceback_chars), default=str)
