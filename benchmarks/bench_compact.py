"""Compact storage: bytes per mention before and after revision 0009, and whether int8 or
float16 embeddings change how posts group into incidents.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_compact.py --bytes    [--n 5000] [--model]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
    PYTHONPATH=. .venv/bin/python benchmarks/bench_compact.py --incidents [--n 2000]

``--bytes`` backfills the twcs sample (``../shared/data/twcs-sample``) into a SQLite file
at revision 0004 (raw payload as JSON, float32 embeddings), migrates it in place to
``--before`` (default 0007), VACUUMs and measures, then migrates the same file to
``--revision`` (default: the newest), VACUUMs and measures again: the same rows, side by
side, with where the bytes are (``dbstat``: tables and indexes, then the widest columns).
The scores are the test double's and the embeddings random (their size does not depend
on their values) unless ``--model``: then the configured model scores and embeds every
post (minutes on a CPU), which is what a deployment stores. ``--incidents`` embeds the
sample's customer posts with the configured model, groups them with ``IncidentTracker``
from the float32 vectors and from each compact format decoded, and counts the posts that
land elsewhere.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SAMPLE = Path(__file__).resolve().parents[2] / "shared/data/twcs-sample/twcs_first5000.csv"
DIM = 384


def _mentions(n: int) -> list[object]:
    from listener.backfill.readers import open_records
    from listener.domain import Mention

    out: list[object] = []
    with open_records(SAMPLE, "twcs") as records:
        for r in records:
            if isinstance(r.item, Mention):
                out.append(r.item)
            if len(out) >= n:
                break
    return out


def _size(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        conn.execute("VACUUM")
    finally:
        conn.close()
    return path.stat().st_size


def _scored(ms: list[Any], model: bool) -> list[tuple[Any, Any]]:
    """Each mention with its scores: the configured model's, or the test double's with a
    random unit embedding of the model's dimension."""
    import dataclasses

    import numpy as np

    if model:
        from listener.config import load_settings
        from listener.runtime import build_classifier

        classifier = build_classifier(load_settings(None))
        texts = [m.text for m in ms]
        got = []
        for i in range(0, len(texts), 64):
            got.extend(classifier.predict(texts[i : i + 64]))
        return list(zip(ms, got, strict=True))
    from tests.backfill.doubles import keyword_scores

    rng = np.random.default_rng(1)
    out = []
    for m in ms:
        vec = rng.standard_normal(DIM).astype("<f4")
        emb = tuple((vec / np.linalg.norm(vec)).astype("<f4").tolist())
        out.append((m, dataclasses.replace(keyword_scores(m.text), embedding=emb)))
    return out


def _fill_0004(url: str, scored: list[tuple[Any, Any]], model: bool) -> None:
    """The rows as revision 0004 held them: raw payload as JSON, scores JSON, float32.

    Random embeddings group nothing: the double's posts are decided without them (as
    the figures before 0009 were), the model's with theirs."""
    import dataclasses

    import numpy as np
    from sqlalchemy import MetaData, Table, create_engine

    from listener.config import load_settings
    from listener.decisions import DecisionEngine
    from listener.store.codec import mention_row, verdict_row

    engine = create_engine(url)
    # The 0004 shapes of the tables later revisions change, read from the database itself.
    old_mentions = Table("mentions", MetaData(), autoload_with=engine)
    old_scores = Table("scores", MetaData(), autoload_with=engine)
    old_verdicts = Table("verdicts", MetaData(), autoload_with=engine)
    decider = DecisionEngine.from_settings(load_settings(None))
    decisions = decider.decide_history(
        scored if model else [(m, dataclasses.replace(s, embedding=())) for m, s in scored]
    )
    now = datetime.now(UTC)
    m_rows, s_rows, v_rows = [], [], []
    for (m, s), d in zip(scored, decisions, strict=True):
        row = mention_row(m, now)
        row["triaged_at"] = now  # as record_triage leaves it: out of ix_mentions_pending
        row["raw"] = dict(m.raw)
        del row["payload"]  # 0004 had no digest copies: the insert ignores them
        m_rows.append(row)
        s_rows.append({
            "source": m.source, "mention_id": m.id, "data": s.to_dict(with_embedding=False),
            "complaint_probability": s.complaint_probability, "sentiment": s.sentiment,
            "urgency": s.urgency, "topic": s.topic,
            "embedding": np.asarray(s.embedding, dtype="<f4").tobytes(),
        })
        v_rows.append({**verdict_row(d.verdict), "reasons": list(d.verdict.reasons)})
    with engine.begin() as conn:
        conn.execute(old_mentions.insert(), m_rows)
        conn.execute(old_scores.insert(), s_rows)
        conn.execute(old_verdicts.insert(), v_rows)
    engine.dispose()


