"""``python -m snakepit_bridge.zygote``: run a worker template."""

from __future__ import annotations

from .template import main

if __name__ == "__main__":
    main()
