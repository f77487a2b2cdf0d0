"""Peak RSS of ``firstreply backfill --file``, and its curve, this tree beside another.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_rss.py --rows 60000 --fake-model
    PYTHONPATH=. .venv/bin/python benchmarks/bench_rss.py --rows 60000 --baseline-tree /work/main

Builds a twcs-format CSV of ``--rows`` rows from the real twcs sample (``bench_backfill
.make_file``: the sample repeated with fresh ids; ``--days-per-copy`` moves each copy's
times on, 0 keeps every copy at the sample's own times, as the 1M-row figures were
taken), then runs the real CLI command (``firstreply backfill --file F --format twcs``,
in process, into a fresh SQLite file) once per tree, each in its own child process, and
prints the RSS curve side by side: VmRSS and VmHWM (the peak so far) after every stored
buffer, shown every ``--every`` mentions, with the decision memory's sizes.

``--fake-model``: a test double with the real model's output shapes (an L2-normalised
384-float ``array`` embedding, the sentiment, topic, severity and judgement dicts),
deterministic per text, and no torch: what grows outside the model shows in minutes.
Without it the real model runs (``model.*`` settings, as the CLI loads it).

``--baseline-tree DIR`` runs DIR's code (e.g. the main branch) first, then this tree's,
with ``--rounds`` alternating them, so a shared machine's load falls on both alike.
``--trace`` (best with ``--fake-model``) adds tracemalloc's biggest growths between the
first sample and the last, by line: what holds the memory that stays.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent


class FakeModel:
    """The triage model's output shapes without the model; deterministic per text.

    Each text gets its own embedding (from its hash), so only posts with the same text
    are similar: a copy of the sample joins the incidents the first copy opened when
    their times agree, as the real model's embeddings would have it.
    """

    name = "bench-rss-fake"
    words = ("refund", "broken", "never", "worst", "not working", "down", "cancel", "help")

    def __init__(self) -> None:
        from classifiers.base import DEFAULT_TOPICS

        self.topics = DEFAULT_TOPICS

    def predict(self, texts: Sequence[str]) -> list[Any]:
        return [self._one(t) for t in texts]

    def _one(self, text: str) -> Any:
        import numpy as np

        from classifiers.base import Scores

        digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
        seed = int.from_bytes(digest, "little")
        vec = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
        vec /= np.linalg.norm(vec)
        low = text.lower()
        # About two posts in three, like the real model on the twcs sample (67.6 %).
        complaint = any(w in low for w in self.words) or seed % 3 != 0
        p = 0.9 if complaint else 0.1 + (seed % 30) / 100
        topic = self.topics[seed % len(self.topics)]
        topic_scores = {t: (0.6 if t == topic else 0.4 / (len(self.topics) - 1))
                        for t in self.topics}
        sentiment = "negative" if complaint else ("neutral", "positive")[seed % 2]
        return Scores(
            sentiment=sentiment,
            sentiment_scores={"negative": 0.8 if complaint else 0.1, "neutral": 0.1,
                              "positive": 0.1 if complaint else 0.8},
            complaint_probability=p, is_complaint=complaint, urgency=2 if complaint else 0,
            signals=(), topic=topic, topic_scores=topic_scores,
            explanation="bench fake", model=self.name, embedding=array("f", vec.tobytes()),
            severity_scores={"1": 0.4, "2": 0.3, "3": 0.2, "4": 0.1} if complaint else {},
            judgement={"person": 0.5, "urgent": 0.1},
        )


def _status() -> dict[str, float]:
    """VmRSS and VmHWM (peak) of this process, MB."""
    out: dict[str, float] = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
    return out


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _heap() -> dict[str, float]:
    """glibc's heap over every arena, MB: in use, free but kept, mmapped ({} elsewhere).
    Free-but-kept is fragmentation; Python's own object arenas are mmapped apart."""
    try:
        info = ctypes.CDLL(ctypes.util.find_library("c")).mallinfo2
    except (OSError, AttributeError, TypeError):
        return {}
    info.restype = _MallInfo2
    m = info()
    return {"used": m.uordblks / 2**20, "free": m.fordblks / 2**20, "mmap": m.hblkhd / 2**20}