def bench_bytes(n: int, before: str = "0007", revision: str = "head",
                model: bool = False, postgres: str | None = None) -> None:
    from listener.store import migrate

    ms = _mentions(n)
    t0 = time.perf_counter()
    scored = _scored(ms, model)
    scoring = time.perf_counter() - t0
    if postgres:
        bench_bytes_postgres(postgres, scored, before, revision, model)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "old.db"
        url = f"sqlite:///{db}"
        migrate.upgrade(url, "0004")
        _fill_0004(url, scored, model)
        at_0004 = _size(db)
        migrate.upgrade(url, before)
        size_before, parts_before = _size(db), _breakdown(db)
        t0 = time.perf_counter()
        migrate.upgrade(url, revision)
        took = time.perf_counter() - t0
        size_after, parts_after = _size(db), _breakdown(db)
    k = len(ms)
    what = (f"the configured model's scores and embeddings ({scoring:.0f} s to score)" if model
            else "the test double's scores, random 384-d embeddings")
    print(f"{k:,} mentions of the twcs sample (SQLite file, VACUUMed; indexes included); {what}")
    for label, size in (("revision 0004", at_0004), (f"revision {before} (before)", size_before),
                        (f"revision {revision} (after)", size_after)):
        print(f"  {label:<48} {size / k:8,.0f} B/mention")
    print(f"  migration {before} -> {revision} in place: {took:.1f} s ({k / took:,.0f} mentions/s)")
    print("  where the bytes are (per mention; tables and indexes, then columns):")
    print(f"    {'':<46} {before:>8} {revision:>8}")
    names = list(dict.fromkeys([*parts_before, *parts_after]))
    for name in names:
        a, b = parts_before.get(name, 0.0) / k, parts_after.get(name, 0.0) / k
        if max(a, b) >= 1:
            print(f"    {name:<46} {a:8,.0f} {b:8,.0f}")


def bench_bytes_postgres(
    base: str, scored: list[tuple[Any, Any]], before: str, revision: str, model: bool
) -> None:
    """The same rows in a fresh PostgreSQL schema of ``base``: relation sizes (tables,
    their TOAST and indexes) after ``VACUUM FULL``, at ``before`` and ``revision``."""
    import uuid

    import psycopg
    from psycopg import sql

    from listener.store import migrate

    schema = f"fr_bench_{uuid.uuid4().hex[:10]}"
    dsn = base.replace("postgresql+psycopg://", "postgresql://")
    url = f"{base}?options=-csearch_path%3D{schema}"
    admin = psycopg.connect(dsn, autocommit=True)
    admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))

    def size() -> dict[str, int]:
        admin.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        admin.execute("VACUUM FULL")
        return dict(admin.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c"
            " JOIN pg_namespace s ON s.oid = c.relnamespace"
            " WHERE s.nspname = %s AND c.relkind = 'r'", (schema,)).fetchall())

    try:
        migrate.upgrade(url, "0004")
        _fill_0004(url, scored, model)
        migrate.upgrade(url, before)
        at_before = size()
        migrate.upgrade(url, revision)
        at_after = size()
    finally:
        admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        admin.close()
    k = len(scored)
    print(f"{k:,} mentions in PostgreSQL (VACUUM FULL; each table with its TOAST and indexes)")
    print(f"    {'':<46} {before:>8} {revision:>8}")
    for name in sorted(set(at_before) | set(at_after), key=lambda t: -at_before.get(t, 0)):
        a, b = at_before.get(name, 0) / k, at_after.get(name, 0) / k
        if max(a, b) >= 1:
            print(f"    {name:<46} {a:8,.0f} {b:8,.0f}")
    print(f"    {'all':<46} {sum(at_before.values()) / k:8,.0f} {sum(at_after.values()) / k:8,.0f}")


#: The widest columns, as (table, column): each revision has some of them.
_COLUMNS = (("mentions", "payload"), ("mentions", "text"), ("mentions", "url"),
            ("scores", "embedding"), ("scores", "data"), ("scores", "packed"),
            ("verdicts", "reasons"))


def _breakdown(path: Path) -> dict[str, float]:
    """Bytes of each table and index (``dbstat``), then the widest columns' stored
    length, summed over their rows."""
    conn = sqlite3.connect(path)
    try:
        out = {f"{name} (pages)": float(size) for name, size in conn.execute(
            "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")}
        for table, column in _COLUMNS:
            have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            if column in have:
                (total,) = conn.execute(
                    f"SELECT SUM(LENGTH({column})) FROM {table}").fetchone()
                out[f"  {table}.{column} (bytes stored)"] = float(total or 0)
        return out
    finally:
        conn.close()


