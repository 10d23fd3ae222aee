"""``lane.spin.Spin``: polls a socket for at most its budget, returns what came, backs off when nothing does."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from snakepit_bridge.lane.spin import Spin

SMALL_BUDGET_S = 0.0002


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    reader, writer = socket.socketpair()
    try:
        yield reader, writer
    finally:
        reader.close()
        writer.close()


def test_a_zero_budget_never_reads(pair: tuple[socket.socket, socket.socket]) -> None:
    reader, writer = pair
    writer.sendall(b"waiting")
    spin = Spin(0.0)
    view = memoryview(bytearray(16))

    assert spin.recv_into(reader, view) == -1
    assert bytes(view) == bytes(16)  # the data stays in the socket for the blocking read
    reader.setblocking(False)
    assert reader.recv(16) == b"waiting"


def test_data_already_sent_is_read_into_the_view(pair: tuple[socket.socket, socket.socket]) -> None:
    reader, writer = pair
    writer.sendall(b"frame bytes")
    spin = Spin(1.0)
    view = memoryview(bytearray(64))

    assert spin.recv_into(reader, view) == len(b"frame bytes")
    assert bytes(view[: len(b"frame bytes")]) == b"frame bytes"
    assert (spin.backoff, spin.skipping) == (0, 0)  # an answer in time keeps it polling


def test_a_read_into_a_slice_fills_that_slice(pair: tuple[socket.socket, socket.socket]) -> None:
    reader, writer = pair
    writer.sendall(b"tail")
    buffer = bytearray(b"head" + bytes(12))

    assert Spin(1.0).recv_into(reader, memoryview(buffer)[4:]) == 4
    assert bytes(buffer[:8]) == b"headtail"


def test_end_of_stream_is_returned_at_once(pair: tuple[socket.socket, socket.socket]) -> None:
    reader, writer = pair
    writer.close()

    assert Spin(1.0).recv_into(reader, memoryview(bytearray(8))) == 0  # EOF: the caller raises EOFError


def test_nothing_within_the_budget_returns_minus_one_then_backs_off_then_polls_again(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    reader, writer = pair
    spin = Spin(SMALL_BUDGET_S)
    view = memoryview(bytearray(16))

    assert spin.recv_into(reader, view) == -1
    assert (spin.backoff, spin.skipping) == (1, 1)  # backing off for the next read

    assert spin.recv_into(reader, view) == -1  # skipped: no polling while backing off
    assert spin.skipping == 0
    assert spin.recv_into(reader, view) == -1  # polled again, found nothing: backs off longer
    assert (spin.backoff, spin.skipping) == (2, 2)

    gaps = []
    for _ in range(12):  # each poll that finds nothing doubles the reads skipped, up to 64
        skipped = 0
        while spin.skipping:
            assert spin.recv_into(reader, view) == -1
            skipped += 1
        gaps.append(skipped)
        assert spin.recv_into(reader, view) == -1
    assert gaps[:7] == [2, 4, 8, 16, 32, 64, 64]
    while spin.skipping:
        assert spin.recv_into(reader, view) == -1

    writer.sendall(b"late")
    assert spin.recv_into(reader, view) == 4  # polling again: what has come is read
    assert bytes(view[:4]) == b"late"
    assert (spin.backoff, spin.skipping) == (0, 0)  # and an answer in time ends the back-off


def test_data_that_comes_while_backing_off_is_left_for_the_blocking_read(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    reader, writer = pair
    spin = Spin(SMALL_BUDGET_S)
    view = memoryview(bytearray(16))
    assert spin.recv_into(reader, view) == -1

    writer.sendall(b"next")
    assert spin.recv_into(reader, view) == -1  # backing off: does not touch the socket
    assert reader.recv(16) == b"next"
