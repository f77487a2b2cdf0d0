"""What each button and modal does: bolt routes to ``Interactions``; the store decides.

Every change of an alert's status is one compare-and-set in the store
(``listener.lifecycle``): a click that no longer applies (a Claim on the escalation of
a replied alert, a replayed Resolve) changes nothing and is answered ephemerally, or not
at all when it is the clicker's own click again. After a move, every message that shows
the alert (the card, its escalations) is redrawn from the new status.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from classifiers.labels import NOT_COMPLAINT
from listener import lifecycle
from listener.config import Settings
from listener.domain import Alert, AlertKind, AlertStatus, Feedback, Mention
from listener.drafts import suggest_reply
from listener.errors import FirstReplyError
from listener.feedback import urgency_mark
from listener.networks import network_label
from listener.ports import Clock, PublicReplier, Store, TriagedMention, load_triaged
from listener.slack import actions, blocks, modals
from listener.slack.labelling import REPLAY_WINDOW, Labelling
from listener.slack.modals import ModalContext

__all__ = ["REFUSAL", "REPLAY_WINDOW", "Interactions", "refusal"]

log = logging.getLogger(__name__)

REFUSAL = (
    "Sorry, only the configured repliers can reply publicly or resolve alerts. "
    "Claim it and ask one of them, or ask an admin to add you to `slack.repliers`."
)
GROUP_CACHE = timedelta(minutes=5)
Body = dict[str, Any]

_DONE = {
    AlertStatus.OPEN: "It is still open",
    AlertStatus.CLAIMED: "Already claimed by {who}",
    AlertStatus.REPLIED: "Already replied to on {network} by {who}",
    AlertStatus.RESOLVED: "Already resolved",
    AlertStatus.SNOOZED: "It is snoozed",
    AlertStatus.NOT_COMPLAINT: "Already marked not a complaint",
}


def refusal(current: Alert) -> str:
    """Why a click changed nothing, from the alert's current status."""
    who = blocks.user_mention(current.claimed_by) if current.claimed_by else "someone"
    network = network_label(current.mention[0])
    return _DONE[current.status].format(who=who, network=network) + ": nothing changed."


