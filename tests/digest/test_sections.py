"""Themes, open work, notable authors, spikes and the chart series."""

from __future__ import annotations

from datetime import date, timedelta

from listener.digest import Trend, build_digest, collect_digest, daily_series, period_bounds
from listener.domain import AlertStatus, Priority
from listener.ports import TriagedMention
from listener.store import MemoryStore
from tests.digest.factories import LA, local, mins, tm
from tests.digest.test_metrics import digest_for

DAY = date(2026, 6, 2)


def at(h: int, d: int = 2) -> object:
    return local(2026, 6, d, h)


def themed_days() -> list[TriagedMention]:
    today = [
        *(
            tm(local(2026, 6, 2, 8 + i), topic="delivery", urgency=1 + i % 3, followers=10 * i)
            for i in range(5)
        ),
        *(tm(local(2026, 6, 2, 9), topic="billing") for _ in range(2)),
        *(tm(local(2026, 6, 2, 10 + i), topic="outage", incident="INC-1") for i in range(3)),
        tm(local(2026, 6, 2, 11), topic="login"),
        tm(local(2026, 6, 2, 12), topic="login", incident="INC-solo"),  # one post: no theme
        tm(local(2026, 6, 2, 13), complaint=False, topic="praise"),
    ]
    yesterday = [
        *(tm(local(2026, 6, 1, 8), topic="delivery") for _ in range(2)),
        *(tm(local(2026, 6, 1, 9), topic="billing") for _ in range(2)),
        *(tm(local(2026, 6, 1, 10), topic="login") for _ in range(4)),
    ]
    return [*yesterday, *today]


def test_top_themes_with_counts_trends_and_examples() -> None:
    d = digest_for(DAY, themed_days(), top_themes=10)
    got = [(t.kind, t.label, t.count, t.previous, t.trend) for t in d.themes]
    assert got == [
        ("topic", "delivery", 5, 2, Trend.UP),
        ("incident", "Incident INC-1 (outage)", 3, 0, Trend.NEW),
        ("topic", "outage", 3, 0, Trend.NEW),
        ("topic", "billing", 2, 2, Trend.FLAT),
        ("topic", "login", 2, 4, Trend.DOWN),
    ]
    delivery = d.themes[0]
    # Most urgent first, then widest reach: i=2 has urgency 3; i=1 and i=4 urgency 2.
    assert [(p.urgency, p.followers) for p in delivery.examples] == [(3, 20), (2, 40)]
    assert delivery.examples[0].url.startswith("https://x.com/")
    top2 = digest_for(DAY, themed_days(), top_themes=2).themes
    assert [t.label for t in top2] == [t.label for t in d.themes[:2]]


def test_theme_trends_are_unknown_without_history() -> None:
    d = digest_for(DAY, [t for t in themed_days() if t.mention.created_at >= local(2026, 6, 2)])
    assert {t.trend for t in d.themes} == {Trend.UNKNOWN}
    assert all(t.previous is None for t in d.themes)


def test_open_incidents_urgent_and_resolved_items_oldest_first() -> None:
    items = [
        tm(local(2026, 5, 30, 9), incident="INC-old", topic="outage"),
        tm(
            local(2026, 5, 30, 10),
            incident="INC-old",
            topic="outage",
            resolved_after=timedelta(hours=1),
        ),
        tm(local(2026, 6, 2, 9), incident="INC-new", topic="billing"),
        tm(local(2026, 6, 2, 9, 30), incident="INC-new", topic="billing"),
        # a one-post "incident" is a plain complaint, not an incident to list
        tm(local(2026, 6, 2, 10), incident="INC-single", topic="delivery"),
        tm(local(2026, 6, 1, 9), incident="INC-done", resolved_after=mins(30)),
        tm(local(2026, 6, 2, 8), priority=Priority.HIGH, username="urgent_today"),
        tm(
            local(2026, 5, 31, 8),
            priority=Priority.CRITICAL,
            username="urgent_old",
            claimed_after=mins(5),
        ),
        tm(local(2026, 5, 31, 9), priority=Priority.HIGH, resolved_after=mins(5)),
        # replied publicly, never clicked "resolve": no longer waiting for anyone
        tm(local(2026, 5, 30, 9), priority=Priority.HIGH, replied_after=mins(5)),
        tm(local(2026, 6, 1, 7), priority=Priority.HIGH, status=AlertStatus.NOT_COMPLAINT),
        # created earlier, resolved during the day: listed as resolved in the period
        tm(local(2026, 5, 31, 12), username="fixed_today", resolved_after=timedelta(hours=44)),
    ]
    d = digest_for(DAY, items)
    assert [(i.id, i.count, i.open_alerts) for i in d.open_incidents] == [
        ("INC-old", 2, 1),
        ("INC-new", 2, 2),
    ]
    assert d.open_incidents[0].first_seen == local(2026, 5, 30, 9)
    assert [p.author for p in d.unresolved_urgent] == ["@urgent_old", "@urgent_today"]
    assert d.unresolved_urgent[0].status is AlertStatus.CLAIMED
    assert [p.author for p in d.resolved] == ["@fixed_today"]


