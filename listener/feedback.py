"""The team's Slack labels as training rows: what ``firstreply feedback export`` writes.

One row per labelled mention, in the format ``firstreply learn`` and ``firstreply train
--frozen --feedback`` read (``classifiers/labels.py``): ``text``, ``label`` (as the button
stored it), ``reach_slack``, ``urgent`` when it is known, and where it came from
(``mention``, ``brand``, ``user``, ``created_at`` of the label).

**Which label.** A person's later click replaces their earlier one, and between people
the latest label wins too: a card is redrawn after each click, so a later click was made
on what the earlier one left (a *Not a complaint* closes the card; on an older card, a
second person's *Wrong urgency?* corrects the first). Mentions whose people disagree are
counted.

**Urgent.** The *Urgency* field of a card is ``urgency_label(verdict)``: *Urgent* when the
verdict's priority is HIGH or more, else *Not urgent*; the verdict is written once at
triage and the card redrawn from it, so the stored verdict is what the person saw
(``card_urgent``). The card's button contradicts that field: *Should not have pinged* on
a card that paged, *Should have pinged* on a queued one; they store ``not_urgent`` and
``urgent``, which are ``urgent`` false and true as they stand.

Cards posted before those buttons carry the *Wrong urgency?* menu, whose clicks store
``urgency:N``; those keep their meaning. *Wrong urgency?* said the field was wrong, so
the label is its opposite: a paged card marked wrong was not urgent, a queued one was.
The level the person picked is the complaint severity (0-4) the card does not show; it
cannot say urgent or not (severity never pages, ``decisions/urgency.py``), except level
0, "no complaint", which says the post needs nobody (``reach_slack`` false, like *Not a
complaint*). With no stored verdict that urgency is unknown and ``urgent`` is left out;
a ``complaint`` label says nothing of urgency, so its row has none either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from classifiers.labels import needs_person, severity, urgent_of
from listener.decisions.explain import shows_urgent
from listener.domain import Feedback, MentionKey
from listener.ports import FeedbackRepo, TriagedMention, TriagedReader, load_triaged

__all__ = [
    "ExportCounts",
    "LabelStore",
    "card_urgent",
    "export_rows",
    "latest_labels",
    "urgency_mark",
]


class LabelStore(TriagedReader, FeedbackRepo, Protocol):
    """What the export reads: the labels, and each labelled mention with its verdict."""


@dataclass
class ExportCounts:
    """What the export did, for its summary line."""

    labels: int = 0
    exported: int = 0
    not_complaint: int = 0
    urgent: int = 0
    not_urgent: int = 0
    urgency_unknown: int = 0
    #: Labels whose mention is not stored (nothing to learn from without its text).
    not_stored: int = 0
    other_brand: int = 0
    #: Mentions labelled differently by different people (the latest label kept).
    disagreed: int = 0
    unknown_labels: dict[str, int] = field(default_factory=dict)


def latest_labels(feedback: Iterable[Feedback]) -> tuple[dict[MentionKey, Feedback], int]:
    """The label kept for each mention (see the module docstring), and how many mentions
    people labelled differently. ``feedback`` comes oldest first, as the store lists it."""
    by_user: dict[MentionKey, dict[str, Feedback]] = {}
    for f in feedback:
        users = by_user.setdefault(f.mention, {})
        users.pop(f.user, None)  # re-inserted last: dict order is then click order
        users[f.user] = f
    kept = {key: list(users.values())[-1] for key, users in by_user.items()}
    disagreed = sum(len({f.label for f in users.values()}) > 1 for users in by_user.values())
    return kept, disagreed


def card_urgent(item: TriagedMention) -> bool | None:
    """Whether the card's *Urgency* field said *Urgent*; None without a stored verdict."""
    return shows_urgent(item.verdict) if item.verdict is not None else None


def urgency_mark(feedback: Iterable[Feedback], key: MentionKey) -> Feedback | None:
    """The latest *Should (not) have pinged* label on ``key`` (``feedback`` oldest first),
    for the card to say it was marked; None when nobody marked it."""
    marks = [f for f in feedback if f.mention == key and urgent_of(f.label) is not None]
    return marks[-1] if marks else None


def _row(f: Feedback, item: TriagedMention, counts: ExportCounts) -> dict[str, Any] | None:
    try:
        person = needs_person(f.label)
    except ValueError:
        counts.unknown_labels[f.label] = counts.unknown_labels.get(f.label, 0) + 1
        return None
    if person is None:  # a sentiment label: the Slack buttons never write one
        counts.unknown_labels[f.label] = counts.unknown_labels.get(f.label, 0) + 1
        return None
    row: dict[str, Any] = {"text": item.mention.text, "label": f.label, "reach_slack": person}
    shown = card_urgent(item)
    said = urgent_of(f.label)
    if not person:
        counts.not_complaint += 1
    elif said is not None:
        row["urgent"] = said
        if shown is not None:
            row["card_urgent"] = shown
        counts.urgent += said
        counts.not_urgent += not said
    elif severity(f.label) is not None and shown is not None:
        row["urgent"] = not shown
        row["card_urgent"] = shown
        counts.urgent += not shown
        counts.not_urgent += shown
    else:
        counts.urgency_unknown += 1
    row.update(
        mention=list(f.mention),
        brand=item.mention.brand,
        user=f.user,
        created_at=f.created_at.isoformat(),
    )
    if f.note:
        row["note"] = f.note
    return row


def export_rows(
    store: LabelStore, *, since: datetime | None = None, brand: str | None = None
) -> tuple[list[dict[str, Any]], ExportCounts]:
    """The rows of every mention labelled at ``since`` or later (of ``brand``, matched
    without regard to case), ordered by when their label was given."""
    feedback = store.list_feedback(since)
    kept, disagreed = latest_labels(feedback)
    counts = ExportCounts(labels=len(feedback), disagreed=disagreed)
    rows = []
    for f in sorted(kept.values(), key=lambda f: f.created_at):
        item = load_triaged(store, f.mention)
        if item is None:
            counts.not_stored += 1
            continue
        if brand is not None and item.mention.brand.casefold() != brand.casefold():
            counts.other_brand += 1
            continue
        row = _row(f, item, counts)
        if row is not None:
            rows.append(row)
    counts.exported = len(rows)
    return rows, counts