def memory_sizes(decider: Any) -> dict[str, int]:
    """How much the decision memory holds (whatever names the tree's code uses)."""
    memory = getattr(decider, "memory", None)
    if memory is None:
        return {}
    sizes: dict[str, int] = {}
    for name in ("_parents", "_authors", "_conversations"):
        lru = getattr(memory, name, None)
        if lru is not None:
            sizes[name.strip("_")] = len(lru)
    channels = getattr(memory, "_channels", {})
    sizes["channel_times"] = sum(len(v) for v in channels.values())
    opened = getattr(memory.incidents, "_open", {})
    sizes["incidents"] = len(opened)
    sizes["members"] = sum(len(getattr(i, "members", ())) for i in opened.values())
    series = getattr(memory.spikes, "_series", {})
    sizes["spike_buckets"] = sum(len(s.buckets) for s in series.values())
    return sizes


def child(args: argparse.Namespace) -> None:
    """Run the CLI's backfill in this process; print one JSON line with the curve."""
    sys.path.insert(0, str(Path(args.tree).resolve()))
    if args.trace:
        import tracemalloc

        tracemalloc.start(8)
    import listener
    import listener.backfill.batch as batch
    from listener.cli import app
    from listener.cli.context import Components

    curve: list[dict[str, float]] = []
    state: dict[str, Any] = {"mentions": 0, "next": 0, "snap": None, "sizes": {}}
    began = time.perf_counter()
    original: Callable[..., None] = batch.store_scored

    def sampled(store: Any, decider: Any, records: Any, mentions: Any, *rest: Any,
                **kw: Any) -> None:
        original(store, decider, records, mentions, *rest, **kw)
        state["mentions"] += len(mentions)
        if state["mentions"] >= state["next"]:
            state["next"] += args.every
            curve.append({"mentions": state["mentions"], **_status(), **_heap(),
                          "s": round(time.perf_counter() - began, 1)})
            state["sizes"] = memory_sizes(decider)
            if args.trace:
                import tracemalloc

                snap = tracemalloc.take_snapshot()
                state["first"] = state.get("first", snap)
                state["snap"] = snap

    batch.store_scored = sampled  # type: ignore[assignment]
    # Between the buffers too: what the heap held at the highest RSS seen (a transient
    # peak is memory in use then; a lasting one is often free heap glibc kept).
    top: dict[str, float] = {"VmRSS": 0.0}
    done = threading.Event()

    def watch() -> None:
        while not done.wait(args.watch):
            now = _status()
            if now["VmRSS"] > top["VmRSS"]:
                top.update(now, **_heap(), mentions=state["mentions"])

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    obj: dict[str, object] = {}
    if args.fake_model:
        obj["components"] = Components(classifier=lambda _settings: FakeModel())
    argv = ["backfill", "--file", args.file, "--format", "twcs"]
    code = app(args=argv, prog_name="firstreply", standalone_mode=False, obj=obj)
    done.set()
    watcher.join()
    final = _status()
    result: dict[str, Any] = {"tree": str(Path(listener.__file__).parent.parent),
                              "code": code or 0, "curve": curve, "peak": final["VmHWM"],
                              "end": final["VmRSS"], "mentions": state["mentions"],
                              "seconds": time.perf_counter() - began,
                              "sizes": state["sizes"], "top": top}
    if args.trace and state["snap"] is not None:
        stats = state["snap"].compare_to(state["first"], "lineno")
        result["growth"] = [f"{s.size_diff / 1e6:+8.1f} MB {s.count_diff:+9,} blocks  "
                            f"{s.traceback[0]}" for s in stats[:15]]
    print(json.dumps(result))


