"""Streaming calls on a lane connection: generators and async generators sent as CHUNK frames under credit."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from .._lazy import asyncio  # imported on first use: a sync generator never needs it
from ..errors import check_payload_size
from ..runtime.invoker import exit_error, is_iterator_result
from ..wire.values import StreamChunk, encode_chunk
from . import frames as f

if TYPE_CHECKING:
    from .calls import _Call

__all__ = ["StreamHandling"]

log = logging.getLogger("snakepit_bridge.lane")

STREAM_BATCH = 64  # chunks of a fast generator coalesced into one write
SLOW_STEP_S = 0.00005  # a generator step slower than this flushes what is buffered before the next
_DONE = object()
_CHUNK_KINDS = {"application/json": f.CHUNK_JSON, "text/plain": f.CHUNK_TEXT, "application/octet-stream": f.CHUNK_BYTES}


class _AsyncBatch:
    """CHUNK frames of an async generator not written yet, and whether a flush is scheduled on the loop."""

    __slots__ = ("count", "frames", "scheduled")

    def __init__(self) -> None:
        self.frames = bytearray()
        self.count = 0
        self.scheduled = False


class StreamHandling:
    """The streaming half of ``CallHandling`` (``LaneConnection`` provides sending and the call table)."""

    # Provided by CallHandling / LaneConnection.
    closed: bool
    max_message_bytes: int
    invoker: Any
    _setter: Any

    if TYPE_CHECKING:

        def send(self, frame_type: int, call_id: int, payload: bytes | bytearray = b"", flags: int = 0) -> None: ...
        def send_raw(self, data: bytes | bytearray) -> None: ...
        def _fail(self, call: _Call, exc: BaseException, stream: bool) -> None: ...
        def _done(self, call: _Call) -> None: ...

    def _chunk_frame(self, call_id: int, item: Any) -> bytes:
        is_final = False
        extra = None
        if isinstance(item, StreamChunk):
            is_final = bool(item.is_final)
            extra = item.metadata
            item = item.data
        elif isinstance(item, dict) and item.get("is_final") is True:
            is_final = True
        data, content_type = encode_chunk(item)
        check_payload_size("stream item", len(data), self.max_message_bytes)
        flags = (f.F_FINAL if is_final else 0) | _CHUNK_KINDS.get(content_type, f.CHUNK_BYTES)
        if extra:
            meta = json.dumps({str(k): str(v) for k, v in extra.items()}).encode()
            data = f.U32.pack(len(meta)) + meta + data
            flags |= f.F_META
        return f.HEADER.pack(len(data) + f.MIN_LENGTH, f.CHUNK, flags, 0, call_id) + data

    def _stream_sync(self, call: _Call, func: Any, kwargs: dict[str, Any]) -> None:
        iterator = None
        batch = bytearray()
        scope = self.invoker.scope(call.ctx)
        scope.__enter__()
        try:
            if self._setter is not None:
                self._setter(call.ctx)
            result = func(**kwargs)
            iterator = iter(result) if is_iterator_result(result) else iter([result])
            batched = 0
            final_sent = False
            cond = call.cond
            assert cond is not None
            step_started = time.perf_counter()
            while True:
                if batch and (batched >= STREAM_BATCH or call.credit == 0):
                    self.send_raw(batch)
                    batch = bytearray()
                    batched = 0
                if call.credit == 0:
                    with cond:
                        while call.credit == 0 and not call.cancelled and not self.closed:
                            cond.wait()
                if call.cancelled or self.closed:
                    return
                item = next(iterator, _DONE)
                now = time.perf_counter()
                slow = now - step_started > SLOW_STEP_S
                step_started = now
                if item is _DONE:
                    break
                frame = self._chunk_frame(call.call_id, item)
                call.credit -= 1
                batch += frame
                batched += 1
                if frame[5] & f.F_FINAL:
                    final_sent = True
                    break
                if slow:
                    self.send_raw(batch)
                    batch = bytearray()
                    batched = 0
            if not final_sent:
                batch += f.HEADER.pack(f.MIN_LENGTH, f.CHUNK, f.F_FINAL, 0, call.call_id)
            self.send_raw(batch)
        except Exception as exc:
            self._flush_then_fail(call, batch, exc)
        except (SystemExit, KeyboardInterrupt) as exc:
            self._flush_then_fail(call, batch, exit_error(call.ctx.tool_name, exc))
        finally:
            if iterator is not None and hasattr(iterator, "close"):
                with contextlib.suppress(Exception):
                    iterator.close()
            scope.__exit__(None, None, None)
            self._done(call)

    def _flush_then_fail(self, call: _Call, batch: bytearray, exc: BaseException) -> None:
        # Chunks yielded before the generator raised may still be batched: they go first, then the error.
        if batch and not self.closed:
            self.send_raw(batch)
        self._fail(call, exc, True)

    async def _stream_async(self, call: _Call, arguments: dict[str, Any]) -> None:
        event = call.loop_event
        assert event is not None
        batch = _AsyncBatch()
        loop = asyncio.get_running_loop()

        def flush() -> None:
            # Runs when the generator's task yields to the loop (or the batch is full): chunks of a
            # generator that produces without waiting share a write; one that waits sends at once.
            batch.scheduled = False
            if batch.frames and not self.closed and not call.cancelled:
                self.send_raw(batch.frames)
            batch.frames = bytearray()
            batch.count = 0

        try:
            with self.invoker.scope(call.ctx):
                final_sent = False
                async with contextlib.aclosing(self.invoker.stream(call.ctx, arguments)) as items:
                    async for item in items:
                        while call.credit <= 0 and not call.cancelled:
                            flush()
                            event.clear()
                            await event.wait()
                        if call.cancelled:
                            return
                        frame = self._chunk_frame(call.call_id, item)
                        call.credit -= 1
                        batch.frames += frame
                        batch.count += 1
                        if frame[5] & f.F_FINAL:
                            final_sent = True
                            break
                        if batch.count >= STREAM_BATCH:
                            flush()
                        elif not batch.scheduled:
                            batch.scheduled = True
                            loop.call_soon(flush)
                if not final_sent:
                    batch.frames += f.HEADER.pack(f.MIN_LENGTH, f.CHUNK, f.F_FINAL, 0, call.call_id)
                flush()
        except asyncio.CancelledError:
            log.info("stream %s cancelled", call.ctx.tool_name)
        except Exception as exc:
            flush()  # chunks yielded before the generator raised go first, then the error
            self._fail(call, exc, True)
