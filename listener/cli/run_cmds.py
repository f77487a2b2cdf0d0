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

from listener.cli.context import settings_from
from listener.cli.wiring import build_classifier, build_notifier
from listener.config import Secrets, Settings
from listener.domain import Mention
from listener.errors import ConfigError, FirstReplyError, PermanentDelivery
from listener.ports import Clock, PublicReplier, Store, SystemClock

if TYPE_CHECKING:
    from listener.health import Health

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("status")(status)


def _health(settings: Settings, clock: Clock) -> Health:
    from listener.health import Health

    return Health(
        clock=clock,
        prices=settings.x.prices,
        daily_budget_usd=settings.x.daily_budget_usd,
        monthly_budget_usd=settings.x.monthly_budget_usd,
        state_path=settings.health_file,
    )


def _open_store(settings: Settings) -> Store:
    from listener.store import open_store

    # SQLite is the embedded default: create or upgrade it in place. PostgreSQL is
    # migrated explicitly (`firstreply db upgrade`) by whoever owns the database.
    create = settings.database.url.startswith(("sqlite", "memory"))
    return open_store(settings.database.url, create=create)


def run(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="One cycle of every source, triage and dispatch; exit.")
    ] = False,
) -> None:
    """Listen: poll X on schedule, triage, alert in Slack, escalate, post the digest.

    Runs in the foreground until SIGTERM/SIGINT, finishing the job in progress. With no
    SLACK_BOT_TOKEN the alerts are drawn in the terminal instead.
    """
    settings = settings_from(ctx)
    secrets = Secrets.from_env()
    if not settings.brands:
        raise ConfigError([("brands", "no brand configured: nothing to listen for")])
    if secrets.x_bearer_token is None:
        raise ConfigError([("X_BEARER_TOKEN", "not set in the environment: cannot read X")])
    console = Console()
    from listener.decisions import Rulebook
    from listener.dispatch import Dispatcher
    from listener.ingest import Poller
    from listener.pipeline import Triage
    from listener.store.lock import acquire_singleton_lock
    from listener.x import build_sources

    clock = SystemClock()
    store = _open_store(settings)
    try:
        with acquire_singleton_lock(settings.database.url, "firstreply-run") as held:
            if not held:
                raise FirstReplyError(
                    "another `firstreply run` holds the lock on this database; "
                    "one poller per database avoids paying X twice for the same posts"
                )
            health = _health(settings, clock)
            sources = build_sources(settings, secrets, clock=clock)
            for source in sources:
                health.register(source.name, getattr(source, "kind", "search"))
            poller = Poller(store=store, clock=clock, health=health)
            with console.status("Loading the triage model (offline)…"):
                classifier = build_classifier(settings)
            rules = Rulebook.from_settings(settings)
            triage = Triage(store=store, classifier=classifier, rules=rules, clock=clock)
            notifier = build_notifier(settings, secrets, console=console)
            dispatcher = Dispatcher(
                store=store,
                notifier=notifier,
                clock=clock,
                max_attempts=settings.slack.max_attempts,
            )
            if once:
                _run_once(console, poller, sources, triage, dispatcher)
            else:
                _run_forever(
                    settings, secrets, store, clock, health, poller, sources, triage, dispatcher
                )
    finally:
        store.close()


def _run_once(console: Console, poller: Any, sources: Any, triage: Any, dispatcher: Any) -> None:
    outcomes = poller.poll_all(sources)
    result = triage.triage_until_empty()
    sent = dead = retrying = 0
    while True:
        batch = dispatcher.run_once(limit=500)
        sent, dead, retrying = sent + batch.sent, dead + batch.dead, retrying + batch.retrying
        if batch.sent == 0:
            break
    table = Table("source", "status", "read", "stored", "rejected", "cursor", "error")
    for o in outcomes:
        table.add_row(
            o.source,
            o.status,
            str(o.read),
            str(o.stored),
            str(o.rejected),
            o.cursor or "-",
            o.error or "",
        )
    console.print(table)
    console.print(
        f"triaged {result.processed} ({result.actionable} actionable); "
        f"Slack: {sent} sent, {retrying} to retry, {dead} dead"
    )
    if any(o.status in {"auth_failed", "store_failed", "stopped"} for o in outcomes):
        raise typer.Exit(1)


