"""Full-archive search for backfills: ``GET /2/tweets/counts/all`` and ``/search/all``.

X allows one full-archive request per second and a fixed number per 15-minute window.
Requests are paced at least ``min_interval`` apart; a 429 (or a response that spends the
window's last request) waits for ``x-rate-limit-reset``, or a whole window when the
header is missing, then the same page is asked for again. Pages are yielded with the
token that fetched them, so a backfill can checkpoint and resume mid-query.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
import tweepy

from listener.config import Secrets, Settings, XPrices
from listener.errors import RateLimited
from listener.x.pricing import read_price
from listener.x.sources import EXPANSIONS, TWEET_FIELDS, USER_FIELDS, translate_error

__all__ = ["ArchivePage", "ArchiveSearch"]

log = logging.getLogger(__name__)

SOURCE = "archive"
WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True, slots=True)
class ArchivePage:
    """One response body, the token that fetched it (None: the first page) and the next."""

    payload: Mapping[str, Any]
    token: str | None
    next_token: str | None


class ArchiveSearch:
    """Counts and pages of a full-archive query through tweepy's ``Paginator``."""

    def __init__(
        self,
        *,
        client: tweepy.Client,
        min_interval: float = 1.0,
        max_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        prices: XPrices | None = None,
    ) -> None:
        self._client = client
        #: USD per post read (full-archive search is billed as search).
        self.read_price = read_price(prices or XPrices.model_validate({}), "search")
        self._min_interval = min_interval
        self._max_retries = max_retries
        self._sleep = sleep
        self._monotonic = monotonic
        self._wall = wall
        self._last: float | None = None
        self._resume_at: float | None = None
        #: Requests made, for tests and the cost line.
        self.requests = 0

    @classmethod
    def from_settings(cls, settings: Settings, secrets: Secrets) -> ArchiveSearch:
        """The app-only client of ``settings``, billed at ``x.prices``."""
        from listener.x.client import build_app_client

        return cls(client=build_app_client(settings, secrets), prices=settings.x.prices)

    def _paced(self, method: Callable[..., Any]) -> Callable[..., Any]:
        # ``wraps`` keeps ``__name__``: the Paginator picks ``next_token`` by method name.
        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            if self._resume_at is not None:
                self._wait(self._resume_at - self._wall(), "window spent")
                self._resume_at = None
            if self._last is not None:
                gap = self._min_interval - (self._monotonic() - self._last)
                if gap > 0:
                    self._sleep(gap)
            self._last = self._monotonic()
            self.requests += 1
            response = method(*args, **kwargs)
            if isinstance(response, requests.Response):
                self._note_headers(response)
            return response

        return call

    def _note_headers(self, response: requests.Response) -> None:
        h = response.headers
        if h.get("x-rate-limit-remaining") == "0" and h.get("x-rate-limit-reset", "").isdigit():
            self._resume_at = float(h["x-rate-limit-reset"]) + 1

    def _wait(self, seconds: float, why: str) -> None:
        seconds = min(max(seconds, 0.0), WINDOW_SECONDS + 5.0)
        if seconds > 0:
            log.info("full-archive search: %s, waiting %.0f s", why, seconds)
            self._sleep(seconds)

    def _pages(
        self, method: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Iterator[tuple[dict[str, Any], str | None, str | None]]:
        it = iter(tweepy.Paginator(self._paced(method), *args, **kwargs))
        retries = 0
        while True:
            token = getattr(it, "next_token", None)
            try:
                response = next(it)
                payload = response.json() if isinstance(response, requests.Response) else response
            except StopIteration:
                return
            except tweepy.TooManyRequests as exc:
                retries += 1
                err = translate_error(exc, SOURCE)
                if retries > self._max_retries:
                    raise err from exc
                reset = err.reset_at if isinstance(err, RateLimited) else None
                wait = reset.timestamp() - self._wall() + 1 if reset else WINDOW_SECONDS
                self._wait(wait, "rate limited (429)")
                continue
            except (tweepy.TweepyException, requests.RequestException) as exc:
                raise translate_error(exc, SOURCE) from exc
            retries = 0
            yield payload, token, getattr(it, "next_token", None)

    def count(self, query: str, start: datetime, end: datetime) -> int:
        """Posts matching ``query`` in ``[start, end)``, from ``/2/tweets/counts/all``."""
        total = 0
        for payload, _, _ in self._pages(
            self._client.get_all_tweets_count,
            query,
            start_time=_utc(start),
            end_time=_utc(end),
            granularity="day",
        ):
            meta = payload.get("meta") or {}
            if "total_tweet_count" in meta:
                total += int(meta["total_tweet_count"])
            else:
                total += sum(int(b.get("tweet_count", 0)) for b in payload.get("data") or [])
        return total

    def pages(
        self,
        query: str,
        start: datetime,
        end: datetime,
        *,
        token: str | None = None,
        max_results: int = 500,
    ) -> Iterator[ArchivePage]:
        """Pages of ``query`` in ``[start, end)``, newest first, from ``token`` if given."""
        for payload, used, nxt in self._pages(
            self._client.search_all_tweets,
            query,
            start_time=_utc(start),
            end_time=_utc(end),
            max_results=max_results,
            expansions=EXPANSIONS,
            tweet_fields=TWEET_FIELDS,
            user_fields=USER_FIELDS,
            pagination_token=token,
        ):
            yield ArchivePage(payload, used, nxt)


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
