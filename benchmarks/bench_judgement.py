"""Figures of the decision rules on a labelled table of written posts (issue 13).

Usage::

    firstreply triage tests/judgement/posts.jsonl --alone -o /tmp/dev.verdicts.jsonl
    python benchmarks/bench_judgement.py tests/judgement/posts.jsonl /tmp/dev.verdicts.jsonl

(the same for ``benchmarks/data/judgement_holdout.jsonl``, which only reports figures:
never tune on it). Prints each figure beside its target; ``--list`` adds the posts that
were decided otherwise than labelled, with the first reasons (use it on dev only).
``benchmarks/bench_judgement_corpora.py`` gives the same figures from cached model scores
and the shares on real labelled tweets (airline, X-FINCORP, IBM customer care, chatter).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

#: (figure, target, "min" or "max"): the issue's targets.
TARGETS = (
    ("complaints to Slack", 0.85, "min"),
    ("requests to Slack", 0.85, "min"),
    ("not-complaints to Slack", 0.05, "max"),
    ("chatter to Slack", 0.03, "max"),
    ("urgent posts paged", 0.90, "min"),
    ("non-urgent complaints/requests paged", None, "max"),
    ("Slack items that are urgent", None, "max"),
)
NAMES = {"complaint": "complaints", "request": "requests", "not_complaint": "not-complaints",
         "chatter": "chatter"}


def load(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def main(argv: list[str]) -> int:
    listing = "--list" in argv
    argv = [a for a in argv if a != "--list"]
    if len(argv) != 2:
        print(__doc__)
        return 2
    table = {str(r["id"]): r for r in load(Path(argv[0]))}
    verdicts = {str(v["id"]): v for v in load(Path(argv[1]))}
    missing = table.keys() - verdicts.keys()
    if missing:
        print(f"{len(missing)} posts of the table have no verdict (e.g. {sorted(missing)[0]})")
        return 1
    n: Counter[str] = Counter()
    hit: Counter[str] = Counter()
    by_reason: dict[str, list[bool]] = {}
    wrong = []
    for key, row in table.items():
        v = verdicts[key]
        slack, urgent = bool(v["slack"]), bool(v["slack"]) and bool(v["urgent"])
        for name, yes in (
            (f"{NAMES[str(row['kind'])]} to Slack", slack),
            ("urgent posts paged" if row["urgent"] else
             "non-urgent complaints/requests paged" if row["reach_slack"] else "", urgent),
            ("Slack items that are urgent" if slack else "", urgent),
        ):
            if name:
                n[name] += 1
                hit[name] += yes
        if row["urgent"]:
            by_reason.setdefault(str(row["urgency_reason"]), []).append(urgent)
        if slack != row["reach_slack"] or urgent != row["urgent"]:
            wrong.append(f"  {key} {row['kind']}/{row['urgency_reason']}: slack={slack} "
                         f"urgent={urgent} · {' · '.join(v['why'][:2])}")  # type: ignore[index]
    print(f"{argv[0]}: {len(table)} posts")
    for name, target, kind in TARGETS:
        share = hit[name] / n[name] if n[name] else 0.0
        goal = "" if target is None else f"   target {'≥' if kind == 'min' else '≤'} {target:.0%}"
        ok = "" if target is None else ("  ok" if (share >= target if kind == "min"
                                                   else share <= target) else "  MISSED")
        print(f"  {name:<38} {hit[name]:>4} / {n[name]:<4} = {share:6.1%}{goal}{ok}")
    print("  urgent posts paged, per reason: " + ", ".join(
        f"{k} {sum(v)}/{len(v)}" for k, v in sorted(by_reason.items())))
    print(f"{len(wrong)} posts decided otherwise than labelled" + (":" if listing else ""))
    if listing:
        print("\n".join(wrong))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
