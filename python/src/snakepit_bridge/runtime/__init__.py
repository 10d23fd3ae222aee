"""Running tool calls: the tool thread pool and the one ``Invoker`` every transport uses.

Imports neither gRPC nor protobuf.
"""

from .executor import busy_threads, run_blocking, tool_executor, tracked
from .invoker import Invoker, is_iterator_result, is_stream_chunk_like, timeout_seconds

__all__ = [
    "Invoker",
    "busy_threads",
    "is_iterator_result",
    "is_stream_chunk_like",
    "run_blocking",
    "timeout_seconds",
    "tool_executor",
    "tracked",
]
