"""Stands in for a Snakepit-style `grpc_server.py` script: a worker started by path, not by module."""

from snakepit_bridge.server import main

if __name__ == "__main__":
    main()
