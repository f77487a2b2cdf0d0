"""Compact storage: bytes per mention before and after revision 0006, and whether int8 or
float16 embeddings change how posts group into incidents.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_compact.py --bytes    [--n 5000]
    PYTHONPATH=. .venv/bin/python benchmarks/bench_compact.py --incidents [--n 2000]

``--bytes`` backfills the twcs sample (``../shared/data/twcs-sample``) into a SQLite file
at revision 0004 (raw payload as JSON, float32 embeddings), measures it, migrates it in
place to ``--revision`` (default: the newest), VACUUMs and measures again: the same rows,
before and after, with where the bytes are (``dbstat``) and what the levers left would
save. The
embeddings are the classifier's real dimension (384) but random: their size does not
depend on their values. ``--incidents`` embeds the sample's customer posts with the
configured model, groups them with ``IncidentTracker`` from the float32 vectors and
from each compact format decoded, and counts the posts that land elsewhere.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

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


def bench_bytes(n: int, revision: str = "head") -> None:
    import numpy as np
    from sqlalchemy import MetaData, Table, create_engine

    from listener.config import load_settings
    from listener.decisions import DecisionEngine
    from listener.store import migrate
    from listener.store.codec import mention_row, scores_row, verdict_row
    from listener.store.tables import scores, verdicts
    from tests.backfill.doubles import keyword_scores

    ms = _mentions(n)
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "old.db"
        url = f"sqlite:///{db}"
        migrate.upgrade(url, "0004")
        engine = create_engine(url)
        # The 0004 shape of the table 0006 changes, read from the database itself.
        old_mentions = Table("mentions", MetaData(), autoload_with=engine)
        decider = DecisionEngine.from_settings(load_settings(None))
        scored = [(m, keyword_scores(m.text)) for m in ms]  # type: ignore[attr-defined]
        decisions = decider.decide_history(scored)  # type: ignore[arg-type]
        now = datetime.now(UTC)
        m_rows, s_rows, v_rows = [], [], []
        for (m, s), d in zip(scored, decisions, strict=True):
            row = mention_row(m, now)  # type: ignore[arg-type]
            row["triaged_at"] = now  # as record_triage leaves it: out of ix_mentions_pending
            row["raw"] = dict(m.raw)  # type: ignore[attr-defined]
            del row["payload"]  # 0004 had no digest copies: the insert ignores them
            m_rows.append(row)
            vec = rng.standard_normal(DIM).astype("<f4")
            srow = scores_row(m.key, s)  # type: ignore[attr-defined]
            srow["embedding"] = (vec / np.linalg.norm(vec)).astype("<f4").tobytes()
            s_rows.append(srow)
            v_rows.append(verdict_row(d.verdict))
        with engine.begin() as conn:
            conn.execute(old_mentions.insert(), m_rows)
            conn.execute(scores.insert(), s_rows)
            conn.execute(verdicts.insert(), v_rows)
        engine.dispose()
        before = _size(db)
        t0 = time.perf_counter()
        migrate.upgrade(url, revision)
        took = time.perf_counter() - t0
        after = _size(db)
        parts = _breakdown(db)
        levers = _levers(db, len(ms))
    k = len(ms)
    print(f"{k:,} mentions of the twcs sample (SQLite file, VACUUMed; indexes included)")
    print(f"  {'revision 0004 (JSON raw, float32 embedding)':<48} {before / k:8,.0f} B/mention")
    label = f"revision {revision} (zlib raw, float16 embedding)"
    print(f"  {label:<48} {after / k:8,.0f} B/mention")
    print(f"  migration 0004 -> {revision} in place: {took:.1f} s ({k / took:,.0f} mentions/s)")
    print(f"  where the bytes are at {revision} (per mention; tables and indexes, then columns):")
    for name, size in parts:
        if size / k >= 1:
            print(f"    {name:<46} {size / k:8,.0f}")
    print("\n".join(levers))


def _levers(path: Path, k: int) -> list[str]:
    """What the levers left would save, measured on these rows (none is applied: each
    costs a feature or incident quality, see docs/batch.md)."""
    import zlib

    conn = sqlite3.connect(path)
    try:
        emb = conn.execute("SELECT SUM(LENGTH(embedding)) FROM scores").fetchone()[0] or 0
        datas = [r[0] for r in conn.execute("SELECT data FROM scores")]
    finally:
        conn.close()
    # A preset dictionary of the JSON's keys, as a codec would ship it.
    zdict = datas[0].encode() if datas else b""
    packed = 0
    for d in datas:
        c = zlib.compressobj(9, zdict=zdict)
        packed += len(c.compress(d.encode()) + c.flush())
    plain = sum(len(d.encode()) for d in datas)
    n = max(len(datas), 1)
    return [
        "  levers not applied (bytes a mention each would save):",
        f"    {'embeddings int8 + scale (moves incidents)':<46} {emb / k / 2 - 4:8,.0f}",
        f"    {'no embedding past the incident window':<46} {emb / k:8,.0f}",
        # The test double's scores JSON barely varies: a real model's saves less.
        f"    {'scores JSON zlib, preset dictionary (double)':<46} {(plain - packed) / n:8,.0f}",
    ]


def _breakdown(path: Path) -> list[tuple[str, float]]:
    """Bytes of each table and index (``dbstat``), then the widest columns' average
    stored length, summed over their rows."""
    conn = sqlite3.connect(path)
    try:
        out = [(f"{name} (pages)", float(size)) for name, size in conn.execute(
            "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")]
        for table, column in (("mentions", "payload"), ("mentions", "text"),
                              ("scores", "embedding"), ("scores", "data"),
                              ("verdicts", "reasons"), ("mentions", "url")):
            (total,) = conn.execute(f"SELECT SUM(LENGTH({column})) FROM {table}").one() \
                if False else conn.execute(f"SELECT SUM(LENGTH({column})) FROM {table}").fetchone()
            out.append((f"  {table}.{column} (bytes stored)", float(total or 0)))
        return out
    finally:
        conn.close()


def bench_incidents(n: int) -> None:
    import numpy as np

    from listener.config import load_settings
    from listener.decisions.incidents import IncidentTracker
    from listener.runtime import build_classifier
    from listener.store.compact import EMBED_F16, EMBED_I8, pack_embedding, unpack_embedding

    ms = [m for m in _mentions(4 * n) if not m.author.username.isalpha()][:n]  # type: ignore[attr-defined]
    settings = load_settings(None)
    t0 = time.perf_counter()
    model = build_classifier(settings)
    scores = []
    texts = [m.text for m in ms]  # type: ignore[attr-defined]
    for i in range(0, len(texts), 64):
        scores.extend(model.predict(texts[i : i + 64]))
    print(f"embedded {len(ms):,} customer posts in {time.perf_counter() - t0:.0f} s "
          f"({len(scores[0].embedding)} dimensions)")
    # Incidents need a burst: the sample spans months, so it is replayed as one afternoon
    # (posts 10 s apart, in order) to give the tracker crowds of candidates to choose from.
    t = datetime(2026, 3, 1, 12, tzinfo=UTC)
    vectors = {
        "float32": [s.embedding for s in scores],
        "float16": [unpack_embedding(pack_embedding(s.embedding, EMBED_F16)) for s in scores],
        "int8": [unpack_embedding(pack_embedding(s.embedding, EMBED_I8)) for s in scores],
    }
    for similarity in (0.6, 0.75, 0.9):
        ids: dict[str, list[str]] = {}
        for name, vecs in vectors.items():
            tracker = IncidentTracker()
            got = []
            for i, (m, s, v) in enumerate(zip(ms, scores, vecs, strict=True)):
                at = t + timedelta(seconds=10 * i)
                found = tracker.match("Acme", s.topic, v, at, window=timedelta(minutes=120),
                                      similarity=similarity)
                inc = tracker.add(m.key, brand="Acme", topic=s.topic, embedding=v, at=at,  # type: ignore[attr-defined]
                                  text=m.text, incident_id=found.id if found else None)  # type: ignore[attr-defined]
                got.append(inc.id)
            ids[name] = got
        base = ids["float32"]
        groups = len(set(base))
        line = ", ".join(
            f"{name}: {sum(a != b for a, b in zip(base, ids[name], strict=True))} moved"
            for name in ("float16", "int8")
        )
        print(f"  similarity {similarity}: {groups:,} incidents from float32; {line} "
              f"(of {len(ms):,} posts)")
    err = max(
        abs(float(np.dot(a, b)) - float(np.dot(a, c)))
        for a, b, c in zip(vectors["float32"][:500], vectors["float32"][1:501],
                           vectors["int8"][1:501], strict=True)
    )
    print(f"  largest cosine error int8 vs float32 over 500 pairs: {err:.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bytes", action="store_true")
    ap.add_argument("--incidents", action="store_true")
    ap.add_argument("--n", type=int, default=0)
    ap.add_argument("--revision", default="head", help="--bytes: migrate to this (0006: before)")
    args = ap.parse_args()
    if args.bytes:
        bench_bytes(args.n or 5000, args.revision)
    if args.incidents:
        bench_incidents(args.n or 2000)


if __name__ == "__main__":
    main()
