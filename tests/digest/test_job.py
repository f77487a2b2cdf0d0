"""The daily job: a DST-safe local cron time, and one post per local day across restarts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from listener.config import BrandSettings, DigestSettings, RuleSettings, Settings
from listener.digest_job import DIGEST_JOB_ID, digest_due, digest_job, send_daily_digest
from listener.errors import PermanentDelivery
from listener.ports import TriagedMention
from listener.schedule import build_scheduler
from listener.slack.digest import SlackDigestPoster
from listener.store import MemoryStore, open_store
from tests.digest.factories import LA, local, mins, tm
from tests.fakes.slack_server import FakeSlack


def settings_at(time: str = "08:30", brands: tuple[str, ...] = ("Acme",)) -> Settings:
    return Settings(
        timezone="America/Los_Angeles",
        digest=DigestSettings(time=time, channel="#cx-leadership", sla_minutes=60),
        brands=[
            BrandSettings(name=b, rules=RuleSettings(business_hours="Mon-Fri 09:00-17:00"))
            for b in brands
        ],
    )


def trigger_of(settings: Settings) -> object:
    job = digest_job(store=MemoryStore(), settings=settings, poster=None,  # type: ignore[arg-type]
                     clock=None)  # type: ignore[arg-type]
    (scheduled,) = build_scheduler([job], timezone=settings.timezone).get_jobs()
    return scheduled.trigger


def poster(slack: FakeSlack, *, chart: bool = False) -> SlackDigestPoster:
    client = WebClient(token=slack.token, base_url=slack.base_url)
    return SlackDigestPoster(client=client, channel="#cx-leadership", chart=chart)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Saturday morning before spring forward: Sunday 08:30 is PDT (UTC-7).
        (datetime(2026, 3, 7, 9, 0, tzinfo=LA), datetime(2026, 3, 8, 15, 30, tzinfo=UTC)),
        (datetime(2026, 3, 8, 9, 0, tzinfo=LA), datetime(2026, 3, 9, 15, 30, tzinfo=UTC)),
        # Fall back: Sunday 08:30 is PST (UTC-8).
        (datetime(2026, 10, 31, 9, 0, tzinfo=LA), datetime(2026, 11, 1, 16, 30, tzinfo=UTC)),
        (datetime(2026, 11, 1, 8, 29, tzinfo=LA), datetime(2026, 11, 1, 16, 30, tzinfo=UTC)),
    ],
)
def test_the_cron_trigger_fires_at_the_local_time_across_dst(
    now: datetime, expected: datetime
) -> None:
    trigger: Any = trigger_of(settings_at("08:30"))
    fire = trigger.get_next_fire_time(None, now)
    assert fire is not None
    assert fire == expected
    assert fire.astimezone(LA).strftime("%H:%M") == "08:30"


def test_a_time_inside_the_repeated_hour_fires_twice_but_posts_once() -> None:
    """01:30 happens twice on 1 Nov in Los Angeles: APScheduler fires at both."""
    settings = settings_at("01:30")
    trigger: Any = trigger_of(settings)
    first = trigger.get_next_fire_time(None, datetime(2026, 10, 31, 12, tzinfo=LA))
    assert first is not None
    second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
    assert second is not None
    # Subtract in UTC: same-zone subtraction is wall-clock and would say 0.
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    store = MemoryStore()
    with FakeSlack() as slack:
        assert send_daily_digest(store, settings, poster(slack), now=first) is True
        assert send_daily_digest(store, settings, poster(slack), now=second) is False
        assert len(slack.posts()) == 1
    assert store.digest_sent("Acme", datetime(2026, 10, 31).date())


def test_due_only_after_the_local_time_and_for_yesterday() -> None:
    s = settings_at("08:30")
    assert digest_due(s, datetime(2026, 3, 8, 8, 29, tzinfo=LA)) is None
    assert digest_due(s, datetime(2026, 3, 8, 8, 30, tzinfo=LA)) == datetime(2026, 3, 7).date()
    # 23:30 in Los Angeles is already tomorrow in UTC: the local date decides.
    assert digest_due(s, datetime(2026, 3, 8, 23, 30, tzinfo=LA)) == datetime(2026, 3, 7).date()


def load(store: object, items: list[TriagedMention]) -> None:
    for t in items:
        store.add_mentions([t.mention])  # type: ignore[attr-defined]
        assert t.scores is not None
        assert t.verdict is not None
        store.record_triage(t.mention.key, t.scores, t.verdict, t.alerts)  # type: ignore[attr-defined]


def saturday() -> list[TriagedMention]:
    return [
        tm(local(2026, 3, 7, 10), replied_after=mins(20)),
        tm(local(2026, 3, 7, 11), topic="billing"),
        tm(local(2026, 3, 7, 12), brand="Globex"),
    ]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def test_posts_once_per_day_per_brand_across_restarts(slack: FakeSlack, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fr.db'}"
    settings = settings_at(brands=("Acme", "Globex"))
    client = poster(slack, chart=True)
    before = datetime(2026, 3, 8, 7, 0, tzinfo=LA)
    after = datetime(2026, 3, 8, 8, 31, tzinfo=LA)
    store = open_store(url, create=True)
    load(store, saturday())
    assert send_daily_digest(store, settings, client, now=before) is False  # not due yet
    assert slack.calls == []
    assert send_daily_digest(store, settings, client, now=after) is True
    store.close()
    posts = slack.posts("#cx-leadership")
    assert [p.blocks[0]["text"]["text"] for p in posts] == [
        "Acme · Daily complaint digest",
        "Globex · Daily complaint digest",
    ]
    assert "2 mentions" in posts[0].text
    assert len(slack.calls_to("files.completeUploadExternal")) == 2
    restarted = open_store(url)
    try:
        assert send_daily_digest(restarted, settings, client, now=after + mins(5)) is False
        assert len(slack.posts()) == 2
        assert restarted.digest_sent("Acme", after.date() - timedelta(days=1))  # type: ignore[attr-defined]
    finally:
        restarted.close()


def test_a_failed_post_is_not_recorded_and_goes_out_next_time(slack: FakeSlack) -> None:
    store = MemoryStore()
    load(store, saturday())
    settings = settings_at()
    client = poster(slack)
    now = datetime(2026, 3, 8, 8, 31, tzinfo=LA)
    slack.missing_channels.add("#cx-leadership")
    with pytest.raises(PermanentDelivery):
        send_daily_digest(store, settings, client, now=now)
    assert not store.digest_sent("Acme", now.date() - timedelta(days=1))
    slack.missing_channels.clear()
    assert send_daily_digest(store, settings, client, now=now + mins(10)) is True


def test_without_brands_one_digest_covers_everything(slack: FakeSlack) -> None:
    store = MemoryStore()
    load(store, saturday())
    now = datetime(2026, 3, 8, 9, 0, tzinfo=LA)
    assert send_daily_digest(store, settings_at(brands=()), poster(slack), now=now)
    (post,) = slack.posts()
    assert post.blocks[0]["text"]["text"] == "All brands · Daily complaint digest"
    assert "3 mentions" in post.text
    assert store.digest_sent("*", now.date() - timedelta(days=1))


def test_the_digest_job_runs_at_start_with_a_six_hour_grace(slack: FakeSlack) -> None:
    """A digest missed while the process was down goes out when it comes back: the job
    runs once at start-up and a run late by up to six hours still happens."""
    from apscheduler.triggers.cron import CronTrigger

    class Fixed:
        def now(self) -> datetime:
            return datetime(2026, 3, 8, 23, 0, tzinfo=LA)  # started long after 08:30

    store = MemoryStore()
    load(store, saturday())
    job = digest_job(store=store, settings=settings_at(), poster=poster(slack), clock=Fixed())
    assert (job.id, job.run_at_start, job.misfire_grace_time) == (DIGEST_JOB_ID, True, 6 * 3600)
    (scheduled,) = build_scheduler([job], timezone="America/Los_Angeles").get_jobs()
    assert isinstance(scheduled.trigger, CronTrigger)
    assert scheduled.next_run_time is not None  # at once, not tomorrow 08:30
    assert scheduled.misfire_grace_time == 6 * 3600
    assert job.func() is True  # what the scheduler will call
    assert job.func() is False  # and again, after a restart or a double fire
    assert len(slack.posts()) == 1
