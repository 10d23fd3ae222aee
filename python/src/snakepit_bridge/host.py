"""The worker's client to the host (kept as an import path; the code lives in ``wire.host``)."""

from .wire.host import TOKEN_METADATA_KEY, HostClient

__all__ = ["TOKEN_METADATA_KEY", "HostClient"]
