"""``python -m snakepit_bridge.standalone --listen HOST:PORT --adapter module.Class ...`` (the same
flags as ``python -m snakepit_bridge.server --listen ...``)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .options import add_arguments
from .serve import run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m snakepit_bridge.standalone", description="Standalone Snakepit worker for remote pools"
    )
    parser.add_argument("--adapter", required=True, help="adapter class as module.Class")
    add_arguments(parser)
    args = parser.parse_args(argv)
    if not args.listen:
        parser.error("--listen HOST:PORT is required")
    logging.basicConfig(
        level=os.environ.get("SNAKEPIT_LOG_LEVEL", "INFO").upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return run(args, os.environ.get("SNAKEPIT_WORKER_ID") or f"remote-{os.getpid()}")


if __name__ == "__main__":
    sys.exit(main())
