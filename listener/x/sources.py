"""Mention sources on X: the owned mentions timeline and recent-search queries.

Both implement ``listener.ports.MentionSource`` with tweepy's ``Paginator``: every page is
yielded as soon as it is read (the ``Poller`` stores it), ``Page.newest_id`` is the first
page's ``meta.newest_id`` (the next ``since_id``), or the largest post id on it when X
(or a proxy) leaves ``meta.newest_id`` out, and tweepy's exceptions become
``listener.errors``:

    TooManyRequests                          -> RateLimited(reset_at from x-rate-limit-reset)
    Unauthorized, Forbidden                  -> AuthFailed
    TwitterServerError, timeouts, conn. errs -> SourceUnavailable
    BadRequest, NotFound, other HTTP errors  -> SourceError
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import tweepy

from listener.config import BrandSettings, Secrets, Settings, XPrices
from listener.errors import AuthFailed, RateLimited, SourceError, SourceUnavailable
from listener.ports import Clock, MentionSource, Page, RateLimit
from listener.x.client import build_app_client
from listener.x.mapping import SOURCE, BrandContext, map_page
from listener.x.pricing import read_price

__all__ = [
    "EXPANSIONS",
    "TWEET_FIELDS",
    "USER_FIELDS",
    "MentionsTimelineSource",
    "RecentSearchSource",
    "build_sources",
    "newer_id",
    "translate_error",
]

log = logging.getLogger(__name__)

EXPANSIONS = ["author_id", "referenced_tweets.id", "entities.mentions.username"]
TWEET_FIELDS = [
    "created_at",
    "conversation_id",
    "lang",
    "public_metrics",
    "note_tweet",
    "referenced_tweets",
    "entities",
    "author_id",
]
USER_FIELDS = ["public_metrics", "verified_type", "username", "name"]


def translate_error(exc: Exception, source: str) -> SourceError:
    """tweepy / requests exception -> the ``listener.errors`` the poller acts on."""
    if isinstance(exc, tweepy.TooManyRequests):
        reset = exc.reset_time
        return RateLimited(source, datetime.fromtimestamp(reset, UTC) if reset else None)
    if isinstance(exc, tweepy.Unauthorized | tweepy.Forbidden):
        detail = "; ".join(str(m) for m in exc.api_messages) or str(exc)
        what = "bearer token" if isinstance(exc, tweepy.Unauthorized) else "app's access level"
        return AuthFailed(
            source,
            f"X refused the credentials (HTTP {exc.response.status_code}: {detail}). "
            f"Check X_BEARER_TOKEN and the {what} in the X developer portal, then restart.",
        )
    if isinstance(exc, tweepy.TwitterServerError):
        return SourceUnavailable(source, f"X server error HTTP {exc.response.status_code}")
    if isinstance(exc, requests.RequestException):
        return SourceUnavailable(source, _unreachable(exc))
    if isinstance(exc, tweepy.HTTPException):
        detail = "; ".join(str(m) for m in exc.api_messages) or str(exc)
        return SourceError(
            source, f"X refused the request (HTTP {exc.response.status_code}): {detail}"
        )
    return SourceError(source, f"{type(exc).__name__}: {exc}")


def _unreachable(exc: requests.RequestException) -> str:
    """One line an operator can act on, not urllib3's page about the URL it tried."""
    url = urlsplit(str(exc.request.url)) if exc.request is not None and exc.request.url else None
    where = f" at {url.scheme}://{url.netloc}" if url is not None else ""
    if isinstance(exc, requests.Timeout):
        return f"X did not answer in time{where} ({type(exc).__name__})"
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        why = next((w for w in ("Connection refused", "Name or service not known",
                                "Temporary failure in name resolution", "Network is unreachable",
                                "Connection reset") if w in text), type(exc).__name__)
        return f"cannot reach X{where}: {why}"
    return f"{type(exc).__name__}: {exc}"


def newer_id(new: str, old: str | None) -> bool:
    """X post ids are decimal snowflakes that grow with time: ``new`` must be one, and
    larger than ``old``."""
    if not new.isdigit():
        return False
    return old is None or not old.isdigit() or int(new) > int(old)


