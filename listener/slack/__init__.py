"""Slack: Block Kit payloads, the notifier, and the interactive (bolt) app.

The only package that imports slack_sdk / slack_bolt. ``listener.slack.app`` (bolt) is
not imported here, so posting alerts does not load the web framework.
"""

from __future__ import annotations

from listener.slack.blocks import ActionRef, Message, render
from listener.slack.escape import escape_mrkdwn, unescape_mrkdwn
from listener.slack.notifier import SlackNotifier, TerminalNotifier, build_web_client

__all__ = [
    "ActionRef",
    "Message",
    "SlackNotifier",
    "TerminalNotifier",
    "build_web_client",
    "escape_mrkdwn",
    "render",
    "unescape_mrkdwn",
]
