"""The decision layer on real labelled corpora, and on the written tables (issue 13).

Usage::

    python benchmarks/bench_judgement_corpora.py                  # real corpora
    python benchmarks/bench_judgement_corpora.py --table tests/judgement/posts.jsonl \\
        --table tests/judgement/posts_wide.jsonl --list           # written tables too

Real posts, decided alone with the default settings (as ``firstreply triage --alone``):

* **airline test** (Twitter US Airline Sentiment, the model's own 10 % test split, seed
  13): every tweet is addressed to the airline. Negative tweets are complaints (minus
  "Can't Tell"); positive ones are thanks and praise; neutral ones mix questions, which
  are requests and should reach Slack, with news and chatter, so they are reported apart.
* **X-FINCORP test** (the model's 15 % test split): finance tweets with a complaint
  label, kept when they @-mention a handle (brand-directed), the first handle as the brand.
* **IBM customer care**: the opening customer tweet of every support thread (dev + test,
  not trained on): each is a request or a problem report, so each should reach Slack.
  The brand is the company the support account serves (``AdobeCare`` -> ``Adobe``); a post
  that @-mentions the brand or its support account addresses it.
* **chatter**: tweet-sentiment-extraction fold 1 (the model's chatter test fold), with a
  configured brand that the posts do not name.

Model scores are cached under ``--cache`` (keyed by the texts and the model name), so
changing the decision layer and running again costs seconds, not minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from classifiers.base import Scores
from listener.backfill.readers import mention_from_row
from listener.config import Settings
from listener.decisions import DecisionEngine
from listener.domain import Author, Mention, Priority, Route

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SEED = 13
_HANDLE = re.compile(r"@(\w{2,})")


def _split_test(n: int, fraction: float) -> np.ndarray:
    """The test rows of ``classifiers.data.split_frame`` (same seed, same order)."""
    return np.random.default_rng(SEED).permutation(n)[: int(n * fraction)]


def _mention(ident: str, text: str, brand: str, *, addressed: bool,
             followers: int = 100) -> Mention:
    return Mention(source="x", id=ident, text=text,
                   author=Author(id=f"a{ident}", username=f"a{ident}", followers=followers),
                   created_at=T0, brand=brand, lang="en", addresses_brand=addressed)


def airline(data: Path) -> list[tuple[Mention, str]]:
    df = pd.read_csv(data / "twitter-us-airline-sentiment" / "Tweets.csv")
    df = df.drop_duplicates("tweet_id").reset_index(drop=True)
    out = []
    for i in _split_test(len(df), 0.1):
        row = df.iloc[int(i)]
        sent, reason = str(row["airline_sentiment"]), str(row["negativereason"])
        label = ("complaint" if reason != "Can't Tell" else "") if sent == "negative" else sent
        if label:
            out.append((_mention(f"air{i}", str(row["text"]), str(row["airline"]),
                                 addressed=True), label))
    return out


def xfincorp(data: Path) -> list[tuple[Mention, str]]:
    df = pd.read_csv(data / "x-fincorp" / "X-FINCORP.csv", dtype=str, keep_default_na=False)
    df = df[df["Complaint/ Opinion"].str.strip().str.len() > 0].reset_index(drop=True)
    out = []
    for i in _split_test(len(df), 0.15):
        row = df.iloc[int(i)]
        text = str(row["Complaint/ Opinion"])
        handle = _HANDLE.search(text)
        if handle is None:
            continue
        label = "complaint" if row["Complaint Label"].strip() == "1" else "not_complaint"
        out.append((_mention(f"xf{i}", text, handle.group(1), addressed=True), label))
    return out


_SUPPORT = re.compile(r"^(?:Ask_?|Team)|(?:_?[Ss]upport|Helps?|Cares?|_us)$")


def ibm(data: Path) -> list[tuple[Mention, str]]:
    """The brand is the company its support account serves (``AdobeCare`` -> ``Adobe``):
    customers write to ``@Adobe`` or name it, as a listener configured for it would see."""
    out = []
    for part in ("dev", "test"):
        threads = json.loads((data / "ibm-twitter-customer-care" / f"{part}.json").read_text())
        for k, thread in enumerate(threads):
            first = thread["dialogContent"][0]
            account = thread["dialogHeader"]["company"]
            company = _SUPPORT.sub("", account)
            text = first["message"]
            # The support account is one of the brand's own handles: a listener for the
            # brand lists it ("@TeamYouTube" addresses YouTube).
            handles = re.findall(r"@(\w+)", text.lower())
            addressed = (account.lower() in handles or company.lower() in handles
                         or bool(first.get("in_reply_to")))
            out.append((_mention(f"ibm{part}{k}", text, company, addressed=addressed), "request"))
    return out


def chatter(data: Path, n: int = 600) -> list[tuple[Mention, str]]:
    df = pd.read_csv(data / "tweet-sentiment-extraction" / "train_10fold.csv", dtype=str,
                     keep_default_na=False)
    df = df[(df["kfold"] == "1") & (df["text"].str.strip().str.len() > 0)].head(n)
    return [(_mention(f"tse{i}", str(t), "Northwind", addressed=False), "chatter")
            for i, t in zip(df.index, df["text"], strict=True)]


def table(path: Path) -> list[tuple[Mention, dict[str, Any]]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(mention_from_row(r, source="x", default_time=T0), r) for r in rows]


def scores_for(texts: Sequence[str], cache: Path) -> list[Scores]:
    key = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    path = cache / f"scores-{key}.pkl"
    if path.exists():
        cached: list[Scores] = pickle.loads(path.read_bytes())
        return cached
    from classifiers.model import load_default

    scores = load_default(device="cpu").predict(list(texts))
    cache.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(scores))
    return scores


Outcome = tuple[bool, bool, tuple[str, ...]]


def decide(mentions: Sequence[Mention], scores: Sequence[Scores]) -> list[Outcome]:
    engine = DecisionEngine.from_settings(Settings())
    out = []
    for m, s in zip(mentions, scores, strict=True):
        engine.forget()
        v = engine.decide(m, s, now=T0).verdict
        slack = v.route in (Route.ALERT, Route.THREAD)
        out.append((slack, slack and v.priority >= Priority.HIGH, v.reasons))
    return out


def _share(hits: Sequence[bool]) -> str:
    return f"{sum(hits):>5} / {len(hits):<5} = {sum(hits) / max(1, len(hits)):6.1%}"


def report_corpus(name: str, items: list[tuple[Mention, str]], cache: Path, listing: int) -> None:
    mentions = [m for m, _ in items]
    got = decide(mentions, scores_for([m.text for m in mentions], cache))
    print(f"{name}: {len(items)} posts")
    by: dict[str, list[bool]] = {}
    for (_, label), (slack, _u, _r) in zip(items, got, strict=True):
        by.setdefault(label, []).append(slack)
    for label, hits in sorted(by.items()):
        print(f"  {label:<14} to Slack {_share(hits)}")
    slack_items = [u for s, u, _ in got if s]
    print(f"  Slack items urgent     {_share(slack_items)}")
    if listing:
        for want in ("complaint", "positive", "not_complaint", "request"):
            bad = [(m, r) for (m, lab), (s, _u, r) in zip(items, got, strict=True)
                   if lab == want and s == (want in ("positive", "not_complaint"))]
            for m, r in bad[:listing]:
                print(f"    [{want}] {m.text[:150]!r} · {' · '.join(r[:2])}")


def report_table(path: Path, cache: Path, listing: bool) -> None:
    items = table(path)
    mentions = [m for m, _ in items]
    got = decide(mentions, scores_for([m.text for m in mentions], cache))
    by: dict[str, list[bool]] = {}
    wrong = []
    for (_, row), (slack, urgent, reasons) in zip(items, got, strict=True):
        by.setdefault(f"{row['kind']} to Slack", []).append(slack)
        if row["urgent"]:
            by.setdefault("urgent paged", []).append(urgent)
            by.setdefault(f"  paged: {row['urgency_reason']}", []).append(urgent)
        elif row["reach_slack"]:
            by.setdefault("non-urgent items paged", []).append(urgent)
        if slack:
            by.setdefault("Slack items urgent", []).append(urgent)
        if slack != row["reach_slack"] or urgent != row["urgent"]:
            wrong.append(f"  {row['id']} {row['kind']}/{row['urgency_reason']}: slack={slack} "
                         f"urgent={urgent} {row['text'][:110]!r} · {' · '.join(reasons[:2])}")
    print(f"{path}: {len(items)} posts")
    for name, hits in by.items():
        print(f"  {name:<28} {_share(hits)}")
    print(f"  {len(wrong)} decided otherwise than labelled")
    if listing:
        print("\n".join(wrong))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--cache", type=Path, default=Path("/tmp/firstreply-judgement-cache"))
    ap.add_argument("--table", type=Path, action="append", default=[])
    ap.add_argument("--no-corpora", action="store_true")
    ap.add_argument("--list", type=int, nargs="?", const=15, default=0,
                    help="show up to N wrong posts per label")
    args = ap.parse_args(argv)
    for path in args.table:
        report_table(path, args.cache, bool(args.list))
    if args.no_corpora:
        return 0
    if not args.data.is_dir():
        print(f"no corpora at {args.data}", file=sys.stderr)
        return 1
    for name, load in (("airline test", airline), ("X-FINCORP test (with a handle)", xfincorp),
                       ("IBM customer care openers", ibm), ("chatter (TSE fold 1)", chatter)):
        report_corpus(name, load(args.data), args.cache, args.list)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
