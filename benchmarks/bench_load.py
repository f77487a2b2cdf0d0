"""Sustained load through the whole cycle: fake X -> Poller -> SQLite -> Triage ->
Dispatcher -> fake Slack, with the real tweepy and slack_sdk.

The fakes and the producer run in a child process (so they do not share the pipeline's
GIL); the pipeline runs here as the scheduler would: a poll every ``--poll`` seconds,
triage and dispatch loops. Prints one line per 10 s (backlog, RSS) and a summary:

    .venv/bin/python -m benchmarks.bench_load --rate 200 --seconds 120
    .venv/bin/python -m benchmarks.bench_load --rate 200 --seconds 600 --burst 20000
    .venv/bin/python -m benchmarks.bench_load --model real --rate 50 --seconds 60

Figures: stored/s and alerts/s; the backlog (posts on X not stored yet + stored but not
triaged + alerts not delivered) at each report, which must not grow; peak RSS of the
pipeline process (``resource.getrusage``); alert latency p50/p99 from the commit of a
mention to the fake Slack receiving its ``chat.postMessage`` (CLOCK_MONOTONIC is
system-wide, so the child's arrival times compare with ours); and a burst of ``--burst``
posts in one poll, absorbed and drained.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import re
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listener.config import Secrets, Settings
from listener.domain import Mention
from listener.health import Health
from listener.ports import Store, SystemClock
from listener.runtime import Runtime, build_runtime
from listener.slack.notifier import SlackNotifier, build_web_client
from listener.store import open_store

TOKEN = re.compile(r"zqL(\d{8})")
X_TOKEN, SLACK_TOKEN = "bench-bearer", "xoxb-bench"
TOPICS = [
    f"{a} {b}"
    for a in ("box", "app", "card", "bill", "door")
    for b in ("wet", "late", "torn", "empty", "wrong", "cold", "lost", "stuck")
]


# --------------------------------------------------------------------- the child: fakes
def _fakes_main(conn: Connection, complaint_share: float) -> None:
    from tests.fakes.slack_server import FakeSlack
    from tests.fakes.x_server import FakeXServer

    x = FakeXServer(brand_username="acme", bearer_token=X_TOKEN).start()
    slack = FakeSlack(token=SLACK_TOKEN).start()
    users = [x.add_user(f"cust{k}") for k in range(500)]
    made = 0
    lock = threading.Lock()
    stop = threading.Event()

    def post(n: int) -> None:
        nonlocal made
        with lock:
            start, made = made, made + n
        for i in range(start, start + n):
            complaint = (i * 7919) % 1000 < complaint_share * 1000
            # 40 kinds of complaint: incidents group them, as they do in production.
            text = (
                f"@acme my order zqL{i:08d} never arrived, I want a refund ({TOPICS[i % 40]})"
                if complaint
                else f"@acme thanks for the quick reply zqL{i:08d}"
            )
            x.add_tweet(text, author=users[i % len(users)], stream=False)

    def steady(rate: float, seconds: float) -> None:
        t0 = time.monotonic()
        sent = 0
        while not stop.is_set():
            elapsed = time.monotonic() - t0
            if elapsed >= seconds:
                return
            due = int(elapsed * rate) - sent
            if due > 0:
                post(due)
                sent += due
            time.sleep(0.005)

    conn.send((x.base_url, slack.base_url))
    producer: threading.Thread | None = None
    while True:
        cmd, *args = conn.recv()
        if cmd == "steady":
            producer = threading.Thread(target=steady, args=args, daemon=True)
            producer.start()
            conn.send(None)
        elif cmd == "burst":
            post(int(args[0]))
            conn.send(None)
        elif cmd == "made":
            conn.send(made)
        elif cmd == "posts":
            out = []
            for call in slack.calls_to("chat.postMessage"):
                m = TOKEN.search(json.dumps(call.args.get("blocks") or call.args.get("text")))
                if m:
                    out.append((m.group(1), call.at))
            conn.send(out)
        elif cmd == "stop":
            stop.set()
            if producer is not None:
                producer.join()
            x.stop()
            slack.stop()
            conn.send(None)
            return


class Fakes:
    def __init__(self, complaint_share: float) -> None:
        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_fakes_main, args=(child, complaint_share), daemon=True)
        self.proc.start()
        self.x_url, self.slack_url = self.conn.recv()

    def ask(self, *cmd: Any) -> Any:
        self.conn.send(cmd)
        return self.conn.recv()

    def stop(self) -> None:
        self.ask("stop")
        self.proc.join(10)


# --------------------------------------------------------------------- the pipeline
class TimedStore:
    """Forwards to the store; records when each mention's insert committed."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.stored_at: dict[str, float] = {}
        self.stored = 0

    def add_mentions(self, mentions: Sequence[Mention]) -> int:
        new = self._store.add_mentions(mentions)
        now = time.monotonic()
        for m in mentions:
            tok = TOKEN.search(m.text)
            if tok:
                self.stored_at.setdefault(tok.group(1), now)
        self.stored += new
        return new

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


