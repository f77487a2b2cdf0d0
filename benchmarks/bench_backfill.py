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

``--configs`` compares settings of the model and the pipeline instead, each in its own
child process (its own peak RSS), and prints every rate beside the model alone's:

    .venv/bin/python benchmarks/bench_backfill.py --configs model,before,e2e --rounds 2
    .venv/bin/python benchmarks/bench_backfill.py --configs all --e2e-mentions 2000

``before`` is the pipeline without this tree's speed settings (or, with
``--baseline-root DIR``, another checkout's code, e.g. the main branch: every
``before*`` configuration then runs that code, and ``before`` is shown over
``before-model``, the other code's model alone); the other names are in ``CONFIGS``.
With ``--rounds`` the configurations run interleaved, so a shared machine's load falls
on all of them alike. ``store,before-store`` compares everything but the model the same way:

    .venv/bin/python benchmarks/bench_backfill.py --rows 20000 --configs store,before-store \
        --rounds 3 --baseline-root DIR
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from listener.backfill.records import Record

SAMPLE = ROOT.parent / "shared" / "data" / "twcs-sample" / "twcs_first5000.csv"
FIXTURE = ROOT / "tests" / "backfill" / "data" / "twcs_tiny.csv"


def make_file(path: Path, rows: int, sample: Path, *, days_per_copy: int = 0) -> None:
    """``rows`` twcs rows: the sample repeated, ids shifted by 10,000 per copy.

    ``days_per_copy``: each copy's times also move on by this many days, so history
    runs forward as a real export's does (0: every copy at the sample's own times).
    """
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
                writer.writerow([str(written), str(int(r[1]) + shift), r[2],
                                 _later(r[3], copy * days_per_copy), r[4],
                                 r[5].replace("\ue000", "\r"), ids(r[6]),
                                 f"{int(float(r[7])) + shift}.0" if r[7] else ""])
                written += 1
            copy += 1


def _later(created_at: str, days: int) -> str:
    """A twcs time (``Tue Oct 31 22:10:47 +0000 2017``) ``days`` later, in its format."""
    if not days:
        return created_at
    from datetime import datetime, timedelta

    fmt = "%a %b %d %H:%M:%S %z %Y"
    try:
        return (datetime.strptime(created_at, fmt) + timedelta(days=days)).strftime(fmt)
    except ValueError:  # a malformed row stays malformed: the reader rejects it
        return created_at


class ConstantClassifier:
    """Stands in for the model when measuring everything else."""

    name = "constant"

    def predict(self, texts: Sequence[str]) -> list[object]:
        from classifiers.base import Scores

        s = Scores("negative", {"negative": 1.0}, 0.9, True, 2, (), "other", {"other": 1.0},
                   "", "constant")
        return [s] * len(texts)


@dataclass(frozen=True)
class Config:
    """One setting to measure: a phase, its environment, backfill options, torch threads."""

    phase: str
    env: Mapping[str, str] = field(default_factory=dict)
    backfill: Mapping[str, Any] = field(default_factory=dict)
    threads: int | None = None
    help: str = ""
    #: Records per buffer, when not ``--buffer-size``.
    buffer: int | None = None


_OLD = {"prepare_ahead": False, "switch_interval": None}
#: glibc returns freed blocks over 128 KB (activations) to the system at once.
_MMAP = {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "131072"}
CONFIGS: dict[str, Config] = {
    "model": Config("classify", help="the model alone, length-sorted batches"),
    "before": Config("e2e", backfill=_OLD, help="tokenise inline, Python's GIL interval"),
    "before-model": Config("classify", help="the model alone (with --baseline-root: its code)"),
    "e2e": Config("e2e", help="the defaults"),
    "store": Config("store", help="everything but the model: parse, decide, SQLite"),
    "before-store": Config("store", help="the same (with --baseline-root: its code)"),
    "inline": Config("e2e", backfill={"prepare_ahead": False}, help="tokenise inline"),
    "gil-5ms": Config("e2e", backfill={"switch_interval": None}, help="GIL interval 5 ms"),
    "gil-0.1ms": Config("e2e", backfill={"switch_interval": 0.0001}, help="GIL 0.1 ms"),
    "omp-passive": Config("e2e", env={"OMP_WAIT_POLICY": "PASSIVE"},
                          help="OpenMP threads sleep when idle"),
    "model-omp-passive": Config("classify", env={"OMP_WAIT_POLICY": "PASSIVE"}),
    "spin-10k": Config("e2e", env={"GOMP_SPINCOUNT": "10000"},
                       help="OpenMP threads spin 10k rounds, not 300k, before sleeping"),
    "model-spin-10k": Config("classify", env={"GOMP_SPINCOUNT": "10000"}),
    "1-thread": Config("e2e", threads=1, help="torch on one thread"),
    "model-1-thread": Config("classify", threads=1),
    "tok-parallel": Config("e2e", env={"TOKENIZERS_PARALLELISM": "true"},
                           help="the tokenizer's own thread pool"),
    "arena-2": Config("e2e", env={"MALLOC_ARENA_MAX": "2"}, help="two glibc malloc arenas"),
    "model-arena-2": Config("classify", env={"MALLOC_ARENA_MAX": "2"}),
    "model-mmap-128k": Config("classify", env=_MMAP, help="glibc: blocks over 128 KB mmapped"),
    "mmap-128k": Config("e2e", env=_MMAP, help="glibc: blocks over 128 KB mmapped"),
    "model-onednn-64": Config("classify", env={"ONEDNN_PRIMITIVE_CACHE_CAPACITY": "64"},
                              help="oneDNN keeps 64 primitives (default 1,024)"),
    # Memory at the CLI's buffer size over many posts, at the store's pace: see Replay.
    "before-replay": Config("replay", backfill=_OLD, buffer=4096,
                            help="memory: the model's scores replayed, buffer 4,096"),
    "e2e-replay": Config("replay", buffer=4096,
                         help="memory: the model's scores replayed, buffer 4,096"),
}


