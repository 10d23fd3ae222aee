"""Snakepit-compatible logging set-up: ``configure_logging()`` and ``get_logger(name)``.

Inside a worker the log is already configured (stderr, worker id, call context, JSON lines for the
Java host), so ``configure_logging()`` only adds what is missing; in a plain script it sets up
stderr logging at ``SNAKEPIT_LOG_LEVEL`` (debug, info, warning, error, none; default error).
"""

from __future__ import annotations

import logging
import os
import sys

__all__ = ["configure_logging", "get_logger"]

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
    "none": logging.CRITICAL + 1,
}

FORMAT = "%(asctime)s - [%(threadName)s] - %(name)s - %(levelname)s - [corr=%(correlation_id)s] %(message)s"


class _DefaultCorrelationId(logging.Filter):
    """Gives every record a ``correlation_id`` (the current call's, or ``-``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "correlation_id", ""):
            from ._current import CURRENT

            call = CURRENT.get()
            record.correlation_id = (call.correlation_id if call is not None else "") or "-"
        return True


def configure_logging(force: bool = False) -> None:
    """Log to stderr at ``SNAKEPIT_LOG_LEVEL`` (default ``error``); ``force`` replaces existing handlers.

    A worker's own handlers are kept unless ``force`` is true (they carry the worker id and the
    format the Java host reads).
    """
    name = os.environ.get("SNAKEPIT_LOG_LEVEL", "error").strip().lower()
    level = _LEVELS.get(name, logging.ERROR)
    logging.disable(logging.CRITICAL if name == "none" else logging.NOTSET)
    root = logging.getLogger()
    if force or not root.handlers:
        logging.basicConfig(level=level, format=FORMAT, stream=sys.stderr, force=force)
    for handler in root.handlers:
        if not any(isinstance(f, _DefaultCorrelationId) for f in handler.filters):
            handler.addFilter(_DefaultCorrelationId())
    logging.getLogger("grpc").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)


def get_logger(name: str) -> logging.Logger:
    """A logger in the ``snakepit`` namespace: ``snakepit_bridge.x`` becomes ``snakepit.bridge.x``,
    other names ``snakepit.<name>`` (names already under ``snakepit.`` are kept)."""
    if name.startswith("snakepit."):
        return logging.getLogger(name)
    if name.startswith("snakepit_bridge."):
        return logging.getLogger("snakepit.bridge." + name[len("snakepit_bridge.") :])
    return logging.getLogger(f"snakepit.{name}")
