"""``ZeroCopyRef``: a handle describing data shared out of band (DLPack, Arrow), as Snakepit defines it.

The handle travels as its payload dict (marked ``__snakepit_zero_copy__``); this bridge carries it
as ordinary JSON and does not map memory itself.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ZERO_COPY_MARKER", "ZeroCopyRef"]

ZERO_COPY_MARKER = "__snakepit_zero_copy__"


class ZeroCopyRef:
    """A zero-copy handle: ``kind``, ``device``, ``dtype``, ``shape``, ``owner``, ``ref``, ``copy``,
    ``bytes`` and ``metadata`` read from its payload."""

    __slots__ = ("bytes", "copy", "device", "dtype", "kind", "metadata", "owner", "payload", "ref", "shape")

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        for key in ("kind", "device", "dtype", "shape", "owner", "ref", "copy", "bytes"):
            setattr(self, key, payload.get(key))
        self.metadata = payload.get("metadata", {})

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ZeroCopyRef:
        """The handle described by ``payload``."""
        return cls(payload)

    def to_payload(self) -> dict[str, Any]:
        """A copy of the payload (what travels on the wire)."""
        return dict(self.payload)

    def __repr__(self) -> str:
        return f"<ZeroCopyRef kind={self.kind} device={self.device} ref={self.ref}>"