@dataclass
class Pipeline:
    """The runtime's poller, triage and dispatcher, each looping in its own thread as
    the scheduler runs them."""

    store: TimedStore
    runtime: Runtime
    poll_every: float
    tick: float
    stop: threading.Event = field(default_factory=threading.Event)
    errors: list[str] = field(default_factory=list)
    triaged: int = 0
    sent: int = 0

    def _loop(self, step: Any, idle: float) -> None:
        while not self.stop.is_set():
            try:
                busy = step()
            except Exception as exc:  # a benchmark reports, it does not die
                self.errors.append(f"{type(exc).__name__}: {exc}")
                busy = False
            if not busy:
                self.stop.wait(idle)

    def _poll(self) -> bool:
        self.runtime.poller.poll_all(self.runtime.sources)
        return False  # always wait the poll interval

    def _triage(self) -> bool:
        n = self.runtime.triage.run_once(limit=512).processed
        self.triaged += n
        return n > 0

    def _dispatch(self) -> bool:
        n = self.runtime.dispatcher.run_once(limit=200).attempted
        self.sent += n
        return n > 0

    def start(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self._loop, args=(self._poll, self.poll_every), daemon=True),
            threading.Thread(target=self._loop, args=(self._triage, self.tick), daemon=True),
            threading.Thread(target=self._loop, args=(self._dispatch, self.tick), daemon=True),
        ]
        for t in threads:
            t.start()
        return threads


def build_pipeline(fakes: Fakes, db: str, model: str, poll: float, tick: float) -> Pipeline:
    settings = Settings.model_validate(
        {
            "x": {"api_base_url": fakes.x_url, "max_results": 100, "timeout_seconds": 30},
            "slack": {"api_base_url": fakes.slack_url, "channel_budget_per_hour": 10**9},
            "brands": [
                {
                    "name": "Acme",
                    "handles": ["acme"],
                    "user_ids": {"acme": "1000"},
                    "rules": {"cooldown_minutes": 0},
                }
            ],
        }
    )
    clock = SystemClock()
    store = TimedStore(open_store(db, create=True, claim_ttl=timedelta(minutes=5)))
    if model == "real":
        from classifiers.model import load

        classifier: Any = load()
    else:
        from tests.reliability.doubles import KeywordClassifier

        classifier = KeywordClassifier(cluster=True)
    secrets = Secrets(x_bearer_token=X_TOKEN)  # type: ignore[arg-type]
    notifier = SlackNotifier(client=build_web_client(settings, SLACK_TOKEN), settings=settings)
    typed_store: Store = store  # type: ignore[assignment]
    runtime = build_runtime(
        settings, secrets, store=typed_store, classifier=classifier, clock=clock,
        notifier=notifier, health=Health(clock=clock),
    )
    return Pipeline(store=store, runtime=runtime, poll_every=poll, tick=tick)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def backlog(p: Pipeline, fakes: Fakes) -> tuple[int, int, int]:
    counts = p.store.counts()
    unread = int(fakes.ask("made")) - counts.mentions
    outbox = counts.alerts.get("pending", 0) + counts.alerts.get("retrying", 0)
    return unread, counts.pending_triage, outbox


