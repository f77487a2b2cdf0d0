"""Fitting the judgement head from labelled posts: ``firstreply learn``.

Labels come from JSON Lines files, one post per line with at least ``text`` and
``urgent`` (true/false). Rows of the judgement tables' schema (``tests/judgement``) also
carry ``reach_slack``: only posts that need a person (complaints and requests) teach
urgency, so rows with ``reach_slack`` false are skipped. A team's own labels
(``firstreply feedback export``) use the same fields; its rows with ``reach_slack`` true
and no ``urgent`` (a post someone called a complaint, saying nothing of its urgency) are
skipped and counted, not refused. The file format is ``classifiers/labels.py``'s.

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
from classifiers.labels import LabelError, read_rows

__all__ = [
    "LabelError",
    "LabelRead",
    "LabelledText",
    "fit_from_texts",
    "ibm_openers",
    "read_labels",
]

IBM_FOLDER = "ibm-twitter-customer-care"


@dataclass(frozen=True, slots=True)
class LabelledText:
    text: str
    urgent: bool
    source: str


@dataclass(frozen=True, slots=True)
class LabelRead:
    """The rows of a label file that teach urgency, and how many were left out why."""

    rows: list[LabelledText]
    #: ``reach_slack`` false: not a complaint or request, nothing to learn about urgency.
    not_person: int = 0
    #: ``reach_slack`` true but no ``urgent``: a person said "complaint" and nothing about
    #: its urgency (``feedback export`` writes such rows).
    no_urgency: int = 0


def read_labels(path: Path) -> LabelRead:
    """The complaints and requests of ``path`` with their urgency (see the module docstring)."""
    out: list[LabelledText] = []
    not_person = no_urgency = 0
    for where, row in read_rows(path):
        reach, urgent = row.get("reach_slack"), row.get("urgent")
        if reach is False:
            not_person += 1
        elif isinstance(urgent, bool):
            out.append(LabelledText(row["text"], urgent, path.name))
        elif urgent is None and reach is True:
            no_urgency += 1
        else:
            raise LabelError(f"{where}: needs 'urgent': true or false")
    return LabelRead(out, not_person, no_urgency)


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
