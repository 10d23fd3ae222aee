"""The bare gRPC floor: a minimal grpc.aio servicer, no protobuf, no pool, no checks.

``python grpc_floor.py tcp`` binds 127.0.0.1:0; ``python grpc_floor.py unix:/path`` binds that
socket. Methods of service ``bench.Floor`` (raw bytes in and out):
``Echo`` returns the request; ``Up`` returns the request's size as 8 bytes; ``Down`` takes a size
(8 bytes) and returns that many bytes; ``Stream`` takes count and size (8 bytes each) and streams
``count`` messages of ``size`` bytes.
"""

from __future__ import annotations

import asyncio
import os
import sys

import grpc

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from snakepit_bench import blob, exit_on_stdin_eof, ready

MAX_MESSAGE = 512 * 1024 * 1024


async def echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return request


async def up(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return len(request).to_bytes(8, "little")


async def down(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return blob(int.from_bytes(request[:8], "little"))


async def stream(request: bytes, context: grpc.aio.ServicerContext):
    count = int.from_bytes(request[:8], "little")
    chunk = blob(int.from_bytes(request[8:16], "little"))
    for _ in range(count):
        yield chunk


async def main(listen: str) -> None:
    server = grpc.aio.server(
        options=[
            ("grpc.max_send_message_length", MAX_MESSAGE),
            ("grpc.max_receive_message_length", MAX_MESSAGE),
            ("grpc.so_reuseport", 0),
        ]
    )
    handler = grpc.method_handlers_generic_handler(
        "bench.Floor",
        {
            "Echo": grpc.unary_unary_rpc_method_handler(echo),
            "Up": grpc.unary_unary_rpc_method_handler(up),
            "Down": grpc.unary_unary_rpc_method_handler(down),
            "Stream": grpc.unary_stream_rpc_method_handler(stream),
        },
    )
    server.add_generic_rpc_handlers((handler,))
    if listen.startswith("unix:"):
        server.add_insecure_port(listen)
        address = listen
    else:
        address = str(server.add_insecure_port("127.0.0.1:0"))
    await server.start()
    ready(address)
    await server.wait_for_termination()


if __name__ == "__main__":
    exit_on_stdin_eof()
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "tcp"))
