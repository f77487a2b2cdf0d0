"""Bluesky posts (``app.bsky.feed.post`` records with their URI, CID and author) -> ``Mention``.

Only this module knows the record's shape. One post arrives three ways: a
``postView`` (search), a notification (mention, reply, quote) and a Jetstream commit;
each is reduced to (uri, cid, author, record, indexedAt) and mapped by ``map_post``.

Identity: a post's AT URI ``at://<did>/app.bsky.feed.post/<rkey>`` is stored as
``<did>/<rkey>`` (``post_id``; the collection is always the same), which fits the
store's 64-character keys without a migration; ``post_uri`` rebuilds the URI, and the
CID (needed for reply strong refs) is kept in ``raw``. The conversation is the reply's
root, ``in_reply_to_id`` its parent, ``quoted_id`` an embedded record; facets, langs and
the whole record stay in ``raw``.

``addresses_brand`` (the API may reply) is true for every post but one whose thread
gate refuses replies: on Bluesky a brand may answer any public post.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from listener.domain import Author, Mention, Rejected

__all__ = [
    "POST_COLLECTION",
    "SOURCE",
    "BrandContext",
    "PostInput",
    "map_post",
    "post_id",
    "post_uri",
    "post_url",
    "rejected",
]

SOURCE = "bluesky"
POST_COLLECTION = "app.bsky.feed.post"
#: The store's key columns are 64 characters wide (a did:plc id is 46 in all).
_MAX_ID = 64
_URI = re.compile(r"at://(did:[a-z]+:[A-Za-z0-9._:%-]+)/app\.bsky\.feed\.post/([A-Za-z0-9._~:-]+)")

Json = Mapping[str, Any]


def post_id(uri: str) -> str | None:
    """``at://did/app.bsky.feed.post/rkey`` -> ``did/rkey``; None for anything else."""
    m = _URI.fullmatch(uri)
    if m is None:
        return None
    out = f"{m.group(1)}/{m.group(2)}"
    return out if len(out) <= _MAX_ID else None


def post_uri(mention_id: str) -> str:
    did, _, rkey = mention_id.rpartition("/")
    return f"at://{did}/{POST_COLLECTION}/{rkey}"


def post_url(author: str, mention_id: str) -> str:
    """The post on the Bluesky web app: ``https://bsky.app/profile/<handle>/post/<rkey>``."""
    did, _, rkey = mention_id.rpartition("/")
    return f"https://bsky.app/profile/{author.removeprefix('@') or did}/post/{rkey}"


@dataclass(frozen=True, slots=True)
class BrandContext:
    """What the mapping and the stream filter know about one brand on Bluesky."""

    brand: str
    #: Lower-case handles, without '@'.
    handles: frozenset[str] = frozenset()
    dids: frozenset[str] = frozenset()
    #: Search queries, each a set of lower-case words that must all appear.
    keywords: tuple[frozenset[str], ...] = ()
    _at: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_at", tuple(f"@{h}" for h in self.handles))

    def with_dids(self, dids: Iterable[str]) -> BrandContext:
        return BrandContext(self.brand, self.handles, self.dids | set(dids), self.keywords)

    def is_brand(self, did: str, handle: str = "") -> bool:
        return did in self.dids or handle.lower() in self.handles

    def concerns(self, did: str, record: Json) -> bool:
        """Whether a post (by ``did``) is about the brand: it tags, answers or quotes one
        of its accounts, names a handle, or matches every word of one of its queries.
        The brand's own posts are not."""
        if did in self.dids:
            return False
        for target in _refs(record):
            if target.split("/")[0] in self.dids:
                return True
        if any(d in self.dids for d in _mentioned_dids(record)):
            return True
        text = record.get("text")
        if not isinstance(text, str):
            return False
        lowered = text.lower()
        if any(h in lowered for h in self._at):
            return True
        return any(words and all(w in lowered for w in words) for words in self.keywords)


@dataclass(frozen=True, slots=True)
class PostInput:
    """One post as any of the three endpoints delivers it."""

    uri: str
    cid: str
    did: str
    handle: str
    record: Json
    display_name: str = ""
    followers: int = 0
    indexed_at: str | None = None
    reply_disabled: bool = False
    #: Why a notification was sent (mention, reply, quote), if it came as one.
    reason: str | None = None


