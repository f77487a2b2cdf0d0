"""Serving the buttons: the bolt app over HTTP on ``slack.port``, or over Socket Mode.

``InteractivityServer`` is one of the runtime's services: ``start()`` returns once it is
listening (or connected), ``stop()`` closes it, so ``firstreply run`` stops cleanly.
Put a TLS-terminating proxy in front of the HTTP server: Slack only calls https URLs.
It listens on ``slack.host``, loopback by default (the proxy on the same host); the
Docker image sets ``FIRSTREPLY_SLACK__HOST=0.0.0.0`` so the published port reaches it.
"""

from __future__ import annotations

import logging
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from listener.config import SlackSettings
from listener.errors import ConfigError, FirstReplyError
from listener.slack.app import build_wsgi_app, socket_mode_handler

__all__ = ["InteractivityServer"]

log = logging.getLogger(__name__)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        log.debug("slack interactivity: %s", format % args)


class InteractivityServer:
    """The bolt app, served in a background thread until ``stop()``."""

    name = "slack interactivity"

    def __init__(
        self, *, app: App, settings: SlackSettings, app_token: str | None = None
    ) -> None:
        if settings.mode == "socket" and not app_token:
            raise ConfigError([("SLACK_APP_TOKEN", "slack.mode = \"socket\" needs it (xapp-...)")])
        self._app = app
        self._settings = settings
        self._app_token = app_token
        self._host = settings.host
        self._httpd: _Server | None = None
        self._socket: SocketModeHandler | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int | None:
        """The HTTP port actually bound (``slack.port = 0`` picks a free one)."""
        return self._httpd.server_address[1] if self._httpd is not None else None

    def start(self) -> None:
        if self._settings.mode == "socket":
            assert self._app_token is not None
            self._socket = socket_mode_handler(self._app, self._app_token)
            self._socket.connect()  # type: ignore[no-untyped-call]
            log.info("slack interactivity connected over Socket Mode")
            return
        try:
            self._httpd = make_server(
                self._host, self._settings.port, build_wsgi_app(self._app),
                server_class=_Server, handler_class=_QuietHandler,
            )
        except OSError as exc:
            raise FirstReplyError(
                f"cannot serve Slack interactivity on {self._host}:{self._settings.port}: {exc}"
            ) from exc
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="slack-interactivity", daemon=True
        )
        self._thread.start()
        log.info("slack interactivity listening on %s:%s", self._host, self.port)

    def stop(self) -> None:
        if self._socket is not None:
            self._socket.close()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
