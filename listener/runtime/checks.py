"""Combinations of settings and secrets that cannot work, found before anything starts.

``runtime_problems`` is what ``firstreply run`` refuses to start with and what
``firstreply check-config`` reports: (key, why) pairs, like every ``ConfigError``.
"""

from __future__ import annotations

from listener.config import Secrets, Settings
from listener.networks import networks

__all__ = ["runtime_problems"]


def runtime_problems(
    settings: Settings, secrets: Secrets, *, services: bool = True
) -> list[tuple[str, str]]:
    """What stops ``run`` (``services``: the scheduler with its Slack app and metrics)."""
    problems: list[tuple[str, str]] = []
    if not settings.brands:
        problems.append(("brands", "no brand configured: nothing to listen for"))
    for network in networks():
        problems += network.problems(settings, secrets)
    if not services:
        return problems
    slack = settings.slack
    buttons = secrets.slack_bot_token is not None
    if buttons and slack.mode == "socket" and secrets.slack_app_token is None:
        problems.append(("SLACK_APP_TOKEN", 'slack.mode = "socket" needs it (xapp-...)'))
    if (
        buttons
        and slack.mode == "http"
        and secrets.slack_signing_secret is not None
        and settings.metrics_port
        and settings.metrics_port == slack.port
    ):
        problems.append(
            ("metrics_port", f"the Slack buttons already listen on port {slack.port}")
        )
    return problems