class _Malformed(ValueError):
    pass


def _ref_id(ref: object) -> str | None:
    if isinstance(ref, Mapping) and isinstance(ref.get("uri"), str):
        return post_id(ref["uri"])
    return None


def _quoted(record: Json) -> str | None:
    embed = record.get("embed")
    if not isinstance(embed, Mapping):
        return None
    kind = embed.get("$type")
    if kind == "app.bsky.embed.record":
        return _ref_id(embed.get("record"))
    if kind == "app.bsky.embed.recordWithMedia":
        inner = embed.get("record")
        return _ref_id(inner.get("record")) if isinstance(inner, Mapping) else None
    return None


def _reply(record: Json) -> tuple[str | None, str | None]:
    reply = record.get("reply")
    if not isinstance(reply, Mapping):
        return None, None
    return _ref_id(reply.get("root")), _ref_id(reply.get("parent"))


def _refs(record: Json) -> list[str]:
    root, parent = _reply(record)
    return [r for r in (root, parent, _quoted(record)) if r is not None]


def _mentioned_dids(record: Json) -> list[str]:
    out = []
    for facet in record.get("facets") or []:
        if not isinstance(facet, Mapping):
            continue
        for feature in facet.get("features") or []:
            if (isinstance(feature, Mapping)
                    and feature.get("$type") == "app.bsky.richtext.facet#mention"
                    and isinstance(feature.get("did"), str)):
                out.append(feature["did"])
    return out


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


_LANG = re.compile(r"[a-z]{2,3}")


def _lang(record: Json) -> str | None:
    langs = record.get("langs")
    if isinstance(langs, list) and langs and isinstance(langs[0], str):
        # BCP-47 ("en-US", "pt-BR"): the rules keep ISO 639-1 languages.
        primary = langs[0].split("-")[0].lower()
        return primary if _LANG.fullmatch(primary) else None
    return None


def map_post(post: PostInput, *, ctx: BrandContext, found_by: str) -> Mention:
    """One post as a ``Mention``; ``ValueError`` says what it lacks."""
    mid = post_id(post.uri)
    if mid is None:
        raise _Malformed(f"not a post URI (or longer than {_MAX_ID} characters): {post.uri!r}")
    if mid.split("/")[0] != post.did:
        raise _Malformed(f"{post.uri} is not in the repo of its author {post.did}")
    record = post.record
    if not isinstance(record, Mapping) or record.get("$type", "app.bsky.feed.post") != (
            "app.bsky.feed.post"):
        raise _Malformed("not an app.bsky.feed.post record")
    text = record.get("text")
    if not isinstance(text, str):
        raise _Malformed("text missing")
    if not post.cid:
        raise _Malformed("cid missing")
    created = _time(record.get("createdAt")) or _time(post.indexed_at)
    if created is None:
        raise _Malformed(f"createdAt not an ISO 8601 time: {record.get('createdAt')!r}")
    # A handle is a domain name (up to 253 characters); the store keeps 64: a longer one
    # is shown, and linked, by DID (bsky.app resolves both).
    handle = post.handle if len(post.handle) <= _MAX_ID else ""
    root, parent = _reply(record)
    raw: dict[str, Any] = {
        "uri": post.uri, "cid": post.cid,
        "author": {"did": post.did, "handle": post.handle, "displayName": post.display_name},
        "record": dict(record),
    }
    if post.indexed_at:
        raw["indexedAt"] = post.indexed_at
    if post.reason:
        raw["reason"] = post.reason
    return Mention(
        source=SOURCE,
        id=mid,
        text=text,
        author=Author(id=post.did, username=handle, name=post.display_name,
                      followers=post.followers),
        created_at=created,
        brand=ctx.brand,
        conversation_id=root or mid,
        in_reply_to_id=parent,
        quoted_id=_quoted(record),
        lang=_lang(record),
        url=post_url(handle, mid),
        addresses_brand=not post.reply_disabled,
        found_by=found_by,
        raw=raw,
    )


def rejected(value: object, reason: str, *, found_by: str, at: datetime) -> Rejected:
    try:
        dumped = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        dumped = repr(value)
    return Rejected(source=SOURCE, reason=f"{found_by}: {reason}", raw=dumped, received_at=at)
