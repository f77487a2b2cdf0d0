"""The filtered stream (optional, ``settings.x.stream``): rule sync, reconnects, catch-up.

``FilteredStream.sync_rules()`` makes the stream's rules equal to the configured queries
(one rule per query, tagged with its brand). ``run(on_page)`` holds the connection and
hands every post to ``on_page`` as a one-post ``Page`` (``Poller.store_page`` fits).

A dropped connection (or 30 s without even a keep-alive) is reconnected with exponential
backoff and jitter, ``base * 2**n`` capped at ``cap``; ``max_attempts`` failed connects
in a row end ``run`` with ``SourceUnavailable``; 401/403 end it with ``AuthFailed``. After
every reconnect (and at start when ``since_id`` is given) the ``catch_up`` sources
(recent search for the same queries) are polled from the newest post seen, so posts
published while disconnected are not lost; storing is idempotent, so overlap is harmless.

tweepy's own ``StreamingClient.filter`` sleeps between retries with no jitter and no
catch-up hook, so the connection loop is ours; the rules go through tweepy, and the
connection through the StreamingClient's session (with the base-URL adapter).
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import requests
import tweepy

from listener.config import Secrets, Settings, XPrices
from listener.errors import AuthFailed, FirstReplyError, SourceError, SourceUnavailable
from listener.ports import Clock, MentionSource, Page, RateLimit
from listener.streaming import Backoff, OnAlive, StorePage, StreamService
from listener.x.client import TWEEPY_HOST, build_app_client, build_streaming_client
from listener.x.mapping import SOURCE, BrandContext, map_page
from listener.x.pricing import read_price
from listener.x.sources import (
    EXPANSIONS,
    TWEET_FIELDS,
    USER_FIELDS,
    RecentSearchSource,
    brand_context,
    newer_id,
    translate_error,
)

__all__ = [
    "FilteredStream",
    "StreamRule",
    "build_stream",
    "rules_from_settings",
    "stream_service",
]

log = logging.getLogger(__name__)

STREAM_PATH = "/2/tweets/search/stream"


@dataclass(frozen=True, slots=True)
class StreamRule:
    value: str
    tag: str


def rules_from_settings(settings: Settings) -> list[StreamRule]:
    """One rule per configured query, tagged with the brand's name."""
    return [StreamRule(q, brand.name) for brand in settings.brands for q in brand.queries]


