"""Modules imported on first use.

``asyncio`` costs tens of milliseconds to import (it pulls in ``ssl``, ``subprocess``, ``inspect``
and more), and a lane worker that serves sync tools never needs it: every worker start would pay it
for nothing. Modules on that path write ``from .._lazy import asyncio`` (under ``TYPE_CHECKING`` the
real import, for type checkers) and use ``asyncio.X`` as before; the first attribute read imports
the real module. ``tests/test_structure.py`` checks the lane worker starts without it.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

__all__ = ["LazyModule", "asyncio", "futures", "random"]


class LazyModule:
    """Stands for module ``name``: reading an attribute imports the module (once) and reads it there."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        # Looked up on every read rather than cached here, so a test that patches the real module
        # is seen through this stand-in too.
        module = sys.modules.get(self._name) or importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


asyncio: Any = LazyModule("asyncio")
# The tool thread pool (only workers that run tools in threads need it) and telemetry sampling.
futures: Any = LazyModule("concurrent.futures")
random: Any = LazyModule("random")
