"""``python -m snakepit_bridge.lane``: run a lane worker."""

from .worker import main

main()