class FilteredStream:
    """The stream's connection loop; it is also the ``SourceInfo`` its pages are stored
    under (cursor, health, cost)."""

    network = SOURCE
    kind = "stream"
    rate_limit: RateLimit | None = None

    def __init__(
        self,
        *,
        client: tweepy.StreamingClient,
        rules: Sequence[StreamRule],
        contexts: Mapping[str, BrandContext],
        clock: Clock,
        catch_up: Sequence[MentionSource] = (),
        name: str = "stream",
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        max_attempts: int = 8,
        read_timeout: float = 30.0,
        rng: random.Random | None = None,
        prices: XPrices | None = None,
    ) -> None:
        """``contexts`` maps a rule tag (brand name) to that brand's ``BrandContext``."""
        self._client = client
        self._rules = list(rules)
        self._contexts = dict(contexts)
        self._clock = clock
        self._catch_up = list(catch_up)
        self.name = name
        self._backoff = Backoff(backoff_base, backoff_cap, rng or random.Random())
        self._max_attempts = max_attempts
        self._read_timeout = read_timeout
        self._stop = threading.Event()
        self._on_alive: OnAlive | None = None
        self._response: requests.Response | None = None
        #: The newest post id handed to ``on_page`` (the catch-up's ``since_id``).
        self.last_seen_id: str | None = None
        self.connects = 0
        self.catch_ups = 0
        self._prices = prices or XPrices.model_validate({})

    def read_cost(self, posts: int) -> float:
        return posts * read_price(self._prices, self.kind)

    def cursor_advances(self, new: str, old: str | None) -> bool:
        return newer_id(new, old)

    # ------------------------------------------------------------ rules
    def sync_rules(self) -> tuple[int, int]:
        """Add missing rules and delete stale ones; return (added, deleted)."""
        try:
            current = self._client.get_rules().json().get("data") or []
            wanted = {(r.value, r.tag) for r in self._rules}
            have = {(r["value"], r.get("tag", "")): r["id"] for r in current}
            stale = [rid for key, rid in have.items() if key not in wanted]
            missing = [r for r in self._rules if (r.value, r.tag) not in have]
            if stale:
                self._client.delete_rules(stale)
            if missing:
                self._client.add_rules([tweepy.StreamRule(r.value, tag=r.tag) for r in missing])
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise translate_error(exc, self.name) from exc
        log.info("stream rules synced: %d added, %d deleted", len(missing), len(stale))
        return len(missing), len(stale)

    # ------------------------------------------------------------ connection
    def stop(self) -> None:
        """Ask ``run`` to return; safe from any thread."""
        self._stop.set()
        response = self._response
        if response is not None:
            response.close()

    def run(
        self,
        on_page: Callable[[Page], object],
        *,
        cursor: str | None = None,
        on_alive: OnAlive | None = None,
    ) -> None:
        """Stream until ``stop()``, from the post id ``cursor``; see the module docstring
        for failures.

        ``on_alive`` is called on every keep-alive X sends (a quiet stream is not a
        stalled one); X's keep-alives carry no cursor.
        """
        self._on_alive = on_alive
        self.last_seen_id = cursor
        failures = 0
        catch_up = cursor is not None
        while not self._stop.is_set():
            try:
                if self._connect_and_read(on_page, catch_up):
                    failures = 0  # it was connected: the next drop starts a fresh backoff
                else:
                    failures += 1
            except AuthFailed:
                raise
            except (SourceError, requests.RequestException) as exc:
                log.warning("%s: disconnected: %s", self.name, exc)
                failures += 1
            if self._stop.is_set():
                break
            if failures > self._max_attempts:
                raise SourceUnavailable(self.name, f"{failures - 1} reconnects failed")
            catch_up = True
            delay = self._backoff.delay(failures)
            log.info("%s: reconnecting in %.1fs", self.name, delay)
            self._stop.wait(delay)

    def _connect_and_read(self, on_page: Callable[[Page], object], catch_up: bool) -> bool:
        """One connection; True if it was established (then dropped or stopped)."""
        params = {
            "expansions": ",".join(EXPANSIONS),
            "tweet.fields": ",".join(TWEET_FIELDS),
            "user.fields": ",".join(USER_FIELDS),
        }
        response = self._client.session.get(
            TWEEPY_HOST + STREAM_PATH,
            params=params,
            headers={"Authorization": f"Bearer {self._client.bearer_token}"},
            stream=True,
            timeout=(10.0, self._read_timeout),
        )
        self._response = response
        with response:
            if response.status_code in (401, 403):
                raise AuthFailed(
                    self.name,
                    f"X refused the stream (HTTP {response.status_code}): check X_BEARER_TOKEN "
                    "and that the app's tier includes the filtered stream",
                )
            if response.status_code != 200:
                log.warning("%s: HTTP %s: %s", self.name, response.status_code, response.text[:200])
                return False
            self.connects += 1
            if catch_up:
                self._run_catch_up(on_page)
            try:
                for line in response.iter_lines():
                    if self._stop.is_set():
                        break
                    if line:
                        self._handle_line(line, on_page)
                    elif self._on_alive is not None:  # empty lines are X's keep-alives
                        self._on_alive(None)
            except requests.RequestException as exc:
                if not self._stop.is_set():
                    log.warning("%s: stream dropped: %s", self.name, exc)
            except AttributeError:  # urllib3 after close() from stop(): nothing to read
                if not self._stop.is_set():
                    raise
        self._response = None
        return True

    def _handle_line(self, line: bytes, on_page: Callable[[Page], object]) -> None:
        try:
            payload = json.loads(line)
        except ValueError:
            log.warning("%s: skipping a line that is not JSON: %r", self.name, line[:200])
            return
        if "data" not in payload:
            log.warning("%s: stream message without data: %s", self.name, payload)
            return
        tags = [r.get("tag", "") for r in payload.get("matching_rules") or []]
        ctx = next((self._contexts[t] for t in tags if t in self._contexts), None)
        if ctx is None:
            ctx = next(iter(self._contexts.values()), BrandContext(brand=""))
        tid = str(payload["data"].get("id", ""))
        page = map_page(payload, ctx=ctx, found_by=self.name, received_at=self._clock.now(),
                        newest_id=tid if tid.isdigit() else None)
        on_page(page)
        if newer_id(tid, self.last_seen_id):
            self.last_seen_id = tid

    def _run_catch_up(self, on_page: Callable[[Page], object]) -> None:
        """Recent search from the newest post seen: what was published while away."""
        self.catch_ups += 1
        since = self.last_seen_id
        newest = since
        for source in self._catch_up:
            for page in source.poll(since):
                on_page(page)
                for m in page.mentions:
                    if newer_id(m.id, newest):
                        newest = m.id
        self.last_seen_id = newest
        log.info("%s: caught up from %s to %s", self.name, since, newest)


def stream_service(
    stream: FilteredStream,
    *,
    store_page: StorePage,
    cursor: Callable[[str], str | None],
) -> StreamService:
    """The filtered stream as a runtime service: rules synced at start (a tier without
    the stream is refused there, with what to do), then the stream in its own thread."""

    def sync() -> None:
        try:
            stream.sync_rules()
        except AuthFailed as exc:
            raise FirstReplyError(
                f"{exc}. The filtered stream needs an X tier that includes it: set "
                "x.stream = false to poll recent search instead"
            ) from None

    return StreamService(stream=stream, store_page=store_page, cursor=cursor,
                         name="filtered stream", alive_every=60.0, prepare=sync)


def build_stream(
    settings: Settings,
    secrets: Secrets,
    *,
    clock: Clock,
    client: tweepy.Client | None = None,
    streaming_client: tweepy.StreamingClient | None = None,
    backoff_base: float = 1.0,
) -> FilteredStream:
    """The stream for every brand's queries, catching up through recent search.

    ``firstreply run`` runs it as a service (``listener.x.network``)::

        stream = build_stream(settings, secrets, clock=clock)
        stream_service(stream, store_page=poller.store_page, cursor=store.get_cursor)
    """
    app = client or build_app_client(settings, secrets)
    catch_up = [
        RecentSearchSource(
            client=app,
            ctx=brand_context(brand),
            query=" OR ".join(f"({q})" for q in brand.queries),
            clock=clock,
            name=f"stream:{brand.name}",
            max_results=max(10, settings.x.max_results),
            prices=settings.x.prices,
        )
        for brand in settings.brands
        if brand.queries
    ]
    return FilteredStream(
        client=streaming_client or build_streaming_client(settings, secrets),
        rules=rules_from_settings(settings),
        contexts={brand.name: brand_context(brand) for brand in settings.brands},
        clock=clock,
        catch_up=catch_up,
        backoff_base=backoff_base,
        prices=settings.x.prices,
    )
