"""Snakepit's showcase helpers: ``Tool`` (a named callable for handler-style adapters) and ``StreamChunk``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...wire.values import StreamChunk

__all__ = ["StreamChunk", "Tool"]


class Tool:
    """Wraps a function so handlers can list it by name: ``Tool(self.ping)`` then ``tool(ctx, ...)``."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.name = func.__name__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Tool({self.name})"
