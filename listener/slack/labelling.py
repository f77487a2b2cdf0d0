"""The card's buttons that only label: *Should (not) have pinged*, and the old menu.

Neither moves the alert (``listener.lifecycle``): each click is one feedback row, and the
clicker gets an ephemeral thanks. A double click, or a replay of the request inside the
window a signature stays valid (``REPLAY_WINDOW``), is recorded and answered once.

*Should have pinged* / *Should not have pinged* store ``urgent`` / ``not_urgent``
(``classifiers.labels``) and redraw the clicked card with who marked it in place of the
button (``marks.with_mark``). Cards posted before those buttons carry the *Wrong
urgency?* menu; its picks still arrive (``actions.WRONG_URGENCY``, a value with ``u``)
and store ``urgency:N`` as they always did.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from classifiers.labels import NOT_URGENT, URGENCY_PREFIX, URGENT
from listener.domain import Feedback
from listener.ports import Clock, FeedbackRepo
from listener.slack import actions, marks

__all__ = ["REPLAY_WINDOW", "Labelling"]

log = logging.getLogger(__name__)

#: How long a signed request stays valid (bolt's RequestVerification): a replay lands
#: inside it, so a feedback label recorded within it is not recorded again.
REPLAY_WINDOW = timedelta(minutes=5)
Body = dict[str, Any]


class Labelling:
    """What the label-only buttons do; bolt routes to these methods."""

    def __init__(self, *, store: FeedbackRepo, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def should_ping(self, ack: Ack, body: Body, client: WebClient) -> None:
        ack()
        self._mark(client, body, URGENT)

    def should_not_ping(self, ack: Ack, body: Body, client: WebClient) -> None:
        ack()
        self._mark(client, body, NOT_URGENT)

    def wrong_urgency(self, ack: Ack, body: Body, client: WebClient) -> None:
        """A pick in the *Wrong urgency?* menu of a card posted before the buttons."""
        ack()
        user, ref, (channel, _) = actions.clicked(body)
        if ref.urgency is None:
            return
        if self._record(ref, f"{URGENCY_PREFIX}{ref.urgency}", user) is None:
            return
        client.chat_postEphemeral(
            channel=channel,
            user=user,
            text=f"Thanks: urgency {ref.urgency} recorded as a training label.",
        )

    def _record(self, ref: actions.ActionRef, label: str, user: str) -> Feedback | None:
        """Store the label; None when this user gave it within ``REPLAY_WINDOW``."""
        now = self._clock.now()
        if any(
            (f.mention, f.label, f.user) == (ref.mention, label, user)
            for f in self._store.list_feedback(now - REPLAY_WINDOW)
        ):
            return None  # a double click or a replayed request: recorded already
        feedback = Feedback(ref.mention, label, user, now)
        self._store.add_feedback(feedback)
        return feedback

    def _mark(self, client: WebClient, body: Body, label: str) -> None:
        user, ref, (channel, ts) = actions.clicked(body)
        mark = self._record(ref, label, user)
        if mark is None:
            return
        # The card as Slack shows it, with the mark in place of the button. Without its
        # blocks (never so for a message's button) the mark waits for the next redraw.
        message = body.get("message") or {}
        shown = message.get("blocks")
        if isinstance(shown, list) and shown and channel and ts:
            update: dict[str, Any] = {"blocks": marks.with_mark(shown, mark)}
            if message.get("text"):
                update["text"] = str(message["text"])  # the notification fallback, kept
            try:
                client.chat_update(channel=channel, ts=ts, **update)
            except SlackApiError as exc:
                log.warning("cannot update %s/%s: %s", channel, ts, exc.response.get("error"))
        what = marks.BUTTON_TEXT[label].lower()
        client.chat_postEphemeral(
            channel=channel,
            user=user,
            text=f"Thanks: marked *{what}*, recorded as a training label. "
            "Nothing else changes: the alert stays where it is.",
        )
