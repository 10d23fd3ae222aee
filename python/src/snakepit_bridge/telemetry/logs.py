"""Log records of a worker: call context on every record, and the ``@snakepit:log`` JSON line format."""

from __future__ import annotations

import json
import logging
from typing import Any

from .._current import CURRENT

__all__ = ["LOG_MARKER", "PLAIN_FORMAT", "CallContextFilter", "JsonLogFormatter", "log_formatter"]

LOG_MARKER = "@snakepit:log "
"""Prefix of a structured log line on stderr; the rest of the line is one JSON object."""


class CallContextFilter(logging.Filter):
    """Adds ``correlation_id``, ``tool`` and ``call_tag`` (`` cid=<id>`` or "") from the current call."""

    def filter(self, record: logging.LogRecord) -> bool:
        call = CURRENT.get()
        correlation_id = call.correlation_id if call is not None else ""
        record.correlation_id = correlation_id
        record.tool = call.tool_name if call is not None else ""
        record.call_tag = f" cid={correlation_id}" if correlation_id else ""
        return True


class JsonLogFormatter(logging.Formatter):
    """One line per record: ``@snakepit:log`` then a JSON object (level, logger, message, ...)."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": record.created,
            "level": record.levelname,
            "levelno": record.levelno,
            "logger": record.name,
            "message": record.getMessage(),
            "thread": record.threadName,
        }
        for key in ("worker_id", "correlation_id", "tool"):
            value = getattr(record, key, "")
            if value:
                document[key] = value
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            document["exception"] = record.exc_text
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return LOG_MARKER + json.dumps(document, ensure_ascii=False, default=str)


PLAIN_FORMAT = "%(asctime)s %(levelname)s [%(worker_id)s%(call_tag)s] %(name)s: %(message)s"


def log_formatter(kind: str) -> logging.Formatter:
    """``JsonLogFormatter`` for ``kind == "json"`` (set by the Java host), else the plain text format."""
    if kind.lower() == "json":
        return JsonLogFormatter()
    return logging.Formatter(PLAIN_FORMAT)
