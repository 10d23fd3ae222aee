"""What a lane worker imports to start and serve sync calls: nothing it does not need.

Every module imported at start is paid by every worker start (or by the template, for forked
workers); asyncio (with ssl), gRPC and OpenTelemetry cost tens of milliseconds and a lane worker
serving sync tools needs none of them. Checked in a fresh interpreter, after real calls.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEAVY = ("asyncio", "ssl", "grpc", "google.protobuf", "opentelemetry")

_SCRIPT = textwrap.dedent(
    """
    import json, socket, struct, sys, threading

    import snakepit_bridge.server, snakepit_bridge.zygote.template, snakepit_bridge.lane.worker
    from snakepit_bridge import BaseAdapter, tool
    from snakepit_bridge.lane import frames as f
    from snakepit_bridge.lane.connection import LaneConnection
    from snakepit_bridge.lane.worker import tool_descriptions

    class Adapter(BaseAdapter):
        @tool(run_in_thread=False)
        def echo(self, message: str) -> str:
            return message

        @tool
        def pooled(self, message: str) -> str:
            return message

        @tool
        async def later(self) -> None:
            return None

    at_start = sorted(sys.modules)
    host, worker = socket.socketpair()
    adapter = Adapter()
    connection = LaneConnection(worker, adapter, worker_id="w1", token="t", max_frame=1 << 20)
    connection.tools_json = tool_descriptions(adapter)

    def serve():
        if connection.handshake():
            connection.serve()

    threading.Thread(target=serve, daemon=True).start()
    buffer = b""

    def recv():
        global buffer
        while True:
            if len(buffer) >= 12:
                length, frame_type, _, _, call_id = f.HEADER.unpack_from(buffer)
                if len(buffer) >= length + 4:
                    payload, buffer = buffer[12 : length + 4], buffer[length + 4 :]
                    return frame_type, payload
            buffer += host.recv(65536)

    host.sendall(f.encode_frame(f.HELLO, 0, json.dumps({"versions": [f.PROTOCOL_VERSION], "token": "t"}).encode()))
    assert recv()[0] == f.WELCOME
    for call_id, name in enumerate(("echo", "pooled"), 1):
        head = json.dumps({"t": name, "a": {"message": "hi"}}).encode()
        host.sendall(f.encode_frame(f.CALL, call_id, struct.pack(">III", 10000, 0, len(head)) + head))
        frame_type, payload = recv()
        assert frame_type == f.RESULT and payload.endswith(b'"hi"'), (frame_type, payload)
    print(json.dumps({"start": at_start, "served": sorted(sys.modules)}))
    """
)


def test_a_lane_worker_starts_and_serves_sync_calls_without_heavy_imports() -> None:
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout)
    for moment in ("start", "served"):
        heavy = [m for m in loaded[moment] if any(m == h or m.startswith(h + ".") for h in HEAVY)]
        assert heavy == [], f"at {moment} the lane worker had imported {heavy[:8]}"