class Replay:
    """The real model's scores of a few hundred texts, handed out again, each a fresh copy.

    The model stays loaded (its memory counts) but the run goes at the store's pace, so
    the peak RSS of a long backfill (several 4,096-record buffers in flight) shows in
    seconds. Copies are fresh objects like the model's own (new floats in a tuple, a new
    array), so in-flight scores weigh what they weigh in a real run.
    """

    def __init__(self, model: Any, texts: Sequence[str]) -> None:
        self.name = model.name
        self._scores = model.predict(list(texts))

    def predict(self, texts: Sequence[str]) -> list[object]:
        import dataclasses

        out: list[object] = []
        for i in range(len(texts)):
            s = self._scores[i % len(self._scores)]
            e = s.embedding
            fresh = tuple([x + 0.0 for x in e]) if isinstance(e, tuple) else e[:]
            out.append(dataclasses.replace(
                s, embedding=fresh, sentiment_scores=dict(s.sentiment_scores),
                topic_scores=dict(s.topic_scores), severity_scores=dict(s.severity_scores)))
        return out


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_backfill(path: Path, db: Path, classifier: object, limit: int | None,
                  batch: int, buffer: int = 4096,
                  options: Mapping[str, Any] | None = None) -> dict[str, float]:
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
                             decider=DecisionEngine.from_settings(Settings()), batch_size=batch,
                             buffer_size=buffer, **dict(options or {}))
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
        cpu = _cpu_seconds()
        result = _run_backfill(path, Path(args.db), ConstantClassifier(), None, args.batch_size)
        return {**result, "load_seconds": 0.0, "cpu_seconds": _cpu_seconds() - cpu}
    from classifiers.model import load_default
    from listener.backfill.readers import open_records
    from listener.domain import Mention

    config = CONFIGS.get(args.config or "", Config(name))
    with open_records(path) as records:
        texts = [r.item.text for r in islice(records, args.e2e_mentions * 2)
                 if isinstance(r.item, Mention)][: args.e2e_mentions]
    texts.sort(key=len)
    t0 = time.perf_counter()
    model = load_default(batch_size=args.batch_size)
    if config.threads is not None:
        import torch

        model.encoder.hidden_size  # loads the encoder, which sets torch's threads  # noqa: B018
        torch.set_num_threads(config.threads)
    # Both phases time a warm model: a long backfill loads it once, and the load (several
    # seconds on loaded cores) would otherwise be a quarter of a few-thousand-post run.
    model.predict(texts[: args.batch_size])
    warm = time.perf_counter() - t0
    cpu = _cpu_seconds()
    if name == "classify":
        t0 = time.perf_counter()
        for i in range(0, len(texts), args.batch_size):
            model.predict(texts[i : i + args.batch_size])
        secs = time.perf_counter() - t0
        return {"mentions": len(texts), "seconds": secs, "rate": len(texts) / secs,
                "load_seconds": warm, "cpu_seconds": _cpu_seconds() - cpu}
    options = {} if args.baseline_root else config.backfill
    classifier: object = model
    limit = args.e2e_mentions
    if name == "replay":
        classifier, limit = Replay(model, texts[:256]), args.replay_mentions
    result = _run_backfill(path, Path(args.db), classifier, limit, args.batch_size,
                           config.buffer or args.buffer_size, options)
    return {**result, "load_seconds": warm, "cpu_seconds": _cpu_seconds() - cpu}


