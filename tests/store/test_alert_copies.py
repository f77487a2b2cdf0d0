"""The primary alert's id and times on its mention (revision 0008) are the alert's, after
triage, sends, status moves and alerts enqueued later; and 0008 rebuilds them as the
writes keep them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import inspect, select

from listener.domain import Alert, AlertKind, AlertStatus, SlackRef
from listener.store import migrate
from listener.store.engine import make_engine
from listener.store.sql import SqlStore
from listener.store.tables import ALERT_COPIES, mentions
from tests.store.test_digest_queries import _seed, digests_both_ways
from tests.store.test_digest_rollup import NOW

_COLUMNS = ("alert_status", *ALERT_COPIES)




def _copies(url: str) -> dict[tuple[str, str], tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            q = select(mentions.c.source, mentions.c.id, *(mentions.c[c] for c in _COLUMNS))
            return {(r[0], r[1]): tuple(r[2:]) for r in conn.execute(q)}
    finally:
        engine.dispose()


def _expected(store: SqlStore) -> dict[tuple[str, str], tuple[object, ...]]:
    """What the copies should be, from the alerts themselves (``history``)."""
    out: dict[tuple[str, str], tuple[object, ...]] = {}
    for t in store.history(NOW - timedelta(days=400), NOW + timedelta(days=400),
                           embeddings=False):
        a = next((a for a in t.alerts if a.kind is AlertKind.ALERT), None)
        out[t.mention.key] = (None,) * len(_COLUMNS) if a is None else (
            a.status.value, a.id, a.sent_at, a.claimed_at, a.replied_at, a.resolved_at)
    return out


def _work(store: SqlStore) -> None:
    """Send, claim, reply to, resolve and rule out a share of the primary alerts, and
    enqueue alerts for mentions that had none (and a second one for one that has)."""
    items = list(store.history(NOW - timedelta(days=60), NOW, embeddings=False))
    quiet = [t for t in items if t.scores is not None and not t.alerts]
    assert len(quiet) >= 3
    store.enqueue([Alert(t.mention.key, "#cx") for t in quiet[:3]], NOW)
    store.enqueue([Alert(quiet[0].mention.key, "#other")], NOW + timedelta(minutes=1))
    items = list(store.history(NOW - timedelta(days=60), NOW, embeddings=False))
    moves = (AlertStatus.CLAIMED, AlertStatus.REPLIED, AlertStatus.RESOLVED,
             AlertStatus.NOT_COMPLAINT, None)
    for i, item in enumerate(items):
        for a in item.alerts:  # thread replies' sends and moves change no copy
            assert a.id is not None
            at = NOW + timedelta(minutes=i)
            if i % 3 == 0:
                store.mark_sent(a.id, SlackRef("C1", f"{i}.{a.id}"), at)
            to = moves[i % len(moves)]
            if to is not None:
                store.set_status(a.id, to, "U9", at + timedelta(minutes=5))


def test_the_copies_are_the_primary_alerts_after_every_write(sql_store: SqlStore,
                                                             sql_url: str) -> None:
    _seed(sql_store)
    before = _copies(sql_url)
    assert sum(v[1] is not None for v in before.values()) > 20
    assert before == _expected(sql_store)
    _work(sql_store)
    after = _copies(sql_url)
    assert after == _expected(sql_store)
    changed = [k for k in after if after[k] != before[k]]
    assert len(changed) > 20
    assert any(v[2] is not None for v in after.values())  # sent
    assert any(v[4] is not None for v in after.values())  # replied
    for days in (7, 90):
        new, old = digests_both_ways(sql_store, days, tz="America/Los_Angeles", sla_minutes=30)
        assert new == old
        assert new.response.to_reply.count and new.resolved_count


def test_0008_rebuilds_the_copies_the_writes_keep(sql_url: str) -> None:
    """Down to 0007 drops the copies and the indexes; up again rebuilds them equal."""
    store = SqlStore(sql_url)
    _seed(store)
    _work(store)
    store.close()
    kept = _copies(sql_url)
    assert migrate.downgrade(sql_url, "0007") == "0007"
    engine = make_engine(sql_url)
    try:
        insp = inspect(engine)
        names = {c["name"] for c in insp.get_columns("mentions")}
        assert names.isdisjoint(ALERT_COPIES) and "alert_status" in names
        indexes = {i["name"] for i in insp.get_indexes("mentions")}
        assert not indexes & {"ix_mentions_alert_times", "ix_mentions_incident"}
    finally:
        engine.dispose()
    assert migrate.upgrade(sql_url) == migrate.head()
    assert _copies(sql_url) == kept
    store = SqlStore(sql_url)
    try:
        new, old = digests_both_ways(store, 30, tz="America/Los_Angeles", sla_minutes=30)
        assert new == old
    finally:
        store.close()
