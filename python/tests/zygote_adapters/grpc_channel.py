"""A test adapter whose module creates a gRPC channel at import (fork is unsafe then)."""

from __future__ import annotations

import grpc

from snakepit_bridge import BaseAdapter

CHANNEL = grpc.insecure_channel("127.0.0.1:9")


class GrpcChannelAdapter(BaseAdapter):
    pass
