"""The interactive side: a slack-bolt app for the alert buttons and the Reply modal.

HTTP mode (``build_wsgi_app``) verifies every request's ``X-Slack-Signature`` and rejects
timestamps more than five minutes off (bolt's ``RequestVerification``), so a forged or
replayed click changes nothing. Socket Mode (``socket_mode_handler``) needs no public
URL; it can only be constructed offline, not exercised.

Handlers run with ``process_before_response=True``: Slack gets its HTTP answer after the
handler finished, which keeps ordering simple and tests deterministic. Posting to X
happens inside the 3-second window Slack allows; a slow X would need bolt's lazy
listeners instead.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from listener.config import Settings
from listener.domain import Alert, AlertStatus, Feedback
from listener.drafts import suggest_reply
from listener.errors import FirstReplyError
from listener.networks import network_label
from listener.ports import Clock, PublicReplier, Store, TriagedMention, load_triaged
from listener.slack import actions, blocks, modals
from listener.slack.modals import ModalContext

__all__ = ["Interactions", "build_app", "build_wsgi_app", "socket_mode_handler"]

log = logging.getLogger(__name__)

REFUSAL = (
    "Sorry, only the configured repliers can reply publicly or resolve alerts. "
    "Claim it and ask one of them, or ask an admin to add you to `slack.repliers`."
)
GROUP_CACHE = timedelta(minutes=5)
Body = dict[str, Any]


def _where(body: Body) -> tuple[str, str]:
    """(channel, ts) of the message whose button was pressed."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id", "")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts", "")
    return str(channel), str(ts)


def _action_ref(body: Body) -> actions.ActionRef:
    action = (body.get("actions") or [{}])[0]
    value = action.get("value") or (action.get("selected_option") or {}).get("value", "")
    return actions.ActionRef.decode(str(value))


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

    def _change(
        self,
        client: WebClient,
        ref: actions.ActionRef,
        status: AlertStatus,
        user: str,
        clicked: tuple[str, str],
        *,
        claim: bool = False,
        note: str = "",
        reply_url: str | None = None,
    ) -> None:
        """Store the new status, then edit the alert (and the clicked copy, if another)."""
        loaded = self._load(ref)
        if loaded is None:
            return
        item, primary = loaded
        assert primary.id is not None
        self._store.set_status(primary.id, status, user if claim else None, self._clock.now())
        message = blocks.alert_message(
            item,
            primary,
            sla_minutes=self._settings.digest.sla_minutes,
            status=status,
            actor=user,
            note=note,
            reply_url=reply_url,
        )
        targets = {(r.channel, r.ts) for r in [primary.slack] if r is not None}
        if all(clicked):
            targets.add(clicked)
        for channel, ts in sorted(targets):
            try:
                client.chat_update(channel=channel, ts=ts, **message.update_kwargs())
            except SlackApiError as exc:
                log.warning("cannot update %s/%s: %s", channel, ts, exc.response.get("error"))

    # ------------------------------------------------------------------ buttons
    def claim(self, ack: Ack, body: Body, client: WebClient) -> None:
        ack()
        user, ref, where = body["user"]["id"], _action_ref(body), _where(body)
        current = self._store.alert_for(ref.mention)
        if current and current.status == AlertStatus.CLAIMED and current.claimed_by != user:
            who = blocks.user_mention(current.claimed_by)
            client.chat_postEphemeral(
                channel=where[0], user=user, text=f"Already claimed by {who}."
            )
            return
        self._change(client, ref, AlertStatus.CLAIMED, user, where, claim=True)

    def open_reply(self, ack: Ack, body: Body, client: WebClient) -> None:
        ack()
        user, ref, (channel, ts) = body["user"]["id"], _action_ref(body), _where(body)
        if not self.is_replier(client, user):
            self._refuse(client, channel, user)
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
        user, ref, (channel, ts) = body["user"]["id"], _action_ref(body), _where(body)
        if not self.is_replier(client, user):
            self._refuse(client, channel, user)
            return
        context = ModalContext(ref.mention, ref.alert_id, channel, ts)
        client.views_open(trigger_id=body["trigger_id"], view=modals.resolve_modal(context))

    def snooze(self, ack: Ack, body: Body, client: WebClient) -> None:
        ack()
        self._change(
            client, _action_ref(body), AlertStatus.SNOOZED, body["user"]["id"], _where(body)
        )

    def not_complaint(self, ack: Ack, body: Body, client: WebClient) -> None:
        ack()
        user, ref, where = body["user"]["id"], _action_ref(body), _where(body)
        self._feedback(ref, "not_complaint", user)
        self._change(client, ref, AlertStatus.NOT_COMPLAINT, user, where)

    def wrong_urgency(self, ack: Ack, body: Body, client: WebClient) -> None:
        ack()
        user, ref, (channel, _) = body["user"]["id"], _action_ref(body), _where(body)
        if ref.urgency is None:
            return
        self._feedback(ref, f"urgency:{ref.urgency}", user)
        client.chat_postEphemeral(
            channel=channel,
            user=user,
            text=f"Thanks: urgency {ref.urgency} recorded as a training label.",
        )

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
        # The reply is public now: record it before anything else can fail.
        self._change(client, ref, AlertStatus.REPLIED, user, where, claim=True, reply_url=url)
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
        ack()
        note = str(modals.submitted_value(view, modals.NOTE_BLOCK, modals.NOTE_INPUT) or "")
        ref = actions.ActionRef(context.alert_id, context.mention)
        where = (context.channel, context.ts)
        self._change(client, ref, AlertStatus.RESOLVED, user, where, note=note.strip())


