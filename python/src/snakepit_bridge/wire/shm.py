"""Shared-memory hand-off of large bytes (``SNAKEPIT_SHM_DIR``): arguments read from, results written to files."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .metadata import SHM_ARGUMENT_PREFIX, SHM_RESULT_KEY, SHM_RESULTS_KEY

if TYPE_CHECKING:
    import asyncio
else:
    from .._lazy import asyncio  # imported on first use: sync tools never need it

__all__ = ["SharedMemory", "read_file", "write_file", "write_result"]

log = logging.getLogger(__name__)

SHM_INLINE_IO_BYTES = 8 * 1024 * 1024  # larger hand-off files are read and written off the event loop


def read_file(path: str, length: int) -> bytes:
    """The first ``length`` bytes of a file, read into one new ``bytes`` object (one copy)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.pread(fd, length, 0)
        if len(data) == length:
            return data
        parts = [data]
        got = len(data)
        while got < length:
            chunk = os.pread(fd, length - got, got)
            if not chunk:
                raise OSError(f"{path} ended after {got} of {length} bytes")
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)
    finally:
        os.close(fd)


def write_file(path: str, data: bytes) -> None:
    """Write ``data`` at the start of a file (created owner-only if new; a longer old tail is left as is)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        view = memoryview(data)
        offset = 0
        while offset < len(view):
            offset += os.pwrite(fd, view[offset:], offset)
    finally:
        os.close(fd)


_fallback_logged = False


def write_result(path: str, data: bytes) -> bool:
    """Write a bytes result into the hand-off file the host offered; False when it does not fit.

    /dev/shm full (a container's 64 MB default) or gone: the file is emptied again, the bytes travel
    in the message instead (any transport), and the first such fall-back is logged.
    """
    global _fallback_logged
    try:
        write_file(path, data)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.truncate(path, 0)
        if not _fallback_logged:
            _fallback_logged = True
            log.warning(
                "shared-memory hand-off of a %d-byte result failed (%s); sending results inside messages "
                "instead (logged once)",
                len(data),
                exc,
            )
        return False
    return True


class SharedMemory:
    """The hand-off directory offered by the host; file names come from request metadata."""

    def __init__(self, directory: str, max_message_bytes: int) -> None:
        self.directory = directory
        self.max_message_bytes = max_message_bytes

    @staticmethod
    def wanted(metadata: Mapping[str, str]) -> bool:
        """Whether the request hands any argument off through a file."""
        return any(key.startswith(SHM_ARGUMENT_PREFIX) for key in metadata)

    def path(self, name: str) -> str:
        if not name or "/" in name or name in (".", ".."):
            raise ValueError(f"bad shared-memory file name {name!r}")
        return os.path.join(self.directory, name)

    async def arguments(self, binary: Mapping[str, bytes], metadata: Mapping[str, str]) -> dict[str, bytes]:
        """The bytes arguments, with those the host handed off (``<file>:<length>``) read in."""
        merged = dict(binary)
        for key, value in metadata.items():
            if key.startswith(SHM_ARGUMENT_PREFIX):
                name, _, length_text = value.rpartition(":")
                path = self.path(name)
                length = int(length_text)
                if length < SHM_INLINE_IO_BYTES:
                    data = read_file(path, length)
                else:
                    data = await asyncio.to_thread(read_file, path, length)
                merged[key[len(SHM_ARGUMENT_PREFIX) :]] = data
        return merged

    async def share_result(self, binary: bytes, metadata: Mapping[str, str], response_metadata: Any) -> bool:
        """Write a large bytes result into the file the host offered (``<threshold>:<file>``); True if done."""
        threshold_text, _, name = metadata.get(SHM_RESULTS_KEY, "").partition(":")
        try:
            threshold = int(threshold_text)
        except ValueError:
            return False
        if not name or not threshold <= len(binary) <= self.max_message_bytes:
            return False
        path = self.path(name)
        if len(binary) < SHM_INLINE_IO_BYTES:
            written = write_result(path, binary)
        else:
            written = await asyncio.to_thread(write_result, path, binary)
        if not written:
            return False
        response_metadata[SHM_RESULT_KEY] = f"{name}:{len(binary)}"
        return True
