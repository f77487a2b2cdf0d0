"""Drives ``worker.py`` through seeded SIGKILLs and checks what the store and Slack saw."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from listener.store import open_store
from tests.fakes.slack_server import FakeSlack
from tests.fakes.x_server import FakeXServer
from tests.reliability.worker import DUPLICATING_HOOKS, HOOKS, SLACK_TOKEN, X_TOKEN

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("mentions:acme",)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
FOREVER = EPOCH + timedelta(days=365 * 100)


@dataclass
class CrashReport:
    kills: int = 0
    duplicating_kills: int = 0
    hooks: Counter[str] = field(default_factory=Counter)
    seeded: dict[str, bool] = field(default_factory=dict)  # token -> complaint?
    posts_per_token: Counter[str] = field(default_factory=Counter)
    cursor_violations: list[str] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.posts_per_token.values() if n > 1)


def start_fakes() -> tuple[FakeXServer, FakeSlack]:
    x = FakeXServer(brand_username="acme", bearer_token=X_TOKEN).start()
    slack = FakeSlack(token=SLACK_TOKEN).start()
    return x, slack


def seed_posts(x: FakeXServer, rng: random.Random, report: CrashReport, n: int) -> None:
    for _ in range(n):
        i = len(report.seeded)
        token = f"zqref{i:05d}"
        complaint = rng.random() < 0.5
        text = (
            f"@acme my kettle is broken again {token}, I want a refund"
            if complaint
            else f"@acme thanks for the quick delivery {token}"
        )
        x.add_tweet(text, author=f"cust{i % 17}", stream=False)
        report.seeded[token] = complaint


def run_worker(x: FakeXServer, slack: FakeSlack, db_url: str, kill: str | None) -> int:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "FR_DB": db_url,
        "FR_X": x.base_url,
        "FR_SLACK": slack.base_url,
        "FR_CLAIM_TTL": "0.3",
        "FR_DEADLINE": "60",
    }
    env.pop("FR_KILL", None)
    if kill:
        env["FR_KILL"] = kill
    proc = subprocess.run(
        [sys.executable, "-m", "tests.reliability.worker"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"worker exited {proc.returncode}:\n{proc.stderr[-4000:]}")
    return proc.returncode


def check_cursors(x: FakeXServer, db_url: str, report: CrashReport) -> None:
    """The cursor is never ahead of a post that is not stored."""
    store = open_store(db_url)
    try:
        for source in SOURCES:
            cursor = store.get_cursor(source)
            if cursor is None:
                continue
            for tid in list(x.tweets):
                if int(tid) <= int(cursor) and store.get_mention(("x", tid)) is None:
                    report.cursor_violations.append(f"{source}: cursor {cursor} > missing {tid}")
    finally:
        store.close()


def count_posts(slack: FakeSlack, report: CrashReport) -> None:
    report.posts_per_token.clear()
    for call in slack.calls_to("chat.postMessage"):
        body = json.dumps(call.args, ensure_ascii=False)
        for token in report.seeded:
            if token in body:
                report.posts_per_token[token] += 1


def crash_scenario(
    db_url: str,
    *,
    seed: int,
    kills: int,
    posts_per_round: int = 12,
    hooks: tuple[str, ...] = HOOKS,
) -> tuple[CrashReport, FakeXServer, FakeSlack]:
    """Seed posts, run the worker with ``kills`` planned SIGKILLs, then to completion."""
    rng = random.Random(seed)
    report = CrashReport()
    x, slack = start_fakes()
    try:
        attempts = 0
        while report.kills < kills and attempts < kills * 4:
            attempts += 1
            seed_posts(x, rng, report, rng.randint(1, posts_per_round))
            hook = rng.choice(hooks)
            plan = f"{hook}:{rng.randint(1, 4)}"
            if run_worker(x, slack, db_url, plan) == -signal.SIGKILL:
                report.kills += 1
                report.hooks[hook] += 1
                report.duplicating_kills += hook in DUPLICATING_HOOKS
            check_cursors(x, db_url, report)
        assert run_worker(x, slack, db_url, None) == 0
        check_cursors(x, db_url, report)
        count_posts(slack, report)
    except BaseException:
        x.stop()
        slack.stop()
        raise
    return report, x, slack


def stored_mentions(db_url: str, report: CrashReport) -> tuple[int, dict[str, int]]:
    """(rows in the store, token -> how many stored mentions carry it)."""
    store = open_store(db_url)
    try:
        total = store.counts().mentions
        found: Counter[str] = Counter()
        for item in store.history(EPOCH, FOREVER):
            for token in report.seeded:
                if token in item.mention.text:
                    found[token] += 1
        return total, dict(found)
    finally:
        store.close()


def actionable_tokens(db_url: str, report: CrashReport) -> set[str]:
    """Tokens of mentions whose stored verdict sends something to Slack."""
    store = open_store(db_url)
    try:
        out: set[str] = set()
        for item in store.history(EPOCH, FOREVER):
            if item.verdict is not None and item.verdict.route.value in ("alert", "thread"):
                out.update(t for t in report.seeded if t in item.mention.text)
        return out
    finally:
        store.close()


def main() -> None:
    """Print the measured at-least-once figures over seeds (the docs quote them).

    ``python -m tests.reliability.crash --seeds 10-15 --kills 9``
    """
    import argparse
    import tempfile

    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="10-15")
    ap.add_argument("--kills", type=int, default=9)
    ap.add_argument("--db", default=None, help="store URL (default: a temp SQLite file)")
    ap.add_argument(
        "--send-window", action="store_true", help="kill only between send and mark_sent"
    )
    args = ap.parse_args()
    hooks = tuple(DUPLICATING_HOOKS) if args.send_window else HOOKS
    lo, _, hi = args.seeds.partition("-")
    totals: Counter[str] = Counter()
    for seed in range(int(lo), int(hi or lo) + 1):
        with tempfile.TemporaryDirectory() as tmp:
            db = args.db or f"sqlite:///{tmp}/crash.db"
            report, x, slack = crash_scenario(db, seed=seed, kills=args.kills, hooks=hooks)
            x.stop()
            slack.stop()
            _total, found = stored_mentions(db, report)
        lost = sum(1 for t in report.seeded if found.get(t, 0) == 0)
        twice = sum(1 for t in report.seeded if found.get(t, 0) > 1)
        missing = sum(1 for t, c in report.seeded.items() if c and report.posts_per_token[t] == 0)
        totals.update(
            kills=report.kills,
            duplicating_kills=report.duplicating_kills,
            mentions=len(report.seeded),
            alerts=sum(report.seeded.values()),
            duplicates=report.duplicates,
            lost=lost,
            stored_twice=twice,
            alerts_missing=missing,
            cursor_violations=len(report.cursor_violations),
        )
        sys.stdout.write(
            f"seed {seed}: kills={report.kills} (send-window {report.duplicating_kills}) "
            f"mentions={len(report.seeded)} lost={lost} twice={twice} "
            f"alerts_missing={missing} duplicates={report.duplicates} "
            f"hooks={dict(report.hooks)}\n"
        )
    sys.stdout.write(f"total: {dict(totals)}\n")


if __name__ == "__main__":
    main()