def wait_drained(p: Pipeline, fakes: Fakes, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if backlog(p, fakes) == (0, 0, 0):
            return time.monotonic() - start
        time.sleep(0.1)
    return float("nan")


def latencies(p: Pipeline, fakes: Fakes, tokens: set[str] | None = None) -> list[float]:
    out = []
    for tok, at in fakes.ask("posts"):
        if (tokens is None or tok in tokens) and tok in p.store.stored_at:
            out.append(at - p.store.stored_at[tok])
    return sorted(out)


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def run(args: argparse.Namespace) -> dict[str, Any]:
    fakes = Fakes(args.complaints)
    tmp = tempfile.TemporaryDirectory()
    db = args.db or f"sqlite:///{Path(tmp.name) / 'load.db'}"
    p = build_pipeline(fakes, db, args.model, args.poll, args.tick)
    out: dict[str, Any] = {"rate": args.rate, "seconds": args.seconds, "model": args.model}
    samples: list[tuple[float, int]] = []
    try:
        threads = p.start()
        t0 = time.monotonic()
        fakes.ask("steady", args.rate, args.seconds)
        next_report = t0 + args.report
        while time.monotonic() - t0 < args.seconds:
            time.sleep(max(0.0, min(1.0, next_report - time.monotonic())))
            if time.monotonic() >= next_report:
                unread, untriaged, outbox = backlog(p, fakes)
                total = unread + untriaged + outbox
                samples.append((time.monotonic() - t0, total))
                if not args.quiet:
                    sys.stderr.write(
                        f"t={time.monotonic() - t0:5.0f}s stored={p.store.stored} "
                        f"backlog: unread={unread} untriaged={untriaged} outbox={outbox} "
                        f"rss={rss_mb():.0f}MB\n"
                    )
                next_report += args.report
        steady_made = int(fakes.ask("made"))
        drain = wait_drained(p, fakes, timeout=max(60.0, args.seconds))
        elapsed = time.monotonic() - t0
        lat = latencies(p, fakes)
        out.update(
            made=steady_made,
            stored=p.store.stored,
            stored_per_s=p.store.stored / elapsed,
            alerts=len(lat),
            drain_after_s=drain,
            backlog_samples=[b for _, b in samples],
            backlog_max=max((b for _, b in samples), default=0),
            backlog_last=samples[-1][1] if samples else 0,
            p50_ms=pct(lat, 50) * 1000,
            p99_ms=pct(lat, 99) * 1000,
            max_ms=(lat[-1] * 1000) if lat else float("nan"),
        )
        if args.burst:
            before = set(p.store.stored_at)
            b0 = time.monotonic()
            fakes.ask("burst", args.burst)
            drained = wait_drained(p, fakes, timeout=1800)
            stored_by = max(p.store.stored_at.values()) - b0
            burst_lat = latencies(p, fakes, set(p.store.stored_at) - before)
            out.update(
                burst=args.burst,
                burst_stored_s=stored_by,
                burst_drained_s=drained if drained == drained else time.monotonic() - b0,
                burst_alerts=len(burst_lat),
                burst_p99_ms=pct(burst_lat, 99) * 1000,
            )
        p.stop.set()
        for t in threads:
            t.join(30)
        counts = p.store.counts()
        out.update(
            mentions=counts.mentions,
            lost=int(fakes.ask("made")) - counts.mentions,
            dead=counts.alerts.get("dead", 0),
            peak_rss_mb=rss_mb(),
            errors=p.errors[:5],
        )
    finally:
        p.stop.set()
        p.store.close()
        fakes.stop()
        tmp.cleanup()
    return out


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rate", type=float, default=200.0, help="mentions per second")
    ap.add_argument("--seconds", type=float, default=120.0, help="length of the steady run")
    ap.add_argument("--burst", type=int, default=0, help="posts in one poll after the run")
    ap.add_argument("--model", choices=["double", "real"], default="double")
    ap.add_argument("--complaints", type=float, default=0.25, help="share that alerts")
    ap.add_argument("--poll", type=float, default=1.0, help="seconds between polls")
    ap.add_argument("--tick", type=float, default=0.25, help="triage/dispatch idle sleep")
    ap.add_argument("--report", type=float, default=10.0, help="seconds between reports")
    ap.add_argument("--db", default=None, help="store URL (default: a temp SQLite file)")
    ap.add_argument("--quiet", action="store_true")
    return ap.parse_args(argv)


def main() -> None:
    out = run(parse())
    sys.stdout.write(json.dumps(out, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
