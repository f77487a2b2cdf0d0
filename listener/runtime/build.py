"""The composition root: the one place that builds the real things from settings.

``build_runtime(settings, secrets)`` opens the store, loads the model, builds the
sources, the poller, triage, the dispatcher and its notifier, the escalator, the digest
poster, health and (for ``run``) the services, and hands them to a ``Runtime``. Tests,
the demo, the reliability worker and the benchmarks pass their own collaborators
(``store=``, ``classifier=``, ``clock=``, ``sources=``, ``notifier=``...) instead of
patching anything.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from listener.config import Secrets, Settings
from listener.decisions import Rulebook
from listener.digest_job import DigestPoster, TerminalDigestPoster, digest_job
from listener.dispatch import Backoff, Dispatcher
from listener.errors import ConfigError
from listener.escalation import Escalator
from listener.health.delivery import DeliveryStats
from listener.health.liveness import Heartbeats
from listener.ingest import Poller
from listener.networks import networks
from listener.pipeline import Triage
from listener.ports import Clock, MentionSource, Notifier, PublicReplier, Store, SystemClock
from listener.runtime.checks import runtime_problems
from listener.runtime.runtime import Runtime, Service

if TYPE_CHECKING:
    from rich.console import Console

    from classifiers.base import Classifier
    from classifiers.model import ModelSpec
    from listener.health import Health
    from listener.slack.workspace import SlackWorkspace

__all__ = ["build_classifier", "build_runtime", "model_spec", "open_store_for"]

log = logging.getLogger(__name__)


def open_store_for(settings: Settings, *, create: bool, map_file: bool = False) -> Store:
    """The store of ``database.url`` by the one rule every command follows.

    ``create=True`` (run, demo, backfill) makes a database that does not exist yet at
    the current schema; ``create=False`` (status, digest) never creates one. Either way an
    existing database must already be at the current schema: only ``firstreply db
    upgrade`` migrates.
    """
    from listener.store import open_store

    return open_store(settings.database.url, create=create, map_file=map_file)


def model_spec(settings: Settings) -> ModelSpec:
    """What ``build_classifier`` builds, as picklable data (Ray workers build their own)."""
    from classifiers.model import ModelSpec

    # A brand's own categories join the taxonomy (few-shot, in the encoder's space).
    topics: dict[str, list[str]] = {}
    for brand in settings.brands:
        for name, examples in brand.topics.items():
            topics.setdefault(name, []).extend(examples)
    m = settings.model
    return ModelSpec(
        path=m.path,
        device=m.device,
        batch_size=m.batch_size,
        threads=m.threads,
        sentiment_model=m.sentiment_model or None,
        sentiment_labels=tuple((m.sentiment_labels or {}).items()),
        topics=tuple((name, tuple(examples)) for name, examples in topics.items()),
    )


def build_classifier(settings: Settings) -> Classifier:
    """The configured model, or the default that ships with the package. Offline only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return model_spec(settings)()


def build_health(settings: Settings, clock: Clock, *, file: bool = True) -> Health:
    """Health with each network's budget, kept in ``settings.health_file`` (``file``)."""
    from listener.health import Health, HealthFile

    budgets = {n.key: b for n in networks() if (b := n.budget(settings)) is not None}
    return Health(
        clock=clock, budgets=budgets, file=HealthFile(settings.health_file) if file else None
    )


