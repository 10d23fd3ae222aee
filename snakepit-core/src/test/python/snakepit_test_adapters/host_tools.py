"""``HostToolTestAdapter``: the showcase tools plus tools that report how Python sees and calls host
(Java) tools, for the Java host tool tests."""

from __future__ import annotations

from typing import Any

from google.protobuf import any_pb2, wrappers_pb2

from snakepit_bridge import current_context, tool
from snakepit_bridge import snakepit_bridge_pb2 as pb2
from snakepit_bridge.adapters.showcase import ShowcaseAdapter
from snakepit_bridge.codec import decode_any, decode_result
from snakepit_bridge.errors import HostToolError, HostToolNotFoundError


def _ctx() -> Any:
    ctx = current_context()
    if ctx is None or ctx.host is None:
        raise RuntimeError("this tool needs a host connection")
    return ctx


class HostToolTestAdapter(ShowcaseAdapter):
    """Showcase tools plus host tool probes."""

    @tool(description="Python's view of the host tools: proxy names and the raw specs")
    def host_tool_view(self) -> dict[str, Any]:
        ctx = _ctx()
        specs = []
        for spec in ctx.host.list_host_tools(ctx.session_id):
            specs.append(
                {
                    "name": spec.name,
                    "description": spec.description,
                    "metadata": dict(spec.metadata),
                    "parameters": [
                        {
                            "name": p.name,
                            "type": p.type,
                            "required": p.required,
                            "description": p.description,
                            "has_default": p.HasField("default_value"),
                            "default": decode_any(p.default_value) if p.HasField("default_value") else None,
                            "default_type_url": p.default_value.type_url,
                        }
                        for p in spec.parameters
                    ],
                }
            )
        proxies = ctx.host_tools
        return {
            "proxies": sorted(proxies),
            "aliases": sorted(ctx.elixir_tools),
            "docs": {name: proxy.__doc__ for name, proxy in proxies.items()},
            "specs": specs,
        }

    @tool(description="Send bytes to a host tool and return what it returns (bytes stay bytes)")
    def call_host_bytes(self, tool: str, data: bytes, argument: str = "data") -> Any:
        result = _ctx().host_tools[tool](**{argument: data})
        if isinstance(result, bytes):
            return result
        return {"python_type": type(result).__name__, "value": result}

    @tool(description="Call a host tool; report the result or the Python exception it raised")
    def call_host_catching(self, tool: str, arguments: dict[str, Any] | None = None, raw: bool = False) -> Any:
        """With ``raw`` the call skips the local look-up (``call_elixir_tool``), so the host decides."""
        ctx = _ctx()
        try:
            if raw:
                value = ctx.host.call_host_tool(ctx.session_id, tool, arguments or {}, timeout=10)
            else:
                value = ctx.call_elixir_tool(tool, **(arguments or {}))
        except HostToolNotFoundError as exc:
            return {"error": type(exc).__name__, "message": str(exc), "available_tools": exc.available_tools}
        except HostToolError as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            return {
                "error": type(exc).__name__,
                "message": str(exc),
                "remote_type": exc.remote_type,
                "remote_message": exc.remote_message,
                "traceback": details.get("traceback", ""),
                "context": details.get("context", {}),
            }
        return {"result": value}

    @tool(description="Call a host tool with one argument packed as a google.protobuf.StringValue (old Snakepit)")
    def call_host_packed(self, tool: str, name: str, value: str) -> Any:
        ctx = _ctx()
        packed = any_pb2.Any()
        packed.Pack(wrappers_pb2.StringValue(value=value))
        request = pb2.ExecuteElixirToolRequest(session_id=ctx.session_id, tool_name=tool)
        request.parameters[name].CopyFrom(packed)
        response = ctx.host.stub.ExecuteElixirTool(request, timeout=10, metadata=ctx.host.call_metadata())
        if not response.success:
            raise RuntimeError(response.error_message)
        return {"type_url": response.result.type_url, "value": decode_result(response.result, response.binary_result)}

    @tool(description="Ask the host to clean up this call's session (CleanupSession; on the lane a HOST_TOOLS frame)")
    def cleanup_session(self) -> dict[str, Any]:
        ctx = _ctx()
        response = ctx.host.cleanup_session(ctx.session_id, timeout=10)
        return {"success": response.success, "resources_cleaned": response.resources_cleaned}
