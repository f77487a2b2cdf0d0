"""X API v2 JSON -> ``Mention``, and the noise rules applied to each page.

Only this module knows X's payload. A post that cannot be parsed becomes a ``Rejected``
with its reason (never silently dropped); noise (retweets, repeated quotes, the brand's
own posts) is dropped on purpose and counted in ``Page.read`` so cost stays accurate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from listener.domain import Author, Mention, Rejected
from listener.ports import Page

__all__ = [
    "SOURCE",
    "BrandContext",
    "map_page",
    "map_tweet",
    "status_url",
    "users_by_id",
    "x_text",
]

#: X returns post text with exactly these three characters as HTML entities ("AT&amp;T"),
#: and a literal "&amp;" typed by the author as "&amp;amp;": one pass decodes both right.
_X_ENTITY = re.compile(r"&(amp|lt|gt);")
_X_CHARS = {"amp": "&", "lt": "<", "gt": ">"}


def x_text(raw: str) -> str:
    """A post's text as its author wrote it, from X's entity-escaped form."""
    return _X_ENTITY.sub(lambda m: _X_CHARS[m.group(1)], raw) if "&" in raw else raw

#: ``Mention.source`` for every post from X: the same post found by two pollers is one row.
SOURCE = "x"

Json = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class BrandContext:
    """What the mapping needs to know about the brand whose mentions it parses."""

    brand: str
    #: The brand's X handles, without '@' (any case).
    handles: frozenset[str] = frozenset()
    #: The brand accounts' X user ids (to skip its own posts and spot quotes of them).
    user_ids: frozenset[str] = frozenset()
    _lower: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lower", frozenset(h.lower().lstrip("@") for h in self.handles))

    def is_brand_handle(self, username: str) -> bool:
        return username.lower().lstrip("@") in self._lower

    def mentioned_in(self, text: str) -> bool:
        return any(self.is_brand_handle(m) for m in _MENTION_RE.findall(text))


_MENTION_RE = re.compile(r"(?<![\w@])@(\w{1,15})")


class _Malformed(ValueError):
    pass


def _included(payload: Json, key: str) -> list[Json]:
    """``includes[key]`` as a list of objects; a malformed section counts as absent, so
    one odd page cannot crash the poller (its posts then map with unknown authors)."""
    includes = payload.get("includes")
    items = includes.get(key) if isinstance(includes, Mapping) else None
    if not isinstance(items, list):
        return []
    return [i for i in items if isinstance(i, Mapping) and "id" in i]


def users_by_id(payload: Json) -> dict[str, Json]:
    return {str(u["id"]): u for u in _included(payload, "users")}


def _tweets_by_id(payload: Json) -> dict[str, Json]:
    return {str(t["id"]): t for t in _included(payload, "tweets")}


def _refs(tweet: Json) -> dict[str, str]:
    """``referenced_tweets`` as type -> id (replied_to, quoted, retweeted)."""
    out: dict[str, str] = {}
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, Mapping) and "type" in ref and "id" in ref:
            out[str(ref["type"])] = str(ref["id"])
    return out


def status_url(username: str, tid: str) -> str:
    """A post on x.com (``/i/status/<id>`` when the author's username is unknown)."""
    return f"https://x.com/{username.lstrip('@') or 'i'}/status/{tid}"


def _parse_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise _Malformed("created_at missing")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _Malformed(f"created_at not ISO 8601: {value!r}") from None


def _author(author_id: str, users: Mapping[str, Json]) -> Author:
    user = users.get(author_id)
    if user is None:  # X omits suspended or protected authors from includes
        return Author(id=author_id, username="")
    metrics = user.get("public_metrics") or {}
    return Author(
        id=author_id,
        username=str(user.get("username", "")),
        name=str(user.get("name", "")),
        followers=int(metrics.get("followers_count", 0) or 0),
        verified_type=str(user.get("verified_type", "none") or "none"),
    )


def _addresses(
    tweet: Json,
    text: str,
    quoted_id: str | None,
    ctx: BrandContext,
    tweets: Mapping[str, Json],
    users: Mapping[str, Json],
) -> bool:
    """True when the post @mentions the brand or quotes one of its posts (X lets us reply)."""
    entity_sets = [
        tweet.get("entities") or {},
        (tweet.get("note_tweet") or {}).get("entities") or {},
    ]
    for entities in entity_sets:
        for m in entities.get("mentions") or []:
            if isinstance(m, Mapping) and ctx.is_brand_handle(str(m.get("username", ""))):
                return True
    if ctx.mentioned_in(text):
        return True
    if quoted_id is not None:
        quoted = tweets.get(quoted_id)
        if quoted is not None:
            author_id = str(quoted.get("author_id", ""))
            username = str(users.get(author_id, {}).get("username", ""))
            return author_id in ctx.user_ids or (bool(username) and ctx.is_brand_handle(username))
    return False


def map_tweet(
    tweet: Json,
    *,
    ctx: BrandContext,
    found_by: str,
    users: Mapping[str, Json],
    tweets: Mapping[str, Json] | None = None,
) -> Mention:
    """One v2 tweet object (plus its page's includes) as a ``Mention``.

    Raises ``ValueError`` with the reason when the tweet lacks what a mention needs.
    """
    if not isinstance(tweet, Mapping):
        raise _Malformed("not a JSON object")
    tid = tweet.get("id")
    if not isinstance(tid, str) or not tid.isdigit():
        raise _Malformed(f"id missing or not a numeric string: {tid!r}")
    note = tweet.get("note_tweet") or {}
    text = note.get("text") if isinstance(note, Mapping) else None
    if not isinstance(text, str):
        text = tweet.get("text")
    if not isinstance(text, str):
        raise _Malformed("text missing")
    text = x_text(text)
    author_id = tweet.get("author_id")
    if not isinstance(author_id, str) or not author_id:
        raise _Malformed("author_id missing (request expansions=author_id)")
    created_at = _parse_time(tweet.get("created_at"))
    author = _author(author_id, users)
    refs = _refs(tweet)
    quoted_id = refs.get("quoted")
    url = status_url(author.username, tid)
    return Mention(
        source=SOURCE,
        id=tid,
        text=text,
        author=author,
        created_at=created_at,
        brand=ctx.brand,
        conversation_id=str(tweet["conversation_id"]) if tweet.get("conversation_id") else None,
        in_reply_to_id=refs.get("replied_to"),
        quoted_id=quoted_id,
        lang=str(tweet["lang"]) if tweet.get("lang") else None,
        url=url,
        addresses_brand=_addresses(tweet, text, quoted_id, ctx, tweets or {}, users),
        found_by=found_by,
        raw=dict(tweet),
    )


def map_page(
    payload: Json,
    *,
    ctx: BrandContext,
    found_by: str,
    received_at: datetime,
    newest_id: str | None = None,
) -> Page:
    """A v2 response body (``data``/``includes``/``meta``) as a ``Page``, noise removed.

    Noise rules, in order: retweets are dropped (the original is what matters); the
    brand's own posts are skipped; a post seen twice in the page, or the same author
    quoting the same post more than once in it, is kept once (the newest). Replies are
    kept, linked by ``conversation_id``. Different people quoting one post are distinct
    voices and all kept.
    """
    data = payload.get("data") or []
    if not isinstance(data, list):  # a stream line carries one tweet; a scalar is rejected
        data = [data]
    users = users_by_id(payload)
    tweets = _tweets_by_id(payload)
    mentions: list[Mention] = []
    rejected: list[Rejected] = []
    seen_ids: set[str] = set()
    seen_quotes: set[tuple[str, str]] = set()
    for tweet in _newest_first(data):
        try:
            mention = map_tweet(tweet, ctx=ctx, found_by=found_by, users=users, tweets=tweets)
        except ValueError as exc:
            rejected.append(
                Rejected(
                    source=SOURCE,
                    reason=f"{found_by}: {exc}",
                    raw=_dump(tweet),
                    received_at=received_at,
                )
            )
            continue
        if _is_noise(mention, ctx, seen_ids, seen_quotes):
            continue
        mentions.append(mention)
    return Page(mentions=mentions, rejected=rejected, newest_id=newest_id, read=len(data))


def _newest_first(data: Iterable[Any]) -> list[Any]:
    def key(t: Any) -> int:
        tid = t.get("id") if isinstance(t, Mapping) else None
        return int(tid) if isinstance(tid, str) and tid.isdigit() else -1

    return sorted(data, key=key, reverse=True)


def _is_noise(
    m: Mention, ctx: BrandContext, seen_ids: set[str], seen_quotes: set[tuple[str, str]]
) -> bool:
    if "retweeted" in _refs(m.raw):
        return True
    if m.author.id in ctx.user_ids or (
        m.author.username and ctx.is_brand_handle(m.author.username)
    ):
        return True
    if m.id in seen_ids:
        return True
    seen_ids.add(m.id)
    if m.quoted_id is not None:
        quote = (m.author.id, m.quoted_id)
        if quote in seen_quotes:
            return True
        seen_quotes.add(quote)
    return False


def _dump(value: object) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)
