"""Host tools over the lane: HOST_CALL / HOST_TOOLS frames answered by HOST_RESULT."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Mapping
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from ..errors import HostToolError, HostToolNotFoundError
from ..wire.values import BINARY_TYPES, to_json
from . import frames as f

if TYPE_CHECKING:
    from .connection import LaneConnection

__all__ = ["HostParameterSpec", "HostToolSpec", "LaneHost"]


class _Pending:
    __slots__ = ("event", "flags", "payload")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.flags = 0
        self.payload: Any = None


class _JsonAny:
    """A default value as the gRPC ``ParameterSpec.default_value`` shows it: JSON text in an ``Any``."""

    type_url = "type.googleapis.com/google.protobuf.StringValue"

    def __init__(self, json_text: str | None) -> None:
        self.value = b"" if json_text is None else json_text.encode()


class HostParameterSpec:
    """One parameter of a host tool, shaped like the gRPC ``ParameterSpec`` (adapters read either)."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.name = str(raw.get("name", ""))
        self.type = str(raw.get("type", ""))
        self.required = bool(raw.get("required", False))
        self.description = str(raw.get("description", ""))
        self.validation_json = "{}"
        self._default = raw.get("default")
        self.default_value = _JsonAny(self._default)

    def HasField(self, name: str) -> bool:
        return name == "default_value" and self._default is not None


class HostToolSpec:
    """A host tool exposed to Python, shaped like the gRPC ``ToolSpec`` (adapters read either)."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.name = str(raw.get("name", ""))
        self.description = str(raw.get("description", ""))
        self.metadata = {str(k): str(v) for k, v in (raw.get("metadata") or {}).items()}
        self.parameters = [HostParameterSpec(p) for p in raw.get("parameters") or ()]
        self.supports_streaming = False


class LaneHost:
    """What ``SessionContext`` uses to reach the host (the lane's stand-in for ``HostClient``)."""

    stub = None  # no gRPC stub: Snakepit adapters that use it need the gRPC transport
    # Our host answers an unknown tool with HostToolNotFoundError listing the available ones, so
    # ``SessionContext.call_host_tool`` need not fetch the list first (one round trip per call less).
    reports_unknown_tools = True

    def __init__(self, connection: LaneConnection) -> None:
        self._connection = connection
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._failure: str | None = None

    def _request(self, frame_type: int, payload: bytes, name: str, timeout: float | None) -> _Pending:
        if self._failure is not None:
            raise HostToolError(name, "LaneClosed", self._failure)
        call_id = next(self._ids) & 0xFFFFFFFF
        pending = _Pending()
        self._pending[call_id] = pending
        try:
            self._connection.send(frame_type, call_id, payload)
            if not self._connection.await_event(pending.event, timeout):
                if self._failure is not None:
                    raise HostToolError(name, "LaneClosed", self._failure)
                raise HostToolError(name, "DeadlineExceeded", f"no answer from the host within {timeout:.3f} s")
        finally:
            self._pending.pop(call_id, None)
        return pending

    def on_result(self, call_id: int, flags: int, payload: Any) -> None:
        """A HOST_RESULT arrived (on the reading thread)."""
        pending = self._pending.get(call_id)
        if pending is None:
            return  # the caller gave up
        pending.flags = flags
        pending.payload = payload
        pending.event.set()

    def fail_all(self, reason: str) -> None:
        """The lane closed: wake every waiting host call."""
        self._failure = reason
        for pending in list(self._pending.values()):
            pending.event.set()

    def list_host_tools(self, session_id: str, timeout: float | None = 10.0) -> list[Any]:
        """Host tools exposed to Python in ``session_id``: objects with ``name`` and ``description``."""
        pending = self._request(f.HOST_TOOLS, json.dumps({"s": session_id}).encode(), "(list)", timeout)
        if pending.flags & f.F_FAILED:
            raise HostToolError("(list)", "HostError", bytes(pending.payload).decode(errors="replace"))
        return [HostToolSpec(spec) for spec in json.loads(pending.payload)]

    def cleanup_session(self, session_id: str, timeout: float = 5.0) -> Any:
        """End ``session_id`` on the host (``CleanupSession`` over gRPC): its session host tools go away.

        Returns an object with ``success`` and ``resources_cleaned``, as the gRPC response has.
        """
        request = json.dumps({"s": session_id, "cleanup": True}).encode()
        pending = self._request(f.HOST_TOOLS, request, "(cleanup)", timeout)
        if pending.flags & f.F_FAILED:
            raise HostToolError("(cleanup)", "HostError", bytes(pending.payload).decode(errors="replace"))
        answer = json.loads(pending.payload)
        if not isinstance(answer, dict):  # a host that predates session clean-up answered with its tool list
            answer = {"success": False, "resources_cleaned": 0}
        return SimpleNamespace(
            success=bool(answer.get("success")), resources_cleaned=int(answer.get("resources_cleaned") or 0)
        )

    def call_host_tool(
        self,
        session_id: str,
        tool_name: str,
        arguments: Mapping[str, Any],
        *,
        metadata: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Run host tool ``tool_name``; JSON arguments in the header, bytes ones after it."""
        values: dict[str, Any] = {}
        listed: list[list[Any]] = []
        blobs: list[bytes] = []
        for key, value in arguments.items():
            if isinstance(value, BINARY_TYPES):
                raw = bytes(value)
                listed.append([key, len(raw)])
                blobs.append(raw)
            else:
                values[key] = value
        header: dict[str, Any] = {"t": tool_name, "s": session_id, "a": values}
        if metadata:
            header["m"] = dict(metadata)
        if listed:
            header["b"] = listed
        head = to_json(header).encode()
        timeout_ms = 0 if timeout is None else max(1, int(timeout * 1000))
        payload = f.U32X2.pack(timeout_ms & 0xFFFFFFFF, 0) + f.U32.pack(len(head)) + head + b"".join(blobs)
        pending = self._request(f.HOST_CALL, payload, tool_name, timeout)
        data = pending.payload
        if pending.flags & f.F_FAILED:
            _raise_remote(tool_name, bytes(data).decode("utf-8", errors="replace"))
        if pending.flags & f.F_BINARY:
            return bytes(data)
        return json.loads(data) if len(data) else None

    def close(self) -> None:
        """Nothing to close: the lane owns the socket."""


def _raise_remote(tool_name: str, text: str) -> None:
    try:
        details = json.loads(text)
    except ValueError:
        raise HostToolError(tool_name, "HostError", text) from None
    if not isinstance(details, dict):
        raise HostToolError(tool_name, "HostError", text)
    remote_type = str(details.get("type", "HostError"))
    if remote_type == "HostToolNotFoundError":
        available = (details.get("context") or {}).get("available_tools") or []
        raise HostToolNotFoundError(tool_name, [str(name) for name in available])
    raise HostToolError(tool_name, remote_type, str(details.get("message", text)), details)