def _run_forever(
    settings: Settings,
    secrets: Secrets,
    store: Store,
    clock: Clock,
    health: Health,
    poller: Any,
    sources: Any,
    triage: Any,
    dispatcher: Any,
) -> None:
    from listener.digest_job import send_daily_digest
    from listener.escalation import Escalator
    from listener.schedule import Job, build_scheduler, run_foreground, source_jobs

    escalator = Escalator(
        store=store,
        clock=clock,
        channel=settings.slack.escalation_channel,
        minutes=settings.slack.escalation_minutes,
    )
    jobs = source_jobs(poller, sources, every=settings.x.poll_interval_seconds, jitter=5)
    jobs += [
        Job("triage", triage.triage_until_empty, seconds=2),
        Job("dispatch", dispatcher.run_once, seconds=1),
        Job("escalate", escalator.run_once, seconds=60),
    ]
    if secrets.slack_bot_token is not None:
        from listener.slack.notifier import build_web_client

        client = build_web_client(settings, secrets)
        hh, mm = settings.digest.time.split(":")
        jobs.append(
            Job(
                "digest",
                lambda: send_daily_digest(store, settings, client, now=clock.now()),
                cron={"hour": hh, "minute": mm},
            )
        )
        _start_slack_app(settings, secrets, store, clock)
    else:
        log.info("no SLACK_BOT_TOKEN: no digest posting and no Slack buttons")
    if settings.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, addr="127.0.0.1", registry=health.registry)
        log.info("Prometheus metrics on http://127.0.0.1:%s/metrics", settings.metrics_port)
    scheduler = build_scheduler(jobs, timezone=settings.timezone, blocking=True)
    log.info(
        "listening: %d sources, polling every %ss", len(sources), settings.x.poll_interval_seconds
    )
    run_foreground(scheduler)


def _start_slack_app(settings: Settings, secrets: Secrets, store: Store, clock: Clock) -> None:
    """Serve the buttons (HTTP or Socket Mode) in a background thread."""
    import threading

    from listener.slack.app import build_app, serve

    if secrets.slack_bot_token is None:
        return
    if secrets.slack_signing_secret is None:
        log.warning("SLACK_SIGNING_SECRET not set: Slack buttons are disabled")
        return
    replier: PublicReplier = _NoReplier(
        "X user credentials (X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN, "
        "X_ACCESS_TOKEN_SECRET) are not set: reply on X directly"
    )
    try:
        from listener.reply_ledger import ReplyLedger
        from listener.x import XReplier
        from listener.x.client import build_user_client

        handles = [h for b in settings.brands for h in b.handles]
        replier = XReplier(
            client=build_user_client(settings, secrets),
            handle=handles[0] if handles else "",
            memory=ReplyLedger(store=store, clock=clock),
        )
    except ConfigError as exc:
        log.warning("public replies from Slack are disabled: %s", exc)
    app = build_app(
        settings=settings,
        store=store,
        replier=replier,
        clock=clock,
        token=secrets.slack_bot_token.get_secret_value(),
        signing_secret=secrets.slack_signing_secret.get_secret_value(),
    )
    app_token = secrets.slack_app_token.get_secret_value() if secrets.slack_app_token else None
    threading.Thread(
        target=serve,
        args=(app, settings),
        kwargs={"app_token": app_token},
        daemon=True,
        name="slack-app",
    ).start()


class _NoReplier:
    """Stands in when X user credentials are missing: every reply is refused, clearly."""

    def __init__(self, why: str) -> None:
        self._why = why

    def reply(self, mention: Mention, text: str, *, idempotency_key: str) -> str:
        raise PermanentDelivery(self._why)


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Per-source health, rate limits, estimated X spend, outbox and dead letters."""
    settings = settings_from(ctx)
    clock = SystemClock()
    health = _health(settings, clock) if Path(settings.health_file).exists() else None
    store = _open_store(settings)
    try:
        counts = store.counts()
        dead = store.dead_alerts(limit=20)
    finally:
        store.close()
    snap = health.snapshot() if health else None
    if as_json:
        out: dict[str, Any] = {
            "store": {**asdict(counts), "alerts": dict(counts.alerts)},
            "dead_letters": [
                {
                    "id": a.id,
                    "channel": a.channel,
                    "error": a.last_error,
                    "mention": list(a.mention),
                }
                for a in dead
            ],
            "health": _jsonable(asdict(snap)) if snap else None,
        }
        typer.echo(json.dumps(out, default=str, indent=2))
    else:
        _print_status(Console(), counts, dead, snap)
    if counts.dead_letters or (snap is not None and not snap.healthy):
        raise typer.Exit(1)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _print_status(console: Console, counts: Any, dead: Any, snap: Any) -> None:
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
    if snap is None:
        console.print("[dim]no source health yet: `firstreply run` writes it[/]")
        return
    t = Table(
        "source",
        "state",
        "last success",
        "read",
        "rate limit left",
        "watchdog",
        "error",
        title="Sources",
    )
    for s in snap.sources:
        state = s.state if s.healthy else f"[red]{s.state}[/]"
        rate = f"{s.rate_limit.remaining}/{s.rate_limit.limit}" if s.rate_limit else "-"
        watch = "stalled" if s.stalled else "quiet" if s.quiet else "ok"
        t.add_row(
            s.name,
            state,
            str(s.last_success_at or "-"),
            str(s.posts_read),
            rate,
            watch,
            s.last_error or "",
        )
    console.print(t)
    console.print(
        f"X spend: ${snap.spend_today_usd:.2f} today of ${snap.daily_budget_usd:.2f}, "
        f"${snap.spend_month_usd:.2f} this month of ${snap.monthly_budget_usd:.2f}"
    )
    for warning in snap.warnings:
        console.print(f"[yellow]! {warning}[/]")
