"""The decision layer on the team's probe posts: one post per line, to the brand "Acme".

Usage::

    python benchmarks/bench_probes.py                       # the tuned-on probe files
    python benchmarks/bench_probes.py --list FILE...        # and every post's verdict
    python benchmarks/bench_probes.py benchmarks/data/probes/untuned/*.txt

The probes (``benchmarks/data/probes/``) were written by the team to find kinds of words
and constructions the reading lacked: subtle complaints (should reach Slack), polite
urgent posts (should page) and praise, thanks and jokes (should not reach Slack), in
batches (``*.txt``, ``*_2.txt``, ``*_3.txt``), each read once before the rules were
written from it. They measure coverage, not generalisation. ``untuned/`` is a batch
written after the last rule change and never tuned on: with the held-out judgement
tables, it measures how the rules carry to posts they were not written from. A post that
starts with ``@acme`` addresses the brand. Model scores are cached as in
``bench_judgement_corpora.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench_judgement_corpora import _mention, _share, decide, scores_for

PROBES = Path(__file__).parent / "data" / "probes"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", type=Path, nargs="*",
                    default=sorted(PROBES.glob("*.txt")))  # untuned/ only when named
    ap.add_argument("--cache", type=Path, default=Path("/tmp/firstreply-judgement-cache"))
    ap.add_argument("--list", action="store_true", help="print every post's verdict")
    args = ap.parse_args(argv)
    for path in args.files:
        texts = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
        mentions = [_mention(f"probe{i}", t, "Acme", addressed=t.lower().startswith("@acme"))
                    for i, t in enumerate(texts)]
        got = decide(mentions, scores_for(texts, args.cache))
        print(f"{path.name}: {len(texts)} posts")
        print(f"  to Slack     {_share([s for s, _u, _r in got])}")
        print(f"  paged urgent {_share([u for _s, u, _r in got])}")
        if args.list:
            for text, (slack, urgent, reasons) in zip(texts, got, strict=True):
                mark = "URGENT" if urgent else "slack " if slack else "------"
                print(f"    {mark} {text[:100]!r} · {' · '.join(reasons[:2])[:100]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
