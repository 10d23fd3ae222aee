"""The ``@tool`` decorator: records ``ToolMetadata`` on a function and returns it unchanged."""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["ToolMetadata", "tool"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclasses.dataclass(frozen=True)
class ToolMetadata:
    """What ``@tool`` records on a function (attribute ``_tool_metadata``)."""

    description: str = ""
    supports_streaming: bool = False
    required_variables: tuple[str, ...] = ()
    name: str | None = None
    run_in_thread: bool = True
    parameters: tuple[dict[str, Any], ...] = ()
    """Snakepit's field (parameter dicts given by hand); parameters are derived from the signature here."""


_TOOL_OPTIONS = ("description", "supports_streaming", "required_variables", "name", "run_in_thread")


def _apply(func: Any, meta: ToolMetadata) -> Any:
    target = func.__func__ if isinstance(func, (staticmethod, classmethod)) else func
    if isinstance(target, type) or not callable(target):
        raise TypeError(f"@tool can only decorate functions or methods, got {type(func).__name__} {func!r}")
    target._tool_metadata = meta
    return func


def tool(
    func: Any = None,
    /,
    *,
    description: str = "",
    supports_streaming: bool = False,
    required_variables: cabc.Iterable[str] | None = None,
    name: str | None = None,
    run_in_thread: bool = True,
    **unknown: Any,
) -> Any:
    """Mark an adapter method as a tool; the function is returned unchanged (still callable).

    Usable bare (``@tool``), with keywords (``@tool(description="...", supports_streaming=True)``)
    or Snakepit-style with the description as the only positional argument (``@tool("...")``).
    ``run_in_thread=False`` runs a sync tool on the event loop (only for tools that never block).
    Generator functions are streaming tools whether or not ``supports_streaming`` is given.
    """
    if unknown:
        raise TypeError(
            f"@tool got unexpected keyword argument(s) {sorted(unknown)}; allowed: {', '.join(_TOOL_OPTIONS)}"
        )
    if isinstance(func, str):
        if description:
            raise TypeError("@tool: give the description either positionally or as description=, not both")
        description, func = func, None
    if not isinstance(description, str):
        raise TypeError(f"@tool description must be a str, got {type(description).__name__}")
    if not isinstance(supports_streaming, bool):
        raise TypeError(f"@tool supports_streaming must be a bool, got {type(supports_streaming).__name__}")
    if name is not None and (not isinstance(name, str) or not name):
        raise TypeError(f"@tool name must be a non-empty str, got {name!r}")
    if isinstance(required_variables, str):
        required_variables = [required_variables]
    meta = ToolMetadata(
        description=description,
        supports_streaming=supports_streaming,
        required_variables=tuple(required_variables or ()),
        name=name,
        run_in_thread=bool(run_in_thread),
    )
    if func is not None:
        return _apply(func, meta)

    def decorator(f: F) -> F:
        return _apply(f, meta)

    return decorator
