"""The worker's client to the host's BridgeService (one synchronous channel per worker, shared)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from typing import Any

import grpc

from .. import snakepit_bridge_pb2 as pb2
from .. import snakepit_bridge_pb2_grpc as pb2_grpc
from ..errors import HostToolError, HostToolNotFoundError
from .codec import decode_result, encode_param
from .metadata import TOKEN_METADATA_KEY
from .values import BINARY_TYPES

__all__ = ["TOKEN_METADATA_KEY", "HostClient", "execute_request", "execute_result"]


class HostClient:
    """Thread-safe client to the host: ping, tool registration, heartbeat, host tools.

    Every call carries the ``x-snakepit-token`` metadata when a token is configured.
    """

    def __init__(
        self,
        address: str,
        *,
        token: str | None = None,
        worker_id: str = "",
        max_message_bytes: int = 128 * 1024 * 1024,
    ) -> None:
        self.address = address
        self.worker_id = worker_id
        self._token = token
        self._channel = grpc.insecure_channel(
            address,
            options=[
                ("grpc.max_send_message_length", max_message_bytes),
                ("grpc.max_receive_message_length", max_message_bytes),
            ],
        )
        self._stub = pb2_grpc.BridgeServiceStub(self._channel)
        self._closed = threading.Event()

    @classmethod
    def from_stub(cls, stub: Any, *, token: str | None = None, worker_id: str = "") -> HostClient:
        """A client over an existing stub (Snakepit's ``SessionContext(stub, session_id)``); ``close()``
        leaves the stub's channel alone."""
        client = cls.__new__(cls)
        client.address = ""
        client.worker_id = worker_id
        client._token = token
        client._channel = None
        client._stub = stub
        client._closed = threading.Event()
        return client

    @property
    def stub(self) -> pb2_grpc.BridgeServiceStub:
        """The raw synchronous stub (Snakepit adapters sometimes use it directly)."""
        return self._stub

    def call_metadata(self, extra: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
        """gRPC metadata for a call to the host (token plus ``extra``)."""
        metadata = [(TOKEN_METADATA_KEY, self._token)] if self._token else []
        if extra:
            metadata.extend((k, v) for k, v in extra.items())
        return metadata

    # -- lifecycle ---------------------------------------------------------------------------

    def ping_until_ready(self, budget_s: float, per_try_s: float = 1.0) -> None:
        """Ping the host until it answers or ``budget_s`` runs out (then raise the last error)."""
        deadline = time.monotonic() + budget_s
        delay = 0.05
        while True:
            remaining = deadline - time.monotonic()
            try:
                self._stub.Ping(
                    pb2.PingRequest(message=f"worker {self.worker_id} starting"),
                    timeout=max(0.05, min(per_try_s, remaining)),
                    metadata=self.call_metadata(),
                    wait_for_ready=True,
                )
                return
            except grpc.RpcError:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise
                time.sleep(min(delay, remaining))
                delay = min(delay * 2, 0.5)

    def register_tools(self, tools: list[pb2.ToolRegistration], session_id: str = "", timeout: float = 5.0):
        """Send ``RegisterTools`` with this worker's id."""
        request = pb2.RegisterToolsRequest(session_id=session_id, tools=tools, worker_id=self.worker_id)
        return self._stub.RegisterTools(request, timeout=timeout, metadata=self.call_metadata())

    def heartbeat(self, session_id: str, timeout: float) -> pb2.HeartbeatResponse:
        """One ``Heartbeat`` call."""
        request = pb2.HeartbeatRequest(session_id=session_id)
        request.client_time.GetCurrentTime()
        return self._stub.Heartbeat(request, timeout=timeout, metadata=self.call_metadata())

    def cleanup_session(self, session_id: str, timeout: float = 5.0) -> Any:
        """``CleanupSession`` for ``session_id``."""
        request = pb2.CleanupSessionRequest(session_id=session_id)
        return self._stub.CleanupSession(request, timeout=timeout, metadata=self.call_metadata())

    def close(self) -> None:
        """Close the channel (idempotent)."""
        if not self._closed.is_set():
            self._closed.set()
            if self._channel is not None:
                self._channel.close()

    # -- host tools --------------------------------------------------------------------------

    def list_host_tools(self, session_id: str, timeout: float | None = 10.0) -> list[pb2.ToolSpec]:
        """``GetExposedElixirTools`` for ``session_id``."""
        response = self._stub.GetExposedElixirTools(
            pb2.GetExposedElixirToolsRequest(session_id=session_id),
            timeout=timeout,
            metadata=self.call_metadata(),
        )
        return list(response.tools)

    def call_host_tool(
        self,
        session_id: str,
        tool_name: str,
        arguments: Mapping[str, Any],
        *,
        metadata: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """``ExecuteElixirTool`` (see ``execute_request``)."""
        request = execute_request(session_id, tool_name, arguments, metadata)
        try:
            response = self._stub.ExecuteElixirTool(request, timeout=timeout, metadata=self.call_metadata())
        except grpc.RpcError as exc:
            code = exc.code() if hasattr(exc, "code") else None
            details = exc.details() if hasattr(exc, "details") else str(exc)
            if code == grpc.StatusCode.NOT_FOUND:
                raise HostToolNotFoundError(tool_name, []) from exc
            raise HostToolError(tool_name, f"grpc.{code.name if code else 'UNKNOWN'}", details or "") from exc
        return execute_result(tool_name, response)


def execute_request(
    session_id: str, tool_name: str, arguments: Mapping[str, Any], metadata: Mapping[str, str] | None
) -> pb2.ExecuteElixirToolRequest:
    """An ``ExecuteElixirTool`` request: JSON-in-Any arguments, bytes raw in ``binary_parameters``."""
    request = pb2.ExecuteElixirToolRequest(session_id=session_id, tool_name=tool_name)
    for key, value in arguments.items():
        if isinstance(value, BINARY_TYPES):
            request.binary_parameters[key] = bytes(value)
        else:
            request.parameters[key].CopyFrom(encode_param(value))
    if metadata:
        request.metadata.update(metadata)
    return request


def execute_result(tool_name: str, response: pb2.ExecuteElixirToolResponse) -> Any:
    """The decoded result of an ``ExecuteElixirTool`` answer, or its error raised as ``HostToolError``."""
    if not response.success:
        remote_type, remote_message, details = _parse_remote_error(response.error_message)
        if remote_type == "HostToolNotFoundError" and isinstance(details, dict):
            available = (details.get("context") or {}).get("available_tools") or []
            raise HostToolNotFoundError(tool_name, [str(name) for name in available])
        raise HostToolError(tool_name, remote_type, remote_message, details)
    return decode_result(response.result, response.binary_result)


def _parse_remote_error(text: str) -> tuple[str, str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return "HostError", text, None
    if isinstance(data, dict):
        return str(data.get("type", "HostError")), str(data.get("message", text)), data
    return "HostError", text, data
