"""The raw Unix-socket floor: length-prefixed frames over a Unix-domain socket, nothing else.

``python socket_floor.py /path/to.sock``. A request is one op byte and an 8-byte little-endian
length, then the payload; a reply is an 8-byte length, then the payload.
``E`` echo the payload; ``U`` receive it, reply its size; ``D`` the length is a size: reply that
many bytes; ``S`` the payload is count and size (8 bytes each): reply count frames of size bytes.
Receive buffers are reused (already touched), so this is the floor, not a typical program.
"""

from __future__ import annotations

import os
import socket
import struct
import sys
import threading

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from snakepit_bench import blob, exit_on_stdin_eof, ready

HEADER = struct.Struct("<cQ")
LENGTH = struct.Struct("<Q")


def recv_exact(conn: socket.socket, view: memoryview) -> None:
    got = 0
    while got < len(view):
        n = conn.recv_into(view[got:])
        if n == 0:
            raise EOFError
        got += n


def serve(conn: socket.socket) -> None:
    header = bytearray(HEADER.size)
    header_view = memoryview(header)
    buffer = bytearray(64 * 1024)
    try:
        while True:
            recv_exact(conn, header_view)
            op, length = HEADER.unpack(header)
            if op in (b"E", b"U", b"S"):
                if len(buffer) < length:
                    buffer = bytearray(length)
                payload = memoryview(buffer)[:length]
                recv_exact(conn, payload)
            if op == b"E":
                if length <= 4096:
                    conn.sendall(LENGTH.pack(length) + payload)
                else:
                    conn.sendall(LENGTH.pack(length))
                    conn.sendall(payload)
            elif op == b"U":
                conn.sendall(LENGTH.pack(8) + LENGTH.pack(length))
            elif op == b"D":
                conn.sendall(LENGTH.pack(length))
                conn.sendall(blob(length))
            elif op == b"S":
                count, size = struct.unpack("<QQ", payload[:16])
                frame = LENGTH.pack(size) + blob(size)
                batch = frame * 256
                while count >= 256:
                    conn.sendall(batch)
                    count -= 256
                if count:
                    conn.sendall(frame * count)
            else:
                raise ValueError(f"unknown op {op!r}")
    except (EOFError, ConnectionError):
        pass
    finally:
        conn.close()


def main(path: str) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(path)
        listener.listen(64)
        ready("unix:" + path)
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    exit_on_stdin_eof()
    main(sys.argv[1])
