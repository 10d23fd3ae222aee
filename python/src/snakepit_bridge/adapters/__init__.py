"""Adapters shipped with ``snakepit_bridge``: ``showcase`` (every bridge feature, and Snakepit's showcase
tools), ``threaded_showcase`` (a thread-safe adapter) and ``template`` (Snakepit's starting point)."""

from .template import TemplateAdapter

__all__ = ["TemplateAdapter"]