def child(name: str, args: argparse.Namespace, db: Path, config: str | None = None,
          root: Path = ROOT) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--phase", name, "--file", args.file, "--db", str(db),
           "--batch-size", str(args.batch_size), "--e2e-mentions", str(args.e2e_mentions),
           "--buffer-size", str(args.buffer_size), "--replay-mentions", str(args.replay_mentions)]
    env = {**os.environ, "PYTHONPATH": str(root)}
    if config is not None:
        cmd += ["--config", config]
        env.update(CONFIGS[config].env)
    if root != ROOT:
        cmd.append("--baseline-root=" + str(root))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def compare(args: argparse.Namespace, tmp: Path) -> None:
    """Every configuration in its own process, interleaved over ``--rounds``."""
    names = list(CONFIGS) if args.configs == "all" else args.configs.split(",")
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        raise SystemExit(f"unknown configurations {unknown}; known: {', '.join(CONFIGS)}")
    print(f"load average before: {os.getloadavg()[0]:.2f} (other engineers share the cores)")
    print(f"{'round':>5} {'config':<18} {'count':>6} {'s':>6} {'per s':>7} {'/ model':>8} "
          f"{'peak RSS':>9} {'load s':>6} {'CPU ms':>6}  what")
    results: dict[str, list[dict[str, float]]] = {n: [] for n in names}
    ratios: dict[str, list[float]] = {n: [] for n in names}
    for rnd in range(1, args.rounds + 1):
        # Each rate over the model alone's of its own code: "before*" over "before-model"
        # when that runs, the rest over "model".
        model_rate: dict[bool, float] = {}
        for name in names:
            config = CONFIGS[name]
            old = name.startswith("before") and args.baseline_root
            root = Path(args.baseline_root) if old else ROOT
            r = child(config.phase, args, tmp / f"{name}-{rnd}.db", name, root)
            results[name].append(r)
            family = name.startswith("before") and "before-model" in names
            if config.phase == "classify" and name in ("model", "before-model"):
                model_rate[family] = r["rate"]
            base = model_rate.get(family)
            real = config.phase in ("classify", "e2e")  # the rest never runs the model
            ratio = r["rate"] / base if base and real else float("nan")
            ratios[name].append(ratio)
            what = config.help + (f" ({root})" if root != ROOT else "")
            print(f"{rnd:>5} {name:<18} {r['mentions']:>6,.0f} {r['seconds']:>6.1f} "
                  f"{r['rate']:>7.1f} {_pct(ratio):>8} {r['peak_rss_mb']:>6.0f} MB "
                  f"{r['load_seconds']:>6.1f} {cpu_ms(r):>6.2f}  {what}",
                  flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("median over rounds: config, per s, / model (same round), peak RSS, CPU ms per post")
    for name in names:
        rates = [r["rate"] for r in results[name]]
        peaks = [r["peak_rss_mb"] for r in results[name]]
        cpus = [cpu_ms(r) for r in results[name]]
        print(f"  {name:<18} {statistics.median(rates):7.1f} "
              f"{_pct(statistics.median(ratios[name])):>8} {max(peaks):6.0f} MB "
              f"{statistics.median(cpus):6.2f}")


def _pct(ratio: float) -> str:
    return "-" if ratio != ratio else f"{ratio:.0%}"  # NaN: no model-alone rate to compare


def cpu_ms(result: Mapping[str, float]) -> float:
    """CPU milliseconds per post in the timed part: steadier than rates on shared cores."""
    return 1000 * result.get("cpu_seconds", float("nan")) / max(result["mentions"], 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--e2e-mentions", type=int, default=3000,
                        help="mentions through the real model (it sets the pace)")
    parser.add_argument("--phases", default="parse,store,classify,e2e")
    parser.add_argument("--buffer-size", type=int, default=4096,
                        help="records per backfill buffer (the CLI's default)")
    parser.add_argument("--replay-mentions", type=int, default=40_000,
                        help="mentions through the *-replay configurations")
    parser.add_argument("--configs", help="compare these CONFIGS (comma-separated, or all)")
    parser.add_argument("--rounds", type=int, default=1, help="with --configs: repeat, interleaved")
    parser.add_argument("--baseline-root", help="with --configs: run 'before' from this checkout")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        if args.baseline_root:  # that checkout's code, not this one's
            sys.path.insert(0, str(Path(args.baseline_root).resolve()))
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
              f"{os.cpu_count()} CPUs; batch {args.batch_size}; buffer {args.buffer_size}")
        if args.configs:
            compare(args, Path(tmp))
            return
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
