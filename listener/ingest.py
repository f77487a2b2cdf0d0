"""Poll mention sources into the store without losing or duplicating a post.

The order that makes it safe (``Poller.poll``):

1. read the source's cursor (its ``since_id``);
2. for EVERY page: ``store.add_mentions`` and ``store.add_rejected`` (idempotent on
   ``(source, id)``), remembering ``newest_id`` from the FIRST page (X returns newest
   first, and every page of one poll uses the same ``since_id``);
3. only after the last page, ``store.set_cursor(newest_id)``.

A crash or an error between pages leaves the cursor where it was: the next poll re-reads
those pages and storing them again changes nothing. Failures never retry in a loop:

- ``RateLimited``: the source is skipped until ``reset_at`` (now + 15 min if unknown);
  other sources carry on.
- ``SourceUnavailable`` (and other ``SourceError``): exponential backoff with jitter,
  ``base * 2**(n-1)`` capped at ``cap``; after ``max_attempts`` consecutive failures the
  source is "down" and tried once per ``cap`` only.
- ``AuthFailed``: the source stops until the process restarts (or ``reset(name)``), with
  one actionable error log line and an unhealthy status.
- ``StoreError``: the poll ends, cursor untouched; tried again next interval.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from listener.errors import AuthFailed, RateLimited, SourceError, SourceUnavailable, StoreError
from listener.health import Health, RateLimitInfo
from listener.ports import Clock, CursorRepo, MentionRepo, MentionSource, Page

__all__ = ["IngestStore", "PollOutcome", "Poller"]

log = logging.getLogger(__name__)


class IngestStore(MentionRepo, CursorRepo, Protocol):
    """The part of ``Store`` the poller needs."""


@dataclass(frozen=True, slots=True)
class PollOutcome:
    source: str
    #: ok, skipped (waiting out a rate limit or backoff), rate_limited, unavailable,
    #: auth_failed, stopped (after an earlier auth failure), store_failed
    status: str
    pages: int = 0
    read: int = 0
    stored: int = 0
    rejected: int = 0
    #: The cursor after this poll (advanced only when status is "ok").
    cursor: str | None = None
    next_try_at: datetime | None = None
    error: str | None = None
    #: Seconds from the poll's start to its last page being stored.
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class _State:
    skip_until: datetime | None = None
    failures: int = 0
    stopped: str | None = None


class Poller:
    """Polls sources into the store; one instance serves every source job."""

    def __init__(
        self,
        *,
        store: IngestStore,
        clock: Clock,
        health: Health | None = None,
        backoff_base: timedelta = timedelta(seconds=30),
        backoff_cap: timedelta = timedelta(minutes=15),
        max_attempts: int = 5,
        rate_limit_default: timedelta = timedelta(minutes=15),
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._health = health
        self._base = backoff_base
        self._cap = backoff_cap
        self._max_attempts = max_attempts
        self._rate_default = rate_limit_default
        self._rng = rng or random.Random()
        self._states: dict[str, _State] = {}
        self._lock = threading.Lock()

    def _state(self, name: str) -> _State:
        with self._lock:
            return self._states.setdefault(name, _State())

    def reset(self, name: str) -> None:
        """Forget a source's backoff, rate limit or auth stop (e.g. after new credentials)."""
        with self._lock:
            self._states.pop(name, None)

    def poll_all(self, sources: Iterable[MentionSource]) -> list[PollOutcome]:
        """One poll of each source, in order; a failing source never blocks the others."""
        return [self.poll(source) for source in sources]

    def poll(self, source: MentionSource) -> PollOutcome:
        name = source.name
        state = self._state(name)
        now = self._clock.now()
        if state.stopped is not None:
            return PollOutcome(name, "stopped", error=state.stopped)
        if state.skip_until is not None and now < state.skip_until:
            return PollOutcome(name, "skipped", next_try_at=state.skip_until)
        if self._health is not None:
            self._health.register(name, getattr(source, "kind", "search"))
        cursor = self._store.get_cursor(name)
        pages = read = stored = rejected = 0
        newest: str | None = None
        try:
            for page in source.poll(cursor):
                if pages == 0:
                    newest = page.newest_id
                new, page_read = self._store_page(page)
                pages += 1
                read += page_read
                stored += new
                rejected += len(page.rejected)
                if self._health is not None:
                    self._health.record_page(
                        name, read=page_read, stored=new, rejected=len(page.rejected)
                    )
        except RateLimited as exc:
            return self._rate_limited(name, state, exc, pages, read, stored, cursor)
        except AuthFailed as exc:
            return self._auth_failed(name, state, exc, pages, read, stored, cursor)
        except SourceError as exc:
            return self._unavailable(name, state, exc, pages, read, stored, cursor)
        except StoreError as exc:
            log.error("%s: storing failed, cursor stays at %s: %s", name, cursor, exc)
            return PollOutcome(
                name, "store_failed", pages, read, stored, rejected, cursor, error=str(exc)
            )
        if newest is not None and newest != cursor:
            self._store.set_cursor(name, newest, self._clock.now())
            cursor = newest
        state.failures, state.skip_until = 0, None
        rate = getattr(source, "rate_limit", None)
        rate = rate if isinstance(rate, RateLimitInfo) else None
        if rate is not None and rate.remaining == 0 and rate.reset_at > self._clock.now():
            state.skip_until = rate.reset_at  # the window is spent: don't earn a 429
        if self._health is not None:
            self._health.record_success(name, rate_limit=rate)
        seconds = (self._clock.now() - now).total_seconds()
        log.debug("%s: %d pages, %d read, %d new, cursor %s", name, pages, read, stored, cursor)
        return PollOutcome(name, "ok", pages, read, stored, rejected, cursor, seconds=seconds)

    def store_page(self, name: str, page: Page) -> int:
        """Store one pushed page (the filtered stream) and advance ``name``'s cursor.

        Stream pages arrive one post at a time; the cursor only moves forward, so the
        catch-up search after a reconnect starts from the newest post stored.
        """
        new, read = self._store_page(page)
        if self._health is not None:
            self._health.record_page(name, read=read, stored=new, rejected=len(page.rejected))
        ids = [m.id for m in page.mentions if m.id.isdigit()]
        newest = max(ids, key=int, default=None)
        current = self._store.get_cursor(name)
        if newest is not None and (current is None or int(newest) > int(current)):
            self._store.set_cursor(name, newest, self._clock.now())
        return new

    def _store_page(self, page: Page) -> tuple[int, int]:
        new = self._store.add_mentions(page.mentions) if page.mentions else 0
        if page.rejected:
            self._store.add_rejected(page.rejected)
        read = page.read if page.read is not None else len(page.mentions) + len(page.rejected)
        return new, read

    # ------------------------------------------------------------ failures
    def _rate_limited(
        self,
        name: str,
        state: _State,
        exc: RateLimited,
        pages: int,
        read: int,
        stored: int,
        cursor: str | None,
    ) -> PollOutcome:
        now = self._clock.now()
        until = exc.reset_at if exc.reset_at is not None and exc.reset_at > now else None
        until = until or now + self._rate_default
        state.skip_until = until
        log.warning("%s: rate limited by X, skipping until %s", name, until.isoformat())
        if self._health is not None:
            self._health.record_rate_limited(name, until=until, error=str(exc))
        return PollOutcome(
            name,
            "rate_limited",
            pages,
            read,
            stored,
            cursor=cursor,
            next_try_at=until,
            error=str(exc),
        )

    def _auth_failed(
        self,
        name: str,
        state: _State,
        exc: AuthFailed,
        pages: int,
        read: int,
        stored: int,
        cursor: str | None,
    ) -> PollOutcome:
        state.stopped = str(exc)
        log.error("%s (polling of this source stopped until restart)", exc)
        if self._health is not None:
            self._health.record_auth_failed(name, error=str(exc))
        return PollOutcome(name, "auth_failed", pages, read, stored, cursor=cursor, error=str(exc))

    def _unavailable(
        self,
        name: str,
        state: _State,
        exc: SourceError,
        pages: int,
        read: int,
        stored: int,
        cursor: str | None,
    ) -> PollOutcome:
        state.failures += 1
        delay = min(self._cap, self._base * 2 ** min(state.failures - 1, 30))
        delay *= self._rng.uniform(0.5, 1.0)  # jitter: replicas don't retry in lockstep
        down = state.failures >= self._max_attempts
        if down:
            delay = self._cap
        until = self._clock.now() + delay
        state.skip_until = until
        # A 5xx or timeout is X's trouble (warning); anything else, e.g. a 400 for a bad
        # query, needs a human (error), but is retried just as slowly.
        level = logging.WARNING if isinstance(exc, SourceUnavailable) else logging.ERROR
        log.log(level, "%s (attempt %d, next try %s)", exc, state.failures, until.isoformat())
        if self._health is not None:
            self._health.record_unavailable(name, next_try_at=until, error=str(exc), down=down)
        return PollOutcome(
            name,
            "unavailable",
            pages,
            read,
            stored,
            cursor=cursor,
            next_try_at=until,
            error=str(exc),
        )
