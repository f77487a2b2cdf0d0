"""The daily leadership digest: when it runs, and posting it once per local day.

``digest_job`` is the scheduler's job: daily at ``digest.time`` in the configured
timezone (wall clock, DST-safe), a run missed by up to six hours (the process was
down) still happens when it comes back, and it also runs once at start-up, so a digest
due while the process was down goes out when it returns. ``send_daily_digest`` is what
makes that safe: it posts yesterday's digest for each brand unless the store's ledger
says it went out already (from several processes even: a race can at worst post twice;
it never skips a day it was asked for).

Digests go out through the :class:`DigestPoster` port: Slack
(``listener.slack.digest.SlackDigestPoster``) or the terminal (``TerminalDigestPoster``).
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from listener.config import BrandSettings, Settings
from listener.digest import Digest, DigestSource, collect_digest
from listener.errors import DeliveryError
from listener.ports import Clock
from listener.schedule import Job

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "ALL_BRANDS",
    "DIGEST_JOB_ID",
    "MISFIRE_GRACE",
    "DigestPoster",
    "DigestStore",
    "TerminalDigestPoster",
    "brand_digest",
    "digest_due",
    "digest_job",
    "send_daily_digest",
]

log = logging.getLogger(__name__)

#: Ledger key when no brand is configured: one digest over every mention.
ALL_BRANDS = "*"
DIGEST_JOB_ID = "daily-digest"
#: A scheduled run missed by up to this much (the process was down) still happens.
MISFIRE_GRACE = timedelta(hours=6)


class DigestStore(DigestSource, Protocol):
    def digest_sent(self, brand: str, day: date) -> bool: ...

    def mark_digest_sent(self, brand: str, day: date, ref_json: str, now: datetime) -> bool: ...


class DigestPoster(Protocol):
    """Delivers a digest to the people who read it."""

    def post(self, digest: Digest) -> str:
        """Deliver ``digest``; return where it went, as JSON, for the ledger.

        Raises ``DeliveryError`` when it did not go out (it is tried again next time).
        """
        ...


class TerminalDigestPoster:
    """The digest drawn in the terminal, for runs without a Slack token."""

    def __init__(self, *, console: Console) -> None:
        self._console = console

    def post(self, digest: Digest) -> str:
        from listener.report.text import render_terminal

        self._console.rule(f"Digest: {digest.brand or 'All brands'}, {digest.period_label}")
        self._console.print(render_terminal(digest))
        return json.dumps({"terminal": True})


def _post_time(settings: Settings) -> time:
    return settings.digest.time


def digest_due(settings: Settings, now: datetime) -> date | None:
    """The local day whose digest is due at ``now``: yesterday, once today's time passed."""
    local = now.astimezone(ZoneInfo(settings.timezone))
    if local.time() < _post_time(settings):
        return None
    return local.date() - timedelta(days=1)


def brand_digest(
    store: DigestSource,
    settings: Settings,
    brand: BrandSettings | None,
    *,
    last_day: date,
    days: int = 1,
    now: datetime | None = None,
) -> Digest:
    """The digest of one brand (or of everything, ``brand=None``) with its configuration."""
    return collect_digest(
        store,
        last_day=last_day,
        days=days,
        tz=settings.timezone,
        brand=brand.name if brand else None,
        sla_minutes=settings.digest.sla_minutes,
        business_hours=brand.rules.business_hours if brand else None,
        now=now,
    )


def send_daily_digest(
    store: DigestStore, settings: Settings, poster: DigestPoster, *, now: datetime
) -> bool:
    """Post yesterday's digest for each brand not posted yet; True if anything went out.

    A brand whose post fails is logged and the others still go; the first failure is
    re-raised at the end so the scheduler records the run as failed.
    """
    day = digest_due(settings, now)
    if day is None:
        return False
    brands: list[BrandSettings | None] = list(settings.brands) or [None]
    posted, failure = False, None
    for brand in brands:
        key = brand.name if brand else ALL_BRANDS
        if store.digest_sent(key, day):
            continue
        digest = brand_digest(store, settings, brand, last_day=day, now=now)
        try:
            ref = poster.post(digest)
        except DeliveryError as exc:
            log.error("digest for %s %s not posted: %s", key, day, exc)
            failure = failure or exc
            continue
        if not store.mark_digest_sent(key, day, ref, now):
            log.warning("digest for %s %s was also posted by another process", key, day)
        log.info("digest for %s %s posted: %s", key, day, ref)
        posted = True
    if failure is not None:
        raise failure
    return posted


def digest_job(
    *, store: DigestStore, settings: Settings, poster: DigestPoster, clock: Clock
) -> Job:
    """``send_daily_digest`` daily at the local ``digest.time``, and once at start-up."""
    at = _post_time(settings)

    def run() -> bool:
        return send_daily_digest(store, settings, poster, now=clock.now())

    return Job(
        DIGEST_JOB_ID,
        run,
        cron={"hour": str(at.hour), "minute": str(at.minute)},
        misfire_grace_time=int(MISFIRE_GRACE.total_seconds()),
        run_at_start=True,
    )
