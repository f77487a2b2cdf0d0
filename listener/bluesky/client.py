"""One logged-in XRPC connection to the brand account's PDS, through the ``atproto`` SDK.

``BlueskyClient`` logs in lazily with the handle and an app password (never logged;
``SecretStr`` until the one call that needs it), answers each query or procedure with
the JSON body as a dict (the mapping keeps records raw), and remembers the
``ratelimit-*`` headers of the last response. The SDK refreshes the access token itself
15 minutes before its ``exp``; a PDS that still answers ``ExpiredToken`` (a token revoked
early, a skewed clock) gets one refresh (else a fresh login) and the call once more.

SDK exceptions become ``listener.errors`` in two vocabularies, for the pollers
(``source_error``) and for the replier (``delivery_error``)::

    429 RateLimitExceeded            -> RateLimited(reset_at) / DeliveryError(retry_after)
    401/403, login refused            -> AuthFailed            / PermanentDelivery
    5xx, 502/409/413, network, timeout -> SourceUnavailable     / DeliveryError
    other 400s                        -> SourceError           / PermanentDelivery
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from atproto import Client
from atproto_client.exceptions import (
    BadRequestError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.models.common import XrpcError
from atproto_client.request import Request, Response
from atproto_core.exceptions import AtProtocolError
from pydantic import SecretStr

from listener.errors import (
    AuthFailed,
    DeliveryError,
    PermanentDelivery,
    RateLimited,
    SourceError,
    SourceUnavailable,
)
from listener.ports import RateLimit

__all__ = ["BlueskyClient", "delivery_error", "source_error"]

log = logging.getLogger(__name__)

#: What a PDS answers (HTTP 400) for an access token it no longer accepts.
_TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken"})


def _rate_limit(headers: Mapping[str, Any]) -> RateLimit | None:
    try:
        return RateLimit(
            limit=int(headers["ratelimit-limit"]),
            remaining=int(headers["ratelimit-remaining"]),
            reset_at=datetime.fromtimestamp(int(headers["ratelimit-reset"]), UTC),
        )
    except (KeyError, ValueError, TypeError):
        return None


def _error_name(exc: BaseException) -> str:
    if isinstance(exc, RequestErrorBase) and exc.response is not None:
        content = exc.response.content
        if isinstance(content, XrpcError):
            return content.error or ""
    return ""


def _status(exc: BaseException) -> int | None:
    if isinstance(exc, RequestErrorBase) and exc.response is not None:
        return int(exc.response.status_code)
    return None


def _detail(exc: BaseException) -> str:
    if isinstance(exc, RequestErrorBase) and exc.response is not None:
        content = exc.response.content
        if isinstance(content, XrpcError):
            why = f"{content.error}: {content.message}" if content.message else content.error
            return f"HTTP {exc.response.status_code} {why}"
        return f"HTTP {exc.response.status_code}"
    cause = exc.__cause__
    return f"{type(cause or exc).__name__}: {cause or exc}"


class LoginRefused(AtProtocolError):  # type: ignore[misc]
    """The PDS refused the handle and app password."""


class BlueskyClient:
    def __init__(
        self,
        *,
        service_url: str,
        login: str,
        password: SecretStr | None,
        timeout: float = 10.0,
    ) -> None:
        self.service_url = service_url
        self.login = login
        self._password = password
        self._sdk = Client(base_url=service_url, request=Request(timeout=timeout))
        self._lock = threading.Lock()
        self._did: str | None = None
        #: The ``ratelimit-*`` headers of the last response (``SourceInfo.rate_limit``).
        self.rate_limit: RateLimit | None = None

    @property
    def did(self) -> str:
        """The logged-in account's DID (logs in first if need be)."""
        self._ensure_session()
        assert self._did is not None
        return self._did

    def _ensure_session(self) -> None:
        with self._lock:
            if self._did is None:
                self._login()

    def _login(self) -> None:
        if self._password is None:
            raise LoginRefused("BLUESKY_APP_PASSWORD is not set")
        try:
            self._sdk.login(
                self.login, self._password.get_secret_value(), fetch_bsky_profile=False
            )
        except (UnauthorizedError, BadRequestError) as exc:
            self._note(exc)
            raise LoginRefused(
                f"Bluesky refused the login of {self.login} ({_detail(exc)}): check "
                "BLUESKY_APP_PASSWORD is an app password of that account"
            ) from exc
        me = self._sdk._session  # the SDK keeps the session's DID here
        self._did = me.did if me is not None else None
        log.info("logged in to Bluesky as %s (%s)", self.login, self._did)

    def _refresh(self) -> None:
        with self._lock:
            try:
                # The SDK's own refresh (com.atproto.server.refreshSession with the refresh
                # token); it only runs it unprompted near ``exp``.
                self._sdk._refresh_and_set_session()
                log.info("Bluesky session of %s refreshed after ExpiredToken", self.login)
            except AtProtocolError:
                self._did = None
                self._login()

    def query(self, nsid: str, params: Any) -> dict[str, Any]:
        return self._call(lambda: self._sdk.invoke_query(nsid, params=params))

    def procedure(self, nsid: str, data: Any) -> dict[str, Any]:
        return self._call(lambda: self._sdk.invoke_procedure(
            nsid, data=data, input_encoding="application/json"))

    def _call(self, send: Any) -> dict[str, Any]:
        self._ensure_session()
        try:
            response = send()
        except BadRequestError as exc:
            self._note(exc)
            if _error_name(exc) not in _TOKEN_ERRORS:
                raise
            self._refresh()
            response = self._send_noting(send)
        except RequestErrorBase as exc:
            self._note(exc)
            raise
        return self._body(response)

    def _send_noting(self, send: Any) -> Response:
        try:
            return send()  # type: ignore[no-any-return]
        except RequestErrorBase as exc:
            self._note(exc)
            raise

    def _note(self, exc: RequestErrorBase) -> None:
        if exc.response is not None:
            self.rate_limit = _rate_limit(exc.response.headers) or self.rate_limit

    def _body(self, response: Response) -> dict[str, Any]:
        self.rate_limit = _rate_limit(response.headers) or self.rate_limit
        if not isinstance(response.content, dict):
            raise NetworkError(response)  # a 200 that is not JSON: a broken proxy
        return response.content


