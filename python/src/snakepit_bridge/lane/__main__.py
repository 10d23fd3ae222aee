"""``python -m snakepit_bridge.lane ...``: the worker with ``--transport lane``."""

import sys

from ..worker.main import main

main([*sys.argv[1:], "--transport", "lane"])
