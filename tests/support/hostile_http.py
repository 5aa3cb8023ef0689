"""Hostile HTTP servers on 127.0.0.1 for tests: an endless body, a byte every 2 s, a huge error,
an endless gzip body (a few KiB a second on the wire, megabytes decoded).

Each one runs in daemon threads of the test process and is bounded: a connection ends after
`max_seconds` or `max_bytes`, whichever comes first, and `close()` stops everything.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Behaviour:
    """What the server answers to every request."""

    kind: str  # "endless" | "drip" | "huge_error" | "declared_huge" | "gzip_bomb"
    max_seconds: float = 30.0
    max_bytes: int = 4 * 1024**3


def _head(status: str, extra: str) -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}Connection: close\r\n\r\n"
    ).encode()


def _chunked(payload: bytes) -> bytes:
    return f"{len(payload):x}\r\n".encode() + payload + b"\r\n"


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        behaviour = self.server.behaviour
        self.server.connections += 1
        sock: socket.socket = self.request
        sock.settimeout(5)
        with contextlib.suppress(OSError):
            sock.recv(65536)  # the request; its content does not matter
            for piece in _answer(behaviour):
                if self.server.stopping.is_set():
                    return
                sock.sendall(piece)


def _answer(behaviour: Behaviour) -> Iterator[bytes]:
    end = time.monotonic() + behaviour.max_seconds
    sent = 0
    if behaviour.kind == "declared_huge":
        yield _head("200 OK", f"Content-Length: {100 * 1024**3}\r\n")
        behaviour = Behaviour("endless-raw", behaviour.max_seconds, behaviour.max_bytes)
    elif behaviour.kind == "gzip_bomb":
        yield _head("200 OK", "Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")
        deflate = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        spaces = b" " * (16 * CHUNK)  # 1 MiB decoded, ~1 KiB sent
        while time.monotonic() < end and sent < behaviour.max_bytes:
            piece = deflate.compress(spaces) + deflate.flush(zlib.Z_SYNC_FLUSH)
            yield _chunked(piece)
            sent += len(spaces)
        return
    elif behaviour.kind == "drip":
        yield _head("200 OK", "Content-Length: 100000\r\n")
        while time.monotonic() < end:
            yield b" "
            time.sleep(2.0)
        return
    else:
        status = "500 Internal Server Error" if behaviour.kind == "huge_error" else "200 OK"
        yield _head(status, "Transfer-Encoding: chunked\r\n")
    block = (b'[{"x": "' + b"A" * (CHUNK - 16) + b'"},')[:CHUNK]
    if behaviour.kind == "huge_error":
        block = (b"Traceback [/bold] line\n" * (CHUNK // 23 + 1))[:CHUNK]
    raw = behaviour.kind == "endless-raw"
    while time.monotonic() < end and sent < behaviour.max_bytes:
        yield block if raw else _chunked(block)
        sent += len(block)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, behaviour: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behaviour = behaviour
        self.connections = 0
        self.stopping = threading.Event()


class HostileServer:
    """`with HostileServer(Behaviour("endless")) as server: ... server.url ...`"""

    def __init__(self, behaviour: Behaviour) -> None:
        self._server = _Server(behaviour)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def connections(self) -> int:
        return self._server.connections

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
