"""``firstreply triage INPUT``: what the configured rules would do with each post of a file.

Classify + decide, through the same ``DecisionEngine`` that ``run`` and ``backfill``
drive, with nothing stored and nothing sent: one JSON line per post, in input order,
with its verdict (route, priority, urgent and why, channel, thread or incident, reasons).
Analysts use it to try rules before going live; the judgement tables are measured with it.

Input: the backfill readers' formats (JSONL or CSV rows, X API v2 JSON/JSONL). Rows
without ``created_at`` are decided at the time of the run. ``--alone`` decides each post
as if it were the only one (no incidents, cooldowns or budgets between posts).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from classifiers.base import Scores
from listener.backfill.readers import FORMATS, open_records
from listener.cli.context import components_from, settings_from
from listener.decisions import Decision, DecisionEngine
from listener.decisions.explain import (
    explain,
    is_held_back,
    reaches_slack,
    urgency_label,
    urgency_reason,
    urgent_share,
)
from listener.domain import Mention, Priority, Rejected, Route

__all__ = ["register", "triage", "verdict_row"]

#: Posts classified per model call.
CHUNK = 256


@dataclass(slots=True)
class _Counts:
    posts: int = 0
    rejected: int = 0
    slack: int = 0
    urgent: int = 0
    held: int = 0


def verdict_row(decision: Decision) -> dict[str, Any]:
    """The JSON object ``triage`` writes for one decided post."""
    mention, verdict, scores = decision.mention, decision.verdict, decision.scores
    pings = verdict.route is Route.ALERT and verdict.priority >= Priority.HIGH
    return {
        "id": mention.id,
        "brand": mention.brand,
        "route": verdict.route.value,
        "slack": reaches_slack(verdict),
        "priority": verdict.priority.name.lower(),
        "urgent": verdict.priority >= Priority.HIGH,
        "urgency_reason": urgency_reason(verdict),
        "label": urgency_label(verdict),
        "pings": pings,
        "held_back": is_held_back(verdict),
        "channel": verdict.channel,
        "thread_of": ":".join(verdict.thread_of) if verdict.thread_of else None,
        "incident": verdict.incident_id,
        "why": explain(verdict),
        "reasons": list(verdict.reasons),
        "complaint": round(scores.complaint_probability, 4),
        "sentiment": scores.sentiment,
        "topic": scores.topic,
    }


def _mentions(path: Path, fmt: str, brand: str, handles: Sequence[str],
              counts: _Counts) -> Iterator[Mention]:
    now = datetime.now(UTC)
    with open_records(path, fmt, brand=brand, handles=handles,  # type: ignore[arg-type]
                      default_time=now) as records:
        for record in records:
            if isinstance(record.item, Rejected):
                counts.rejected += 1
                typer.echo(f"{path}: skipped: {record.item.reason}", err=True)
                continue
            yield record.item


def _write(out: IO[str], decision: Decision, counts: _Counts) -> None:
    row = verdict_row(decision)
    counts.posts += 1
    counts.held += row["held_back"]
    out.write(json.dumps(row, ensure_ascii=False) + "\n")


def triage(
    ctx: typer.Context,
    input: Annotated[Path, typer.Argument(help="JSONL/CSV rows or an X API v2 JSON file.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="JSONL output (default stdout).")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help=f"auto or one of: {', '.join(FORMATS)}.")
    ] = "auto",
    brand: Annotated[
        str | None, typer.Option("--brand", help="Brand of rows that do not name one.")
    ] = None,
    alone: Annotated[
        bool, typer.Option("--alone", help="Decide each post as if it were the only one.")
    ] = False,
) -> None:
    """Classify and decide every post of INPUT with the configured rules; store and send
    nothing. One JSON verdict per post, in input order; a summary on stderr."""
    if not input.is_file():
        typer.echo(f"error: no such file: {input}", err=True)
        raise typer.Exit(code=2)
    if fmt != "auto" and fmt not in FORMATS:
        typer.echo(f"error: --format must be auto or one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(code=2)
    settings = settings_from(ctx)
    configured = settings.brand(brand) if brand else None
    handles = configured.handles if configured is not None else ()
    counts = _Counts()
    mentions = list(_mentions(input, fmt, brand or "", handles, counts))
    classifier = components_from(ctx).classifier(settings)
    engine = DecisionEngine.from_settings(settings)
    items: list[tuple[Mention, Scores]] = []
    it = iter(mentions)
    while chunk := list(islice(it, CHUNK)):
        items += zip(chunk, classifier.predict([m.text for m in chunk]), strict=True)
    if alone:
        decisions = []
        for mention, scores in items:
            engine.forget()
            decisions.append(engine.decide(mention, scores, now=mention.created_at))
    else:
        decisions = engine.decide_history(items)
    out = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        for decision in decisions:
            _write(out, decision, counts)
    finally:
        if output:
            out.close()
    counts.slack, counts.urgent = urgent_share(d.verdict for d in decisions)
    share = counts.urgent / counts.slack if counts.slack else 0.0
    typer.echo(
        f"{counts.posts} posts: {counts.slack} to Slack ({counts.urgent} urgent, {share:.0%}), "
        f"{counts.held} held back by a budget, {counts.rejected} rejected lines",
        err=True,
    )
    if counts.posts == 0:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    app.command("triage")(triage)