def test_notable_authors_are_high_reach_or_verified_complainers() -> None:
    items = [
        tm(local(2026, 6, 2, 9), followers=250_000, username="big"),
        tm(local(2026, 6, 2, 10), followers=250_000, username="big"),
        tm(local(2026, 6, 2, 9), followers=90_000, username="praiser", complaint=False),
        tm(local(2026, 6, 2, 9), followers=12, username="acme_partner", verified="business"),
        tm(local(2026, 6, 2, 9), followers=9_999, username="almost"),
        tm(local(2026, 6, 2, 9), followers=20_000, username="mid"),
    ]
    d = digest_for(DAY, items)
    assert [(a.handle, a.complaints) for a in d.notable_authors] == [
        ("@big", 2),
        ("@mid", 1),
        ("@acme_partner", 1),
    ]


def week(per_day: int, complaints: int, last: int = 1) -> list[TriagedMention]:
    out = []
    for d in range(last - 6, last + 1):
        day = date(2026, 6, 1) + timedelta(days=d - 1)
        for i in range(per_day):
            out.append(
                tm(
                    local(day.year, day.month, day.day, 9),
                    complaint=i < complaints,
                    sentiment="neutral",
                )
            )
    return out


def test_a_day_far_above_its_7_day_baseline_is_a_spike() -> None:
    base = week(10, 2)  # 26 May - 1 June: 10 a day, 20% complaints
    spike = [tm(local(2026, 6, 2, 12), complaint=i < 15) for i in range(30)]
    d = digest_for(DAY, [*base, *spike])
    assert [(s.kind, s.value, s.baseline) for s in d.spikes] == [
        ("volume", 30, 10.0),
        ("complaint_share", 0.5, 0.2),
    ]
    calm = [tm(local(2026, 6, 2, 12), complaint=i < 3) for i in range(12)]
    assert digest_for(DAY, [*base, *calm]).spikes == ()


def test_a_new_install_has_no_spikes_and_a_short_baseline() -> None:
    items = [tm(local(2026, 6, 1, 9)) for _ in range(4)] + [
        tm(local(2026, 6, 2, 9)) for _ in range(40)
    ]
    d = digest_for(DAY, items)
    assert d.volume.baseline == 4.0  # one day of history, not 4/7
    assert [s.kind for s in d.spikes] == ["volume"]
    assert digest_for(DAY, items[4:]).spikes == ()


def test_daily_series_fills_empty_days_across_dst() -> None:
    items = [
        tm(local(2026, 3, 8, 0, 30)),
        tm(local(2026, 3, 8, 23, 30)),
        tm(local(2026, 3, 10, 12), complaint=False),
    ]
    series = daily_series(items, days=5, tz="America/Los_Angeles")
    assert [(p.day.day, p.volume, p.complaints) for p in series] == [
        (6, 0, 0),
        (7, 0, 0),
        (8, 2, 2),
        (9, 0, 0),
        (10, 1, 0),
    ]
    assert series[2].complaint_share == 1.0
    assert series[0].complaint_share is None
    assert daily_series([], tz=LA) == ()
    assert len(daily_series([], tz=LA, end=date(2026, 3, 8))) == 30


def test_digest_trend_holds_30_days_up_to_the_period() -> None:
    d = digest_for(DAY, week(3, 1))
    assert len(d.trend) == 30
    assert d.trend[-1].day == DAY
    assert [p.volume for p in d.trend[-8:]] == [3] * 7 + [0]


def test_collect_digest_reads_the_store_through_its_ports() -> None:
    store = MemoryStore()
    items = [*week(10, 2), *(tm(local(2026, 6, 2, 12), replied_after=mins(20)) for _ in range(5))]
    items.append(tm(local(2026, 6, 2, 12), brand="Other"))
    for t in items:
        store.add_mentions([t.mention])
        assert t.scores is not None
        assert t.verdict is not None
        store.record_triage(t.mention.key, t.scores, t.verdict, t.alerts)
    d = collect_digest(store, last_day=DAY, tz=LA, brand="Acme", sla_minutes=30)
    assert d.brand == "Acme"
    assert d.volume.value == 5
    assert d.volume.previous == 10
    assert d.response.to_reply.median == mins(20)
    start, end = period_bounds(DAY, 1, LA)
    assert (d.period_start, d.period_end) == (start, end)
    same = build_digest(
        [t for t in items if t.mention.brand == "Acme" and t.mention.created_at >= start],
        period_start=start,
        period_end=end,
        tz=LA,
        sla_minutes=30,
        brand="Acme",
        previous=[t for t in items if t.mention.brand == "Acme" and t.mention.created_at < start],
    )
    assert d.volume == same.volume
    assert d.themes == same.themes


def test_long_lists_keep_the_oldest_or_worst_and_count_the_rest() -> None:
    from listener.digest.model import LIST_LIMIT

    n = LIST_LIMIT + 20
    items = [
        tm(local(2026, 6, 2, 8) + mins(i), priority=Priority.HIGH, username=f"u{i}")
        for i in range(n)
    ]
    d = digest_for(DAY, items)
    assert d.unresolved_urgent_count == n
    assert len(d.unresolved_urgent) == LIST_LIMIT
    assert d.unresolved_urgent[0].author == "@u0"
    r = d.response
    assert r.breach_count == n
    assert len(r.breaches) == LIST_LIMIT
    assert r.breaches[0].post.author == "@u0"  # waited longest
