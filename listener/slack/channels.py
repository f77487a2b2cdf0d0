"""Do the configured channels exist? ``conversations.list`` against every channel setting.

For ``firstreply check-config --online``: a wrong channel name otherwise shows only as
every alert dead after one attempt (``channel_not_found``). Lists the public channels
(what ``channels:read`` shows) page by page (``response_metadata.next_cursor``); private
channels would need ``groups:read``, which the manifest does not ask for, so one that
is not found is named with both causes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from listener.config import Settings
from listener.errors import FirstReplyError
from listener.slack.notifier import delivery_error

__all__ = ["channel_problems", "configured_channels", "workspace_channels"]

PAGE = 200


def configured_channels(settings: Settings) -> dict[str, list[str]]:
    """Each channel the settings post to, with the keys that name it."""
    out: dict[str, list[str]] = {}

    def add(key: str, channel: str | None) -> None:
        if channel:
            out.setdefault(channel, []).append(key)

    add("slack.default_channel", settings.slack.default_channel)
    add("slack.escalation_channel", settings.slack.escalation_channel)
    add("slack.queue_channel", settings.slack.queue_channel)
    add("digest.channel", settings.digest.channel)
    for i, brand in enumerate(settings.brands):
        add(f"brands.{i}.channel", brand.channel)
        add(f"brands.{i}.queue_channel", brand.queue_channel)
        for topic, channel in brand.topic_channels.items():
            add(f"brands.{i}.topic_channels.{topic}", channel)
    return out


def workspace_channels(client: WebClient) -> Iterator[dict[str, Any]]:
    """Every public channel, archived ones included."""
    cursor = ""
    while True:
        page = client.conversations_list(
            types="public_channel", exclude_archived=False, limit=PAGE,
            cursor=cursor or None,
        )
        yield from page.get("channels") or []
        cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            return


def channel_problems(client: WebClient, settings: Settings) -> list[tuple[str, str]]:
    """(setting key, why) for each configured channel the bot cannot post to.

    Slack refusing the listing itself (a missing scope, an outage) is a
    ``FirstReplyError`` naming Slack's error.
    """
    by_name: dict[str, dict[str, Any]] = {}
    try:
        for channel in workspace_channels(client):
            by_name[str(channel.get("id"))] = channel
            by_name["#" + str(channel.get("name"))] = channel
    except (SlackClientError, URLError, OSError) as exc:
        raise FirstReplyError(f"cannot list Slack channels: {delivery_error(exc)}") from None
    problems: list[tuple[str, str]] = []
    for name, keys in configured_channels(settings).items():
        found = by_name.get(name) or by_name.get("#" + name.lstrip("#"))
        if found is None:
            why = (f"{name} is not a public channel of this workspace (a typo? if it is "
                   "private, check it by hand: the bot must be invited)")
        elif found.get("is_archived"):
            why = f"{name} is archived"
        else:
            continue
        problems += [(key, why) for key in keys]
    return problems
