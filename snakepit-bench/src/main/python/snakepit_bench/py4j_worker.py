"""The Py4J peer: a Python object that Java calls through Py4J's callback server.

``python py4j_worker.py <java gateway port>``: connects to the harness's ``GatewayServer``, starts a
callback server on an ephemeral port, tells Java that port, and registers a ``Worker`` implementing
the Java interface ``dev.snakepit.bench.Py4jWorker``. ``callHost`` calls back into Java.
"""

from __future__ import annotations

import os
import sys

from py4j.java_gateway import CallbackServerParameters, GatewayParameters, JavaGateway

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from snakepit_bench import argmax_model, blob, ready


class Worker:
    """What Java calls."""

    def __init__(self, gateway: JavaGateway) -> None:
        self.gateway = gateway

    def echo(self, message: str) -> str:
        return message

    def echoBytes(self, data: bytearray) -> bytearray:
        return data

    def sink(self, data: bytearray) -> int:
        return len(data)

    def source(self, size: int) -> bytes:
        return blob(size)

    def argmax(self, a: float, b: float, c: float, d: float) -> int:
        return argmax_model([a, b, c, d])

    def callHost(self, message: str) -> str:
        return self.gateway.entry_point.hostEcho(message)

    class Java:
        implements = ["dev.snakepit.bench.Py4jWorker"]


def main(java_port: int) -> None:
    gateway = JavaGateway(
        gateway_parameters=GatewayParameters(port=java_port, auto_close=True),
        callback_server_parameters=CallbackServerParameters(port=0, daemonize=True, daemonize_connections=True),
    )
    python_port = gateway.get_callback_server().get_listening_port()
    server = gateway.java_gateway_server
    server.resetCallbackClient(server.getCallbackClient().getAddress(), python_port)
    gateway.entry_point.register(Worker(gateway))
    ready(str(python_port))
    try:
        while sys.stdin.buffer.read1(4096):
            pass
    finally:
        os._exit(0)


if __name__ == "__main__":
    main(int(sys.argv[1]))
