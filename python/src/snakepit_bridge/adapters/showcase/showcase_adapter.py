"""Snakepit's import path of the showcase adapter (the same class as ``adapters.showcase.ShowcaseAdapter``)."""

from .showcase import ShowcaseAdapter

__all__ = ["ShowcaseAdapter"]
