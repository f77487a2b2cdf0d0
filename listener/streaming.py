"""A network's real-time stream as a runtime service, and the reconnect backoff it uses.

Each network owns its connection loop (X's filtered stream over HTTP, Bluesky's
Jetstream over a WebSocket); what they share lives here once: the thread the stream
runs in, how its pages reach the poller under the stream's own cursor, how a quiet
stream still shows it is alive, and how long to wait before reconnecting.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from listener.errors import SourceError
from listener.ports import Page, SourceInfo

__all__ = ["Backoff", "Stream", "StreamService"]

log = logging.getLogger(__name__)

OnPage = Callable[[Page], object]
#: Called while connected, matched posts or not, with the newest cursor read (or None
#: when the network's keep-alive carries none).
OnAlive = Callable[[str | None], object]


@dataclass(slots=True)
class Backoff:
    """Exponential backoff with jitter: ``base * 2**(failures-1)``, capped at ``cap``,
    then scaled into [0.5, 1.0) so many clients do not reconnect in step."""

    base: float = 1.0
    cap: float = 60.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, failures: int) -> float:
        return min(self.cap, self.base * 2.0 ** max(failures - 1, 0)) * self.rng.uniform(0.5, 1.0)


class Stream(SourceInfo, Protocol):
    """A connection loop that hands each brand post to ``on_page`` until ``stop()``."""

    def run(self, on_page: OnPage, *, cursor: str | None = None,
            on_alive: OnAlive | None = None) -> None: ...

    def stop(self) -> None: ...


class StorePage(Protocol):
    def __call__(self, source: SourceInfo, page: Page) -> object: ...


class StreamService:
    """The stream in a thread of its own, its pages stored through the poller.

    ``prepare`` runs in ``start`` before the thread (X syncs its stream rules there, so
    a tier without the stream is refused at start). A stream that gives up
    (``SourceError``) is logged and ends its thread; polling goes on beside it.
    """

    def __init__(
        self,
        *,
        stream: Stream,
        store_page: StorePage,
        cursor: Callable[[str], str | None],
        name: str,
        alive_every: float,
        prepare: Callable[[], object] | None = None,
    ) -> None:
        self.stream = stream
        self.name = name
        self._store_page = store_page
        self._cursor = cursor
        self._alive_every = alive_every
        self._prepare = prepare
        self._last_alive = 0.0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._prepare is not None:
            self._prepare()
        since = self._cursor(self.stream.name)
        self._thread = threading.Thread(target=self._run, args=(since,),
                                        name=self.stream.name, daemon=True)
        self._thread.start()

    def _run(self, since: str | None) -> None:
        try:
            self.stream.run(lambda page: self._store_page(self.stream, page), cursor=since,
                            on_alive=self._alive)
        except SourceError as exc:
            log.error("%s stopped: %s (polling goes on)", self.name, exc)

    def _alive(self, newest: str | None) -> None:
        # An empty page records the stream as healthy (and moves its cursor to what was
        # read), throttled: keep-alives can arrive every second.
        now = time.monotonic()
        if now - self._last_alive >= self._alive_every:
            self._last_alive = now
            self._store_page(self.stream, Page(mentions=(), newest_id=newest, read=0))

    def stop(self) -> None:
        self.stream.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
