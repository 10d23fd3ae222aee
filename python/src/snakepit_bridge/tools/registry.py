"""Tool discovery: the ``@tool`` methods of an adapter, found once and looked up by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..errors import ToolNotFoundError
from .introspection import ToolInfo, describe_tool

__all__ = ["ToolRegistry", "tool_attributes"]


def tool_attributes(cls: type) -> list[str]:
    """Names of the attributes of ``cls`` carrying ``@tool`` metadata, in definition order (base first).

    A subclass that overrides a tool without ``@tool`` removes it.
    """
    found: dict[str, None] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in vars(klass).items():
            target = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
            if getattr(target, "_tool_metadata", None) is not None:
                found[attr] = None
            elif attr in found:
                del found[attr]
    return list(found)


class ToolRegistry:
    """The tools of one adapter instance (described from its bound methods)."""

    def __init__(self, adapter: Any) -> None:
        cls = type(adapter)
        self.adapter_name = cls.__name__
        self.tools: tuple[ToolInfo, ...] = tuple(
            describe_tool(getattr(adapter, attr), attr, cls) for attr in tool_attributes(cls)
        )
        self.by_name: dict[str, ToolInfo] = {info.name: info for info in self.tools}

    def __iter__(self) -> Iterator[ToolInfo]:
        return iter(self.tools)

    def __len__(self) -> int:
        return len(self.tools)

    def get(self, tool_name: str) -> ToolInfo:
        """The tool named ``tool_name``; ``ToolNotFoundError`` listing the available tools if none."""
        info = self.by_name.get(tool_name)
        if info is None:
            raise ToolNotFoundError(tool_name, [t.name for t in self.tools], self.adapter_name)
        return info
