"""Bluesky in real time: Jetstream's JSON stream of new posts, filtered to the brands.

``JetstreamStream.run(on_page)`` holds a WebSocket to Jetstream's ``/subscribe`` with
``wantedCollections=app.bsky.feed.post`` (every new post on the network; Jetstream
cannot filter by who is mentioned, so the brands' filter runs here: a post that tags,
answers or quotes a brand account, names a handle, or has every word of a query) and
hands each brand post to ``on_page`` as a one-post ``Page`` whose ``newest_id`` is the
event's ``time_us``. ``on_alive`` is called about once a second with the newest
``time_us`` read, matched or not, so the cursor keeps up with a quiet filter.

Resuming: the stored cursor (a ``time_us``, stored only after the post at it was) is
sent as ``cursor`` less ``rewind_seconds`` (Jetstream replays from there; the overlap
is stored once), at start and after every disconnect: nothing published while away is
lost. Reconnects back off exponentially with jitter (``base * 2**n``, capped at
``cap``); after ``down_after`` failed connects in a row it logs an error and keeps trying
once per ``cap`` (Jetstream comes back; polling, which runs beside it regardless, covers
the gap), or, with ``max_attempts``, ends ``run`` with ``SourceUnavailable``.

This speaks Jetstream's v1 wire (``/subscribe``, ``time_us``), which the public
instances serve; the atproto SDK's own Jetstream client speaks only the newer
``network.bsky.jetstream.subscribeEvents`` wire, hence ``websockets`` here.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from atproto_core.exceptions import AtProtocolError
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from listener.bluesky.mapping import POST_COLLECTION, SOURCE, BrandContext, PostInput
from listener.bluesky.profiles import ProfileCache
from listener.bluesky.sources import page_of
from listener.config import Secrets, Settings
from listener.errors import SourceUnavailable
from listener.ports import Clock, CursorRepo, Page, RateLimit
from listener.streaming import Backoff, OnAlive, OnPage, StorePage, StreamService

__all__ = ["JetstreamStream", "build_stream_service"]

log = logging.getLogger(__name__)

def later_us(new: str, old: str | None) -> bool:
    if not new.isdigit():
        return False
    return old is None or not old.isdigit() or int(new) > int(old)


class JetstreamStream:
    """The connection loop; also the ``SourceInfo`` its pages are stored under."""

    network = SOURCE
    kind = "stream"
    rate_limit: RateLimit | None = None

    def __init__(
        self,
        *,
        url: str,
        contexts: Sequence[BrandContext],
        profiles: ProfileCache,
        clock: Clock,
        name: str = "bsky-stream",
        rewind_seconds: float = 2.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        down_after: int = 8,
        max_attempts: int | None = None,
        open_timeout: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self._url = url
        self._contexts = list(contexts)
        self._profiles = profiles
        self._clock = clock
        self.name = name
        self._rewind_us = int(rewind_seconds * 1_000_000)
        self._backoff = Backoff(backoff_base, backoff_cap, rng or random.Random())
        self._down_after = down_after
        self._max_attempts = max_attempts
        self._open_timeout = open_timeout
        self._stop = threading.Event()
        self._ws: ClientConnection | None = None
        self._resolved = False
        #: The newest ``time_us`` read (the next connect's cursor).
        self.last_time_us: int | None = None
        self.connects = 0

    def read_cost(self, posts: int) -> float:
        return 0.0

    def cursor_advances(self, new: str, old: str | None) -> bool:
        return later_us(new, old)

    def subscribe_url(self) -> str:
        params: list[tuple[str, str]] = [("wantedCollections", POST_COLLECTION)]
        if self.last_time_us is not None:
            params.append(("cursor", str(max(0, self.last_time_us - self._rewind_us))))
        return f"{self._url}?{urlencode(params)}"

    def stop(self) -> None:
        """Ask ``run`` to return; safe from any thread."""
        self._stop.set()
        ws = self._ws
        if ws is not None:
            ws.close()

    def run(self, on_page: OnPage, *, cursor: str | None = None,
            on_alive: OnAlive | None = None) -> None:
        self.last_time_us = int(cursor) if cursor is not None and cursor.isdigit() else None
        failures = 0
        while not self._stop.is_set():
            try:
                self._resolve_brands()
                with connect(self.subscribe_url(), open_timeout=self._open_timeout,
                             close_timeout=1.0, max_size=2**22) as ws:
                    self._ws = ws
                    self.connects += 1
                    failures = 0
                    log.info("%s: connected (cursor %s)", self.name, self.last_time_us)
                    self._read(ws, on_page, on_alive)
            except (OSError, InvalidHandshake, InvalidURI, TimeoutError,
                    ConnectionClosed) as exc:
                if self._stop.is_set():
                    break
                failures += 1
                log.warning("%s: disconnected: %s", self.name, exc)
            except AtProtocolError as exc:  # the brands' DIDs could not be resolved yet
                failures += 1
                log.warning("%s: cannot resolve the brand accounts yet: %s", self.name, exc)
            finally:
                self._ws = None
            if self._stop.is_set():
                break
            if self._max_attempts is not None and failures > self._max_attempts:
                raise SourceUnavailable(self.name, f"{failures - 1} reconnects failed")
            if failures == self._down_after:
                log.error("%s: %d connects failed in a row; trying once every %.0fs, "
                          "polling goes on", self.name, failures, self._backoff.cap)
            delay = self._backoff.delay(failures)
            log.info("%s: reconnecting in %.1fs", self.name, delay)
            self._stop.wait(delay)

    def _read(self, ws: ClientConnection, on_page: OnPage,
              on_alive: OnAlive | None) -> None:
        last_alive = time.monotonic()
        while not self._stop.is_set():
            try:
                message = ws.recv(timeout=0.5)
            except TimeoutError:
                message = None
            if message is not None:
                self._handle(message, on_page)
            now = time.monotonic()
            if on_alive is not None and now - last_alive >= 1.0:
                last_alive = now
                on_alive(str(self.last_time_us) if self.last_time_us is not None else None)

    def _resolve_brands(self) -> None:
        """The brand accounts' DIDs, for the mention, reply and quote filter (once)."""
        if self._resolved:
            return
        handles = sorted({h for c in self._contexts for h in c.handles})
        found = self._profiles.profiles(handles) if handles else {}
        by_handle = {p.handle: p.did for p in found.values()}
        self._contexts = [c.with_dids(by_handle[h] for h in c.handles if h in by_handle)
                          for c in self._contexts]
        self._resolved = True

    def _handle(self, message: str | bytes, on_page: OnPage) -> None:
        try:
            event = json.loads(message)
        except ValueError:
            log.warning("%s: skipping a frame that is not JSON: %r", self.name, message[:200])
            return
        if not isinstance(event, dict) or not isinstance(event.get("time_us"), int):
            return
        time_us: int = event["time_us"]
        commit = event.get("commit")
        if (event.get("kind") == "commit" and isinstance(commit, Mapping)
                and commit.get("operation") == "create"
                and commit.get("collection") == POST_COLLECTION
                and isinstance(commit.get("record"), Mapping)
                and isinstance(event.get("did"), str)):
            did: str = event["did"]
            ctx = next((c for c in self._contexts if c.concerns(did, commit["record"])), None)
            if ctx is not None:
                on_page(self._page(event, commit, ctx, did, time_us))
        if self.last_time_us is None or time_us > self.last_time_us:
            self.last_time_us = time_us

    def _page(self, event: Mapping[str, Any], commit: Mapping[str, Any], ctx: BrandContext,
              did: str, time_us: int) -> Page:
        try:
            profile = self._profiles.profiles([did]).get(did)
        except AtProtocolError as exc:  # keep the post; its author's details wait
            log.warning("%s: no profile for %s: %s", self.name, did, exc)
            profile = None
        post = PostInput(
            uri=f"at://{did}/{POST_COLLECTION}/{commit.get('rkey', '')}",
            cid=str(commit.get("cid") or ""), did=did,
            handle=profile.handle if profile else "",
            display_name=profile.display_name if profile else "",
            followers=profile.followers if profile else 0,
            record=commit["record"],
        )
        return page_of([(event, post)], ctx=ctx, found_by=self.name,
                       received_at=self._clock.now(), read=1, newest=str(time_us))


def build_stream_service(settings: Settings, secrets: Secrets, *, clock: Clock,
                         store_page: StorePage, cursors: CursorRepo) -> StreamService:
    """Jetstream as a runtime service: its own thread, its pages stored through the
    poller under its cursor (also moved on by the newest event read, matched or not)."""
    from listener.bluesky.network import brand_context, client_for

    cfg = settings.bluesky
    profiles = ProfileCache(client_for(settings, secrets), clock=clock,
                            ttl=timedelta(minutes=cfg.profile_cache_minutes))
    stream = JetstreamStream(
        url=cfg.jetstream_url, profiles=profiles, clock=clock,
        contexts=[brand_context(b) for b in settings.brands
                  if b.bluesky.handles or b.bluesky.queries],
    )
    return StreamService(stream=stream, store_page=store_page, cursor=cursors.get_cursor,
                         name="Bluesky Jetstream", alive_every=5.0)
