"""Snakepit-compatible serialization: graceful JSON for odd objects, and ``TypeSerializer``.

Graceful serialization (also what tool results use): an object JSON cannot hold is converted by
its ``model_dump()``, ``to_dict()`` or ``_asdict()``, then ``tolist()`` (skipped above
``SNAKEPIT_TOLIST_MAX_ELEMENTS`` elements, default 1,000,000), then ``isoformat()``; failing all,
it becomes a marker ``{"__ffi_unserializable__": true, "__type__": "module.Class"}`` instead of
failing the call. ``SNAKEPIT_UNSERIALIZABLE_DETAIL`` adds ``__repr__`` to the marker:

- ``none`` (default): no detail;
- ``type``: ``<unserializable module.Class>``;
- ``repr_truncated``: the repr, cut to ``SNAKEPIT_UNSERIALIZABLE_REPR_MAXLEN`` (default 500, at most 2000);
- ``repr_redacted_truncated``: the same, with bearer tokens, ``sk-`` keys and password-like fields masked.

Importing this module imports neither protobuf nor numpy; ``TypeSerializer`` loads them on use.
"""

from ._graceful import (
    BINARY_THRESHOLD,
    REPR_KEY,
    TYPE_KEY,
    UNSERIALIZABLE_KEY,
    GracefulJSONEncoder,
    graceful_default,
    unserializable_marker,
)
from ._type_serializer import TypeSerializer

__all__ = [
    "BINARY_THRESHOLD",
    "REPR_KEY",
    "TYPE_KEY",
    "UNSERIALIZABLE_KEY",
    "GracefulJSONEncoder",
    "TypeSerializer",
    "graceful_default",
    "unserializable_marker",
]