def _noop(ack: Ack) -> None:
    ack()


def build_app(
    *,
    settings: Settings,
    store: Store,
    replier: PublicReplier,
    clock: Clock,
    token: str,
    signing_secret: str,
    client: WebClient | None = None,
    process_before_response: bool = True,
) -> App:
    """The bolt app, talking to ``settings.slack.api_base_url``, verifying signatures.

    ``client`` defaults to a WebClient on the settings' base URL; bolt takes the token
    from it (passing ``token=`` as well only makes bolt log that it ignored it).
    """
    web = client or WebClient(token=token, base_url=settings.slack.api_base_url)
    if web.token is None:
        web.token = token
    app = App(
        client=web,
        signing_secret=signing_secret,
        process_before_response=process_before_response,
        request_verification_enabled=True,
    )
    handlers = Interactions(store=store, replier=replier, settings=settings, clock=clock)
    routes: dict[str, Callable[..., None]] = {
        actions.CLAIM: handlers.claim,
        actions.REPLY: handlers.open_reply,
        actions.RESOLVE: handlers.open_resolve,
        actions.SNOOZE: handlers.snooze,
        actions.NOT_COMPLAINT: handlers.not_complaint,
        actions.WRONG_URGENCY: handlers.wrong_urgency,
        actions.OPEN_ON_X: _noop,
    }
    for action_id, handler in routes.items():
        app.action(action_id)(handler)
    app.view(modals.REPLY_MODAL)(handlers.submit_reply)
    app.view(modals.RESOLVE_MODAL)(handlers.submit_resolve)
    return app


#: Slack's interaction payloads are a few KB; anything this big is not from Slack.
MAX_BODY_BYTES = 1024 * 1024


class GuardedHandler:
    """bolt's WSGI handler, behind two checks bolt lacks.

    bolt parses the body *before* it verifies the signature, so an unsigned request with
    a body that is not what its Content-Type says (``application/json`` that isn't JSON,
    a ``payload=`` that isn't) raised and answered 500; it is a 400 here. Bodies over
    ``MAX_BODY_BYTES`` are refused (413) before any parsing or HMAC, never buffered.
    """

    def __init__(self, app: App, *, max_body: int = MAX_BODY_BYTES) -> None:
        self._inner = SlackRequestHandler(app)
        self._max_body = max_body

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _plain(start_response, "400 Bad Request")
        if length > self._max_body:
            _discard(environ["wsgi.input"], min(length, 16 * self._max_body))
            return _plain(start_response, "413 Payload Too Large")
        try:
            return self._inner(environ, start_response)
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError: not from Slack
            log.warning("refused a malformed interactivity request: %s", type(exc).__name__)
            return _plain(start_response, "400 Bad Request")


def _discard(stream: Any, n: int) -> None:
    """Read and drop ``n`` bytes in small chunks, so the client sees the 413 rather
    than a reset connection, without ever holding the body in memory."""
    while n > 0:
        chunk = stream.read(min(n, 65536))
        if not chunk:
            return
        n -= len(chunk)


def _plain(start_response: Callable[..., Any], status: str) -> list[bytes]:
    body = status.encode()
    start_response(
        status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    )
    return [body]


def build_wsgi_app(app: App) -> GuardedHandler:
    """A WSGI callable for HTTP mode (point the manifest's request URLs at it)."""
    return GuardedHandler(app)


def socket_mode_handler(app: App, app_token: str) -> SocketModeHandler:
    """Socket Mode (``slack.mode = "socket"``): call ``.start()`` to connect and block."""
    return SocketModeHandler(app, app_token)
