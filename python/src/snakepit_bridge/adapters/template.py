"""``TemplateAdapter``: Snakepit's starting point for a hand-written adapter (a template, not a
working adapter: it has no tools). Copy it, rename the class, and add ``@tool`` methods (or an
``execute_tool`` method) with your logic."""

from __future__ import annotations

from typing import Any

from snakepit_bridge.logging_config import get_logger

__all__ = ["TemplateAdapter"]

log = get_logger(__name__)


class TemplateAdapter:
    """The minimal adapter shape: lifecycle hooks, the session-context hook and ``get_info``."""

    def __init__(self) -> None:
        self.session_context: Any = None
        self.initialized = False

    def set_session_context(self, session_context: Any) -> None:
        """Receives each call's context (kept on the instance, as Snakepit adapters do)."""
        self.session_context = session_context

    async def initialize(self) -> None:
        """Set-up: load models, open connections."""
        self.initialized = True
        log.info("TemplateAdapter initialized")

    async def cleanup(self) -> None:
        """Tear-down: release what ``initialize`` acquired."""
        self.initialized = False

    def get_info(self) -> dict[str, Any]:
        """What this adapter is (``template: True``: it does nothing yet)."""
        return {"adapter": "TemplateAdapter", "version": "0.1.0", "template": True, "initialized": self.initialized}
