"""Revision 0009 converts every row of an existing database, and back, on SQLite and
PostgreSQL; what the features read (mention, payload, scores, verdict) is the same."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import numpy as np
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table, inspect, select, text

from listener.domain import Mention, Route, Scores, Verdict
from listener.store import migrate
from listener.store.codec import mention_row
from listener.store.compact import (
    EMBED_F16,
    EMBED_I8,
    PAYLOAD_DEFLATE,
    PAYLOAD_ZLIB,
    pack_payload,
    unpack_embedding,
    unpack_payload,
)
from listener.store.engine import make_engine
from listener.store.sql import SqlStore
from listener.store.tables import metadata
from tests.store import factories as f
from tests.store.factories import T0
from tests.store.test_compact import REAL, _same
from tests.store.test_sql import _scores_before_0009, _verdict_before_0009, empty_url

__all__ = ["empty_url"]  # the fixture, shared with test_sql

_TEXT = "@AmazonHelp my order 114 never arrived & nobody answers 😡"
_VEC = tuple(float(x) for x in np.linspace(-0.2, 0.2, 384))


def _rows() -> list[tuple[Mention, Scores | None, Verdict | None]]:
    twcs = f.mention(1, text=_TEXT, raw={
        "": "0", "tweet_id": "1", "author_id": "u1", "inbound": "True",
        "created_at": "Tue Oct 31 22:11:45 +0000 2017", "text": _TEXT,
        "response_tweet_id": "", "in_response_to_tweet_id": "6.0"})
    x = f.mention(2, raw={"id": "2", "text": "@acme my order 2 never arrived",
                          "note_tweet": {"text": "long " * 40},
                          "public_metrics": {"like_count": 3}})
    v1 = dataclasses.replace(f.verdict(twcs.key), reasons=(
        "no problem words, model unsure", "not urgent → #cx-queue, no ping"))
    return [
        (twcs, dataclasses.replace(REAL, embedding=_VEC), v1),
        (x, f.scores(embedding=()), f.verdict(x.key, route=Route.THREAD)),
        (f.mention(3), None, None),  # stored, never triaged
    ]


def _fill_0007(url: str) -> None:
    """The rows as revision 0007 held them (the shapes read from the database itself)."""
    engine = make_engine(url)
    try:
        meta = MetaData()
        tables = {n: Table(n, meta, autoload_with=engine)
                  for n in ("mentions", "scores", "verdicts")}
        with engine.begin() as conn:
            for m, s, v in _rows():
                row = mention_row(m, T0)
                row["payload"] = pack_payload(m.raw, fmt=PAYLOAD_ZLIB)
                row["triaged_at"] = T0 if v else None
                conn.execute(tables["mentions"].insert(),
                             {c.name: row.get(c.name) for c in tables["mentions"].c})
                if s is not None and v is not None:
                    conn.execute(tables["scores"].insert(), _scores_before_0009(m.key, s))
                    conn.execute(tables["verdicts"].insert(), _verdict_before_0009(v))
    finally:
        engine.dispose()


def _reads_back(url: str) -> None:
    store = SqlStore(url)
    try:
        got = {i.mention.key: i for i in store.history(T0 - timedelta(days=1),
                                                       T0 + timedelta(days=1))}
        for m, s, v in _rows():
            item = got[m.key]
            assert item.mention == m and item.mention.raw == m.raw
            stored = store.get_mention(m.key)
            assert stored is not None and stored.raw == m.raw
            assert item.verdict == v
            if s is None:
                assert item.scores is None
                continue
            assert item.scores is not None
            _same(dataclasses.replace(item.scores, embedding=()), s)
            if s.embedding:
                assert np.allclose(item.scores.embedding, s.embedding, atol=2e-3)
            else:
                assert item.scores.embedding == ()
    finally:
        store.close()


def _at_head(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
            payloads = conn.execute(text("SELECT payload FROM mentions")).scalars().all()
            assert {bytes(p)[0] for p in payloads} == {PAYLOAD_DEFLATE}
            blob = conn.execute(text("SELECT embedding FROM scores WHERE mention_id = '1'"))
            assert bytes(blob.scalar_one())[0] == EMBED_I8
            if engine.dialect.name == "sqlite":
                ddl = conn.execute(text(
                    "SELECT sql FROM sqlite_master WHERE name IN ('scores', 'verdicts')"
                )).scalars().all()
                assert len(ddl) == 2 and all("WITHOUT ROWID" in d for d in ddl)
        found = inspect(engine)
        assert {c["name"] for c in found.get_columns("scores")} == {
            "source", "mention_id", "packed", "embedding"}
        assert "ix_verdicts_incident_id" not in {i["name"] for i in found.get_indexes("verdicts")}
    finally:
        engine.dispose()


def _at_0007(url: str) -> None:
    engine = make_engine(url)
    try:
        meta = MetaData()
        m_t, s_t, v_t = (Table(n, meta, autoload_with=engine)
                         for n in ("mentions", "scores", "verdicts"))
        with engine.connect() as conn:
            mentions = {r.id: r for r in conn.execute(select(m_t))}
            scores = {r.mention_id: r for r in conn.execute(select(s_t))}
            verdicts = {r.mention_id: r for r in conn.execute(select(v_t))}
            if engine.dialect.name == "sqlite":
                ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'scores'"))
                assert "WITHOUT ROWID" not in ddl.scalar_one()
        for m, s, v in _rows():
            payload = bytes(mentions[m.id].payload)
            assert payload[0] == PAYLOAD_ZLIB and unpack_payload(payload) == m.raw
            if s is None or v is None:
                continue
            row: Any = scores[m.id]
            assert row.data == json_of(s)
            assert (row.complaint_probability, row.sentiment, row.urgency, row.topic) == (
                s.complaint_probability, s.sentiment, s.urgency, s.topic)
            if s.embedding:
                assert bytes(row.embedding)[0] == EMBED_F16
                assert np.allclose(unpack_embedding(row.embedding), s.embedding, atol=2e-3)
            assert list(verdicts[m.id].reasons) == list(v.reasons)
        assert "ix_verdicts_incident_id" in {
            i["name"] for i in inspect(engine).get_indexes("verdicts")}
    finally:
        engine.dispose()


def json_of(s: Scores) -> dict[str, object]:
    import json

    return dict(json.loads(json.dumps(s.to_dict(with_embedding=False))))


def test_0009_converts_an_existing_database_and_back(empty_url: str) -> None:
    migrate.upgrade(empty_url, "0007")
    _fill_0007(empty_url)
    assert migrate.upgrade(empty_url) == migrate.head()
    _at_head(empty_url)
    _reads_back(empty_url)
    migrate.downgrade(empty_url, "0007")
    assert migrate.current(empty_url) == "0007"
    _at_0007(empty_url)
    assert migrate.upgrade(empty_url) == migrate.head()
    _at_head(empty_url)
    _reads_back(empty_url)
