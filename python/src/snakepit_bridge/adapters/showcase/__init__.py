"""The showcase adapter: one tool per bridge feature, plus Snakepit 0.13's showcase tool set.

``snakepit_bridge.adapters.showcase.ShowcaseAdapter`` (ours, used by the CLI demo) and
``snakepit_bridge.adapters.showcase.showcase_adapter.ShowcaseAdapter`` (Snakepit's path) are the same class.
"""

from .showcase import ShowcaseAdapter, ShowcaseError

__all__ = ["ShowcaseAdapter", "ShowcaseError"]
