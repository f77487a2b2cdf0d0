"""The ``Notifier`` port for Slack (Web API) and for the terminal (dry runs, the demo).

Both render the same ``blocks.render`` payload; the terminal one only draws it.
"""

from __future__ import annotations

import itertools
import logging
import re
from typing import Any
from urllib.error import URLError

from rich.console import Console
from rich.markup import escape as rich_escape
from rich.table import Table
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    RetryHandler,
)

from listener.config import Secrets, Settings, SlackSettings
from listener.domain import Alert, AlertKind, SlackRef
from listener.errors import ConfigError, DeliveryError, FirstReplyError, PermanentDelivery
from listener.ports import TriagedMention
from listener.slack.blocks import Message, render
from listener.slack.escape import unescape_mrkdwn

__all__ = [
    "PERMANENT_ERRORS",
    "SlackNotifier",
    "TerminalNotifier",
    "build_web_client",
    "check_slack",
    "delivery_error",
    "primary_alert",
]

log = logging.getLogger(__name__)

#: Slack ``error`` codes that no retry can fix: a human has to change something.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "not_in_channel",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "restricted_action",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "team_access_not_granted",
    }
)


def build_web_client(
    settings: Settings | SlackSettings,
    token: str | Secrets,
    *,
    rate_limit_retries: int = 1,
    connection_retries: int = 1,
    timeout: int = 10,
) -> WebClient:
    """A WebClient for ``slack.api_base_url`` that waits out one 429 (its Retry-After).

    Further 429s surface as ``DeliveryError(retry_after=…)`` so the dispatcher's outbox,
    not a sleeping thread, holds the backlog. Accepts the whole ``Settings`` or its
    ``slack`` section, and a token or the ``Secrets`` (``SLACK_BOT_TOKEN``).
    """
    slack = settings.slack if isinstance(settings, Settings) else settings
    if isinstance(token, Secrets):
        if token.slack_bot_token is None:
            raise ConfigError([("SLACK_BOT_TOKEN", "needed to post to Slack")])
        token = token.slack_bot_token.get_secret_value()
    handlers: list[RetryHandler] = [
        RateLimitErrorRetryHandler(max_retry_count=rate_limit_retries),
        ConnectionErrorRetryHandler(max_retry_count=connection_retries),
    ]
    return WebClient(
        token=token, base_url=slack.api_base_url, timeout=timeout, retry_handlers=handlers
    )


def check_slack(client: WebClient) -> str:
    """Ask Slack who the token is (``auth.test``) before anything is scheduled.

    Returns the bot's name. A refused token is a ``ConfigError`` naming
    SLACK_BOT_TOKEN; an unreachable Slack a ``FirstReplyError`` naming the URL: one
    line each, where bolt would have raised a page of traceback.
    """
    try:
        response = client.auth_test()
    except SlackApiError as exc:
        code = str(exc.response.get("error", "")) if isinstance(exc.response.data, dict) else ""
        if code in PERMANENT_ERRORS or exc.response.status_code in (401, 403):
            raise ConfigError(
                [("SLACK_BOT_TOKEN", f"Slack refused it ({code or exc.response.status_code})")]
            ) from None
        raise FirstReplyError(f"Slack answered auth.test with an error: {code}") from None
    except (SlackClientError, URLError, OSError) as exc:
        raise FirstReplyError(
            f"cannot reach Slack at {client.base_url}: {type(exc).__name__}: {exc}"
        ) from None
    return str(response.get("user") or response.get("bot_id") or "the bot")


def delivery_error(exc: SlackClientError | OSError) -> DeliveryError:
    """Map an SDK or network failure to the outbox's retry decision."""
    if not isinstance(exc, SlackApiError):
        return DeliveryError(
            f"slack unreachable: {type(exc).__name__}: {exc}", code="unreachable"
        )
    response = exc.response
    status = getattr(response, "status_code", 0)
    code = str(response.get("error", "")) if isinstance(response.data, dict) else ""
    if status == 429 or code == "ratelimited":
        headers = getattr(response, "headers", {}) or {}
        raw = headers.get("Retry-After") or headers.get("retry-after")
        retry_after = _seconds(raw[0] if isinstance(raw, list) else raw)
        return DeliveryError(
            f"slack ratelimited (HTTP {status})", retry_after=retry_after, code="ratelimited"
        )
    if code in PERMANENT_ERRORS:
        return PermanentDelivery(f"slack refused: {code}", code=code)
    return DeliveryError(
        f"slack error: HTTP {status} {code or 'unexpected response'}",
        code=code if code.isidentifier() and len(code) <= 64 else f"http_{status}",
    )


def _seconds(raw: object) -> float | None:
    try:
        return max(0.0, float(str(raw)))
    except ValueError:
        return None


def primary_alert(item: TriagedMention) -> Alert | None:
    """The first ``ALERT`` row about the mention: the message updates edit."""
    return next((a for a in item.alerts if a.kind == AlertKind.ALERT), None)


def message_for(alert: Alert, item: TriagedMention, settings: Settings) -> Message:
    return render(
        alert,
        item,
        sla_minutes=settings.digest.sla_minutes,
        oncall_group=settings.slack.oncall_group,
        escalation_minutes=settings.slack.escalation_minutes,
        primary=primary_alert(item),
    )


