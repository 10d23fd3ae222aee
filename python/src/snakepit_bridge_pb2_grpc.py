"""Snakepit's top-level import path of the generated gRPC stubs: the same module as
``snakepit_bridge.snakepit_bridge_pb2_grpc``."""

import sys

from snakepit_bridge import snakepit_bridge_pb2_grpc as _generated

sys.modules[__name__] = _generated
