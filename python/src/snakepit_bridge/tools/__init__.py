"""Tools: the ``@tool`` decorator, introspection (``ToolInfo``), argument validation, discovery.

Imports neither gRPC nor protobuf (``ToolInfo.to_proto()`` imports the generated module on use).
"""

from .decorator import ToolMetadata, tool
from .introspection import MISSING, ParameterInfo, ToolInfo, describe_tool, parse_docstring, type_string
from .registry import ToolRegistry, tool_attributes
from .validation import bind_arguments

__all__ = [
    "MISSING",
    "ParameterInfo",
    "ToolInfo",
    "ToolMetadata",
    "ToolRegistry",
    "bind_arguments",
    "describe_tool",
    "parse_docstring",
    "tool",
    "tool_attributes",
    "type_string",
]
