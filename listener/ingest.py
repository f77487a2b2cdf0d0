"""Poll mention sources into the store without losing or duplicating a post.

The order that makes it safe (``Poller.poll``):

1. read the source's cursor (its ``since_id``);
2. for EVERY page: ``store.add_mentions`` and ``store.add_rejected`` (idempotent on
   ``(source, id)``), remembering ``newest_id`` from the FIRST page (X returns newest
   first, and every page of one poll uses the same ``since_id``);
3. only after the last page, ``store.set_cursor(newest_id)``, and only if the source
   says that cursor is valid and moves past the stored one
   (``SourceInfo.cursor_advances``): a cursor never moves backwards or becomes junk.

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

Every poll ends in a :class:`PollOutcome` (what happened, what was read and what it
cost, the rate limit left), returned and handed to ``on_outcome`` (health) as it is.
The poller knows nothing about any network: what it needs from a source is declared
by ``listener.ports.SourceInfo``.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from listener.errors import AuthFailed, RateLimited, SourceError, SourceUnavailable, StoreError
from listener.ports import (
    Clock,
    CursorRepo,
    MentionRepo,
    MentionSource,
    Page,
    RateLimit,
    SourceInfo,
)

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
    network: str = ""
    kind: str = ""
    #: What the network bills for the posts read (pages stored before a failure count).
    cost_usd: float = 0.0
    rate_limit: RateLimit | None = None
    #: When the poll ended.
    at: datetime | None = None
    #: For "unavailable": failed ``max_attempts`` times in a row, now tried once per cap.
    down: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class _State:
    skip_until: datetime | None = None
    failures: int = 0
    stopped: str | None = None


@dataclass(slots=True)
class _Progress:
    pages: int = 0
    read: int = 0
    stored: int = 0
    rejected: int = 0


class Poller:
    """Polls sources into the store; one instance serves every source job."""

    def __init__(
        self,
        *,
        store: IngestStore,
        clock: Clock,
        on_outcome: Callable[[PollOutcome], object] | None = None,
        backoff_base: timedelta = timedelta(seconds=30),
        backoff_cap: timedelta = timedelta(minutes=15),
        max_attempts: int = 5,
        rate_limit_default: timedelta = timedelta(minutes=15),
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._on_outcome = on_outcome
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
            return self._report(source, "stopped", _Progress(), error=state.stopped)
        if state.skip_until is not None and now < state.skip_until:
            return self._report(source, "skipped", _Progress(), next_try_at=state.skip_until)
        cursor = self._store.get_cursor(name)
        done = _Progress()
        newest: str | None = None
        try:
            for page in source.poll(cursor):
                if done.pages == 0:
                    newest = page.newest_id
                self._store_page(page, done)
        except RateLimited as exc:
            return self._rate_limited(source, state, exc, done, cursor)
        except AuthFailed as exc:
            state.stopped = str(exc)
            log.error("%s (polling of this source stopped until restart)", exc)
            return self._report(source, "auth_failed", done, cursor=cursor, error=str(exc))
        except SourceError as exc:
            return self._unavailable(source, state, exc, done, cursor)
        except StoreError as exc:
            log.error("%s: storing failed, cursor stays at %s: %s", name, cursor, exc)
            return self._report(source, "store_failed", done, cursor=cursor, error=str(exc))
        if newest is not None and source.cursor_advances(newest, cursor):
            self._store.set_cursor(name, newest, self._clock.now())
            cursor = newest
        elif newest is not None and newest != cursor:
            log.warning("%s: ignoring cursor %r (not past %r)", name, newest, cursor)
        state.failures, state.skip_until = 0, None
        rate = source.rate_limit
        if rate is not None and rate.remaining == 0 and rate.reset_at > self._clock.now():
            state.skip_until = rate.reset_at  # the window is spent: don't earn a 429
        seconds = (self._clock.now() - now).total_seconds()
        log.debug("%s: %d pages, %d read, %d new, cursor %s",
                  name, done.pages, done.read, done.stored, cursor)
        return self._report(source, "ok", done, cursor=cursor, seconds=seconds)

    def store_page(self, source: SourceInfo, page: Page) -> int:
        """Store one pushed page (the filtered stream) and advance ``source``'s cursor.

        Stream pages arrive one post at a time; the cursor only moves forward, so the
        catch-up search after a reconnect starts from the newest post stored.
        """
        done = _Progress()
        self._store_page(page, done)
        cursor = self._store.get_cursor(source.name)
        if page.newest_id is not None and source.cursor_advances(page.newest_id, cursor):
            self._store.set_cursor(source.name, page.newest_id, self._clock.now())
            cursor = page.newest_id
        self._report(source, "ok", done, cursor=cursor)
        return done.stored

    def _store_page(self, page: Page, done: _Progress) -> None:
        new = self._store.add_mentions(page.mentions) if page.mentions else 0
        if page.rejected:
            self._store.add_rejected(page.rejected)
        done.pages += 1
        done.read += page.read if page.read is not None else len(page.mentions) + len(
            page.rejected)
        done.stored += new
        done.rejected += len(page.rejected)

    def _report(
        self,
        source: SourceInfo,
        status: str,
        done: _Progress,
        *,
        cursor: str | None = None,
        next_try_at: datetime | None = None,
        error: str | None = None,
        seconds: float = 0.0,
        down: bool = False,
    ) -> PollOutcome:
        outcome = PollOutcome(
            source.name, status, done.pages, done.read, done.stored, done.rejected,
            cursor=cursor, next_try_at=next_try_at, error=error, seconds=seconds,
            network=source.network, kind=source.kind, cost_usd=source.read_cost(done.read),
            rate_limit=source.rate_limit, at=self._clock.now(), down=down,
        )
        if self._on_outcome is not None:
            self._on_outcome(outcome)
        return outcome

    # ------------------------------------------------------------ failures
    def _rate_limited(
        self, source: SourceInfo, state: _State, exc: RateLimited, done: _Progress,
        cursor: str | None,
    ) -> PollOutcome:
        now = self._clock.now()
        until = exc.reset_at if exc.reset_at is not None and exc.reset_at > now else None
        until = until or now + self._rate_default
        state.skip_until = until
        log.warning("%s: rate limited, skipping until %s", source.name, until.isoformat())
        return self._report(source, "rate_limited", done, cursor=cursor, next_try_at=until,
                            error=str(exc))

    def _unavailable(
        self, source: SourceInfo, state: _State, exc: SourceError, done: _Progress,
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
        # A 5xx or timeout is the network's trouble (warning); anything else, e.g. a 400
        # for a bad query, needs a human (error), but is retried just as slowly.
        level = logging.WARNING if isinstance(exc, SourceUnavailable) else logging.ERROR
        log.log(level, "%s (attempt %d, next try %s)", exc, state.failures, until.isoformat())
        return self._report(source, "unavailable", done, cursor=cursor, next_try_at=until,
                            error=str(exc), down=down)
