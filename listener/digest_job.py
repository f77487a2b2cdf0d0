"""The daily leadership digest: when it runs, and posting it once per local day.

``digest_cron_trigger`` gives APScheduler a ``CronTrigger`` in the configured timezone, so
"08:30" stays 08:30 local across DST changes. ``send_daily_digest`` is idempotent: it
posts yesterday's digest for each brand unless the store's ledger says it went out
already, so it is safe to call at every start-up and on every trigger, from several
processes even (a race can at worst post twice; it never skips a day it was asked for).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from listener.config import BrandSettings, Settings
from listener.digest import Digest, DigestSource, collect_digest
from listener.errors import DeliveryError

if TYPE_CHECKING:
    from apscheduler.job import Job
    from apscheduler.schedulers.base import BaseScheduler
    from apscheduler.triggers.cron import CronTrigger

    from listener.ports import Clock

__all__ = [
    "ALL_BRANDS",
    "DIGEST_JOB_ID",
    "DigestStore",
    "add_digest_job",
    "brand_digest",
    "digest_cron_trigger",
    "digest_due",
    "send_daily_digest",
]

log = logging.getLogger(__name__)

#: Ledger key when no brand is configured: one digest over every mention.
ALL_BRANDS = "*"
DIGEST_JOB_ID = "daily-digest"


class DigestStore(DigestSource, Protocol):
    def digest_sent(self, brand: str, day: date) -> bool: ...

    def mark_digest_sent(self, brand: str, day: date, ref_json: str, now: datetime) -> bool: ...


def _post_time(settings: Settings) -> time:
    hh, mm = settings.digest.time.split(":")
    return time(int(hh), int(mm))


def digest_cron_trigger(settings: Settings) -> CronTrigger:
    """Fires daily at ``digest.time`` in ``settings.timezone`` (wall clock, DST-safe)."""
    from apscheduler.triggers.cron import CronTrigger

    at = _post_time(settings)
    return CronTrigger(hour=at.hour, minute=at.minute, timezone=ZoneInfo(settings.timezone))


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
    store: DigestStore, settings: Settings, client: Any, *, now: datetime, chart: bool = True
) -> bool:
    """Post yesterday's digest to ``digest.channel`` for each brand not posted yet.

    ``client`` is a ``slack_sdk.WebClient``. Returns True if anything was posted. A brand
    whose post fails is logged and the others still go; the first failure is re-raised
    at the end so the scheduler records the run as failed.
    """
    day = digest_due(settings, now)
    if day is None:
        return False
    from listener.slack.digest import post_digest

    brands: list[BrandSettings | None] = list(settings.brands) or [None]
    posted, failure = False, None
    for brand in brands:
        key = brand.name if brand else ALL_BRANDS
        if store.digest_sent(key, day):
            continue
        digest = brand_digest(store, settings, brand, last_day=day, now=now)
        png = None
        if chart:
            from listener.report.chart import digest_png

            png = digest_png(digest)
        try:
            ref = post_digest(client, settings.digest.channel, digest, png)
        except DeliveryError as exc:
            log.error("digest for %s %s not posted: %s", key, day, exc)
            failure = failure or exc
            continue
        if not store.mark_digest_sent(key, day, ref.to_json(), now):
            log.warning("digest for %s %s was also posted by another process", key, day)
        log.info("digest for %s %s posted to %s", key, day, ref.channel)
        posted = True
    if failure is not None:
        raise failure
    return posted


def add_digest_job(
    scheduler: BaseScheduler, *, store: DigestStore, settings: Settings, client: Any, clock: Clock
) -> Job:
    """Schedule ``send_daily_digest`` at the local ``digest.time`` every day.

    A run missed by up to six hours (the process was down) still happens when it comes
    back; ``send_daily_digest`` itself decides whether anything is due, so calling the
    job's function once at start-up as well is safe.
    """

    def run() -> bool:
        return send_daily_digest(store, settings, client, now=clock.now())

    return scheduler.add_job(
        run,
        trigger=digest_cron_trigger(settings),
        id=DIGEST_JOB_ID,
        name="daily leadership digest",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=6 * 3600,
    )