def run_tree(tree: Path, args: argparse.Namespace, tmp: Path, tag: str,
             extra: dict[str, str] | None = None) -> dict[str, Any]:
    db = tmp / f"{tag}.db"
    env = {**os.environ, "PYTHONPATH": str(tree), "FIRSTREPLY_DATABASE__URL": f"sqlite:///{db}",
           **(extra or {})}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--tree", str(tree),
           "--file", args.file, "--every", str(args.every), "--watch", str(args.watch)]
    cmd += ["--fake-model"] if args.fake_model else []
    cmd += ["--trace"] if args.trace else []
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env, cwd=tmp)
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-4000:])
        raise SystemExit(f"{tag}: exit {out.returncode}")
    db.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def show(runs: list[tuple[str, dict[str, Any]]]) -> None:
    names = "".join(f" | {tag:>26}" for tag, _ in runs)
    print("MB; heap: glibc's malloc over every arena, in use / free but kept")
    print(f"{'mentions':>9}{names}")
    print(f"{'':>9}" + " | {:>5} {:>5} {:>14}".format("RSS", "peak", "heap use/free") * len(runs))
    longest = max(len(r["curve"]) for _, r in runs)
    for i in range(longest):
        points = [r["curve"][i] if i < len(r["curve"]) else None for _, r in runs]
        first = next(p for p in points if p is not None)
        cells = "".join(" | {:>5.0f} {:>5.0f} {:>14}".format(
            p["VmRSS"], p["VmHWM"], f"{p.get('used', 0):.0f}/{p.get('free', 0):.0f}")
            if p else " | " + " " * 26 for p in points)
        print(f"{first['mentions']:>9,.0f}{cells}")
    for tag, r in runs:
        rate = r["mentions"] / r["seconds"]
        print(f"{tag}: peak RSS {r['peak']:.0f} MB, at the end {r['end']:.0f} MB, "
              f"{r['mentions']:,} mentions in {r['seconds']:.0f} s ({rate:.0f}/s); "
              f"memory at the last sample: {r['sizes']}  [{r['tree']}]")
        t = r["top"]
        if "used" in t:
            print(f"    at the highest RSS sampled ({t['VmRSS']:.0f} MB, after "
                  f"{t['mentions']:,.0f} mentions): heap in use {t['used']:.0f} MB, free but "
                  f"kept {t['free']:.0f} MB, mmapped {t['mmap']:.0f} MB")
        for line in r.get("growth", []):
            print("   ", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=60_000, help="twcs rows (~55%% mentions)")
    parser.add_argument("--days-per-copy", type=int, default=0,
                        help="each copy of the sample this many days after the one before")
    parser.add_argument("--fake-model", action="store_true", help="the test double, no torch")
    parser.add_argument("--baseline-tree", help="run this checkout's code too (first)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--every", type=int, default=10_000, help="a sample every N mentions")
    parser.add_argument("--trace", action="store_true", help="tracemalloc growth by line")
    parser.add_argument("--variant", action="append", default=[], metavar="LABEL:K=V,K=V",
                        help="also run this tree with these environment variables, e.g. "
                             "arena2:MALLOC_ARENA_MAX=2 (repeatable)")
    parser.add_argument("--watch", type=float, default=0.2,
                        help="seconds between RSS samples between the buffers")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tree", default=str(ROOT), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    sys.path.insert(0, str(HERE))
    from bench_backfill import FIXTURE, SAMPLE, make_file

    sample = SAMPLE if SAMPLE.exists() else FIXTURE
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"twcs_{args.rows}.csv"
        make_file(path, args.rows, sample, days_per_copy=args.days_per_copy)
        args.file = str(path)
        load = os.getloadavg()
        print(f"input: {args.rows:,} twcs rows from {sample.name} "
              f"({path.stat().st_size / 1e6:.1f} MB), {args.days_per_copy} days per copy; "
              f"{'test-double' if args.fake_model else 'real'} model; {os.cpu_count()} CPUs; "
              f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
        trees: list[tuple[str, Path, dict[str, str]]] = (
            [("baseline", Path(args.baseline_tree), {})] if args.baseline_tree else [])
        trees.append(("this tree", ROOT, {}))
        for variant in args.variant:
            label, _, pairs = variant.partition(":")
            env = dict(p.split("=", 1) for p in pairs.split(",") if p)
            trees.append((label, ROOT, env))
        runs: list[tuple[str, dict[str, Any]]] = []
        for rnd in range(1, args.rounds + 1):
            for tag, tree, env in trees:
                label = f"{tag} #{rnd}" if args.rounds > 1 else tag
                runs.append((label, run_tree(tree, args, Path(tmp), label.replace(" ", "_"),
                                             env)))
                print(f"  {label}: peak {runs[-1][1]['peak']:.0f} MB", flush=True)
        load = os.getloadavg()
        print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        show(runs)


if __name__ == "__main__":
    main()
