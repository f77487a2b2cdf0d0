"""Backfill from X's full-archive search: estimate the cost, then page through, resumably.

The X calls live in ``listener.x.archive`` (the only package that imports tweepy); this
module turns its pages into ``Record``s for ``batch.backfill`` and keeps the checkpoint:
the token that fetched the page being processed and how many of its posts are done.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from listener.backfill.records import Position, Record
from listener.backfill.xfiles import map_payload

__all__ = ["ArchiveCheckpoint", "ArchiveReader", "Estimate", "Pages", "checkpoint_key", "estimate"]


class _Page(Protocol):
    @property
    def payload(self) -> Any: ...
    @property
    def token(self) -> str | None: ...
    @property
    def next_token(self) -> str | None: ...


class Pages(Protocol):
    """What the backfill needs from ``listener.x.archive.ArchiveSearch``."""

    @property
    def read_price(self) -> float:
        """USD per post read."""
        ...

    def count(self, query: str, start: datetime, end: datetime) -> int: ...

    def pages(
        self, query: str, start: datetime, end: datetime, *, token: str | None = None,
        max_results: int = 500,
    ) -> Iterator[_Page]: ...


@dataclass(frozen=True, slots=True)
class Estimate:
    posts: int
    usd: float
    unit_price: float

    def describe(self) -> str:
        return (f"about {self.posts:,} posts x ${self.unit_price:g} per post read "
                f"= ${self.usd:,.2f}")


def estimate(search: Pages, query: str, start: datetime, end: datetime) -> Estimate:
    """What reading the window will cost, from the counts endpoint and the unit price."""
    posts = search.count(query, start, end)
    price = search.read_price
    return Estimate(posts, round(posts * price, 4), price)


def checkpoint_key(query: str, start: datetime, end: datetime) -> str:
    """Cursor name of one query and window: another window never resumes this one."""
    digest = hashlib.sha256(f"{query}\n{start.isoformat()}\n{end.isoformat()}".encode())
    return f"backfill:archive:{digest.hexdigest()[:16]}"


@dataclass(frozen=True, slots=True)
class ArchiveCheckpoint:
    """Re-fetch the page with ``token`` and skip ``skip`` posts; ``done`` when finished."""

    token: str | None = None
    skip: int = 0
    done: bool = False

    def encode(self) -> str:
        return json.dumps({"token": self.token, "skip": self.skip, "done": self.done})

    @classmethod
    def decode(cls, text: str) -> ArchiveCheckpoint:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"not an archive checkpoint: {text!r}")
        token = data.get("token")
        return cls(token if isinstance(token, str) else None, int(data.get("skip", 0)),
                   bool(data.get("done", False)))


class ArchiveReader:
    """Records of a full-archive query; ``checkpoint_at`` turns a record's resume position
    back into an ``ArchiveCheckpoint``.

    Positions are (page number in this run, skip); the reader remembers the token of
    each page it fetched, which is all a checkpoint needs.
    """

    def __init__(self, search: Pages, query: str, start: datetime, end: datetime, *,
                 brand: str = "", handles: Sequence[str] = (), max_results: int = 500) -> None:
        self._search = search
        self._query = query
        self._start = start
        self._end = end
        self._brand = brand
        self._handles = tuple(handles)
        self._max_results = max_results
        self._tokens: dict[int, str | None] = {}
        #: Posts read from X (what is billed), including ones the mapping dropped.
        self.read = 0

    def records(self, resume: ArchiveCheckpoint | None = None) -> Iterator[Record]:
        resume = resume or ArchiveCheckpoint()
        if resume.done:
            return
        skip = resume.skip
        self._tokens[0] = resume.token
        for page_no, page in enumerate(self._search.pages(
            self._query, self._start, self._end, token=resume.token,
            max_results=self._max_results,
        )):
            self._tokens[page_no] = page.token
            self._tokens[page_no + 1] = page.next_token
            self._tokens.pop(page_no - 100_000, None)  # bounded; far more than can be in flight
            data = page.payload.get("data") if isinstance(page.payload, dict) else None
            self.read += len(data) if isinstance(data, list) else 0
            items = map_payload(page.payload, line=page_no + 1, brand=self._brand,
                                handles=self._handles)
            after = Position(page_no + 1, 0, 0)
            for i, item in enumerate(items):
                if i < skip:
                    continue
                resume_at = after if i == len(items) - 1 else Position(page_no, 0, i + 1)
                yield Record(item, page_no + 1, resume_at)
            skip = 0

    def checkpoint_at(self, position: Position) -> ArchiveCheckpoint:
        page = position.offset
        token = self._tokens.get(page)
        if page > 0 and token is None:
            # Only the page after the last one has no token: everything is stored.
            return ArchiveCheckpoint(done=True)
        return ArchiveCheckpoint(token, position.skip)
