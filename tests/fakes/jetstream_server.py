"""A local Jetstream (v1 wire: ``/subscribe``) on 127.0.0.1, replaying a ``FakeNetwork``.

Events are Jetstream's JSON, one per text frame::

    {"did": "did:plc:...", "time_us": 1725911162329308, "kind": "commit",
     "commit": {"rev": "...", "operation": "create", "collection": "app.bsky.feed.post",
                "rkey": "3l3qo2vutsw2b", "record": {...}, "cid": "bafyrei..."}}

Query parameters honoured: ``wantedCollections`` (repeatable), ``wantedDids``
(repeatable) and ``cursor`` (a ``time_us``: replay every stored event at or after it,
then go live; none: live only). ``disconnect()`` drops every socket (as a Jetstream
restart does); ``connections`` records each handshake's query.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tests.fakes.bsky_network import FakeNetwork

__all__ = ["FakeJetstream"]

_STOP = object()


class FakeJetstream:
    def __init__(self, network: FakeNetwork) -> None:
        self.network = network
        self.connections: list[dict[str, list[str]]] = []
        self._queues: list[queue.Queue[object]] = []
        self._sockets: list[ServerConnection] = []
        self._lock = threading.Lock()
        self._server: Server | None = None
        network.subscribe(self._publish)

    def start(self) -> FakeJetstream:
        self._server = serve(self._serve, "127.0.0.1", 0)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.disconnect()
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    def __enter__(self) -> FakeJetstream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/subscribe"

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._queues)

    def disconnect(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
            for q in self._queues:
                q.put(_STOP)
        for ws in sockets:
            ws.close()

    def _publish(self, event: dict[str, Any]) -> None:
        with self._lock:
            for q in self._queues:
                q.put(event)

    def _serve(self, ws: ServerConnection) -> None:
        request = ws.request
        if request is None or urlsplit(request.path).path != "/subscribe":
            ws.close(1008, "not found")
            return
        params = parse_qs(urlsplit(request.path).query)
        wanted = set(params.get("wantedCollections", []))
        dids = set(params.get("wantedDids", []))

        def keep(event: dict[str, Any]) -> bool:
            if dids and event.get("did") not in dids:
                return False
            commit = event.get("commit") or {}
            return not wanted or event.get("kind") != "commit" or commit.get(
                "collection") in wanted

        live: queue.Queue[object] = queue.Queue()
        with self.network.lock:  # replay and go live with no gap and no repeat
            cursor = params.get("cursor", [None])[0]
            backlog = [] if cursor is None else [
                e for e in self.network.events if e["time_us"] >= int(cursor)]
            with self._lock:
                self.connections.append(params)
                self._queues.append(live)
                self._sockets.append(ws)
        try:
            for event in backlog:
                if keep(event):
                    ws.send(json.dumps(event))
            while True:
                try:
                    item = live.get(timeout=0.05)
                except queue.Empty:
                    with contextlib.suppress(TimeoutError):  # a client gone: ConnectionClosed
                        ws.recv(timeout=0)
                    continue
                if item is _STOP:
                    break
                assert isinstance(item, dict)
                if keep(item):
                    ws.send(json.dumps(item))
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._queues.remove(live)
                self._sockets.remove(ws)