def source_error(exc: BaseException, source: str) -> SourceError:
    """An SDK exception (or ``LoginRefused``) as the error the poller acts on."""
    if isinstance(exc, LoginRefused):
        return AuthFailed(source, f"{exc}, then restart")
    if isinstance(exc, RateLimitExceededError):
        return RateLimited(source, exc.reset_at)
    if isinstance(exc, UnauthorizedError) or _error_name(exc) in _TOKEN_ERRORS:
        return AuthFailed(source, f"Bluesky refused the session ({_detail(exc)}): check "
                                  "BLUESKY_APP_PASSWORD, then restart")
    status = _status(exc)
    if isinstance(exc, NetworkError) or status is None or status >= 500:
        return SourceUnavailable(source, f"Bluesky unavailable: {_detail(exc)}")
    return SourceError(source, f"Bluesky refused the request: {_detail(exc)}")


def delivery_error(exc: BaseException) -> DeliveryError:
    """An SDK exception (or ``LoginRefused``) as the error the reply flow acts on."""
    if isinstance(exc, LoginRefused):
        return PermanentDelivery(str(exc))
    if isinstance(exc, RateLimitExceededError):
        retry = None
        if exc.reset_at is not None:
            retry = max(0.0, (exc.reset_at - datetime.now(UTC)).total_seconds())
        return DeliveryError("Bluesky rate-limited the reply", retry_after=retry)
    status = _status(exc)
    if isinstance(exc, NetworkError) or status is None or status >= 500:
        return DeliveryError(f"could not reach Bluesky: {_detail(exc)}")
    return PermanentDelivery(f"Bluesky refused the reply: {_detail(exc)}")