def _largest_id(payload: dict[str, Any]) -> str | None:
    data = payload.get("data")
    ids = [str(t.get("id", "")) for t in data if isinstance(t, dict)] if isinstance(
        data, list) else []
    return max((i for i in ids if i.isdigit()), key=int, default=None)


def _rate_info(response: requests.Response) -> RateLimit | None:
    h = response.headers
    try:
        return RateLimit(
            limit=int(h["x-rate-limit-limit"]),
            remaining=int(h["x-rate-limit-remaining"]),
            reset_at=datetime.fromtimestamp(int(h["x-rate-limit-reset"]), UTC),
        )
    except (KeyError, ValueError):
        return None


def _since_id_refused(exc: tweepy.BadRequest) -> bool:
    for error in exc.api_errors:
        if isinstance(error, dict) and "since_id" in (error.get("parameters") or {}):
            return True
    return False


class _PagedSource:
    """Shared paging, mapping and error translation; subclasses pick the endpoint."""

    #: "owned" (mentions timeline) or "search": X bills them at different prices.
    kind = "search"
    network = SOURCE

    def __init__(
        self,
        *,
        client: tweepy.Client,
        ctx: BrandContext,
        name: str,
        clock: Clock,
        max_results: int = 100,
        max_pages: int | None = None,
        prices: XPrices | None = None,
    ) -> None:
        self._client = client
        self._ctx = ctx
        self._name = name
        self._clock = clock
        self._max_results = max_results
        self._max_pages = max_pages
        self._prices = prices or XPrices.model_validate({})
        #: The x-rate-limit-* headers of the last response (``SourceInfo.rate_limit``).
        self.rate_limit: RateLimit | None = None

    @property
    def name(self) -> str:
        return self._name

    def read_cost(self, posts: int) -> float:
        return posts * read_price(self._prices, self.kind)

    def cursor_advances(self, new: str, old: str | None) -> bool:
        return newer_id(new, old)

    def _method(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        raise NotImplementedError

    def poll(self, since_id: str | None) -> Iterator[Page]:
        try:
            method, args = self._method()
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise translate_error(exc, self._name) from exc
        params: dict[str, Any] = {
            "max_results": self._max_results,
            "expansions": EXPANSIONS,
            "tweet_fields": TWEET_FIELDS,
            "user_fields": USER_FIELDS,
        }
        if since_id is not None:
            params["since_id"] = since_id
        if self._max_pages is not None:
            params["limit"] = self._max_pages
        pages = iter(tweepy.Paginator(method, *args, **params))
        newest: str | None = None
        first = True
        while True:
            try:
                response = next(pages)
                payload = response.json()
            except StopIteration:
                return
            except tweepy.BadRequest as exc:
                if not (first and since_id is not None and _since_id_refused(exc)):
                    raise translate_error(exc, self._name) from exc
                # Recent search refuses a since_id older than its 7-day window (after a
                # long outage): read the whole window instead; storing is idempotent.
                log.warning(
                    "%s: X refused since_id %s as too old; reading the full window",
                    self._name,
                    since_id,
                )
                yield from self.poll(None)
                return
            except (tweepy.TweepyException, requests.RequestException) as exc:
                raise translate_error(exc, self._name) from exc
            except ValueError as exc:  # a 200 whose body is not JSON: a broken proxy
                raise SourceUnavailable(self._name, f"response is not JSON: {exc}") from exc
            except (AttributeError, TypeError) as exc:
                # JSON but not an object (``null``, a list): tweepy's Paginator trips on
                # it reading ``meta``. Retry later like any broken response.
                raise SourceUnavailable(self._name, f"response is not X's JSON: {exc}") from exc
            if not isinstance(payload, dict):  # JSON, but not X's envelope: a broken proxy
                raise SourceUnavailable(self._name, f"response is a JSON {type(payload).__name__}")
            first = False
            self.rate_limit = _rate_info(response) or self.rate_limit
            meta = payload.get("meta")
            if newest is None:
                # X sends a string; never store a number, nor a cursor it would refuse.
                said = str(meta.get("newest_id", "")) if isinstance(meta, dict) else ""
                newest = said if said.isdigit() else _largest_id(payload)
            yield map_page(
                payload,
                ctx=self._ctx,
                found_by=self._name,
                received_at=self._clock.now(),
                newest_id=newest,
            )


class MentionsTimelineSource(_PagedSource):
    """``GET /2/users/:id/mentions`` for one brand handle: the cheapest source, and the
    only posts the API lets the brand reply to."""

    kind = "owned"

    def __init__(
        self,
        *,
        client: tweepy.Client,
        ctx: BrandContext,
        handle: str,
        clock: Clock,
        user_id: str | None = None,
        max_results: int = 100,
        max_pages: int | None = None,
        prices: XPrices | None = None,
    ) -> None:
        super().__init__(
            client=client,
            ctx=ctx,
            name=f"mentions:{handle.lstrip('@')}",
            clock=clock,
            max_results=max_results,
            max_pages=max_pages,
            prices=prices,
        )
        self.handle = handle.lstrip("@")
        self.user_id = user_id

    def _method(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        if self.user_id is None:
            self.user_id = self._lookup_user_id()
            self._ctx = BrandContext(
                brand=self._ctx.brand,
                handles=self._ctx.handles,
                user_ids=self._ctx.user_ids | {self.user_id},
            )
        return self._client.get_users_mentions, (self.user_id,)

    def _lookup_user_id(self) -> str:
        # Once per process; set brands[].user_ids in the config to skip it.
        response = self._client.get_user(username=self.handle)
        self.rate_limit = _rate_info(response) or self.rate_limit
        data = response.json().get("data") or {}
        if "id" not in data:
            raise SourceError(self._name, f"X has no user @{self.handle}: check brands[].handles")
        log.info("resolved @%s to X user id %s", self.handle, data["id"])
        return str(data["id"])


class RecentSearchSource(_PagedSource):
    """``GET /2/tweets/search/recent`` for one query. Posts found only this way are
    ``addresses_brand=False`` unless they tag or quote the brand: "reply manually on X"."""

    kind = "search"

    def __init__(
        self,
        *,
        client: tweepy.Client,
        ctx: BrandContext,
        query: str,
        clock: Clock,
        name: str | None = None,
        max_results: int = 100,
        max_pages: int | None = None,
        prices: XPrices | None = None,
    ) -> None:
        digest = hashlib.sha1(query.encode(), usedforsecurity=False).hexdigest()[:10]
        super().__init__(
            client=client,
            ctx=ctx,
            name=name or f"search:{ctx.brand}:{digest}",
            clock=clock,
            max_results=max_results,
            max_pages=max_pages,
            prices=prices,
        )
        self.query = query

    def _method(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return self._client.search_recent_tweets, (self.query,)


def brand_context(brand: BrandSettings) -> BrandContext:
    return BrandContext(
        brand=brand.name,
        handles=frozenset(brand.handles),
        user_ids=frozenset(brand.user_ids.values()),
    )


def build_sources(
    settings: Settings,
    secrets: Secrets,
    *,
    clock: Clock,
    client: tweepy.Client | None = None,
) -> list[MentionSource]:
    """One mentions-timeline source per brand handle and one search source per query.

    With ``settings.x.stream`` on, the queries are served by the filtered stream
    (``listener.x.stream``) instead of search polling. ``client`` defaults to the
    app-only client for ``settings.x.api_base_url``.
    """
    app = client or build_app_client(settings, secrets)
    out: list[MentionSource] = []
    for brand in settings.brands:
        ctx = brand_context(brand)
        lowered = {k.lower().lstrip("@"): v for k, v in brand.user_ids.items()}
        for handle in brand.handles:
            out.append(
                MentionsTimelineSource(
                    client=app,
                    ctx=ctx,
                    handle=handle,
                    clock=clock,
                    user_id=lowered.get(handle.lower().lstrip("@")),
                    max_results=settings.x.max_results,
                    prices=settings.x.prices,
                )
            )
        if not settings.x.stream:
            for query in brand.queries:
                out.append(
                    RecentSearchSource(
                        client=app,
                        ctx=ctx,
                        query=query,
                        clock=clock,
                        max_results=max(10, settings.x.max_results),
                        prices=settings.x.prices,
                    )
                )
    return out
