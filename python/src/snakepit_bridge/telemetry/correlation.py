"""Correlation ids (Snakepit API): the current call's ``correlation_id``, or one set explicitly."""

from __future__ import annotations

import contextvars
import logging
import os
from collections.abc import Iterable

from .._current import CURRENT

__all__ = [
    "CORRELATION_HEADER",
    "correlation_filter",
    "get_correlation_id",
    "new_correlation_id",
    "outgoing_metadata",
    "reset_correlation_id",
    "set_correlation_id",
]

CORRELATION_HEADER = "x-snakepit-correlation-id"
"""gRPC metadata key carrying the correlation id on calls made from Python (``outgoing_metadata``)."""

_EXPLICIT: contextvars.ContextVar[str | None] = contextvars.ContextVar("snakepit_correlation_id", default=None)


def new_correlation_id() -> str:
    """A fresh random correlation id (32 hex digits: a random UUID, as ``uuid.uuid4().hex``)."""
    # Built by hand: importing uuid (and the platform module it pulls in) costs every worker start.
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return raw.hex()


def set_correlation_id(value: str) -> contextvars.Token:
    """Use ``value`` as the correlation id in this task or thread; returns the token for ``reset_correlation_id``."""
    return _EXPLICIT.set(value)


def reset_correlation_id(token: contextvars.Token | None) -> None:
    """Undo a ``set_correlation_id`` (``None`` is ignored)."""
    if token is not None:
        _EXPLICIT.reset(token)


def get_correlation_id(default: str | None = None) -> str | None:
    """The explicitly set correlation id, else the current call's (from the host), else ``default``."""
    value = _EXPLICIT.get()
    if value is not None:
        return value
    call = CURRENT.get()
    if call is not None and call.correlation_id:
        return call.correlation_id
    return default


def outgoing_metadata(initial: Iterable[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """``initial`` gRPC metadata plus ``(CORRELATION_HEADER, id)`` when there is a correlation id."""
    metadata = list(initial) if initial else []
    correlation_id = get_correlation_id()
    if correlation_id:
        metadata.append((CORRELATION_HEADER, correlation_id))
    return metadata


class _CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "correlation_id", ""):
            record.correlation_id = get_correlation_id("-")
        return True


def correlation_filter() -> logging.Filter:
    """A logging filter that sets ``record.correlation_id`` (``-`` when there is none)."""
    return _CorrelationFilter()
