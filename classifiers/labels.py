"""Label files: JSON Lines of posts people labelled, and what a feedback label means.

One reader for both consumers, so a file ``firstreply feedback export`` writes is read
the same way by ``firstreply learn`` (``judgement_fit``: ``text`` and ``urgent``) and by
``firstreply train --frozen --feedback`` (``text`` and ``label``). Each line is a JSON
object with a string ``text``; the rest is the consumer's.

The feedback vocabulary is the Slack buttons' (``listener/slack/interactions.py``,
``listener/slack/labelling.py``):

* ``not_complaint``: *Not a complaint*; the post needs nobody.
* ``complaint``: the post is a complaint or request (it needs a person).
* ``urgent``: *Should have pinged*, on a card that was queued: the post is a complaint
  or request that should have paged someone.
* ``not_urgent``: *Should not have pinged*, on a card that paged: a complaint or
  request all the same, but one that could have waited in the queue.
* ``urgency:N``: the *Wrong urgency?* menu of cards posted before those two buttons
  (their clicks still arrive and are stored as before): the person picked the severity
  level ``N`` it should have had on the Jin & Aletras scale
  (``classifiers.base.URGENCY_LEVELS``): ``0`` is "no complaint", so it says what *Not a
  complaint* says; ``1``..``4`` are complaint severities, so it says the post is a
  complaint.

The sentiment names (``negative``, ``neutral``, ``positive``) are labels too, for hand
written files: they teach the sentiment head only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from classifiers.base import SENTIMENT_LABELS, URGENCY_LEVELS

__all__ = [
    "COMPLAINT",
    "HEAD_LABELS",
    "NOT_COMPLAINT",
    "NOT_URGENT",
    "URGENCY_PREFIX",
    "URGENT",
    "LabelError",
    "head_label",
    "needs_person",
    "read_feedback",
    "read_rows",
    "severity",
    "urgent_of",
]

COMPLAINT, NOT_COMPLAINT, URGENCY_PREFIX = "complaint", "not_complaint", "urgency:"
#: The Slack cards' *Should have pinged* / *Should not have pinged* (the one place these
#: strings are written: ``listener/slack`` stores them from here).
URGENT, NOT_URGENT = "urgent", "not_urgent"
#: What ``train --feedback`` teaches the triage heads with.
HEAD_LABELS: tuple[str, ...] = (*SENTIMENT_LABELS, COMPLAINT, NOT_COMPLAINT)


class LabelError(ValueError):
    """A label file that cannot be used, with the line that says why."""


def read_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each non-blank line of ``path`` as ``("file:line", object)``; the object has a
    string ``text``. ``LabelError`` names the first line that is not such an object."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelError(f"{path}: cannot read: {exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelError(f"{where}: not JSON: {exc.msg}") from exc
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise LabelError(f"{where}: needs a string 'text'")
        yield where, row


def severity(label: str) -> int | None:
    """``N`` of a ``urgency:N`` label, None for any other label; ``ValueError`` for a
    ``urgency:`` label whose level is not on the scale."""
    if not label.startswith(URGENCY_PREFIX):
        return None
    level = label.removeprefix(URGENCY_PREFIX)
    if not level.isdigit() or int(level) not in range(len(URGENCY_LEVELS)):
        raise ValueError(f"{label!r}: urgency levels are 0-{len(URGENCY_LEVELS) - 1}")
    return int(level)


def urgent_of(label: str) -> bool | None:
    """What ``urgent`` / ``not_urgent`` say outright (should it have paged); None for
    every other label, whose urgency (if any) depends on the card it was clicked on."""
    return {URGENT: True, NOT_URGENT: False}.get(label)


def needs_person(label: str) -> bool | None:
    """Whether a feedback label says the post needs a person (a complaint or request):
    None for a sentiment label, which does not say; ``ValueError`` for an unknown one."""
    if label == NOT_COMPLAINT:
        return False
    if label == COMPLAINT or urgent_of(label) is not None:
        return True
    level = severity(label)
    if level is not None:
        return level > 0
    if label in SENTIMENT_LABELS:
        return None
    known = ", ".join((*HEAD_LABELS, URGENT, NOT_URGENT))
    raise ValueError(f"unknown label {label!r} (expected {known} or urgency:N)")


def head_label(label: str) -> str:
    """The triage heads' label for a feedback label: ``urgent``, ``not_urgent`` and
    ``urgency:N`` become complaint or not_complaint (see the module docstring), the
    others stay as they are."""
    person = needs_person(label)
    if severity(label) is None and urgent_of(label) is None:
        return label
    return COMPLAINT if person else NOT_COMPLAINT


def read_feedback(path: Path) -> tuple[list[tuple[str, str]], int]:
    """``train --feedback``'s ``(text, label)`` pairs of ``path``, and how many of them
    came from urgency labels (``urgent``, ``not_urgent``, ``urgency:N``: mapped by
    ``head_label``)."""
    pairs, mapped = [], 0
    for where, row in read_rows(path):
        label = row.get("label")
        if not isinstance(label, str):
            raise LabelError(f"{where}: needs a string 'label'")
        try:
            head = head_label(label)
        except ValueError as exc:
            raise LabelError(f"{where}: {exc}") from None
        mapped += head != label
        pairs.append((row["text"], head))
    return pairs, mapped