def _demo_mentions() -> list[Any]:
    from listener.demo.source import DemoSource, load_sample
    from listener.domain import Mention

    source = DemoSource(now=datetime(2026, 3, 1, tzinfo=UTC))
    return [m for m in (source._parse(r) for r in load_sample()) if isinstance(m, Mention)]


def bench_incidents(n: int) -> None:
    """Incidents from each stored embedding format against float32 (the model's own): by
    the decision engine with the configured rules at the posts' own times (what ``replay``
    and a restart's rebuild do), and squeezed into one afternoon at three similarities."""
    import dataclasses

    import numpy as np

    from listener.config import load_settings
    from listener.decisions import DecisionEngine
    from listener.decisions.incidents import IncidentTracker
    from listener.demo.source import demo_settings
    from listener.store.compact import EMBED_F16, EMBED_I8, pack_embedding, unpack_embedding

    base = load_settings(None)
    corpora = [("demo sample", _demo_mentions(), demo_settings(base)),
               ("twcs sample", _mentions(n), base)]
    t0 = time.perf_counter()
    scored = {name: _scored(ms, True) for name, ms, _ in corpora}
    print(f"scored {sum(len(v) for v in scored.values()):,} posts with the configured model "
          f"in {time.perf_counter() - t0:.0f} s")
    formats = {"float16": EMBED_F16, "int8": EMBED_I8}
    for name, ms, settings in corpora:
        items = scored[name]
        runs = {"float32": items}
        for label, fmt in formats.items():
            runs[label] = [(m, dataclasses.replace(
                s, embedding=unpack_embedding(pack_embedding(s.embedding, fmt))))
                for m, s in items]
        ids = {label: [d.verdict.incident_id for d in
                       DecisionEngine.from_settings(settings).decide_history(r)]
               for label, r in runs.items()}
        grouped = sum(i is not None for i in ids["float32"])
        moved = ", ".join(
            f"{label}: {sum(a != b for a, b in zip(ids['float32'], ids[label], strict=True))}"
            for label in formats)
        print(f"{name}, {len(ms):,} posts at their own times, configured rules: {grouped:,} "
              f"in {len(set(i for i in ids['float32'] if i)):,} incidents (float32); "
              f"verdicts with another incident: {moved}")
        # The sample spans months: replayed as one afternoon (posts 10 s apart, in
        # order), the tracker gets crowds of candidates to choose from.
        t = datetime(2026, 3, 1, 12, tzinfo=UTC)
        for similarity in (0.6, 0.75, 0.9):
            got: dict[str, list[str]] = {}
            for label, r in runs.items():
                tracker = IncidentTracker()
                out = []
                for i, (m, s) in enumerate(r):
                    at = t + timedelta(seconds=10 * i)
                    found = tracker.match("Acme", s.topic, s.embedding, at,
                                          window=timedelta(minutes=120), similarity=similarity)
                    out.append(tracker.add(m.key, brand="Acme", topic=s.topic,
                                           embedding=s.embedding, at=at, text=m.text,
                                           incident_id=found.id if found else None).id)
                got[label] = out
            line = ", ".join(
                f"{label}: {sum(a != b for a, b in zip(got['float32'], got[label], strict=True))}"
                for label in formats)
            print(f"  one afternoon, similarity {similarity}: {len(set(got['float32'])):,} "
                  f"incidents (float32); posts in another incident: {line}")
        e32 = np.asarray([s.embedding for _, s in items], dtype=np.float32)
        e8 = np.asarray([s.embedding for _, s in runs["int8"]], dtype=np.float32)
        pairs = np.random.default_rng(0).integers(0, len(e32), (20000, 2))
        err = np.abs((e32[pairs[:, 0]] * e32[pairs[:, 1]]).sum(1)
                     - (e32[pairs[:, 0]] * e8[pairs[:, 1]]).sum(1))
        print(f"  cosine error int8 vs float32 over 20,000 pairs: mean {err.mean():.1e}, "
              f"largest {err.max():.1e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bytes", action="store_true")
    ap.add_argument("--incidents", action="store_true")
    ap.add_argument("--n", type=int, default=0)
    ap.add_argument("--before", default="0007", help="--bytes: measure at this first")
    ap.add_argument("--revision", default="head", help="--bytes: then migrate to this")
    ap.add_argument("--model", action="store_true", help="--bytes: the model's real scores")
    ap.add_argument("--postgres", metavar="URL", help="--bytes: also in this PostgreSQL")
    args = ap.parse_args()
    if args.bytes:
        bench_bytes(args.n or 5000, args.before, args.revision, args.model, args.postgres)
    if args.incidents:
        bench_incidents(args.n or 5000)


if __name__ == "__main__":
    main()
