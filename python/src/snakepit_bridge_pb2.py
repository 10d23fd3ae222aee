"""Snakepit's top-level import path of the generated messages: the same module as
``snakepit_bridge.snakepit_bridge_pb2`` (``import snakepit_bridge_pb2 as pb2`` in Snakepit scripts)."""

import sys

from snakepit_bridge import snakepit_bridge_pb2 as _generated

sys.modules[__name__] = _generated
