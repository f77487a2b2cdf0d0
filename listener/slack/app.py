"""The interactive side: a slack-bolt app for the alert buttons and the Reply modal.

HTTP mode (``build_wsgi_app``) verifies every request's ``X-Slack-Signature`` and rejects
timestamps more than five minutes off (bolt's ``RequestVerification``), so a forged or
replayed click changes nothing. Socket Mode (``socket_mode_handler``) needs no public
URL: the envelopes come over a WebSocket the app opens with ``SLACK_APP_TOKEN``, so
there is no signature to check (tests/slack/test_socket_mode.py runs it end to end).

Handlers run with ``process_before_response=True``: Slack gets its HTTP answer after the
handler finished, which keeps ordering simple and tests deterministic. Posting to X
happens inside the 3-second window Slack allows; a slow X would need bolt's lazy
listeners instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient

from listener.config import Settings
from listener.ports import Clock, PublicReplier, Store
from listener.slack import actions, modals
from listener.slack.interactions import REFUSAL, Interactions

__all__ = ["REFUSAL", "Interactions", "build_app", "build_wsgi_app", "socket_mode_handler"]

log = logging.getLogger(__name__)


def _noop(ack: Ack) -> None:
    ack()


#: bolt's base logger for this app: its filter travels to every logger bolt makes from it.
BOLT_LOG = "listener.slack.bolt"
_BAD_SIGNATURE = "Invalid request signature detected"


class _BoltLogFilter(logging.Filter):
    """bolt logs the whole body of every badly signed request (up to ``MAX_BODY_BYTES``
    each: anyone who reaches the port could fill the logs) and, when SLACK_BOT_TOKEN is
    in the environment, that it ignores it in favour of our client. The first becomes
    one short warning with the body's size, the second is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message == warning_client_prioritized_and_token_skipped():
            return False
        if message.startswith(_BAD_SIGNATURE):
            body = message.partition(", body: ")[2]
            record.msg = "refused a Slack request with a bad or stale signature (%s-byte body)"
            record.args = (max(0, len(body.encode()) - 1),)
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def _bolt_logger() -> logging.Logger:
    logger = logging.getLogger(BOLT_LOG)
    if not any(isinstance(f, _BoltLogFilter) for f in logger.filters):
        logger.addFilter(_BoltLogFilter())
    return logger


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
        logger=_bolt_logger(),
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
        actions.SHOULD_PING: handlers.labels.should_ping,
        actions.SHOULD_NOT_PING: handlers.labels.should_not_ping,
        actions.WRONG_URGENCY: handlers.labels.wrong_urgency,  # the menu of older cards
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
