"""Fitting the judgement head from labelled posts: ``firstreply learn``.

Labels come from JSON Lines files, one post per line with at least ``text`` and
``urgent`` (true/false). Rows of the judgement tables' schema (``tests/judgement``) also
carry ``reach_slack``: only posts that need a person (complaints and requests) teach
urgency, so rows with ``reach_slack`` false are skipped. A team's own labels, for example
the posts it paged and the ones it marked "wrong urgency", use the same two fields.

The shipped head's recipe adds IBM customer-care openers as weak "needs a person, not
urgent" examples: support requests to 25 brands (software, games, banking, telecom,
travel), written by real customers, most of them routine. They keep the head from paging
every support request that reads like the written tables' urgent posts; a few of them are
urgent in truth (an account hacked), which is the cost of a weak label.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifiers.judgement import JudgementHead, Labelled, fit_judgement

__all__ = ["LabelError", "LabelledText", "fit_from_texts", "ibm_openers", "read_labels"]

IBM_FOLDER = "ibm-twitter-customer-care"


class LabelError(ValueError):
    """A label file that cannot be used, with the line that says why."""


@dataclass(frozen=True, slots=True)
class LabelledText:
    text: str
    urgent: bool
    source: str


def read_labels(path: Path) -> list[LabelledText]:
    """The complaints and requests of ``path`` with their urgency (see the module docstring)."""
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelError(f"{path}: cannot read: {exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelError(f"{path}:{n}: not JSON: {exc.msg}") from exc
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise LabelError(f"{path}:{n}: needs a string 'text'")
        if not isinstance(row.get("urgent"), bool):
            raise LabelError(f"{path}:{n}: needs 'urgent': true or false")
        if row.get("reach_slack") is False:
            continue
        out.append(LabelledText(row["text"], row["urgent"], path.name))
    return out


def ibm_openers(data_dir: Path, n: int) -> list[LabelledText]:
    """The first ``n`` opening customer tweets of the IBM dev threads, as not urgent."""
    path = data_dir / IBM_FOLDER / "dev.json"
    try:
        threads = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise LabelError(f"{path}: cannot read the IBM customer-care threads: {exc}") from exc
    texts = [str(t["dialogContent"][0]["message"]) for t in threads[:n]]
    if len(texts) < n:
        raise LabelError(f"{path}: {len(texts)} threads, fewer than the {n} asked for")
    return [LabelledText(t, False, IBM_FOLDER) for t in texts]


def fit_from_texts(
    rows: Sequence[LabelledText],
    embed: Callable[[Sequence[str]], np.ndarray],
    *,
    model: str,
    fingerprint: str,
    c: float = 1.0,
) -> JudgementHead:
    """Embed ``rows`` with the model's own encoder and fit the head on them."""
    vectors = embed([r.text for r in rows])
    sources: dict[str, int] = {}
    for r in rows:
        sources[r.source] = sources.get(r.source, 0) + 1
    labelled = [Labelled(v, r.urgent) for v, r in zip(vectors, rows, strict=True)]
    return fit_judgement(labelled, model=model, fingerprint=fingerprint, c=c,
                         meta={"sources": sources})
