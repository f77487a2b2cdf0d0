"""``firstreply feedback export``: the team's Slack labels as a JSONL training file.

The clicks on *Not a complaint* and *Should (not) have pinged* (and on older cards'
*Wrong urgency?* menu) are stored as feedback; this writes them in the format
``firstreply learn`` and ``firstreply train --frozen --feedback`` read, one row per
labelled mention (``listener/feedback.py`` says which label is kept and how
``urgent`` is derived). Slack user ids are exported; tokens are never read.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from listener.cli.context import settings_from

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="The team's Slack labels (Not a complaint, Should (not) have pinged): export "
        "them for `firstreply learn` and `firstreply train --feedback`.",
        no_args_is_help=True,
    )
    group.command("export")(export)
    app.add_typer(group, name="feedback")


def _err(message: str) -> None:
    typer.echo(message, err=True)


def export(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the JSONL here (default: stdout)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only labels given since: 30d, 12h, 2w, 2026-11-01 "
                     "(local midnight in `timezone`) or 2026-11-01T09:00."),
    ] = None,
    brand: Annotated[
        str | None, typer.Option("--brand", help="Only posts to this brand.")
    ] = None,
) -> None:
    """One JSON row per labelled post: text, label, reach_slack, urgent (when known),
    mention, brand, user, created_at. A summary goes to stderr."""
    from listener.feedback import export_rows
    from listener.runtime import open_store_for
    from listener.timewindow import parse_since

    settings = settings_from(ctx)
    start = None
    if since is not None:
        try:
            start = parse_since(since, datetime.now(UTC), settings.timezone)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--since") from None
    if brand is not None and settings.brands and settings.brand(brand) is None:
        # A typo would export nothing and look like a quiet week; with no brand
        # configured the stored posts' brand names are the only ones there are.
        known = ", ".join(b.name for b in settings.brands)
        raise typer.BadParameter(f"unknown brand {brand!r} (known: {known})",
                                 param_hint="--brand")
    # Reads only: a missing database is an error (StoreMissing, exit 1), never a new file.
    store = open_store_for(settings, create=False)
    try:
        rows, counts = export_rows(store, since=start, brand=brand)
    finally:
        store.close()
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if output is None:
        typer.echo(text, nl=False)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            _err(f"error: cannot write {output}: {exc.strerror or exc}")
            raise typer.Exit(code=1) from None
    window = f" since {start:%Y-%m-%d %H:%M} UTC" if start else ""
    where = f" to {output}" if output else ""
    _err(
        f"exported {counts.exported} labelled posts{where} from {counts.labels} labels{window}: "
        f"{counts.not_complaint} not a complaint, {counts.urgent} urgent, "
        f"{counts.not_urgent} not urgent, {counts.urgency_unknown} complaints of unknown "
        "urgency"
    )
    skipped = [
        (counts.not_stored, "whose post is not stored"),
        (counts.other_brand, "of other brands"),
        (sum(counts.unknown_labels.values()),
         "with labels the export does not know (" + ", ".join(sorted(counts.unknown_labels))
         + ")"),
    ]
    for n, why in skipped:
        if n:
            _err(f"  skipped {n} labelled posts {why}")
    if counts.disagreed:
        _err(f"  {counts.disagreed} posts were labelled differently by different people: "
             "the latest label is kept")
