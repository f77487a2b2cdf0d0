"""A local Socket Mode endpoint: Slack's WebSocket side, for slack_sdk's builtin client.

    with FakeSlack() as slack, FakeSocketMode() as socket:
        slack.socket_url = socket.url          # what apps.connections.open answers
        ...connect a SocketModeHandler with an xapp- token...
        envelope_id = socket.send_interactive(payload)
        socket.wait_for_ack(envelope_id)

The protocol as Slack documents it (docs.slack.dev, "Using Socket Mode"): after the
WebSocket handshake Slack sends ``{"type": "hello", ...}``; each event arrives as an
envelope ``{"envelope_id", "type": "interactive" | "events_api" | "slash_commands",
"payload", "accepts_response_payload"}`` and the app acknowledges it by sending
``{"envelope_id": ..., "payload"?: ...}`` back. Frames are RFC 6455: the server's
unmasked, the client's masked; pings are answered with pongs.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
from typing import Any

__all__ = ["FakeSocketMode"]

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA


def _frame(opcode: int, data: bytes) -> bytes:
    head = bytes([0x80 | opcode])
    n = len(data)
    if n < 126:
        head += bytes([n])
    elif n < 1 << 16:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + data


def _read_exact(conn: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = conn.recv(n - len(out))
        if not chunk:
            raise ConnectionError("closed")
        out += chunk
    return out


def _read_frame(conn: socket.socket) -> tuple[int, bytes]:
    b0, b1 = _read_exact(conn, 2)
    opcode, masked, n = b0 & 0x0F, b1 & 0x80, b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", _read_exact(conn, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", _read_exact(conn, 8))[0]
    if not masked:
        raise ConnectionError("client frames must be masked (RFC 6455 5.1)")
    mask = _read_exact(conn, 4)
    data = bytes(b ^ mask[i % 4] for i, b in enumerate(_read_exact(conn, n)))
    return opcode, data


class FakeSocketMode:
    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._conns: list[socket.socket] = []
        self._listener: socket.socket | None = None

    def __enter__(self) -> FakeSocketMode:
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            for conn in self._conns:
                conn.close()

    @property
    def url(self) -> str:
        assert self._listener is not None
        return f"ws://127.0.0.1:{self._listener.getsockname()[1]}/link/?ticket=fake-ticket"

    # ------------------------------------------------------------------ the wire
    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        headers = dict(
            line.split(": ", 1) for line in request.decode().split("\r\n")[1:] if ": " in line
        )
        key = {k.lower(): v for k, v in headers.items()}.get("sec-websocket-key", "")
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        conn.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "applink-fake", "build_number": 1,
                           "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A0FIRSTRE"},
        }
        with self._lock:
            self._conns.append(conn)
            self.connections += 1
        self._send(conn, _TEXT, json.dumps(hello).encode())
        try:
            while True:
                opcode, data = _read_frame(conn)
                if opcode == _PING:
                    self._send(conn, _PONG, data)
                elif opcode == _TEXT:
                    with self._lock:
                        self.acks.append(json.loads(data))
                elif opcode == _CLOSE:
                    return
        except (ConnectionError, OSError):
            return

    def _send(self, conn: socket.socket, opcode: int, data: bytes) -> None:
        with self._lock:
            conn.sendall(_frame(opcode, data))

    # ------------------------------------------------------------------ the test's side
    def wait_connected(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not self._conns:
            if time.monotonic() > deadline:
                raise AssertionError("no Socket Mode client connected")
            time.sleep(0.01)

    def send_interactive(self, payload: dict[str, Any], envelope_id: str | None = None) -> str:
        """Deliver an ``interactive`` envelope (a button click, a modal submission)."""
        envelope_id = envelope_id or f"env-{next(self._ids):04d}"
        envelope = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": "interactive",
            "accepts_response_payload": payload.get("type") == "view_submission",
        }
        with self._lock:
            conn = self._conns[-1]
        self._send(conn, _TEXT, json.dumps(envelope).encode())
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = [a for a in self.acks if a.get("envelope_id") == envelope_id]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"envelope {envelope_id} never acknowledged")
            time.sleep(0.01)
