"""A large file through the real CLI, killed, interrupted and resumed: nothing lost or doubled.

    .venv/bin/python benchmarks/bench_backfill_resume.py                    # 1M rows
    .venv/bin/python benchmarks/bench_backfill_resume.py --rows 20000 --kill-at 0.3 --int-at 0.6

What it does, as a user would:

1. builds a twcs-format CSV of ``--rows`` rows from the real twcs sample (as
   ``bench_backfill.py`` does: its rows repeated with fresh ids);
2. counts what the file holds with the streaming reader (distinct mentions, rejects);
3. runs ``firstreply backfill --file`` into a fresh SQLite database and, once the stored
   checkpoint passes ``--kill-at`` of the file, kills it with SIGKILL (a crash);
4. runs the same command again (it resumes from the checkpoint) and, past ``--int-at``,
   sends SIGINT (Ctrl-C);
5. runs it a third time to the end;
6. checks the database: every distinct mention stored once, each with one verdict, every
   malformed row kept as rejected, no alert queued; prints wall time, mentions/s over all
   three runs and the peak RSS of each run.

The CLI's own output (its progress bar when stdout is a terminal) passes through, so run it
in a terminal to watch the bar; its last lines are the CLI's summary.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_backfill import FIXTURE, SAMPLE, make_file  # noqa: E402

POLL = 0.5


def expected(path: Path) -> tuple[int, int]:
    """(distinct mentions, rejected rows) the file holds, by the same reader."""
    from listener.backfill.readers import open_records
    from listener.domain import Mention, Rejected

    keys: set[tuple[str, str]] = set()
    rejected = 0
    with open_records(path) as records:
        for r in records:
            if isinstance(r.item, Mention):
                keys.add(r.item.key)
            elif isinstance(r.item, Rejected):
                rejected += 1
    return len(keys), rejected


def checkpoint_share(url: str, path: Path) -> float:
    """How far the stored checkpoint is through the file (0 when there is none yet)."""
    from listener.backfill.batch import load_checkpoint
    from listener.store import open_store

    try:
        store = open_store(url)
    except Exception:  # the CLI may not have created the schema yet
        return 0.0
    try:
        pos = load_checkpoint(store, f"backfill:{path.resolve()}")
    except Exception:
        return 0.0
    finally:
        store.close()
    return (pos.offset / path.stat().st_size) if pos else 0.0


def run_cli(path: Path, env: dict[str, str], stop_at: float | None, sig: int,
            url: str) -> tuple[int, float, float]:
    """Run the backfill; signal it once the checkpoint passes ``stop_at``.

    Returns (exit code, wall seconds, peak RSS in MB of this run).
    """
    cmd = [str(Path(sys.executable).parent / "firstreply"), "backfill", "--file", str(path)]
    t0 = time.perf_counter()
    # As from a terminal: a child of a background job inherits SIGINT ignored, and
    # Python then never raises KeyboardInterrupt (Ctrl-C would do nothing).
    proc = subprocess.Popen(cmd, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    sent = False
    peak_kb = 0
    while proc.poll() is None:
        peak_kb = max(peak_kb, _peak_rss_kb(proc.pid))
        if stop_at is not None and not sent and checkpoint_share(url, path) >= stop_at:
            proc.send_signal(sig)
            sent = True
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=POLL)
    wall = time.perf_counter() - t0
    return proc.returncode, wall, peak_kb / 1024


def _peak_rss_kb(pid: int) -> int:
    """The process's high-water RSS so far (Linux ``VmHWM``); 0 once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--kill-at", type=float, default=0.3,
                        help="SIGKILL the first run past this share of the file")
    parser.add_argument("--int-at", type=float, default=0.6,
                        help="SIGINT the second run past this share of the file")
    parser.add_argument("--workdir", help="keep the file and database here")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    work = Path(args.workdir or tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"twcs_{args.rows}.csv"
    db = work / "backfill.db"
    for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        p.unlink(missing_ok=True)
    sample = SAMPLE if SAMPLE.exists() else FIXTURE
    if not path.exists():
        make_file(path, args.rows, sample)
    t0 = time.perf_counter()
    mentions, rejected = expected(path)
    print(f"input: {args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB: {mentions:,} distinct "
          f"mentions, {rejected:,} malformed rows (counted in {time.perf_counter() - t0:.0f} s); "
          f"{os.cpu_count()} CPUs", flush=True)

    url = f"sqlite:///{db}"
    env = {**os.environ, "FIRSTREPLY_DATABASE__URL": url, "PYTHONPATH": str(ROOT),
           "HF_HUB_OFFLINE": "1"}
    # An explicit schema first, so polling the checkpoint never races the CLI creating it.
    subprocess.run([str(Path(sys.executable).parent / "firstreply"), "db", "upgrade"],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    legs = [("crash (SIGKILL)", args.kill_at, signal.SIGKILL),
            ("Ctrl-C (SIGINT)", args.int_at, signal.SIGINT),
            ("to the end", None, signal.SIGINT)]
    total_wall = 0.0
    for name, at, sig in legs:
        print(f"\n--- run: {name}" + (f" past {at:.0%} of the file" if at else ""), flush=True)
        code, wall, rss = run_cli(path, env, at, sig, url)
        total_wall += wall
        share = checkpoint_share(url, path)
        print(f"--- exit {code}, {wall:,.0f} s, checkpoint at {share:.0%}, "
              f"peak RSS {rss:,.0f} MB", flush=True)

    from listener.store import open_store

    store = open_store(url)
    try:
        counts = store.counts()
    finally:
        store.close()
    ok = (counts.mentions == mentions and counts.pending_triage == 0
          and counts.rejected == rejected and not any(counts.alerts.values()))
    print(f"\nstored: {counts.mentions:,} mentions (expected {mentions:,}), "
          f"{counts.pending_triage:,} without a verdict, {counts.rejected:,} rejected "
          f"(expected {rejected:,}), alerts {dict(counts.alerts)}")
    print(f"three runs: {total_wall:,.0f} s wall = {mentions / total_wall:,.1f} mentions/s "
          f"end to end, model loads and redone work after the crash included; "
          f"database {db.stat().st_size / 1e6:,.0f} MB")
    print("OK: nothing lost, nothing stored twice" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