def build_runtime(
    settings: Settings,
    secrets: Secrets,
    *,
    store: Store | None = None,
    classifier: Classifier | None = None,
    clock: Clock | None = None,
    sources: Sequence[MentionSource] | None = None,
    notifier: Notifier | None = None,
    digest: DigestPoster | None = None,
    console: Console | None = None,
    dispatch_backoff: Backoff | None = None,
    poll_backoff: timedelta = timedelta(seconds=30),
    health: Health | None = None,
    services: bool = False,
    check: bool = True,
) -> Runtime:
    """Everything ``settings`` describes, assembled; see the module docstring.

    ``services=True`` (``firstreply run``) adds what runs beside the scheduler: each
    network's services (the filtered stream), the metrics server, the Slack buttons.
    ``check`` refuses unsupported combinations of settings (``ConfigError`` naming each)
    and asks Slack whose the token is, before anything is built or read.
    """
    if check:
        problems = runtime_problems(settings, secrets, services=services)
        if problems:
            raise ConfigError(problems)
    clock = clock or SystemClock()
    if console is None:
        from rich.console import Console

        console = Console(stderr=True)
    needs_slack = notifier is None or digest is None or services
    slack = _workspace(settings, secrets, check=check) if needs_slack else None
    own_store = store is None
    store = store or open_store_for(settings, create=True)
    try:
        health = health or build_health(settings, clock)
        if sources is None:
            sources = [s for n in networks() for s in n.sources(settings, secrets, clock=clock)]
        for source in sources:
            health.register(source)
        if classifier is None:
            classifier = build_classifier(settings)
        notifier = notifier or _notifier(settings, slack, console)
        if digest is None:
            digest = _digest_poster(settings, slack, console)
        poller = Poller(
            store=store, clock=clock, on_outcome=health.record, backoff_base=poll_backoff
        )
        heartbeats = Heartbeats()
        delivery = DeliveryStats()
        runtime = Runtime(
            store=store,
            clock=clock,
            sources=list(sources),
            poller=poller,
            triage=Triage(
                store=store, classifier=classifier, rules=Rulebook.from_settings(settings),
                clock=clock,
            ),
            dispatcher=Dispatcher(
                store=store, notifier=notifier, clock=clock,
                max_attempts=settings.slack.max_attempts, backoff=dispatch_backoff,
                observer=delivery,
            ),
            escalator=Escalator(
                store=store, clock=clock, channel=settings.slack.escalation_channel,
                minutes=settings.slack.escalation_minutes,
            ),
            timezone=settings.timezone,
            poll_every=_poll_every(settings),
            digest=digest,
            digest_job=digest_job(store=store, settings=settings, poster=digest, clock=clock),
            services=_services(
                settings, secrets, store, clock, health, slack, poller, heartbeats, delivery
            ) if services else (),
            on_close=(health.save,),
            heartbeats=heartbeats,
        )
    except BaseException:
        if own_store:
            store.close()
        raise
    return runtime


def _poll_every(settings: Settings) -> Callable[[MentionSource], float]:
    intervals = {n.key: n.poll_interval(settings) for n in networks()}

    def every(source: MentionSource) -> float:
        return intervals.get(source.network, 60.0)

    return every


def _workspace(settings: Settings, secrets: Secrets, *, check: bool) -> SlackWorkspace | None:
    if secrets.slack_bot_token is None:
        log.info("SLACK_BOT_TOKEN not set: alerts and the digest are drawn in the terminal")
        return None
    from listener.slack.workspace import SlackWorkspace

    return SlackWorkspace.connect(settings, secrets, check=check)


def _notifier(settings: Settings, slack: SlackWorkspace | None, console: Console) -> Notifier:
    """Slack when a bot token is set; otherwise the same Block Kit, drawn in the terminal."""
    if slack is not None:
        return slack.notifier()
    from listener.slack.notifier import TerminalNotifier

    return TerminalNotifier(console=console, settings=settings)


def _digest_poster(
    settings: Settings, slack: SlackWorkspace | None, console: Console
) -> DigestPoster:
    return slack.digest_poster() if slack is not None else TerminalDigestPoster(console=console)


def _services(
    settings: Settings,
    secrets: Secrets,
    store: Store,
    clock: Clock,
    health: Health,
    slack: SlackWorkspace | None,
    poller: Poller,
    heartbeats: Heartbeats,
    delivery: DeliveryStats,
) -> list[Service]:
    out: list[Service] = []
    for network in networks():
        out += network.services(
            settings, secrets, clock=clock, store_page=poller.store_page, cursors=store
        )
    if settings.metrics_port:
        from listener.health.server import HealthServer

        out.append(HealthServer(
            health=health, heartbeats=heartbeats, counts=store.counts, now=clock.now,
            port=settings.metrics_port, host=settings.metrics_host, delivery=delivery,
        ))
    if slack is not None:
        buttons = slack.interactivity(
            store=store, replier=build_replier(settings, secrets, store, clock), clock=clock
        )
        if buttons is not None:
            out.append(buttons)
    return out


def build_replier(settings: Settings, secrets: Secrets, store: Store, clock: Clock
                  ) -> PublicReplier:
    """Every network's replier for every brand, behind one ``PublicReplier``."""
    from listener.replies import ReplierRouter
    from listener.reply_ledger import ReplyLedger

    ledger = ReplyLedger(store=store, clock=clock)
    repliers: dict[tuple[str, str], PublicReplier] = {}
    why_not: dict[str, str] = {}
    for network in networks():
        found, why = network.repliers(settings, secrets, ledger=ledger)
        repliers.update({(network.key, brand): r for brand, r in found.items()})
        if why is not None:
            why_not[network.key] = why
    return ReplierRouter(repliers, why_not=why_not)
