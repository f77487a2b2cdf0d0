"""Alert latency: from "verdict and outbox row committed" to "message visible in Slack".

Runs the real dispatcher and the real slack_sdk WebClient against the local fake Slack
(tests/fakes/slack_server.py) with the memory store, and prints p50/p95/p99:

    .venv/bin/python -m benchmarks.bench_alert_latency --alerts 500 --rate 100 --poll 0.25

``--rate`` alerts per second are stored by a producer thread (0 = all at once, a burst);
the dispatcher runs ``run_once`` in a loop and sleeps ``--poll`` seconds when idle (the
scheduler's tick). "Visible" is when the fake Slack received ``chat.postMessage``; real
Slack adds its own network round trip (~50-150 ms) on top.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from listener.config import Settings
from listener.dispatch import Dispatcher
from listener.domain import Alert, Author, Mention, Priority, Route, Scores, Verdict
from listener.ports import SystemClock
from listener.slack.blocks import ActionRef
from listener.slack.notifier import SlackNotifier, build_web_client
from listener.store import MemoryStore
from tests.fakes.slack_server import FakeSlack

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SCORES = Scores(
    sentiment="negative",
    sentiment_scores={"negative": 0.9, "neutral": 0.08, "positive": 0.02},
    complaint_probability=0.9,
    is_complaint=True,
    urgency=3,
    signals=(),
    topic="delivery",
    topic_scores={"delivery": 0.9},
    explanation="negative complaint about a delivery",
    model="bench",
)


def store_one(store: MemoryStore, i: int) -> None:
    mention = Mention(
        source="x",
        id=str(i),
        text=f"@acme order {i} never arrived <!channel> & nobody answers",
        author=Author(id=f"u{i}", username=f"user{i}", name=f"User {i}", followers=100),
        created_at=T0 + timedelta(seconds=i),
        brand="Acme",
        url=f"https://x.com/user{i}/status/{i}",
        addresses_brand=True,
    )
    store.add_mentions([mention])
    verdict = Verdict(
        mention.key, True, Priority.HIGH, Route.ALERT, "#cx-alerts", ("bench",), SystemClock().now()
    )
    store.record_triage(mention.key, SCORES, verdict, [Alert(mention.key, "#cx-alerts")])


def mention_of(blocks: list[dict[str, object]]) -> str | None:
    for block in blocks:
        if block.get("type") == "actions":
            for element in block["elements"]:  # type: ignore[attr-defined]
                if element.get("action_id") == "fr_claim":
                    return ActionRef.decode(element["value"]).mention[1]
    return None


def run(n: int, rate: float, poll: float, batch: int) -> dict[str, float]:
    stored: dict[str, float] = {}
    with FakeSlack() as fake:
        settings = Settings.model_validate({"slack": {"api_base_url": fake.base_url}})
        store = MemoryStore()
        notifier = SlackNotifier(
            client=build_web_client(settings.slack, fake.token), settings=settings
        )
        dispatcher = Dispatcher(store=store, notifier=notifier, clock=SystemClock(),
                                max_attempts=settings.slack.max_attempts)
        done = threading.Event()

        def dispatch_loop() -> None:
            while not done.is_set():
                if dispatcher.run_once(batch).attempted == 0:
                    time.sleep(poll)

        worker = threading.Thread(target=dispatch_loop, daemon=True)
        start = time.monotonic()
        worker.start()
        for i in range(n):
            if rate > 0:
                target = start + i / rate
                delay = target - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            stored[str(i)] = time.monotonic()
            store_one(store, i)
        fake.wait_for(lambda: len(fake.calls_to("chat.postMessage")) >= n, timeout=120)
        done.set()
        worker.join()
        elapsed = time.monotonic() - start
        latencies = []
        for call in fake.calls_to("chat.postMessage"):
            key = mention_of(call.args.get("blocks") or [])
            if key is not None:
                latencies.append(call.at - stored[key])
    latencies.sort()
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "n": len(latencies),
        "p50": q[49],
        "p95": q[94],
        "p99": q[98],
        "max": latencies[-1],
        "throughput": n / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--rate", type=float, default=100.0, help="alerts/s stored; 0 = burst")
    parser.add_argument("--poll", type=float, default=0.25, help="dispatcher idle sleep (s)")
    parser.add_argument("--batch", type=int, default=50, help="run_once limit")
    args = parser.parse_args()
    for label, rate in (("steady", args.rate), ("burst", 0.0)):
        r = run(args.alerts, rate, args.poll, args.batch)
        print(
            f"{label:6} alerts={r['n']:.0f} rate={'all at once' if rate == 0 else f'{rate:g}/s'} "
            f"poll={args.poll}s  p50={r['p50'] * 1000:.0f} ms  p95={r['p95'] * 1000:.0f} ms  "
            f"p99={r['p99'] * 1000:.0f} ms  max={r['max'] * 1000:.0f} ms  "
            f"throughput={r['throughput']:.0f} alerts/s  target p99 < 2000 ms: "
            f"{'OK' if r['p99'] < 2.0 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
