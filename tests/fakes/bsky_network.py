"""The Bluesky network the fakes serve: accounts, post records and their events.

One ``FakeNetwork`` is shared by the fake PDS/AppView (``bsky_server``) and the fake
Jetstream (``jetstream_server``), so a post added here is searchable, notifies the
accounts it mentions, replies to or quotes, and is pushed to open Jetstream sockets,
as on the real network. Identifiers have the real shapes: ``did:plc:`` + 24 base32
characters, TID record keys (13 characters of base32-sortable microseconds), CIDv1
dag-cbor sha256 in base32 (``bafyrei...``), AT URIs ``at://<did>/<collection>/<rkey>``.
Shapes follow the lexicons: ``app.bsky.feed.post`` records (text, facets with UTF-8
byte slices, reply strong refs, ``app.bsky.embed.record`` quotes, langs, createdAt),
``app.bsky.actor.defs#profileView[Basic|Detailed]`` and ``app.bsky.feed.defs#postView``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["Account", "FakeNetwork", "Post", "cid_for", "iso", "tid"]

_S32 = "234567abcdefghijklmnopqrstuvwxyz"
_MENTION = re.compile(r"(?<![\w.@])@([a-z0-9][a-z0-9.-]*\.[a-z]+)", re.IGNORECASE)
_LINK = re.compile(r"https?://[^\s]+")
POST = "app.bsky.feed.post"


def tid(micros: int, clock_id: int = 0) -> str:
    """A TID record key: 53 bits of microseconds and 10 of clock id, base32-sortable."""
    value = (micros << 10) | (clock_id & 0x3FF)
    out = ""
    for _ in range(13):
        out = _S32[value & 31] + out
        value >>= 5
    return out


def cid_for(payload: object) -> str:
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).digest()
    raw = bytes([0x01, 0x71, 0x12, 0x20]) + digest
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Account:
    did: str
    handle: str
    display_name: str = ""
    followers: int = 10

    def basic(self) -> dict[str, Any]:
        out: dict[str, Any] = {"did": self.did, "handle": self.handle, "labels": [],
                               "createdAt": "2024-01-01T00:00:00.000Z"}
        if self.display_name:
            out["displayName"] = self.display_name
        return out

    def detailed(self) -> dict[str, Any]:
        return {**self.basic(), "followersCount": self.followers, "followsCount": 12,
                "postsCount": 40, "indexedAt": "2024-01-01T00:00:00.000Z", "description": ""}


@dataclass
class Post:
    account: Account
    rkey: str
    record: dict[str, Any]
    cid: str
    indexed_at: datetime
    #: Microseconds of the commit on Jetstream.
    time_us: int
    reply_disabled: bool = False

    @property
    def uri(self) -> str:
        return f"at://{self.account.did}/{POST}/{self.rkey}"

    def view(self) -> dict[str, Any]:
        """``app.bsky.feed.defs#postView``."""
        out: dict[str, Any] = {
            "uri": self.uri, "cid": self.cid, "author": self.account.basic(),
            "record": self.record, "replyCount": 0, "repostCount": 0, "likeCount": 0,
            "quoteCount": 0, "indexedAt": iso(self.indexed_at), "labels": [],
            "viewer": {"threadMuted": False, "embeddingDisabled": False},
        }
        if self.reply_disabled:
            out["viewer"]["replyDisabled"] = True
        return out


