"""The local lane: a framed Unix-socket transport between the Java host and this worker (docs/lane.md).

Nothing in this package imports grpc or protobuf.
"""
