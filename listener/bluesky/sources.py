"""Polled Bluesky sources: the brand account's notifications and searchPosts queries.

Both are ``listener.ports.MentionSource``s; their cursor is a time (ISO 8601, UTC), and
``Page.newest_id`` of the first page is the newest time seen, stored by the poller after
the last page. Reading is free: ``read_cost`` is 0.

- ``NotificationsSource`` (``app.bsky.notification.listNotifications``, newest first)
  keeps the reasons mention, reply and quote, and pages back until it passes the stored
  ``indexedAt`` (notifications at exactly that time are read again; storing them is
  idempotent, and none is lost to a tie).
- ``SearchSource`` (``app.bsky.feed.searchPosts``, ``sort=latest``) asks for posts
  ``since`` the stored time less ``search_overlap_seconds``: the search index lags, and
  a post indexed late behind the cursor is still found; duplicates are stored once.

A first poll (no cursor yet) reads ``first_pages`` pages, not the account's history. A
poll that reaches ``max_pages`` before its cursor logs that older posts were skipped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from atproto import models
from atproto_core.exceptions import AtProtocolError

from listener.bluesky.client import BlueskyClient, source_error
from listener.bluesky.mapping import SOURCE, BrandContext, PostInput, map_post, rejected
from listener.bluesky.profiles import ProfileCache
from listener.domain import Mention, Rejected
from listener.ports import Clock, Page, RateLimit

__all__ = ["NotificationsSource", "SearchSource", "later_time", "page_of", "parse_time"]

log = logging.getLogger(__name__)

#: Notification reasons that are posts about the brand (likes, reposts, follows are not).
POST_REASONS = frozenset({"mention", "reply", "quote"})


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at.astimezone(UTC) if at.tzinfo is not None else None


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def later_time(new: str, old: str | None) -> bool:
    """``new`` is a time, and later than ``old`` (or ``old`` is none or junk)."""
    at = parse_time(new)
    if at is None:
        return False
    before = parse_time(old) if old is not None else None
    return before is None or at > before


def page_of(
    inputs: Iterable[tuple[object, PostInput | str]],
    *,
    ctx: BrandContext,
    found_by: str,
    received_at: datetime,
    read: int,
    newest: str | None,
) -> Page:
    """Mapped posts with noise removed (the brand's own posts, repeats); ``inputs`` pairs
    each raw item with its ``PostInput``, or with why it could not be read as one."""
    mentions: list[Mention] = []
    bad: list[Rejected] = []
    seen: set[str] = set()
    for raw, post in inputs:
        if isinstance(post, str):
            bad.append(rejected(raw, post, found_by=found_by, at=received_at))
            continue
        if ctx.is_brand(post.did, post.handle):
            continue
        try:
            mention = map_post(post, ctx=ctx, found_by=found_by)
        except ValueError as exc:
            bad.append(rejected(raw, str(exc), found_by=found_by, at=received_at))
            continue
        if mention.id not in seen:
            seen.add(mention.id)
            mentions.append(mention)
    return Page(mentions=mentions, rejected=bad, newest_id=newest, read=read)


def _view_input(item: object, followers: Mapping[str, int], reason: str | None = None
                ) -> PostInput | str:
    """A postView or a notification (same uri/cid/author/record/indexedAt fields)."""
    if not isinstance(item, Mapping):
        return "not a JSON object"
    author = item.get("author")
    if not isinstance(author, Mapping) or not isinstance(author.get("did"), str):
        return "author missing"
    record = item.get("record")
    if not isinstance(record, Mapping):
        return "record missing"
    viewer = item.get("viewer")
    did = author["did"]
    return PostInput(
        uri=str(item.get("uri") or ""), cid=str(item.get("cid") or ""), did=did,
        handle=str(author.get("handle") or ""), display_name=str(author.get("displayName") or ""),
        followers=followers.get(did, 0), record=record,
        indexed_at=item["indexedAt"] if isinstance(item.get("indexedAt"), str) else None,
        reply_disabled=bool(viewer.get("replyDisabled")) if isinstance(viewer, Mapping) else False,
        reason=reason,
    )


def _dids(items: Sequence[object]) -> list[str]:
    out = []
    for item in items:
        author = item.get("author") if isinstance(item, Mapping) else None
        if isinstance(author, Mapping) and isinstance(author.get("did"), str):
            out.append(author["did"])
    return out


class _PolledSource:
    network = SOURCE
    kind = "search"

    def __init__(
        self,
        *,
        client: BlueskyClient,
        profiles: ProfileCache,
        ctx: BrandContext,
        name: str,
        clock: Clock,
        page_size: int = 100,
        first_pages: int = 1,
        max_pages: int = 50,
    ) -> None:
        self._client = client
        self._profiles = profiles
        self._ctx = ctx
        self._name = name
        self._clock = clock
        self._page_size = page_size
        self._first_pages = first_pages
        self._max_pages = max_pages

    @property
    def name(self) -> str:
        return self._name

    @property
    def rate_limit(self) -> RateLimit | None:
        return self._client.rate_limit

    def read_cost(self, posts: int) -> float:
        return 0.0  # Bluesky's API is free to read

    def cursor_advances(self, new: str, old: str | None) -> bool:
        return later_time(new, old)

    def _followers(self, items: Sequence[object]) -> dict[str, int]:
        return {d: p.followers for d, p in self._profiles.profiles(_dids(items)).items()}

    def _fetch(self, params: Any, nsid: str) -> dict[str, Any]:
        try:
            return self._client.query(nsid, params)
        except AtProtocolError as exc:
            raise source_error(exc, self._name) from exc

    def _page_limit(self, since: str | None) -> int:
        return self._first_pages if since is None else self._max_pages

    def _ran_out(self, pages: int, since: str | None) -> None:
        if since is not None:
            log.warning("%s: read %d pages without reaching %s; older posts were skipped",
                        self._name, pages, since)


class NotificationsSource(_PolledSource):
    """The logged-in brand account's notifications: who tagged, answered or quoted it."""

    kind = "owned"

    def poll(self, since_id: str | None) -> Iterator[Page]:
        since = parse_time(since_id) if since_id is not None else None
        cursor: str | None = None
        newest: str | None = None
        for pages in range(1, self._page_limit(since_id) + 1):
            params = models.AppBskyNotificationListNotifications.Params(
                limit=self._page_size, cursor=cursor)
            body = self._fetch(params, "app.bsky.notification.listNotifications")
            notes = [n for n in body.get("notifications") or [] if isinstance(n, Mapping)]
            times = [parse_time(n.get("indexedAt")) for n in notes]
            if pages == 1:
                latest = max((t for t in times if t is not None), default=None)
                newest = iso(latest) if latest is not None else None
            fresh = [n for n, t in zip(notes, times, strict=True)
                     if since is None or t is None or t >= since]
            posts = [n for n in fresh if n.get("reason") in POST_REASONS]
            try:
                followers = self._followers(posts)
            except AtProtocolError as exc:
                raise source_error(exc, self._name) from exc
            yield page_of(
                ((n, _view_input(n, followers, str(n.get("reason")))) for n in posts),
                ctx=self._ctx, found_by=self._name, received_at=self._clock.now(),
                read=len(fresh), newest=newest,
            )
            cursor = body.get("cursor") if isinstance(body.get("cursor"), str) else None
            if len(fresh) < len(notes) or not cursor or not notes:
                return
        self._ran_out(self._max_pages, since_id)


class SearchSource(_PolledSource):
    """One ``searchPosts`` query: posts that name the brand without tagging it."""

    def __init__(self, *, query: str, overlap: timedelta = timedelta(minutes=10),
                 name: str | None = None, **kwargs: Any) -> None:
        ctx: BrandContext = kwargs["ctx"]
        digest = hashlib.sha1(query.encode(), usedforsecurity=False).hexdigest()[:10]
        super().__init__(name=name or f"bsky-search:{ctx.brand}:{digest}", **kwargs)
        self.query = query
        self._overlap = overlap

    def poll(self, since_id: str | None) -> Iterator[Page]:
        since = parse_time(since_id) if since_id is not None else None
        cursor: str | None = None
        newest: str | None = None
        for pages in range(1, self._page_limit(since_id) + 1):
            params = models.AppBskyFeedSearchPosts.Params(
                q=self.query, sort="latest", limit=self._page_size, cursor=cursor,
                since=iso(since - self._overlap) if since is not None else None,
            )
            body = self._fetch(params, "app.bsky.feed.searchPosts")
            posts = [p for p in body.get("posts") or [] if isinstance(p, Mapping)]
            if pages == 1:
                latest = max((t for p in posts if (t := _sort_at(p)) is not None), default=None)
                newest = iso(latest) if latest is not None else None
            try:
                followers = self._followers(posts)
            except AtProtocolError as exc:
                raise source_error(exc, self._name) from exc
            yield page_of(
                ((p, _view_input(p, followers)) for p in posts),
                ctx=self._ctx, found_by=self._name, received_at=self._clock.now(),
                read=len(posts), newest=newest,
            )
            cursor = body.get("cursor") if isinstance(body.get("cursor"), str) else None
            if not cursor or not posts:
                return
        self._ran_out(self._max_pages, since_id)


def _sort_at(view: Mapping[str, Any]) -> datetime | None:
    """What searchPosts' ``since`` compares: the earlier of createdAt and indexedAt."""
    indexed = parse_time(view.get("indexedAt"))
    record = view.get("record")
    created = parse_time(record.get("createdAt")) if isinstance(record, Mapping) else None
    times = [t for t in (indexed, created) if t is not None]
    return min(times) if times else None
