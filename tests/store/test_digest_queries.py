"""The digest from the store's aggregates equals the digest over its mentions in memory.

``collect_digest`` asks the store (``digest_queries``: SQL aggregates on SQLite and
PostgreSQL); ``build_digest`` over the same store's ``history`` is the in-memory path the
digest always had. Same data, same ``Digest``, field for field.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest

from listener.digest import Digest, ItemQueries, build_digest, collect_digest, period_bounds
from listener.domain import Alert, AlertKind, AlertStatus, DeliveryState, Priority
from listener.ports import Store, TriagedMention, TriageRecord
from listener.timewindow import Window, day_bounds
from tests.digest.factories import LA, local, mins, tm
from tests.digest.sample import sample_month

LAST = date(2026, 3, 9)  # the spring-forward DST change is on 8 March in Los Angeles


def _odd_ones() -> list[TriagedMention]:
    """What the sample month lacks: every branch of the counting rules."""
    at = local(2026, 3, 9, 10)
    ruled_out = tm(at, status=AlertStatus.NOT_COMPLAINT, topic="billing/refund")
    two_alerts = tm(at + mins(1), topic="outage", incident="INC-A", priority=Priority.HIGH)
    first = two_alerts.alerts[0]
    two_alerts = dataclasses.replace(
        two_alerts,
        alerts=(
            dataclasses.replace(first, status=AlertStatus.NOT_COMPLAINT),
            dataclasses.replace(first, status=AlertStatus.OPEN, channel="#outage"),
        ),
    )
    thread_only = tm(at + mins(2), topic="delivery")
    thread_only = dataclasses.replace(
        thread_only,
        alerts=(
            Alert(thread_only.mention.key, "#cx", AlertKind.THREAD_REPLY, None,
                  DeliveryState.SENT, 1, at),
        ),
    )
    other_model = tm(at + mins(3), topic="delivery")
    assert other_model.scores is not None
    other_model = dataclasses.replace(
        other_model, scores=dataclasses.replace(other_model.scores, model="other-model")
    )
    same_instant = [tm(at + mins(4), topic=t, followers=20_000) for t in ("delivery", "outage")]
    return [
        ruled_out,
        two_alerts,
        thread_only,
        other_model,
        *same_instant,
        tm(at + mins(5), scored=False),
        tm(at + mins(6), brand="Other", topic="outage"),
        # An incident that began before the period and is still open.
        tm(local(2026, 3, 1, 9), topic="outage", incident="INC-A", priority=Priority.HIGH),
        tm(local(2026, 3, 1, 9, 5), topic="outage", incident="INC-A", complaint=False),
        # The same notable author, with more followers later.
        tm(at + mins(7), username="bigco", followers=9_000, verified="business"),
        tm(at + mins(8), username="bigco", followers=50_000, verified="business"),
        # Resolved in the period, created long before it.
        tm(local(2026, 2, 27, 9), resolved_after=timedelta(days=10), priority=Priority.HIGH),
        # Across the DST change, inside the previous period of a 1-day digest.
        tm(local(2026, 3, 8, 1, 30)),
        tm(local(2026, 3, 8, 3, 30), sentiment="neutral", complaint=False),
    ]


def _seed(store: Store) -> list[TriagedMention]:
    items = [*sample_month(LAST), *_odd_ones()]
    store.add_mentions([t.mention for t in items])
    store.record_triage_many(
        [
            TriageRecord(t.mention.key, t.scores, t.verdict, t.alerts)
            for t in items
            if t.scores is not None and t.verdict is not None
        ]
    )
    return items


def digests_both_ways(store: Store, days: int, *, tz: str, **kwargs: Any) -> tuple[Digest, Digest]:
    """``collect_digest`` (the store's aggregates) and ``build_digest`` over ``history``,
    for Acme's ``days`` ending on ``LAST``."""
    new = collect_digest(store, last_day=LAST, days=days, brand="Acme", tz=tz, **kwargs)
    start, end = period_bounds(LAST, days, tz)
    fetch_from = day_bounds(LAST - timedelta(days=days - 1 + max(days, 14, 30 - days)), tz)[0]
    pool = list(store.history(fetch_from, end, brand="Acme", embeddings=False))
    old = build_digest(
        [t for t in pool if t.mention.created_at >= start],
        store.list_feedback(start),
        period_start=start,
        period_end=end,
        previous=[t for t in pool if t.mention.created_at < start],
        brand="Acme",
        tz=tz,
        **kwargs,
    )
    return new, old


@pytest.mark.parametrize("days", [1, 30])
@pytest.mark.parametrize("hours", [None, "Mon-Fri 09:00-18:00"])
def test_aggregates_give_the_same_digest_as_the_mentions(
    store: Store, days: int, hours: str | None
) -> None:
    _seed(store)
    window = Window.parse(hours) if hours else None
    new, old = digests_both_ways(store, days, tz=LA, sla_minutes=30, business_hours=window)
    assert new == old
    assert new.volume.value > 0 and new.themes and new.open_incidents and new.notable_authors
    assert new.response.breach_count and new.resolved_count and new.unresolved_urgent_count
    assert len(new.model_health.models) == 2


@pytest.mark.parametrize("brand", ["Acme", None])
def test_each_question_has_the_same_answer_in_sql_and_in_memory(
    store: Store, brand: str | None
) -> None:
    _seed(store)
    start, end = period_bounds(LAST, 7, LA)
    edges = sorted({start, end, *(day_bounds(LAST - timedelta(days=d), LA)[0] for d in range(9))})
    pool_start = start - timedelta(days=20)
    mem = ItemQueries(store.history(pool_start, end, brand=brand))
    sql = store.digest_queries(pool_start, end, brand=brand)

    def same(got: list[object], want: list[object]) -> None:
        def key(x: object) -> str:
            return repr(x)

        assert sorted(got, key=key) == sorted(want, key=key)
        assert got

    segments = sql.segments(edges)
    same(segments, mem.segments(edges))  # type: ignore[arg-type]
    assert {s.segment for s in segments} >= {-1, 0, len(edges) - 2}
    same(sql.complaint_groups(start, end), mem.complaint_groups(start, end))  # type: ignore[arg-type]
    same(sql.incidents(), mem.incidents())  # type: ignore[arg-type]
    got, want = sql.health(start, end), mem.health(start, end)
    assert (got.alerts, got.ruled_out) == (want.alerts, want.ruled_out)
    assert sorted(got.models) == sorted(want.models)
    assert sql.urgent(3) == mem.urgent(3)
    assert sql.resolved(start, end, 3) == mem.resolved(start, end, 3)
    assert sql.notable_authors(start, end, 10_000) == mem.notable_authors(start, end, 10_000)
    assert sql.alert_times(start, end) == mem.alert_times(start, end)
    incidents = sorted({p.incident for p in sql.incidents()})
    assert len(incidents) >= 2
    kw: dict[str, Any] = {"by": "incident", "keys": incidents, "n": 2, "complaints": False}
    assert sql.top_posts(None, end, **kw) == mem.top_posts(None, end, **kw)


@pytest.mark.parametrize("few", [8, 0])
def test_example_posts_are_the_same_by_group_or_by_window(
    store: Store, monkeypatch: pytest.MonkeyPatch, few: int
) -> None:
    """``top_posts`` asks a few groups one by one (ORDER BY ... LIMIT) and many in one
    window; ``few`` 0 forces the window."""
    from listener.store import sql_digest

    monkeypatch.setattr(sql_digest, "_FEW_GROUPS", few)
    _seed(store)
    start, end = period_bounds(LAST, 30, LA)
    sql = store.digest_queries(start - timedelta(days=20), end, brand="Acme")
    mem = ItemQueries(store.history(start - timedelta(days=20), end, brand="Acme"))
    topics = ["delivery", "outage", "billing/refund", "nothing"]
    for n, complaints, since in ((2, True, start), (1, False, None), (3, True, start)):
        for by, keys in (("topic", topics), ("incident", ["INC-A", "INC-B"])):
            kw = {"by": by, "keys": keys, "n": n, "complaints": complaints}
            got = sql.top_posts(since, end, **kw)  # type: ignore[arg-type]
            assert got == mem.top_posts(since, end, **kw)  # type: ignore[arg-type]
            assert got
    assert sql.top_posts(start, end, by="topic", keys=[], n=2, complaints=True) == {}
