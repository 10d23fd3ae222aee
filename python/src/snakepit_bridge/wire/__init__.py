"""The gRPC wire: servicer, server, host client, protobuf codec, shared memory, metadata keys.

This package's ``__init__`` imports nothing: ``wire.values`` (the JSON/bytes codec) and
``wire.metadata`` stay free of gRPC and protobuf; the other modules import them.
"""
