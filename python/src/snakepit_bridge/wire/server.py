"""The gRPC transport of a worker: a ``grpc.aio`` server serving one adapter."""

from __future__ import annotations

import os
from typing import Any

import grpc

from .. import snakepit_bridge_pb2 as pb2
from .. import snakepit_bridge_pb2_grpc as pb2_grpc
from .servicer import WorkerServicer
from .shm import SharedMemory

__all__ = ["DEFAULT_MAX_MESSAGE_BYTES", "WorkerServer", "tool_registrations"]

DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024


def _bind_address(host: str, port: int) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def tool_registrations(adapter: Any) -> list[pb2.ToolRegistration]:
    """The adapter's tools as ``ToolRegistration`` messages (ours, or Snakepit's proto list)."""
    getter = getattr(adapter, "get_tools", None)
    if getter is None:
        return []
    registrations = []
    for item in getter():
        if isinstance(item, pb2.ToolRegistration):
            registrations.append(item)
        elif hasattr(item, "to_proto"):
            registrations.append(item.to_proto())
        elif hasattr(item, "SerializeToString"):  # a ToolRegistration from another generated module
            registrations.append(pb2.ToolRegistration.FromString(item.SerializeToString()))
    return registrations


class WorkerServer:
    """A grpc.aio server serving one adapter; ``start()`` binds and returns the port."""

    def __init__(
        self,
        adapter: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        worker_id: str = "",
        token: str | None = None,
        host_client: Any = None,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        allow_pickle: bool = False,
    ) -> None:
        self.adapter = adapter
        shm_dir = os.environ.get("SNAKEPIT_SHM_DIR")
        shared_memory = SharedMemory(shm_dir, max_message_bytes) if shm_dir and os.path.isdir(shm_dir) else None
        self.servicer = WorkerServicer(
            adapter, worker_id=worker_id, host=host_client, allow_pickle=allow_pickle, shared_memory=shared_memory
        )
        self._token = token
        self._max_message_bytes = max_message_bytes
        self._address = _bind_address(host, port)
        self.server: grpc.aio.Server | None = None
        self.port = 0

    async def start(self) -> int:
        """Create the grpc.aio server on the running loop, bind, start; return the bound port."""
        self.servicer.token = self._token.encode() if self._token else None
        self.server = grpc.aio.server(
            options=[
                ("grpc.max_send_message_length", self._max_message_bytes),
                ("grpc.max_receive_message_length", self._max_message_bytes),
                ("grpc.so_reuseport", 0),
            ],
        )
        pb2_grpc.add_BridgeServiceServicer_to_server(self.servicer, self.server)
        self.port = self.server.add_insecure_port(self._address)
        if not self.port:
            raise OSError(f"could not bind {self._address}")
        await self.server.start()
        return self.port

    async def stop(self, grace_s: float | None) -> None:
        """Stop accepting calls; in-flight calls get ``grace_s`` seconds, then are cancelled."""
        if self.server is not None:
            await self.server.stop(grace_s)
