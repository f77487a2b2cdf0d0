"""The Slack workspace firstreply posts to: one client, and what the runtime builds on it.

``SlackWorkspace.connect(settings, secrets)`` builds the Web API client for
``SLACK_BOT_TOKEN`` and (``check=True``) asks Slack who it is first, so a refused token
or an unreachable Slack ends ``firstreply run`` with one clear line. Then:
``notifier()`` (alerts), ``digest_poster()`` (the daily digest) and ``interactivity()``
(the buttons, served over HTTP or Socket Mode).
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from listener.config import Secrets, Settings
from listener.ports import Clock, PublicReplier, Store
from listener.slack.digest import SlackDigestPoster
from listener.slack.notifier import SlackNotifier, build_web_client, check_slack
from listener.slack.server import InteractivityServer

__all__ = ["SlackWorkspace"]

log = logging.getLogger(__name__)


class SlackWorkspace:
    def __init__(self, *, client: WebClient, settings: Settings, secrets: Secrets) -> None:
        self.client = client
        self._settings = settings
        self._secrets = secrets

    @classmethod
    def connect(cls, settings: Settings, secrets: Secrets, *, check: bool) -> SlackWorkspace:
        client = build_web_client(settings, secrets)
        if check:
            log.info("slack: posting as %s", check_slack(client))
        return cls(client=client, settings=settings, secrets=secrets)

    def notifier(self) -> SlackNotifier:
        return SlackNotifier(client=self.client, settings=self._settings)

    def digest_poster(self) -> SlackDigestPoster:
        return SlackDigestPoster(client=self.client, channel=self._settings.digest.channel)

    def interactivity(
        self, *, store: Store, replier: PublicReplier, clock: Clock
    ) -> InteractivityServer | None:
        """The buttons' server, or None (logged) when the secrets do not allow it."""
        from listener.slack.app import build_app

        secrets, slack = self._secrets, self._settings.slack
        if slack.mode == "http" and secrets.slack_signing_secret is None:
            log.warning("SLACK_SIGNING_SECRET not set: Slack buttons are disabled")
            return None
        token = secrets.slack_bot_token
        assert token is not None  # a workspace is only connected with a bot token
        signing = secrets.slack_signing_secret
        app = build_app(
            settings=self._settings,
            store=store,
            replier=replier,
            clock=clock,
            token=token.get_secret_value(),
            signing_secret=signing.get_secret_value() if signing else "",
            client=self.client,
        )
        app_token = secrets.slack_app_token.get_secret_value() if secrets.slack_app_token else None
        return InteractivityServer(app=app, settings=slack, app_token=app_token)
