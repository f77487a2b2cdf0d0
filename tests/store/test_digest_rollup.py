"""The per-hour rollup (revision 0007) gives the digest the mentions would give, while
alerts move between statuses, over 90 days, in a time zone off the hour, and after the
migration rebuilds it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from listener.digest import Digest, collect_digest, period_bounds
from listener.domain import AlertKind, AlertStatus
from listener.store import migrate
from listener.store.engine import make_engine
from listener.store.sql import SqlStore
from listener.store.tables import digest_hours
from listener.timewindow import Window, day_bounds
from tests.store.test_digest_queries import LAST, _seed, digests_both_ways

NOW = day_bounds(LAST, "UTC")[1]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_store(request: pytest.FixtureRequest) -> Iterator[SqlStore]:
    s = SqlStore(request.getfixturevalue(f"{request.param}_url"))
    yield s
    s.close()


def _both(store: SqlStore, days: int, tz: str) -> tuple[Digest, Digest]:
    """``collect_digest`` (the rollup) and ``build_digest`` over ``history``."""
    return digests_both_ways(store, days, tz=tz, sla_minutes=30,
                             business_hours=Window.parse("Mon-Fri 09:00-18:00"))


def _move_statuses(store: SqlStore) -> int:
    """Rule out, claim and resolve a share of the primary alerts; return how many moved."""
    moved = 0
    items = list(store.history(NOW - timedelta(days=60), NOW, embeddings=False))
    for i, item in enumerate(items):
        alert = next((a for a in item.alerts if a.kind is AlertKind.ALERT), None)
        if alert is None or alert.id is None:
            continue
        to = (AlertStatus.NOT_COMPLAINT, AlertStatus.CLAIMED, AlertStatus.RESOLVED, None)[i % 4]
        if to is not None:
            moved += store.set_status(alert.id, to, "U9", NOW)
    return moved


def _rollup(url: str) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            q = select(digest_hours).order_by(*digest_hours.primary_key.columns)
            return [tuple(r) for r in conn.execute(q)]
    finally:
        engine.dispose()


@pytest.mark.parametrize("days", [1, 7, 90])
def test_the_digest_is_the_same_after_alerts_change_status(sql_store: SqlStore, days: int) -> None:
    _seed(sql_store)
    assert _move_statuses(sql_store) > 20
    new, old = _both(sql_store, days, "America/Los_Angeles")
    assert new == old
    assert new.complaints.value and new.model_health.not_complaint


def test_a_time_zone_off_the_hour_reads_the_mentions(sql_store: SqlStore) -> None:
    """Kolkata's days start at :30 UTC: the rollup cannot cut them, the mentions can."""
    _seed(sql_store)
    _move_statuses(sql_store)
    for days in (1, 30):
        new, old = _both(sql_store, days, "Asia/Kolkata")
        assert new == old
        assert new.volume.value


def test_the_migration_builds_the_rollup_the_writes_keep(
    request: pytest.FixtureRequest, sqlite_url: str
) -> None:
    """Kept on write (triage, status moves) == rebuilt from the mentions by 0007; the
    down migration drops it and the copy of the status."""
    store = SqlStore(sqlite_url)
    _seed(store)
    _move_statuses(store)
    store.close()
    kept = _rollup(sqlite_url)
    assert len(kept) > 100
    migrate.downgrade(sqlite_url, "0006")
    assert migrate.current(sqlite_url) == "0006"
    assert migrate.upgrade(sqlite_url) == migrate.head()
    assert _rollup(sqlite_url) == kept
    store = SqlStore(sqlite_url)
    try:
        new, old = _both(store, 7, "America/Los_Angeles")
        assert new == old
    finally:
        store.close()


@pytest.mark.postgres
def test_the_migration_builds_the_rollup_on_postgresql(postgres_url: str) -> None:
    store = SqlStore(postgres_url)
    _seed(store)
    _move_statuses(store)
    store.close()
    kept = _rollup(postgres_url)
    migrate.downgrade(postgres_url, "0006")
    assert migrate.upgrade(postgres_url) == migrate.head()
    assert _rollup(postgres_url) == kept


def test_an_empty_day_and_untriaged_mentions(sqlite_url: str) -> None:
    """Mentions stored but not triaged are counted as volume, outside the rollup."""
    from tests.digest.factories import tm

    store = SqlStore(sqlite_url)
    try:
        at = day_bounds(LAST, "UTC")[0] + timedelta(hours=3)
        store.add_mentions([tm(at + timedelta(minutes=i), scored=False).mention for i in range(3)])
        new = collect_digest(store, last_day=LAST, tz="UTC", brand="Acme")
        assert (new.volume.value, new.unscored) == (3, 3)
        assert collect_digest(store, last_day=date(2026, 1, 1), tz="UTC").volume.value == 0
    finally:
        store.close()


def test_an_alert_enqueued_after_triage_counts(sql_store: SqlStore) -> None:
    """A first alert of kind "alert" enqueued later gives its mention a primary status
    (the rollup moves it), and a second one changes nothing."""
    from listener.domain import Alert

    _seed(sql_store)
    start, end = period_bounds(LAST, 7, "America/Los_Angeles")
    quiet = [t for t in sql_store.history(start, end, brand="Acme", embeddings=False)
             if t.scores is not None and not t.alerts]
    assert len(quiet) >= 3
    before, _ = _both(sql_store, 7, "America/Los_Angeles")
    sql_store.enqueue([Alert(t.mention.key, "#cx") for t in quiet[:3]], NOW)
    sql_store.enqueue([Alert(quiet[0].mention.key, "#other")], NOW)
    new, old = _both(sql_store, 7, "America/Los_Angeles")
    assert new == old
    assert new.model_health.alerts == before.model_health.alerts + 3
