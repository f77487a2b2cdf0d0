"""``firstreply demo``: the bundled sample through the real code path, no credentials."""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from listener.cli.context import components_from, config_from
from listener.config import Secrets, Settings, load_settings
from listener.demo import DemoSource, ReplayClock, demo_settings
from listener.demo.source import SOURCE
from listener.domain import Alert, AlertKind, Route, SlackRef
from listener.ports import Notifier, Store, StoreCounts, SystemClock, TriagedMention

DEFAULT_DB = "firstreply-demo.db"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


class _ShowFirst:
    """Draws the first ``n`` new alerts in full and a one-line summary for the rest."""

    def __init__(self, inner: Notifier, *, console: Console, n: int) -> None:
        self._inner, self._console, self._n = inner, console, n
        self.sent: Counter[str] = Counter()
        self._seq = 0

    def send(self, alert: Alert, item: TriagedMention) -> SlackRef:
        self.sent[alert.kind.value] += 1
        if alert.kind == AlertKind.ALERT and self.sent["alert"] <= self._n:
            return self._inner.send(alert, item)
        self._seq += 1
        where = alert.thread.channel if alert.thread else alert.channel
        if alert.kind == AlertKind.ALERT:
            text = " ".join(item.mention.text.split())[:90]
            self._console.print(
                f"[dim]… alert to {where}:[/] {text}", highlight=False, markup=True, emoji=False
            )
        return SlackRef(channel=where, ts=f"9{self._seq}.000000")


def demo(
    ctx: typer.Context,
    db: Annotated[
        str, typer.Option(help="Database URL; default a SQLite file in the current directory.")
    ] = f"sqlite:///{DEFAULT_DB}",
    show: Annotated[int, typer.Option(help="Alerts drawn in full; the rest in one line.")] = 5,
    poll_every: Annotated[
        int, typer.Option(help="Simulated poll interval (seconds) of the replay.")
    ] = 120,
    fresh: Annotated[bool, typer.Option(help="Delete the demo database first.")] = False,
) -> None:
    """Replay ~360 real customer posts to 12 brands through classify → decide → route.

    No credentials needed: the model runs offline, the database is a local SQLite file and,
    with no SLACK_BOT_TOKEN, the Slack alerts are drawn in the terminal. A second run is
    idempotent: nothing is stored or alerted twice.
    """
    from listener.health import Health
    from listener.runtime import build_runtime
    from listener.slack.notifier import TerminalNotifier
    from listener.store import open_store

    console = Console()
    started = time.perf_counter()
    root = ctx.find_root().obj
    if not (isinstance(root, dict) and root.get("verbose")):
        # The demo's story is the alerts and the summary; per-alert log lines drown it.
        logging.getLogger().setLevel(logging.WARNING)
    if fresh and db.startswith("sqlite:///"):
        Path(db.removeprefix("sqlite:///")).unlink(missing_ok=True)
    settings = demo_settings(load_settings(config_from(ctx)))
    settings = settings.model_copy(
        update={"database": settings.database.model_copy(update={"url": db})}
    )
    if Secrets.from_env().slack_bot_token is not None:
        console.print("[yellow]SLACK_BOT_TOKEN is set, but the demo never posts to Slack.[/]")
    real_now = SystemClock().now()
    store = open_store(db, create=True)
    try:
        # The replay runs on simulated time: the clock jumps to each poll that would
        # have seen the next post, so alert and response times look as they would live.
        first = DemoSource(now=real_now, page_size=100).next_arrival(store.get_cursor(SOURCE))
        clock = ReplayClock(first or real_now)
        source = DemoSource(now=real_now, clock=clock, page_size=100)
        notifier = _ShowFirst(
            TerminalNotifier(console=console, settings=settings), console=console, n=show
        )
        with console.status("Loading the triage model (offline)…"):
            runtime = build_runtime(
                settings, Secrets(), store=store, clock=clock, sources=[source],
                classifier=components_from(ctx).classifier(settings), notifier=notifier,
                health=Health(clock=clock), console=console, check=False,
            )
        read = stored = polls = 0
        routes: Counter[Route] = Counter()
        actionable = 0
        step = timedelta(seconds=poll_every)
        while (nxt := source.next_arrival(store.get_cursor(source.name))) is not None:
            # The first poll after the post was written, on a ``poll_every`` grid.
            clock.advance_to(first + step * -(-(nxt - first) // step) if first else nxt)
            report = runtime.cycle()
            (outcome,) = report.outcomes
            if not outcome.ok:
                console.print(f"[red]poll failed:[/] {outcome.error}")
                raise typer.Exit(1)
            polls += 1
            read += outcome.read
            stored += outcome.stored
            routes.update(report.triage.routes)
            actionable += report.triage.actionable
        elapsed = time.perf_counter() - started
        _summary(console, polls, read, stored, routes, actionable, notifier.sent, store.counts())
        _urgent_share(console, store, real_now)
        _digest(console, store, settings, real_now)
        console.print(
            f"\n[bold]Done in {elapsed:.1f} s.[/] Database: {db}. "
            "Run again: nothing is stored or alerted twice."
        )
    finally:
        store.close()


def _summary(
    console: Console,
    polls: int,
    read: int,
    stored: int,
    routes: Counter[Route],
    actionable: int,
    sent: Counter[str],
    counts: StoreCounts,
) -> None:
    table = Table(title="Demo run", show_header=False)
    table.add_row("polls", str(polls))
    table.add_row("posts read / newly stored", f"{read} / {stored}")
    table.add_row("triaged now", str(sum(routes.values())))
    for route in Route:
        table.add_row(f"  route: {route.value}", str(routes.get(route, 0)))
    table.add_row("actionable", str(actionable))
    table.add_row(
        "Slack messages (alerts / thread replies)", f"{sent['alert']} / {sent['thread_reply']}"
    )
    outbox = ", ".join(f"{n} {state}" for state, n in sorted(counts.alerts.items())) or "empty"
    table.add_row("in the database", f"{counts.mentions} mentions, {counts.rejected} rejected")
    table.add_row("outbox", outbox)
    console.print(table)


def _urgent_share(console: Console, store: Store, now: datetime) -> None:
    from listener.decisions.explain import urgent_share

    history = store.history(now - timedelta(days=3650), now + timedelta(days=1), embeddings=False)
    items, urgent = urgent_share(i.verdict for i in history if i.verdict is not None)
    share = urgent / items if items else 0.0
    console.print(f"Slack items (cards + thread replies): {items}, urgent (they ping): "
                  f"{urgent} = {share:.0%}; the rest wait in the queue channels without a ping")


def _digest(console: Console, store: Store, settings: Settings, now: datetime) -> None:
    from listener.digest import collect_digest, local_day
    from listener.report.text import render_terminal

    # The sample spans about two months (most of it one busy day): digest all of it.
    digest = collect_digest(
        store,
        last_day=local_day(now, settings.timezone),
        days=70,
        tz=settings.timezone,
        sla_minutes=settings.digest.sla_minutes,
        now=now,
    )
    console.rule("Digest: the replayed period")
    console.print(render_terminal(digest))
