"""Alert volume removed by the fatigue controls, on a week of real airline mentions.

Usage::

    HF_HUB_OFFLINE=1 python benchmarks/bench_fatigue.py [--data-dir ../shared/data]
        [--quiet-hours 22:00-07:00] [--budget 30] [--cooldown 30] [--step-minutes 5]

Replays the Twitter US Airline Sentiment corpus (14,485 unique tweets to six airlines,
16-24 Feb 2015; see its PROVENANCE.md: CC BY-NC-SA 4.0, evaluation use) in time order
through the real triage pipeline: ``MemoryStore`` -> ``Triage.run_once`` (the shipped
``TriageModel`` behind the ``Classifier`` port) -> ``decide``. The clock advances in
``--step-minutes`` steps and each step triages what arrived in it, like the scheduler.

Figures, each beside its baseline:

* pings: without fatigue controls every complaint (and every escalation) pings (the
  count of actionable verdicts); with them only urgent ``Route.ALERT`` verdicts and spike
  notices ping, complaints that are not urgent become cards in the airline's queue channel
  (no ping), incident and cooldown posts become thread replies, and cards over a
  channel's hourly budget are held back for the digest (counted);
* Slack items (cards + thread replies) and the share of them that is urgent (issue 13:
  <= 25 % on the demo data; the airline corpus is a harder, complaint-heavy week).

The model's scores are computed once (one batched ``predict``) and replayed per step, so
the replay measures the decisions, not the encoder. The corpus has no conversation ids or
follower counts: "one alert per conversation" and VIP reach don't act here.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifiers.base import Classifier, Scores
from listener.config import Settings
from listener.decisions import Rulebook
from listener.domain import AlertKind, Author, Mention, Priority, Route
from listener.pipeline import Triage
from listener.store import MemoryStore

AIRLINES = ("Virgin America", "United", "Southwest", "Delta", "US Airways", "American")


def load_mentions(path: Path) -> tuple[list[Mention], dict[str, tuple[str, float, str]]]:
    """Mentions in time order, and the crowd's (sentiment, confidence, reason) by text."""
    seen: set[str] = set()
    out = []
    labels: dict[str, tuple[str, float, str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            tid = row["tweet_id"]
            if tid in seen:  # the corpus repeats some rows
                continue
            seen.add(tid)
            labels[html.unescape(row["text"])] = (
                row["airline_sentiment"], float(row["airline_sentiment_confidence"] or 0),
                row["negativereason"],
            )
            out.append(
                Mention(
                    source="x",
                    id=tid,
                    text=html.unescape(row["text"]),
                    author=Author(id=row["name"], username=row["name"]),
                    created_at=datetime.strptime(row["tweet_created"], "%Y-%m-%d %H:%M:%S %z"),
                    brand=row["airline"],
                    lang="en",
                    addresses_brand=True,
                    found_by="bench",
                )
            )
    out.sort(key=lambda m: (m.created_at, m.id))
    return out, labels


#: --oracle: crowd complaint reasons -> (urgency, topic). A stand-in, not the model.
REASONS = {
    "Cancelled Flight": (3, "cancellation"), "Lost Luggage": (3, "luggage"),
    "Damaged Luggage": (3, "luggage"), "Late Flight": (2, "delay"),
    "Customer Service Issue": (2, "customer service"), "Flight Booking Problems": (2, "booking"),
    "Bad Flight": (2, "flight"), "Flight Attendant Complaints": (2, "customer service"),
    "longlines": (1, "airport"), "Can't Tell": (1, "other"),
}


def oracle_scores(
    texts: Sequence[str], labels: dict[str, tuple[str, float, str]]
) -> list[Scores]:
    """Crowd labels as the classifier (negative = complaint) + real encoder embeddings."""
    from classifiers.cache import encode_cached
    from classifiers.encoder import Encoder, l2_normalize

    emb = l2_normalize(encode_cached(Encoder(device="cpu"), texts)[:, -1, :])
    out = []
    for text, e in zip(texts, emb, strict=True):
        sentiment, conf, reason = labels[text]
        negative = sentiment == "negative"
        urgency, topic = REASONS.get(reason, (2, "other")) if negative else (0, "other")
        p = conf if negative else (1 - conf) / 2
        out.append(Scores(sentiment, {sentiment: conf}, p, negative, urgency, (), topic,
                          {topic: 1.0}, "crowd label", "oracle:crowd-labels",
                          tuple(float(x) for x in e)))
    return out


def cached_predict(model: Classifier, texts: Sequence[str], cache: Path) -> list[Scores]:
    """``model.predict`` once per (model, texts); later runs read the scores back."""
    digest = hashlib.sha256("\0".join([model.name, *texts]).encode()).hexdigest()[:16]
    path = cache / f"{digest}.jsonl"
    if path.exists():
        with path.open(encoding="utf-8") as fh:
            return [Scores.from_dict(json.loads(line)) for line in fh]
    scores = model.predict(texts)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for s in scores:
            fh.write(json.dumps(s.to_dict(with_embedding=True)) + "\n")
    tmp.replace(path)
    return scores


class Replay:
    """The real model's scores, computed once and served through the Classifier port."""

    def __init__(self, name: str, by_text: dict[str, Scores]) -> None:
        self._name = name
        self.by_text = by_text

    @property
    def name(self) -> str:
        return self._name

    def predict(self, texts: Sequence[str]) -> list[Scores]:
        return [self.by_text[t] for t in texts]


def settings(args: argparse.Namespace) -> Settings:
    rules = {
        "cooldown_minutes": args.cooldown,
        "quiet_hours": args.quiet_hours,
        "incident_similarity": args.similarity,
        "incident_window_minutes": args.window,
        "min_urgency": args.min_urgency,
    }
    brands = [
        {
            "name": a,
            "handles": [a.replace(" ", "")],
            "channel": "#cx-" + a.lower().replace(" ", "-"),
            "queue_channel": "#cx-" + a.lower().replace(" ", "-") + "-queue",
            "rules": rules,
        }
        for a in AIRLINES
    ]
    return Settings(  # type: ignore[call-arg]
        timezone=args.timezone,
        brands=brands,  # type: ignore[arg-type]
        slack={"channel_budget_per_hour": args.budget},  # type: ignore[arg-type]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--model", default=None, help="model directory (default: shipped)")
    parser.add_argument("--budget", type=int, default=30, help="alerts per channel per hour")
    parser.add_argument("--cooldown", type=int, default=30, help="author cooldown, minutes")
    parser.add_argument("--quiet-hours", default="", help="e.g. 22:00-07:00 (default: none)")
    parser.add_argument("--similarity", type=float, default=0.75, help="incident cosine")
    parser.add_argument("--min-urgency", type=int, default=2,
                        help="severity that makes a queued card NORMAL (it never pings)")
    parser.add_argument("--window", type=int, default=120, help="incident window, minutes")
    parser.add_argument("--timezone", default="America/New_York")
    parser.add_argument("--step-minutes", type=int, default=5)
    parser.add_argument("--limit", type=int, default=0, help="first N mentions only")
    parser.add_argument("--oracle", action="store_true",
                        help="crowd labels instead of the model (a stand-in; see REASONS)")
    parser.add_argument("--cache", type=Path,
                        default=Path.home() / ".cache" / "firstreply" / "bench_fatigue")
    args = parser.parse_args()

    csv_path = Path(args.data_dir) / "twitter-us-airline-sentiment" / "Tweets.csv"
    mentions, labels = load_mentions(csv_path)
    if args.limit:
        mentions = mentions[: args.limit]
    texts = sorted({m.text for m in mentions})
    t0 = time.perf_counter()
    if args.oracle:
        name = "oracle:crowd-labels"
        scores = oracle_scores(texts, labels)
    else:
        try:
            from classifiers.model import load

            model = load(args.model, device="cpu")
        except (ImportError, FileNotFoundError, OSError) as exc:
            print(f"the triage model is missing ({exc}); train or install it, then rerun "
                  "(or pass --oracle for the crowd-label stand-in).")
            return 2
        name = model.name
        scores = cached_predict(model, texts, args.cache)
    classify_s = time.perf_counter() - t0
    clf = Replay(name, dict(zip(texts, scores, strict=True)))

    store = MemoryStore()
    clock = _Clock(mentions[0].created_at)
    triage = Triage(store=store, classifier=clf, rules=Rulebook.from_settings(settings(args)),
                    clock=clock)
    step = timedelta(minutes=args.step_minutes)
    t0 = time.perf_counter()
    i = 0
    while i < len(mentions):
        end = clock.now() + step
        batch = []
        while i < len(mentions) and mentions[i].created_at < end:
            batch.append(mentions[i])
            i += 1
        clock.set(end)
        if batch:
            store.add_mentions(batch)
            triage.triage_until_empty()
    decide_s = time.perf_counter() - t0

    items = list(store.history(mentions[0].created_at, clock.now() + step))
    verdicts = [it.verdict for it in items if it.verdict is not None]
    alerts = [a for it in items for a in it.alerts]
    routes = Counter(v.route for v in verdicts)
    actionable = sum(v.actionable for v in verdicts)
    spikes = sum(a.kind is AlertKind.SPIKE for a in alerts)
    urgent_alerts = sum(v.route is Route.ALERT and v.priority >= Priority.HIGH for v in verdicts)
    cards = routes[Route.ALERT] - urgent_alerts
    pinged = urgent_alerts + spikes
    slack = [v for v in verdicts if v.actionable and v.route in (Route.ALERT, Route.THREAD)]
    urgent_items = sum(v.priority >= Priority.HIGH for v in slack)
    held = sum(v.route is Route.DIGEST and v.actionable for v in verdicts)
    why = Counter(_control(v.reasons, v.route) for v in verdicts if v.actionable)

    print(f"model: {name}  scored {len(texts)} texts in {classify_s:.1f}s")
    print(f"replayed {len(verdicts)} mentions, {mentions[0].created_at:%Y-%m-%d} to "
          f"{mentions[-1].created_at:%Y-%m-%d}, in {decide_s:.1f}s "
          f"({len(verdicts) / decide_s:.0f} mentions/s through pipeline + memory store)")
    print(f"settings: budget {args.budget}/channel/hour, cooldown {args.cooldown} min, "
          f"quiet hours {args.quiet_hours or 'none'}, min urgency {args.min_urgency}, "
          f"incident window {args.window} min, "
          f"similarity {args.similarity}")
    print(f"without fatigue controls (every complaint pings): {actionable}")
    print(f"with fatigue controls (pings):                     {pinged} "
          f"({urgent_alerts} urgent alerts + {spikes} spike notices)")
    removed = 1 - pinged / actionable if actionable else 0.0
    print(f"pings removed by fatigue controls: {removed:.1%}")
    print(f"complaints in front of a person: {len(slack)} of {actionable} actionable "
          f"({cards} queued cards without a ping, {len(slack) - routes[Route.ALERT]} thread "
          f"replies), {held} held back by a budget for the digest")
    share = urgent_items / len(slack) if slack else 0.0
    print(f"Slack items that are urgent: {urgent_items} of {len(slack)} = {share:.1%} "
          f"(baseline, every complaint pings: 100%)")
    print(f"routes: {', '.join(f'{r.value} {n}' for r, n in routes.most_common())}")
    print("actionable posts by what handled them:")
    for control, n in why.most_common():
        print(f"  {control:<38} {n:>6}")
    peak = Counter(
        (v.channel, v.decided_at.replace(minute=0, second=0)) for v in verdicts
        if v.route is Route.ALERT
    )
    print(f"busiest channel-hour: {max(peak.values(), default=0)} alerts")
    return 0


def _control(reasons: Sequence[str], route: Route) -> str:
    """Which control handled an actionable post, from the reasons it was given."""
    checks = {
        Route.THREAD: (("same conversation", "conversation"), ("cooldown:", "author cooldown"),
                       ("joins incident", "incident")),
        Route.DIGEST: (("held back:", "channel budget"),),
        Route.ALERT: (("not urgent", "queued card, no ping"),),
    }
    for needle, name in checks.get(route, ()):
        if any(r.startswith(needle) or f" {needle}" in r for r in reasons):
            return f"{name} -> {route.value}"
    return "urgent alert" if route is Route.ALERT else route.value


class _Clock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now


if __name__ == "__main__":
    raise SystemExit(main())