class Interactions:
    """What each button and modal does; bolt only routes to these methods."""

    def __init__(
        self, *, store: Store, replier: PublicReplier, settings: Settings, clock: Clock
    ) -> None:
        self._store = store
        self._replier = replier
        self._settings = settings
        self._clock = clock
        self._groups: dict[str, tuple[datetime, frozenset[str]]] = {}
        self._reply_locks = tuple(threading.Lock() for _ in range(64))
        #: The buttons that only label (``labelling``): no move, no lifecycle.
        self.labels = Labelling(store=store, clock=clock)

    # ------------------------------------------------------------------ helpers
    def is_replier(self, client: WebClient, user: str) -> bool:
        """In ``slack.repliers``, or a member of one of ``slack.replier_groups``."""
        if user in self._settings.slack.repliers:
            return True
        now = self._clock.now()
        for group in self._settings.slack.replier_groups:
            cached = self._groups.get(group)
            if cached is None or now - cached[0] > GROUP_CACHE:
                try:
                    users = client.usergroups_users_list(usergroup=group).get("users") or []
                except SlackApiError as exc:
                    log.warning("cannot list user group %s: %s", group, exc.response.get("error"))
                    continue
                cached = (now, frozenset(str(u) for u in users))
                self._groups[group] = cached
            if user in cached[1]:
                return True
        return False

    def _refuse(self, client: WebClient, channel: str, user: str) -> None:
        client.chat_postEphemeral(channel=channel, user=user, text=REFUSAL)

    def _load(self, ref: actions.ActionRef) -> tuple[TriagedMention, Alert] | None:
        item = load_triaged(self._store, ref.mention)
        primary = self._store.alert_for(ref.mention)
        if item is None or primary is None or primary.id is None:
            log.warning("action about unknown mention %s", ref.mention)
            return None
        return item, primary

    def _move(
        self,
        client: WebClient,
        ref: actions.ActionRef,
        to: AlertStatus,
        user: str,
        clicked: tuple[str, str],
        *,
        note: str = "",
        reply_url: str | None = None,
    ) -> Alert | None:
        """Move the alert to ``to`` (compare-and-set), then redraw every message showing it.

        Returns the alert as it was when the move was refused (the caller explains), or
        None when it moved or is unknown.
        """
        loaded = self._load(ref)
        if loaded is None:
            return None
        item, primary = loaded
        assert primary.id is not None
        owner = user if to in (AlertStatus.CLAIMED, AlertStatus.REPLIED) else None
        if not self._store.set_status(primary.id, to, owner, self._clock.now()):
            return self._store.get_alert(primary.id) or primary
        moved = self._store.get_alert(primary.id) or primary
        self._redraw(client, item, moved, clicked, actor=user, note=note, reply_url=reply_url)
        return None

    def _redraw(
        self,
        client: WebClient,
        item: TriagedMention,
        primary: Alert,
        clicked: tuple[str, str],
        *,
        actor: str,
        note: str,
        reply_url: str | None,
    ) -> None:
        """Edit the alert and each escalation of it from the alert's new status."""
        slack = self._settings.slack
        # A label is never older than its post: the card's marks are among these.
        labels = self._store.list_feedback(item.mention.created_at)
        full = blocks.alert_message(
            item,
            primary,
            sla_minutes=self._settings.digest.sla_minutes,
            actor=actor,
            note=note,
            reply_url=reply_url,
            mark=urgency_mark(labels, item.mention.key),
        )
        escalation = blocks.escalation_message(
            item,
            primary,
            oncall_group=slack.oncall_group,
            minutes=slack.escalation_minutes,
            actor=actor,
        )
        targets: dict[tuple[str, str], blocks.Message] = {}
        for row in item.alerts:
            if row.slack is not None and row.kind == AlertKind.ESCALATION:
                targets[(row.slack.channel, row.slack.ts)] = escalation
        if primary.slack is not None:
            targets[(primary.slack.channel, primary.slack.ts)] = full
        if all(clicked) and clicked not in targets:
            targets[clicked] = full
        for (channel, ts), message in sorted(targets.items()):
            try:
                client.chat_update(channel=channel, ts=ts, **message.update_kwargs())
            except SlackApiError as exc:
                log.warning("cannot update %s/%s: %s", channel, ts, exc.response.get("error"))

    def _explain(
        self, client: WebClient, channel: str, user: str, to: AlertStatus, current: Alert
    ) -> None:
        """Say why a click changed nothing; a double click or replay gets no answer."""
        if current.status == to and (to != AlertStatus.CLAIMED or current.claimed_by == user):
            return
        client.chat_postEphemeral(channel=channel, user=user, text=refusal(current))

    def _allowed(
        self, client: WebClient, ref: actions.ActionRef, to: AlertStatus, channel: str, user: str
    ) -> bool:
        """Whether ``to`` may still follow the alert's status (else explained to ``user``)."""
        current = self._store.alert_for(ref.mention)
        if current is None or lifecycle.can_move(current.status, to):
            return current is not None
        self._explain(client, channel, user, to, current)
        return False

    # ------------------------------------------------------------------ buttons
    def claim(self, ack: Ack, body: Body, client: WebClient) -> None:
        ack()
        self._click(client, body, AlertStatus.CLAIMED)

    def _click(self, client: WebClient, body: Body, to: AlertStatus) -> bool:
        user, ref, where = actions.clicked(body)
        refused = self._move(client, ref, to, user, where)
        if refused is not None:
            self._explain(client, where[0], user, to, refused)
            return False
        return True

    def open_reply(self, ack: Ack, body: Body, client: WebClient) -> None:
        ack()
        user, ref, (channel, ts) = actions.clicked(body)
        if not self.is_replier(client, user):
            self._refuse(client, channel, user)
            return
        if not self._allowed(client, ref, AlertStatus.REPLIED, channel, user):
            return
        loaded = self._load(ref)
        if loaded is None:
            return
        item, primary = loaded
        brand = self._settings.brand(item.mention.brand)
        draft = suggest_reply(
            item.mention,
            item.scores,
            brand=brand.name if brand else "",
            tone=brand.tone if brand else "friendly",
        )
        context = ModalContext(item.mention.key, primary.id, channel, ts)
        view = modals.reply_modal(item, context, draft)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def open_resolve(self, ack: Ack, body: Body, client: WebClient) -> None:
        ack()
        user, ref, (channel, ts) = actions.clicked(body)
        if not self.is_replier(client, user):
            self._refuse(client, channel, user)
            return
        if not self._allowed(client, ref, AlertStatus.RESOLVED, channel, user):
            return
        context = ModalContext(ref.mention, ref.alert_id, channel, ts)
        client.views_open(trigger_id=body["trigger_id"], view=modals.resolve_modal(context))

    def snooze(self, ack: Ack, body: Body, client: WebClient) -> None:
        ack()
        self._click(client, body, AlertStatus.SNOOZED)

    def not_complaint(self, ack: Ack, body: Body, client: WebClient) -> None:
        ack()
        if self._click(client, body, AlertStatus.NOT_COMPLAINT):
            self._feedback(actions.clicked_ref(body), NOT_COMPLAINT, body["user"]["id"])

    def _feedback(self, ref: actions.ActionRef, label: str, user: str, note: str = "") -> None:
        feedback = Feedback(ref.mention, label, user, self._clock.now(), note)
        self._store.add_feedback(feedback)

    # ------------------------------------------------------------------ modals
    def submit_reply(self, ack: Ack, body: Body, view: Body, client: WebClient) -> None:
        user = body["user"]["id"]
        context = ModalContext.decode(view.get("private_metadata", ""))
        text = str(modals.submitted_value(view, modals.REPLY_BLOCK, modals.REPLY_INPUT) or "")
        confirmed = "yes" in (
            modals.submitted_value(view, modals.CONFIRM_BLOCK, modals.CONFIRM_INPUT) or []
        )
        if not self.is_replier(client, user):
            ack(response_action="errors", errors={modals.REPLY_BLOCK: REFUSAL})
            return
        if not text.strip():
            ack(response_action="errors", errors={modals.REPLY_BLOCK: "The reply is empty."})
            return
        mention = self._store.get_mention(context.mention)
        if mention is None:
            ack(response_action="errors", errors={modals.REPLY_BLOCK: "That post is gone."})
            return
        # Two repliers submitting at once: the second waits, then finds it replied.
        with self._reply_locks[hash(context.mention) % len(self._reply_locks)]:
            self._publish(ack, client, user, context, mention, text, confirmed=confirmed)

    def _publish(
        self,
        ack: Ack,
        client: WebClient,
        user: str,
        context: ModalContext,
        mention: Mention,
        text: str,
        *,
        confirmed: bool,
    ) -> None:
        """Post the reply on its network if the alert may still be replied to, then record it."""
        current = self._store.alert_for(context.mention)
        if current is not None and not lifecycle.can_move(current.status, AlertStatus.REPLIED):
            if current.status == AlertStatus.REPLIED and current.claimed_by == user:
                ack()  # their own submission again (a replay, a double submit): done already
            else:
                ack(response_action="errors", errors={modals.REPLY_BLOCK: refusal(current)})
            return
        warning = self._replier.cost_warning(mention, text)
        if warning and not confirmed:
            ack(response_action="errors", errors={modals.REPLY_BLOCK: warning})
            return
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        key = f"slack:{mention.source}:{mention.id}:{digest}"
        try:
            url = self._replier.reply(mention, text, idempotency_key=key)
        except FirstReplyError as exc:
            log.warning("reply to %s:%s refused: %s", mention.source, mention.id, exc)
            refused = f"{network_label(mention.source)} refused it: {exc}"
            ack(response_action="errors", errors={modals.REPLY_BLOCK: refused})
            return
        ack()
        ref = actions.ActionRef(context.alert_id, context.mention)
        where = (context.channel, context.ts)
        # The reply is public now: record it before anything else can fail. Only the
        # submission that moved the alert writes the thread note, so a replay adds none.
        if self._move(client, ref, AlertStatus.REPLIED, user, where, reply_url=url) is not None:
            log.info("reply %s was recorded already; no second thread note", url)
            return
        message = blocks.reply_posted_message(
            user, url, text, [warning] if warning else [], network=network_label(mention.source)
        )
        try:
            client.chat_postMessage(
                channel=context.channel, thread_ts=context.ts, **message.post_kwargs()
            )
        except SlackApiError as exc:
            log.warning(
                "reply %s posted, but not its thread note: %s", url, exc.response.get("error")
            )

    def submit_resolve(self, ack: Ack, body: Body, view: Body, client: WebClient) -> None:
        user = body["user"]["id"]
        context = ModalContext.decode(view.get("private_metadata", ""))
        if not self.is_replier(client, user):
            ack(response_action="errors", errors={modals.NOTE_BLOCK: REFUSAL})
            return
        note = str(modals.submitted_value(view, modals.NOTE_BLOCK, modals.NOTE_INPUT) or "")
        ref = actions.ActionRef(context.alert_id, context.mention)
        where = (context.channel, context.ts)
        refused = self._move(client, ref, AlertStatus.RESOLVED, user, where, note=note.strip())
        if refused is None or refused.status == AlertStatus.RESOLVED:
            ack()
        else:
            ack(response_action="errors", errors={modals.NOTE_BLOCK: refusal(refused)})