class SlackNotifier:
    """Posts alerts with ``chat.postMessage`` and edits them with ``chat.update``."""

    def __init__(self, *, client: WebClient, settings: Settings) -> None:
        self._client = client
        self._settings = settings

    def send(self, alert: Alert, item: TriagedMention) -> SlackRef:
        message = message_for(alert, item, self._settings)
        try:
            if alert.kind == AlertKind.UPDATE:
                target = alert.thread or _sent_ref(primary_alert(item))
                if target is None:
                    raise PermanentDelivery("update of a message that was never sent")
                response = self._client.chat_update(
                    channel=target.channel, ts=target.ts, **message.update_kwargs()
                )
            else:
                kwargs: dict[str, Any] = message.post_kwargs()
                if alert.kind == AlertKind.THREAD_REPLY and alert.thread is not None:
                    kwargs["thread_ts"] = alert.thread.ts
                    channel = alert.thread.channel
                else:
                    channel = alert.channel
                response = self._client.chat_postMessage(channel=channel, **kwargs)
        except (SlackClientError, URLError, OSError) as exc:
            error = delivery_error(exc)
            log.warning("slack delivery of alert %s failed: %s", alert.id, error)
            raise error from exc
        return SlackRef(channel=str(response["channel"]), ts=str(response["ts"]))


def _sent_ref(alert: Alert | None) -> SlackRef | None:
    return alert.slack if alert is not None else None


_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>")
_BARE = re.compile(r"<([^<>|]+)>")


#: Slack emoji names that rich's emoji table lacks.
_SLACK_EMOJI = {
    ":large_orange_circle:": "\N{LARGE ORANGE CIRCLE}",
    ":large_yellow_circle:": "\N{LARGE YELLOW CIRCLE}",
    ":white_circle:": "\N{MEDIUM WHITE CIRCLE}",
}


def slack_emoji(text: str) -> str:
    for code, char in _SLACK_EMOJI.items():
        text = text.replace(code, char)
    return text


def mrkdwn_to_plain(text: str) -> str:
    """Slack's control sequences as a terminal reader would want them."""

    def link(m: re.Match[str]) -> str:
        target, label = m.group(1), m.group(2)
        if target.startswith("!date^"):
            return label
        return f"{label} ({unescape_mrkdwn(target)})"

    def bare(m: re.Match[str]) -> str:
        target = m.group(1)
        if target.startswith("!subteam^"):
            return "@oncall"
        if target.startswith(("@", "#")):
            return target
        return unescape_mrkdwn(target)

    return slack_emoji(unescape_mrkdwn(_BARE.sub(bare, _LINK.sub(link, text))))


class TerminalNotifier:
    """Draws the Block Kit payload in a terminal, for the demo and runs with no token."""

    def __init__(self, *, console: Console, settings: Settings | None = None) -> None:
        self._console = console
        self._settings = settings if settings is not None else Settings.model_validate({})
        self._counter = itertools.count(1)

    def send(self, alert: Alert, item: TriagedMention) -> SlackRef:
        message = message_for(alert, item, self._settings)
        ts = f"{next(self._counter)}.000000"
        target = alert.thread.channel if alert.thread else alert.channel
        prefix = "  ↳ " if alert.kind == AlertKind.THREAD_REPLY else ""
        verb = "edit" if alert.kind == AlertKind.UPDATE else "post"
        self._console.rule(f"{prefix}{verb} to {rich_escape(target)}", style="dim")
        for block in message.blocks:
            self._draw(block)
        if not message.blocks:
            self._console.print(rich_escape(mrkdwn_to_plain(message.text)))
        return SlackRef(channel=target, ts=ts)

    def _draw(self, block: dict[str, Any]) -> None:
        kind = block.get("type")
        if kind == "header":
            header = slack_emoji(block["text"]["text"])
            self._console.print(f"[bold]{rich_escape(header)}[/bold]")
        elif kind == "section":
            if "text" in block:
                self._text(block["text"]["text"])
            if "fields" in block:
                grid = Table.grid(padding=(0, 3))
                fields = [mrkdwn_to_plain(f["text"]).replace("*", "") for f in block["fields"]]
                for _ in range(2):
                    grid.add_column()
                for i in range(0, len(fields), 2):
                    row = [rich_escape(f.replace("\n", ": ", 1)) for f in fields[i : i + 2]]
                    grid.add_row(*row, *([""] * (2 - len(row))))
                self._console.print(grid)
        elif kind == "context":
            for element in block.get("elements", []):
                text = mrkdwn_to_plain(element.get("text", ""))
                self._console.print(f"[dim]{rich_escape(text)}[/dim]")
        elif kind == "actions":
            labels = [
                e["placeholder"]["text"] if e.get("type") == "static_select" else e["text"]["text"]
                for e in block.get("elements", [])
            ]
            self._console.print(
                " ".join(f"[cyan]\\[{rich_escape(label)}][/cyan]" for label in labels)
            )

    def _text(self, text: str) -> None:
        for line in mrkdwn_to_plain(text).split("\n"):
            if line.startswith(">"):
                self._console.print(f"[green]│[/green] {rich_escape(line[1:])}")
            else:
                self._console.print(rich_escape(line))
