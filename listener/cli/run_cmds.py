"""``firstreply run`` (the scheduler, or ``--once``) and ``firstreply status``."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from listener.cli.context import components_from, settings_from
from listener.config import Secrets, Settings
from listener.errors import FirstReplyError, StoreMissing

if TYPE_CHECKING:
    from listener.domain import Alert
    from listener.health import HealthSnapshot
    from listener.ports import StoreCounts
    from listener.runtime import CycleReport

log = logging.getLogger(__name__)

#: ``status`` exit codes: 1 when a source is unhealthy or alerts are dead.
EXIT_UNHEALTHY = 1


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("status")(status)


def run(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="One cycle of every source, triage and dispatch; exit.")
    ] = False,
) -> None:
    """Listen: poll X and Bluesky on schedule, triage, alert in Slack, escalate, post the digest.

    Runs in the foreground until SIGTERM/SIGINT, finishing the job in progress (a second
    signal exits at once). With no SLACK_BOT_TOKEN the alerts and the digest are drawn in
    the terminal instead. `--once` exits 0 when the cycle went well, 1 when errors kept it
    from making any progress, 3 when it made progress but something failed.
    """
    from listener.runtime import build_runtime
    from listener.store.lock import acquire_singleton_lock

    settings = settings_from(ctx)
    secrets = Secrets.from_env()
    components = components_from(ctx)
    console = Console()
    with acquire_singleton_lock(settings.database.url, "firstreply-run") as held:
        if not held:
            raise FirstReplyError(
                "another `firstreply run` holds the lock on this database; "
                "one poller per database avoids paying X twice for the same posts"
            )
        with console.status("Loading the triage model (offline)…"):
            runtime = build_runtime(
                settings, secrets, classifier=components.classifier(settings),
                console=console, services=not once,
            )
        if not once:
            runtime.run()
            return
        try:
            report = runtime.cycle()
        finally:
            runtime.close()
    _print_cycle(console, report)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def _print_cycle(console: Console, report: CycleReport) -> None:
    table = Table("source", "status", "read", "stored", "rejected", "cursor", "error")
    for o in report.outcomes:
        status = o.status if o.ok or o.status == "skipped" else f"[red]{o.status}[/]"
        table.add_row(
            o.source, status, str(o.read), str(o.stored), str(o.rejected), o.cursor or "-",
            o.error or "",
        )
    console.print(table)
    t, d = report.triage, report.dispatch
    console.print(
        f"triaged {t.processed} ({t.actionable} actionable); "
        f"Slack: {d.sent} sent, {d.retrying} to retry, {d.dead} dead"
    )
    if report.exit_code:
        failed = ", ".join(o.source for o in report.failed_sources) or "Slack delivery"
        console.print(f"[red]✗[/] {failed} failed (exit {report.exit_code})")


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Per-source health, rate limits, estimated X spend, outbox and dead letters.

    Reads the database and the health file; creates and migrates nothing. Exits 1 when a
    source is unhealthy (failing, never succeeded, stalled) or alerts are dead.
    """
    from listener.ports import SystemClock
    from listener.runtime import open_store_for
    from listener.runtime.build import build_health

    settings = settings_from(ctx)
    # Read-only: the state as `run` last wrote it; nothing here writes the file.
    health = (
        build_health(settings, SystemClock()) if Path(settings.health_file).exists() else None
    )
    counts, dead = None, []
    try:
        store = open_store_for(settings, create=False)
    except StoreMissing:
        store = None
    if store is not None:
        try:
            counts = store.counts()
            dead = store.dead_alerts(limit=20)
        finally:
            store.close()
    snap = health.snapshot() if health else None
    if as_json:
        out: dict[str, Any] = {
            "store": {**asdict(counts), "alerts": dict(counts.alerts)} if counts else None,
            "dead_letters": [
                {"id": a.id, "channel": a.channel, "error": a.last_error,
                 "mention": list(a.mention)}
                for a in dead
            ],
            "health": _jsonable(asdict(snap)) if snap else None,
            "healthy": _healthy(counts, snap),
        }
        typer.echo(json.dumps(out, default=str, indent=2))
    else:
        _print_status(Console(), settings, counts, dead, snap)
    if not _healthy(counts, snap):
        raise typer.Exit(EXIT_UNHEALTHY)


def _healthy(counts: StoreCounts | None, snap: HealthSnapshot | None) -> bool:
    if counts is not None and counts.dead_letters:
        return False
    return snap is None or snap.healthy


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _print_status(
    console: Console,
    settings: Settings,
    counts: StoreCounts | None,
    dead: list[Alert],
    snap: HealthSnapshot | None,
) -> None:
    from listener.networks import network_label
    from listener.store.engine import display_url

    if counts is None:
        console.print(
            f"[dim]no database at {display_url(settings.database.url)} yet: "
            "`firstreply run` creates it[/]"
        )
    else:
        table = Table(title="Store", show_header=False)
        table.add_row("mentions", str(counts.mentions))
        table.add_row("rejected inputs", str(counts.rejected))
        table.add_row("waiting for triage", str(counts.pending_triage))
        for state, n in sorted(counts.alerts.items()):
            table.add_row(f"alerts {state}", str(n))
        table.add_row("feedback labels", str(counts.feedback))
        console.print(table)
    if dead:
        t = Table("dead letter", "channel", "mention", "last error", title="Dead letters")
        for a in dead:
            t.add_row(str(a.id), a.channel, ":".join(a.mention), a.last_error or "")
        console.print(t)
        console.print(
            "[dim]once the cause is fixed (`firstreply check-config --online` names missing "
            "channels): `firstreply outbox retry --all-dead`[/]"
        )
    if snap is None:
        console.print("[dim]no source health yet: `firstreply run` writes it[/]")
        return
    t = Table(
        "source", "state", "last success", "read", "rate limit left", "watchdog", "error",
        title="Sources",
    )
    for s in snap.sources:
        state = s.state if s.healthy else f"[red]{s.state}[/]"
        rate = f"{s.rate_limit.remaining}/{s.rate_limit.limit}" if s.rate_limit else "-"
        watch = "stalled" if s.stalled else "quiet" if s.quiet else "ok"
        t.add_row(
            s.name, state, str(s.last_success_at or "never"), str(s.posts_read), rate, watch,
            s.last_error or "",
        )
    console.print(t)
    for spend in snap.spend:
        if spend.budget is None and not spend.today_usd and not spend.month_usd:
            continue
        budget = spend.budget
        of_day = f" of ${budget.daily_usd:.2f}" if budget else ""
        of_month = f" of ${budget.monthly_usd:.2f}" if budget else ""
        console.print(
            f"{network_label(spend.network)} spend: ${spend.today_usd:.2f} today{of_day}, "
            f"${spend.month_usd:.2f} this month{of_month}"
        )
    for warning in snap.warnings:
        console.print(f"[yellow]! {warning}[/]")
