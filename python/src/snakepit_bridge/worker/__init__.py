"""The worker process: lifecycle (arguments, ready file, watches, signals, exit codes) and ``main``.

Imports neither gRPC nor protobuf; the chosen transport is imported by ``worker.main.run``.
"""
