"""Build tweepy clients whose requests go to ``settings.x.api_base_url``.

tweepy hardcodes ``https://api.twitter.com`` in ``BaseClient.request``; instead of
patching it, a ``requests`` transport adapter is mounted on the client's session for that
prefix. The adapter rewrites scheme and host to the configured base URL (a proxy, an
emulator, or the local fake in tests) and applies the configured timeout, which tweepy
never passes. Everything else (auth, params, error mapping) stays tweepy's own.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
import tweepy
from requests.adapters import HTTPAdapter

from listener.config import Secrets, Settings
from listener.errors import ConfigError

__all__ = [
    "TWEEPY_HOST",
    "BaseUrlAdapter",
    "build_app_client",
    "build_streaming_client",
    "build_user_client",
    "route_session",
]

#: The host tweepy puts in front of every route.
TWEEPY_HOST = "https://api.twitter.com"

Timeout = float | tuple[float, float]


class BaseUrlAdapter(HTTPAdapter):
    """Sends requests for ``TWEEPY_HOST`` to ``base_url`` with a default ``timeout``."""

    def __init__(self, base_url: str, *, timeout: Timeout) -> None:
        super().__init__()
        target = urlsplit(base_url.rstrip("/"))
        if not target.scheme or not target.netloc:
            raise ValueError(f"x.api_base_url must be absolute, got {base_url!r}")
        self._scheme = target.scheme
        self._netloc = target.netloc
        self._prefix = target.path
        self._timeout = timeout
        # Proxies were resolved for api.twitter.com; resolve them once for the real target
        # so NO_PROXY (e.g. 127.0.0.1) is honoured.
        self._proxies = requests.utils.get_environ_proxies(base_url)

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit(
            (self._scheme, self._netloc, self._prefix + parts.path, parts.query, parts.fragment)
        )

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        assert request.url is not None
        request.url = self.rewrite(request.url)
        kwargs["proxies"] = self._proxies
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        return super().send(request, **kwargs)


def route_session(session: requests.Session, base_url: str, *, timeout: Timeout) -> None:
    """Mount the adapter on ``session`` unless ``base_url`` already is tweepy's host."""
    session.mount(TWEEPY_HOST, BaseUrlAdapter(base_url, timeout=timeout))


def _value(secret: Any) -> str | None:
    return secret.get_secret_value() if secret is not None else None


def build_app_client(settings: Settings, secrets: Secrets) -> tweepy.Client:
    """App-only (bearer) client for reading: mentions timeline, search, user lookup."""
    client = tweepy.Client(
        bearer_token=_value(secrets.x_bearer_token),
        return_type=requests.Response,
        wait_on_rate_limit=False,
    )
    route_session(client.session, settings.x.api_base_url, timeout=settings.x.timeout_seconds)
    return client


def build_user_client(settings: Settings, secrets: Secrets) -> tweepy.Client:
    """User-context (OAuth 1.0a) client for posting the brand's replies.

    Raises ``ConfigError`` naming every missing credential.
    """
    names = ("x_consumer_key", "x_consumer_secret", "x_access_token", "x_access_token_secret")
    missing = [
        (n.upper(), "needed to post replies on X") for n in names if getattr(secrets, n) is None
    ]
    if missing:
        raise ConfigError(missing)
    client = tweepy.Client(
        consumer_key=_value(secrets.x_consumer_key),
        consumer_secret=_value(secrets.x_consumer_secret),
        access_token=_value(secrets.x_access_token),
        access_token_secret=_value(secrets.x_access_token_secret),
        wait_on_rate_limit=False,
    )
    route_session(client.session, settings.x.api_base_url, timeout=settings.x.timeout_seconds)
    return client


def build_streaming_client(settings: Settings, secrets: Secrets) -> tweepy.StreamingClient:
    """Filtered-stream client, used for its rule endpoints and its session."""
    client = tweepy.StreamingClient(
        _value(secrets.x_bearer_token) or "",
        return_type=requests.Response,
        wait_on_rate_limit=False,
    )
    # X sends a keep-alive every 20 s: a read timeout a little above that detects stalls.
    route_session(
        client.session, settings.x.api_base_url, timeout=(settings.x.timeout_seconds, 30.0)
    )
    return client
