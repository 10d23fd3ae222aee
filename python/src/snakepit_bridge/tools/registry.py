"""Tool discovery: the ``@tool`` methods of an adapter, found once and looked up by name."""

from __future__ import annotations

import operator
from collections.abc import Iterator
from typing import Any

from ..errors import ToolNotFoundError
from .introspection import ToolInfo, describe_tool

__all__ = ["ToolRegistry", "class_tools", "tool_attributes"]

# The tools of each adapter class, described once per process, with the class attributes they were
# described from (a class changed since is described again). The fork template describes its
# adapter's (zygote.template), so a forked worker inherits them and answers the host's handshake
# without introspecting signatures, type hints and docstrings again (milliseconds per worker start).
_BY_CLASS: dict[type, tuple[list[str], tuple[Any, ...], tuple[ToolInfo, ...]]] = {}


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


def _raw(cls: type, attr: str) -> Any:
    for klass in cls.__mro__:
        if attr in vars(klass):
            return vars(klass)[attr]
    raise AttributeError(attr)


def _bound(value: Any, cls: type, instance: object) -> Any:
    """What ``getattr(instance, attr)`` gives for class attribute ``value`` (no instance attribute)."""
    get = getattr(type(value), "__get__", None)
    return get(value, instance, cls) if get is not None else value


def class_tools(cls: type, attributes: list[str] | None = None) -> tuple[ToolInfo, ...]:
    """The tools of adapter class ``cls``, as an instance without attributes of its own has them.

    Described once per process (again if the class's tools changed): a description never depends
    on the instance (methods are bound to a stand-in object; only their signatures, hints and
    docstrings are read). ``attributes`` is ``tool_attributes(cls)`` when the caller has it.
    """
    names = tool_attributes(cls) if attributes is None else attributes
    values = tuple(_raw(cls, attr) for attr in names)
    cached = _BY_CLASS.get(cls)
    if cached is not None and cached[0] == names and all(map(operator.is_, cached[1], values)):
        return cached[2]
    stand_in = object()
    pairs = zip(names, values, strict=True)
    tools = tuple(describe_tool(_bound(value, cls, stand_in), attr, cls) for attr, value in pairs)
    _BY_CLASS[cls] = (names, values, tools)
    return tools


class ToolRegistry:
    """The tools of one adapter instance (described from its bound methods)."""

    def __init__(self, adapter: Any) -> None:
        cls = type(adapter)
        self.adapter_name = cls.__name__
        attributes = tool_attributes(cls)
        own = getattr(adapter, "__dict__", {})
        self.tools: tuple[ToolInfo, ...]
        if any(attr in own for attr in attributes) or cls.__getattribute__ is not object.__getattribute__:
            # An instance that replaced a tool, or a class that decides attribute access itself.
            self.tools = tuple(describe_tool(getattr(adapter, attr), attr, cls) for attr in attributes)
        else:
            self.tools = class_tools(cls, attributes)
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
