"""``firstreply outbox``: see the Slack messages queued, sent and dead; send dead ones again.

A message dies on a permanent Slack error (a wrong channel name: ``channel_not_found``)
or after ``slack.max_attempts`` failures. Fix the cause (``check-config --online``
names channels that do not exist), then ``outbox retry --all-dead``: the rows are queued
again with a fresh attempt count and the running ``firstreply run`` sends them.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from listener.cli.context import settings_from
from listener.domain import Alert, DeliveryState
from listener.errors import StoreMissing

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    outbox = typer.Typer(
        help="Slack messages: list them, send dead letters again.", no_args_is_help=True
    )
    outbox.command("list")(list_rows)
    outbox.command("retry")(retry)
    app.add_typer(outbox, name="outbox")


def _row(a: Alert) -> dict[str, object]:
    return {
        "id": a.id,
        "kind": a.kind.value,
        "mention": list(a.mention),
        "channel": a.channel,
        "state": a.state.value,
        "attempts": a.attempts,
        "interrupted": a.interrupted,
        "created_at": a.created_at.isoformat() if a.created_at else None,
        "last_error": a.last_error,
        "status": a.status.value,
    }


def list_rows(
    ctx: typer.Context,
    state: Annotated[
        DeliveryState | None, typer.Option("--state", help="Only rows in this state.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Outbox rows, newest first, with their last error (``--state dead``: dead letters)."""
    from listener.runtime import open_store_for

    settings = settings_from(ctx)
    try:
        store = open_store_for(settings, create=False)
    except StoreMissing:
        rows: list[Alert] = []
    else:
        try:
            rows = store.outbox_rows(state, limit)
        finally:
            store.close()
    if as_json:
        typer.echo(json.dumps([_row(a) for a in rows], indent=2))
        return
    if not rows:
        Console().print("no outbox rows" + (f" in state {state.value}" if state else ""))
        return
    table = Table("id", "kind", "channel", "state", "tries", "cut off", "created", "last error")
    for a in rows:
        table.add_row(
            str(a.id), a.kind.value, escape(a.channel), a.state.value, str(a.attempts),
            str(a.interrupted) if a.interrupted else "",
            f"{a.created_at:%Y-%m-%d %H:%M}" if a.created_at else "",
            escape(a.last_error or ""),
        )
    Console(width=160).print(table)


def retry(
    ctx: typer.Context,
    ids: Annotated[list[int] | None, typer.Argument(help="Outbox row ids to send again.")] = None,
    all_dead: Annotated[
        bool, typer.Option("--all-dead", help="Every dead letter.")
    ] = False,
) -> None:
    """Queue dead letters again once their cause is fixed; `firstreply run` sends them."""
    from listener.ports import SystemClock
    from listener.runtime import open_store_for

    if bool(ids) == all_dead:
        raise typer.BadParameter("give row ids or --all-dead (one of them)")
    settings = settings_from(ctx)
    err = Console(stderr=True)
    try:
        store = open_store_for(settings, create=False)
    except StoreMissing as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None
    try:
        revived = store.revive(None if all_dead else ids, SystemClock().now())
    finally:
        store.close()
    listed = ", ".join(str(i) for i in revived)
    Console().print(
        f"queued again: {len(revived)}" + (f" ({listed})" if revived else ""), highlight=False
    )
    not_dead = sorted(set(ids or ()) - set(revived))
    if not_dead:
        err.print(
            f"[yellow]not dead, left alone:[/] {', '.join(map(str, not_dead))}", highlight=False
        )
        raise typer.Exit(1)
