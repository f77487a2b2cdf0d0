"""Builds the real collaborators from settings: the one place that knows them all."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from listener.config import Secrets, Settings
from listener.ports import Clock, Notifier, Store, SystemClock

if TYPE_CHECKING:
    from rich.console import Console

    from classifiers.base import Classifier
    from classifiers.model import ModelSpec

log = logging.getLogger(__name__)


def build_store(settings: Settings) -> Store:
    from listener.store import open_store
    from listener.store.engine import is_new_sqlite

    # The embedded default just works on first use; existing databases are migrated
    # only on purpose (`firstreply db upgrade`).
    url = settings.database.url
    return open_store(url, create=is_new_sqlite(url))


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
        sentiment_model=m.sentiment_model or None,
        sentiment_labels=tuple((m.sentiment_labels or {}).items()),
        topics=tuple((name, tuple(examples)) for name, examples in topics.items()),
    )


def build_classifier(settings: Settings) -> Classifier:
    """The configured model, or the default that ships with the package. Offline only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return model_spec(settings)()


def build_notifier(settings: Settings, secrets: Secrets, *, console: Console) -> Notifier:
    """Slack when a bot token is set; otherwise the same Block Kit, rendered in the terminal."""
    if secrets.slack_bot_token is None:
        from listener.slack.notifier import TerminalNotifier

        log.info("SLACK_BOT_TOKEN not set: alerts are rendered to the terminal")
        return TerminalNotifier(console=console)
    from listener.slack.notifier import SlackNotifier, build_web_client

    client = build_web_client(settings, secrets)
    return SlackNotifier(client=client, settings=settings)


def build_clock() -> Clock:
    return SystemClock()
