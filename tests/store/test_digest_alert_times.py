"""SQLite hands the digest's alert times over as one string per column (group_concat);
where a column is not as that expects, the rows are read instead, to the same answer."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import numpy as np
import pytest

from listener.digest import ItemQueries
from listener.digest.times import NO_TIME, AlertColumns, AlertTimes, Micros
from listener.ports import TriagedMention, TriageRecord
from listener.store import open_store, sql_times
from listener.store.sql import SqlStore
from tests.digest.factories import local, mins, tm

AT = local(2026, 3, 9, 10)


def _store(url: str, items: list[TriagedMention]) -> SqlStore:
    store = open_store(url)
    assert isinstance(store, SqlStore)
    store.add_mentions([t.mention for t in items])
    store.record_triage_many(
        [TriageRecord(t.mention.key, t.scores, t.verdict, t.alerts) for t in items
         if t.scores is not None and t.verdict is not None]
    )
    return store


def _items() -> list[TriagedMention]:
    return [
        tm(AT, replied_after=mins(20)),
        tm(AT, sent_after=mins(1)),  # the same instant: the key breaks the tie
        tm(AT + mins(1), resolved_after=mins(90), claimed_after=mins(3)),
        tm(AT + mins(2)),
    ]


def _same(
    store: SqlStore, items: list[TriagedMention], monkeypatch: pytest.MonkeyPatch, rows: bool
) -> AlertColumns:
    """``rows``: the answer must come from the rows (``parsed``), not the strings."""
    parsed: list[int] = []
    real = sql_times.parsed

    def spy(texts: list[str | None]) -> Micros:
        parsed.append(len(texts))
        return real(texts)

    monkeypatch.setattr(sql_times, "parsed", spy)
    start, end = AT - timedelta(days=1), AT + timedelta(days=1)
    sql = store.digest_queries(start, end, brand="Acme").alert_times(start, end)
    mem = ItemQueries(store.history(start, end, brand="Acme")).alert_times(start, end)
    assert sql == mem
    assert len(sql) == len(items)
    assert bool(parsed) is rows
    return sql


def test_the_columns_are_those_of_the_rows(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = _items()
    store = _store(sqlite_url, items)
    got = _same(store, items, monkeypatch, rows=False)
    assert (got.replied_at == NO_TIME).sum() == 3
    store.close()


def test_a_separator_in_a_key_falls_back_to_rows(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = _items()
    odd = items[0]
    assert odd.verdict is not None
    items[0] = dataclasses.replace(
        odd, mention=dataclasses.replace(odd.mention, id="a\x1eb"),
        verdict=dataclasses.replace(odd.verdict, mention=("x", "a\x1eb")),
        alerts=tuple(dataclasses.replace(a, mention=("x", "a\x1eb")) for a in odd.alerts),
    )
    store = _store(sqlite_url, items)
    _same(store, items, monkeypatch, rows=True)
    store.close()


def test_a_time_in_another_text_form_falls_back_to_rows(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = _items()
    store = _store(sqlite_url, items)
    with store._engine.begin() as conn:  # written by something other than SQLAlchemy
        conn.exec_driver_sql("UPDATE alerts SET sent_at = '2026-03-09 18:01:00'")
        # The digest reads the copy on the mention (0008); history, the alert.
        conn.exec_driver_sql(
            "UPDATE mentions SET alert_sent_at = '2026-03-09 18:01:00' WHERE alert_id IS NOT NULL"
        )
    got = _same(store, items, monkeypatch, rows=True)
    assert len(set(got.sent_at.tolist())) == 1
    store.close()


@pytest.mark.parametrize("shuffle", [[2, 0, 1], [1, 0, 2]])
def test_columns_out_of_history_order_are_sorted(shuffle: list[int]) -> None:
    rows = [AlertTimes(("x", "1"), 5, NO_TIME, 1, 2, 3), AlertTimes(("x", "2"), 5, 7, 1, 2, 3),
            AlertTimes(("x", "0"), 9, NO_TIME, NO_TIME, NO_TIME, NO_TIME)]
    cols = AlertColumns.of([rows[i] for i in shuffle])
    assert cols.in_history_order().rows() == rows
    ordered = AlertColumns.of(rows)
    assert ordered.in_history_order() is ordered
    assert np.array_equal(ordered.created_at, [5, 5, 9])