class FakeNetwork:
    def __init__(self, *, start: datetime | None = None) -> None:
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}  # did -> account
        self.posts: list[Post] = []  # in indexing order
        self.by_uri: dict[str, Post] = {}
        #: (did, notification) pairs: likes and follows too, as the AppView lists them.
        self.notifications: list[tuple[str, dict[str, Any]]] = []
        self._now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        self.events: list[dict[str, Any]] = []  # every Jetstream event, by time_us

    # ------------------------------------------------------------------ accounts
    def add_account(self, handle: str, *, display_name: str = "", followers: int = 10,
                    did: str | None = None) -> Account:
        with self.lock:
            if did is None:
                seed = hashlib.sha256(handle.encode()).digest()
                did = "did:plc:" + base64.b32encode(seed).decode().lower()[:24]
            account = Account(did, handle.lower(), display_name, followers)
            self.accounts[did] = account
            return account

    def by_handle(self, handle: str) -> Account | None:
        handle = handle.lower().removeprefix("@")
        return next((a for a in self.accounts.values() if a.handle == handle), None)

    def actor(self, ident: str) -> Account | None:
        return self.accounts.get(ident) or self.by_handle(ident)

    # ------------------------------------------------------------------ time
    def tick(self, seconds: float = 1.0) -> datetime:
        with self.lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    @property
    def now(self) -> datetime:
        return self._now

    # ------------------------------------------------------------------ posts
    def subscribe(self, listener: Callable[[dict[str, Any]], None]) -> None:
        with self.lock:
            self._listeners.append(listener)

    def post(
        self,
        author: Account | str,
        text: str,
        *,
        reply_to: Post | None = None,
        quote: Post | None = None,
        langs: tuple[str, ...] = ("en",),
        reply_disabled: bool = False,
        created_at: datetime | None = None,
        push: bool = True,
    ) -> Post:
        """Publish a post; ``push=False``: it is indexed while no stream is listening."""
        with self.lock:
            account = author if isinstance(author, Account) else self.by_handle(author)
            if account is None:
                account = self.add_account(str(author))
            at = self.tick(1.0)
            record: dict[str, Any] = {"$type": POST, "text": text,
                                      "createdAt": iso(created_at or at), "langs": list(langs)}
            facets = self.facets(text)
            if facets:
                record["facets"] = facets
            if reply_to is not None:
                root = reply_to.record.get("reply", {}).get("root") or {
                    "uri": reply_to.uri, "cid": reply_to.cid}
                record["reply"] = {"root": root,
                                   "parent": {"uri": reply_to.uri, "cid": reply_to.cid}}
            if quote is not None:
                record["embed"] = {"$type": "app.bsky.embed.record",
                                   "record": {"uri": quote.uri, "cid": quote.cid}}
            return self.add_record(account, record, at=at, reply_disabled=reply_disabled,
                                   push=push)

    def add_record(self, account: Account, record: dict[str, Any], *, at: datetime | None = None,
                   reply_disabled: bool = False, push: bool = True, rkey: str | None = None
                   ) -> Post:
        with self.lock:
            at = at or self.tick(1.0)
            time_us = int(at.timestamp() * 1_000_000)
            post = Post(account, rkey or tid(time_us, len(self.posts) % 1024), record,
                        cid_for(record), at, time_us, reply_disabled)
            self.posts.append(post)
            self.by_uri[post.uri] = post
            self._notify(post)
            event = {"did": account.did, "time_us": time_us, "kind": "commit",
                     "commit": {"rev": tid(time_us, 1), "operation": "create",
                                "collection": POST, "rkey": post.rkey, "record": record,
                                "cid": post.cid}}
            self.events.append(event)
            listeners = list(self._listeners) if push else []
        for listener in listeners:
            listener(event)
        return post

    def add_event(self, event: dict[str, Any], *, push: bool = True) -> None:
        """Any other Jetstream event (a like, an identity change): noise to a listener."""
        with self.lock:
            self.events.append(event)
            listeners = list(self._listeners) if push else []
        for listener in listeners:
            listener(event)

    def notify_like(self, did: str, liker: Account, subject: Post) -> None:
        with self.lock:
            at = self.tick(1.0)
            record = {"$type": "app.bsky.feed.like", "createdAt": iso(at),
                      "subject": {"uri": subject.uri, "cid": subject.cid}}
            uri = f"at://{liker.did}/app.bsky.feed.like/{tid(int(at.timestamp() * 1e6))}"
            self.notifications.append((did, {
                "uri": uri, "cid": cid_for(record), "author": liker.detailed(),
                "reason": "like", "reasonSubject": subject.uri, "record": record,
                "isRead": False, "indexedAt": iso(at), "labels": []}))

    def facets(self, text: str) -> list[dict[str, Any]]:
        """Mention facets for @handles that resolve, link facets for URLs (byte slices)."""
        out: list[dict[str, Any]] = []
        for m in _MENTION.finditer(text):
            account = self.by_handle(m.group(1))
            if account is not None:
                out.append(self._facet(text, m.start(), m.end(),
                                       {"$type": "app.bsky.richtext.facet#mention",
                                        "did": account.did}))
        for m in _LINK.finditer(text):
            out.append(self._facet(text, m.start(), m.end(),
                                   {"$type": "app.bsky.richtext.facet#link", "uri": m.group()}))
        return out

    @staticmethod
    def _facet(text: str, start: int, end: int, feature: dict[str, Any]) -> dict[str, Any]:
        byte_start = len(text[:start].encode())
        return {"index": {"byteStart": byte_start,
                          "byteEnd": byte_start + len(text[start:end].encode())},
                "features": [feature]}

    def _notify(self, post: Post) -> None:
        """Who the AppView notifies of ``post``, and why (mention, reply, quote)."""
        record = post.record
        reasons: dict[str, str] = {}
        for facet in record.get("facets") or []:
            for feature in facet.get("features") or []:
                if feature.get("$type") == "app.bsky.richtext.facet#mention":
                    reasons.setdefault(feature["did"], "mention")
        parent = (record.get("reply") or {}).get("parent", {}).get("uri", "")
        if parent:
            reasons[parent.split("/")[2]] = "reply"
        quoted = ((record.get("embed") or {}).get("record") or {}).get("uri", "")
        if quoted:
            reasons[quoted.split("/")[2]] = "quote"
        reasons.pop(post.account.did, None)
        for did, reason in reasons.items():
            note: dict[str, Any] = {
                "uri": post.uri, "cid": post.cid, "author": post.account.detailed(),
                "reason": reason, "record": record, "isRead": False,
                "indexedAt": iso(post.indexed_at), "labels": []}
            if reason in ("reply", "quote"):
                note["reasonSubject"] = parent if reason == "reply" else quoted
            self.notifications.append((did, note))
