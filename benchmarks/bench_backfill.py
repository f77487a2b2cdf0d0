"""Backfill throughput and memory: parse -> classify -> store, and each part alone.

    .venv/bin/python benchmarks/bench_backfill.py                 # 100k rows, the defaults
    .venv/bin/python benchmarks/bench_backfill.py --rows 1000000  # the 1M-row file

Builds a synthetic twcs-format CSV from the real twcs sample (its rows repeated with
fresh ids, so brand look-ups and quoting quirks are real), then runs each phase in a
child process so its peak RSS is its own:

- ``parse``: the streaming reader alone (rows/s, peak RSS);
- ``store``: parse + decide + SQLite with a constant classifier: everything but the model;
- ``classify``: the model alone on length-sorted batches (texts/s);
- ``e2e``: parse -> model -> decide -> SQLite on the first ``--e2e-mentions`` mentions.

The end-to-end rate sits next to the model-only rate, so the bottleneck is visible.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from listener.backfill.records import Record

SAMPLE = ROOT.parent / "shared" / "data" / "twcs-sample" / "twcs_first5000.csv"
FIXTURE = ROOT / "tests" / "backfill" / "data" / "twcs_tiny.csv"


def make_file(path: Path, rows: int, sample: Path) -> None:
    """``rows`` twcs rows: the sample repeated, ids shifted by 10,000 per copy."""
    with sample.open("rb") as fh:
        header = fh.readline()
        body = fh.read().decode("utf-8")
    reader = csv.reader(io.StringIO(body.replace("\r", "\ue000"), newline=""))
    base = [r for r in reader if len(r) == 8]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(header.decode("utf-8"))
        writer = csv.writer(out, lineterminator="\n")
        written, copy = 0, 0
        while written < rows:
            shift = copy * 10_000

            def ids(value: str, shift: int = shift) -> str:
                parts = [p.strip() for p in value.split(",") if p.strip()]
                return ",".join(str(int(float(p)) + shift) for p in parts)

            for r in base:
                if written >= rows:
                    break
                writer.writerow([str(written), str(int(r[1]) + shift), r[2], r[3], r[4],
                                 r[5].replace("\ue000", "\r"), ids(r[6]),
                                 f"{int(float(r[7])) + shift}.0" if r[7] else ""])
                written += 1
            copy += 1


class ConstantClassifier:
    """Stands in for the model when measuring everything else."""

    name = "constant"

    def predict(self, texts: Sequence[str]) -> list[object]:
        from classifiers.base import Scores

        s = Scores("negative", {"negative": 1.0}, 0.9, True, 2, (), "other", {"other": 1.0},
                   "", "constant")
        return [s] * len(texts)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_backfill(path: Path, db: Path, classifier: object, limit: int | None,
                  batch: int) -> dict[str, float]:
    from listener.backfill.batch import backfill
    from listener.backfill.readers import open_records
    from listener.config import Settings
    from listener.decisions import DecisionEngine
    from listener.domain import Mention
    from listener.store import open_store

    store = open_store(f"sqlite:///{db}", create=True)
    try:
        with open_records(path) as records:
            source: Iterator[Record] = records
            if limit is not None:
                source = _first_mentions(records, limit, Mention)
            stats = backfill(source, store=store, classifier=classifier,  # type: ignore[arg-type]
                             decider=DecisionEngine.from_settings(Settings()), batch_size=batch)
    finally:
        store.close()
    return {"mentions": stats.mentions, "seconds": stats.seconds,
            "rate": stats.mentions / stats.seconds, "model_seconds": stats.classify_seconds}


def _first_mentions(records: Iterator[Record], n: int, mention_type: type) -> Iterator[Record]:
    seen = 0
    for r in records:
        yield r
        seen += isinstance(r.item, mention_type)
        if seen >= n:
            return


def phase(name: str, args: argparse.Namespace) -> dict[str, float]:
    path = Path(args.file)
    if name == "parse":
        from listener.backfill.readers import open_records

        t0 = time.perf_counter()
        n = 0
        with open_records(path) as records:
            for _ in records:
                n += 1
        secs = time.perf_counter() - t0
        return {"records": n, "seconds": secs, "rate": n / secs}
    if name == "store":
        return _run_backfill(path, Path(args.db), ConstantClassifier(), None, args.batch_size)
    from classifiers.model import load_default

    model = load_default(batch_size=args.batch_size)
    if name == "classify":
        from listener.backfill.readers import open_records
        from listener.domain import Mention

        with open_records(path) as records:
            texts = [r.item.text for r in islice(records, args.e2e_mentions * 2)
                     if isinstance(r.item, Mention)][: args.e2e_mentions]
        texts.sort(key=len)
        model.predict(texts[: args.batch_size])  # warm-up
        t0 = time.perf_counter()
        for i in range(0, len(texts), args.batch_size):
            model.predict(texts[i : i + args.batch_size])
        secs = time.perf_counter() - t0
        return {"mentions": len(texts), "seconds": secs, "rate": len(texts) / secs}
    return _run_backfill(path, Path(args.db), model, args.e2e_mentions, args.batch_size)


def child(name: str, args: argparse.Namespace, db: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--phase", name, "--file", args.file, "--db", str(db),
           "--batch-size", str(args.batch_size), "--e2e-mentions", str(args.e2e_mentions)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--e2e-mentions", type=int, default=3000,
                        help="mentions through the real model (it sets the pace)")
    parser.add_argument("--phases", default="parse,store,classify,e2e")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        result = phase(args.phase, args)
        result["peak_rss_mb"] = _peak_mb()
        print(json.dumps(result))
        return
    sample = SAMPLE if SAMPLE.exists() else FIXTURE
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"twcs_{args.rows}.csv"
        t0 = time.perf_counter()
        make_file(path, args.rows, sample)
        args.file = str(path)
        print(f"input: {args.rows:,} twcs rows from {sample.name}, "
              f"{path.stat().st_size / 1e6:.1f} MB (built in {time.perf_counter() - t0:.1f} s); "
              f"{os.cpu_count()} CPUs; batch {args.batch_size}")
        for name in args.phases.split(","):
            r = child(name, args, Path(tmp) / f"{name}.db")
            count = r.get("mentions", r.get("records", 0))
            line = (f"{name:>8}: {count:>9,.0f} in {r['seconds']:7.1f} s = "
                    f"{r['rate']:9,.1f}/s   peak RSS {r['peak_rss_mb']:6.0f} MB")
            if "model_seconds" in r and name == "e2e":
                line += f"   (model {r['model_seconds'] / r['seconds']:.0%} of the time)"
            print(line, flush=True)


if __name__ == "__main__":
    main()
