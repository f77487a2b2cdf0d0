"""Parallel backfill writers (``backfill --workers N``) into PostgreSQL, side by side.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_writers.py               # 1, 2, 4 writers
    PYTHONPATH=. .venv/bin/python benchmarks/bench_writers.py --no-fake --model --model-rows 1000

Each run gets a fresh PostgreSQL schema (dropped afterwards) and a twcs-format file
built from the real sample (``bench_backfill.make_file``). The model is a test double
that returns fixed scores with a 384-float embedding (so the scores rows weigh what real
ones weigh): what shows is the non-model ceiling — parsing, storing mentions in N
processes, and the one decision pass that stores the verdicts. ``--model`` adds 1 vs 2
workers with the real model on the twcs sample (``--model-rows``). ``--workers 1`` is
today's one-process path (``batch.backfill``), the baseline of each table. "workers s"
is until the workers have read the whole file, "then s" what the decision pass still
needed after that (it runs alongside them). The CPU columns do not depend on how busy
the machine is: CPU ms per mention of the parent (one process: everything; N workers:
planning and the decision pass) and of its children together (N workers and, unless
``--verdict-writers 0``, N verdict writers); "ceiling/s" is what that allows with a core
for each process, min(children / their CPU, 1 / parent) (PostgreSQL's CPU not counted).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_backfill import SAMPLE, make_file  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class FakeModel:
    """Fixed scores, a real-sized embedding, no compute: the non-model ceiling."""

    name = "bench-fake"

    def __init__(self) -> None:
        from classifiers.base import Scores

        emb = tuple(1.0 / 384**0.5 for _ in range(384))
        self._scores = Scores("negative", {"negative": 0.9, "neutral": 0.1}, 0.9, True, 2, (),
                              "delivery", {"delivery": 1.0}, "", "bench-fake", emb)

    def predict(self, texts: Sequence[str]) -> list[Any]:
        return [self._scores] * len(texts)


def fake_factory() -> FakeModel:
    return FakeModel()


def with_schema(url: str, run: Callable[[str], dict[str, float]]) -> dict[str, float]:
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    from listener.store import migrate

    u = make_url(url)
    conn = psycopg.connect(host=u.host, port=u.port or 5432, user=u.username,
                           dbname=u.database, connect_timeout=3, autocommit=True)
    schema = f"fr_bench_{uuid.uuid4().hex[:8]}"
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        migrate.upgrade(scoped)
        return run(scoped)
    finally:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        conn.close()


#: Verdict writer processes beside N workers (-1: N, as the CLI runs; 0: the pass writes).
VERDICT_WRITERS = -1


def _writers(workers: int) -> int:
    return workers if VERDICT_WRITERS < 0 else VERDICT_WRITERS


def one(url: str, path: Path, workers: int, factory: Callable[[], Any],
        batch: int) -> dict[str, float]:
    """One backfill of ``path``: what the CLI does for ``--workers N``, timed by phase."""
    from listener.backfill.batch import backfill
    from listener.backfill.readers import open_records
    from listener.backfill.shards import plan_shards
    from listener.backfill.workers import Job, run_parallel, shard_key
    from listener.config import Settings
    from listener.decisions import DecisionEngine, Rulebook
    from listener.store import open_store

    store = open_store(url)
    decider = DecisionEngine.from_settings(Settings())
    began = time.perf_counter()
    cpu0, kids0 = time.process_time(), _children_cpu()
    try:
        if workers == 1:
            model = factory()
            with open_records(path, "twcs") as records:
                stats = backfill(records, store=store, classifier=model, decider=decider,
                                 batch_size=batch)
            total = time.perf_counter() - began
            return {"mentions": stats.mentions, "plan": 0.0, "write": total, "decide": 0.0,
                    "total": total, "parent_cpu": time.process_time() - cpu0,
                    "workers_cpu": 0.0}
        shards = plan_shards(path, "twcs", workers)
        planned = time.perf_counter()
        threads = max(1, (os.cpu_count() or 1) // len(shards))
        with tempfile.TemporaryDirectory() as spool:
            jobs = [Job(path=str(path), kind="twcs", shard=s, url=url, factory=factory,
                        spool=f"{spool}/{s.index}.spool", key=shard_key(f"bench:{path}", s),
                        batch_size=batch, threads=threads,
                        rules=Rulebook.from_settings(Settings())) for s in shards]
            marks: dict[str, float] = {}

            def seen(read: int, classified: int, decided: int) -> None:
                if read >= path.stat().st_size - shards[0].start.offset and "w" not in marks:
                    marks["w"] = time.perf_counter()

            stats, _ = run_parallel(jobs, store=store, engine=decider, buffer_size=4096,
                                    writers=_writers(workers),
                                    progress=seen)
        done = time.perf_counter()
        written = marks.get("w", done)
        return {"mentions": stats.mentions, "plan": planned - began, "write": written - planned,
                "decide": done - written, "total": done - began,
                "parent_cpu": time.process_time() - cpu0, "workers_cpu": _children_cpu() - kids0}
    finally:
        store.close()


def _children_cpu() -> float:
    """CPU seconds of the reaped child processes (the workers, once joined)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def table(title: str, url: str, path: Path, counts: list[int], factory: Callable[[], Any],
          batch: int) -> None:
    print(f"\n{title}")
    print(f"{'workers':>7} {'mentions':>9} {'plan s':>7} {'workers s':>9} {'then s':>8} "
          f"{'total s':>8} {'mentions/s':>10} {'vs 1':>6} {'CPU ms/mention: one process':>27} "
          f"{'children':>8} {'ceiling/s':>9}")
    base = None
    for n in counts:
        r = with_schema(url, lambda scoped, n=n: one(scoped, path, n, factory, batch))
        rate = r["mentions"] / r["total"]
        base = base or rate
        m = max(r["mentions"], 1)
        parent, workers = 1000 * r["parent_cpu"] / m, 1000 * r["workers_cpu"] / m
        # With a core for each: the slower of the children together and the one pass.
        children = n + _writers(n) if n > 1 else 0
        ceiling = min(1000 * children / workers if workers else float("inf"), 1000 / parent)
        print(f"{n:>7} {int(r['mentions']):>9,} {r['plan']:>7.1f} {r['write']:>9.1f} "
              f"{r['decide']:>8.1f} {r['total']:>8.1f} {rate:>10,.0f} {rate / base:>5.2f}x "
              f"{parent:>27.2f} {workers:>8.2f} {ceiling:>9,.0f}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=40_000, help="twcs rows in the fake-model file")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--postgres", default=PG_DEFAULT)
    ap.add_argument("--model", action="store_true",
                    help="also 1 vs 2 workers with the real model")
    ap.add_argument("--model-rows", type=int, default=5_000,
                    help="twcs rows for the real model (the sample has 5,000)")
    ap.add_argument("--no-fake", action="store_true", help="skip the test-double table")
    ap.add_argument("--verdict-writers", type=int, default=-1,
                    help="verdict writer processes (-1: as many as workers; 0: the pass)")
    args = ap.parse_args()
    global VERDICT_WRITERS
    VERDICT_WRITERS = args.verdict_writers
    print(f"{os.cpu_count()} CPUs (shared: figures are lower bounds); PostgreSQL "
          f"{args.postgres.split('@')[-1]}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "twcs.csv"
        if not args.no_fake:
            make_file(path, args.rows, SAMPLE)
            table(f"test-double model, {args.rows:,} twcs rows "
                  f"({path.stat().st_size / 1e6:.1f} MB)", args.postgres, path, args.workers,
                  fake_factory, 256)
        if args.model:
            from listener.config import Settings
            from listener.runtime import model_spec

            make_file(path, args.model_rows, SAMPLE)
            table(f"real model, the first {args.model_rows:,} rows of the twcs sample",
                  args.postgres, path, [1, 2], model_spec(Settings()), 64)


if __name__ == "__main__":
    main()
