"""The brand's public reply on X: ``listener.ports.PublicReplier`` over ``create_tweet``.

Since 2026-02 X lets self-serve apps reply only to posts that @mention or quote the
replying account, so a mention with ``addresses_brand=False`` is refused here, before any
request ("reply manually on X").

Idempotency: ``memory`` maps an idempotency key to the URL of the reply it produced. A
repeated key returns that URL instead of posting twice. The default is a per-process
dict; pass any ``MutableMapping[str, str]`` (a ``shelve``, a store-backed mapping) to
survive restarts. A lock makes check-post-remember atomic within the process.

Each brand replies as its own account: with ``account`` (an ``XAccount``: whom the
user-context credentials belong to, asked once with ``GET /2/users/me``), a replier
refuses to answer for a brand whose handles do not include that account, rather than
post as someone else.

Failures are ``DeliveryError`` (retry may help: 429 with ``retry_after``, 5xx, network)
or ``PermanentDelivery`` (refused: not addressed, another brand's account, 403, 401, 400).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import MutableMapping, Sequence
from datetime import UTC, datetime

import requests
import tweepy

from listener.config import XPrices
from listener.domain import Mention
from listener.errors import DeliveryError, PermanentDelivery
from listener.x.pricing import reply_cost_warning

__all__ = ["XAccount", "XReplier"]

log = logging.getLogger(__name__)


class XAccount:
    """The X account the user-context credentials belong to, asked for once."""

    def __init__(self, client: tweepy.Client) -> None:
        self._client = client
        self._username: str | None = None
        self._lock = threading.Lock()

    def username(self) -> str:
        with self._lock:
            if self._username is None:
                try:
                    response = self._client.get_me(user_auth=True)
                except tweepy.HTTPException as exc:
                    raise PermanentDelivery(
                        f"X refused the user credentials (HTTP {exc.response.status_code})"
                    ) from exc
                except requests.RequestException as exc:
                    raise DeliveryError(f"could not reach X: {exc}") from exc
                data = getattr(response, "data", None)
                # tweepy parses ``data`` into a User (attributes); a raw response is JSON.
                name = getattr(data, "username", None) or _data(response).get("username")
                if not isinstance(name, str) or not name:
                    raise DeliveryError("X did not say whose the user credentials are")
                self._username = name
            return self._username


class XReplier:
    def __init__(
        self,
        *,
        client: tweepy.Client,
        handle: str,
        memory: MutableMapping[str, str] | None = None,
        prices: XPrices | None = None,
        account: XAccount | None = None,
        handles: Sequence[str] = (),
    ) -> None:
        """``client`` must carry user-context credentials (``build_user_client``);
        ``handle`` is the replying account's username (the brand's own), for the URL;
        with ``account``, replies go out only if it is ``handle`` or one of ``handles``."""
        self._client = client
        self._handle = handle.lstrip("@")
        self._handles = {h.lstrip("@").lower() for h in (handle, *handles)}
        self._account = account
        self._prices = prices
        self._memory: MutableMapping[str, str] = {} if memory is None else memory
        self._lock = threading.Lock()

    def cost_warning(self, mention: Mention, text: str) -> str | None:
        return reply_cost_warning(text, self._prices)

    def reply(self, mention: Mention, text: str, *, idempotency_key: str) -> str:
        if not mention.addresses_brand:
            raise PermanentDelivery(
                f"{mention.url or mention.id} does not @mention or quote @{self._handle}: "
                "X refuses API replies to it; reply manually on X"
            )
        if not text.strip():
            raise PermanentDelivery("empty reply text")
        handle = self._handle
        if self._account is not None:
            handle = self._account.username()
            if handle.lower() not in self._handles:
                brand = mention.brand or "this brand"
                raise PermanentDelivery(
                    f"the X user credentials are @{handle}'s, not {brand}'s "
                    f"(@{self._handle}): reply on X directly"
                )
        with self._lock:
            done = self._memory.get(idempotency_key)
            if done is not None:
                log.info("reply %s already posted: %s", idempotency_key, done)
                return done
            tweet_id = self._post(mention, text)
            url = f"https://x.com/{handle}/status/{tweet_id}"
            self._memory[idempotency_key] = url
        log.info("replied to %s as %s", mention.id, url)
        return url

    def _post(self, mention: Mention, text: str) -> str:
        try:
            response = self._client.create_tweet(
                text=text, in_reply_to_tweet_id=mention.id, user_auth=True
            )
        except tweepy.TooManyRequests as exc:
            retry = None
            if exc.reset_time:
                retry = max(0.0, exc.reset_time - datetime.now(UTC).timestamp())
            raise DeliveryError("X rate-limited the reply", retry_after=retry) from exc
        except tweepy.TwitterServerError as exc:
            raise DeliveryError(f"X server error HTTP {exc.response.status_code}") from exc
        except tweepy.HTTPException as exc:  # 400, 401, 403: retrying will not help
            detail = "; ".join(str(m) for m in exc.api_messages) or str(exc)
            raise PermanentDelivery(
                f"X refused the reply (HTTP {exc.response.status_code}): {detail}"
            ) from exc
        except requests.RequestException as exc:
            raise DeliveryError(f"could not reach X: {exc}") from exc
        data = _data(response)
        tweet_id = data.get("id")
        if not isinstance(tweet_id, str):
            raise DeliveryError(f"X answered without a post id: {data!r}")
        return tweet_id


def _data(response: object) -> dict[str, object]:
    """``data`` of tweepy's ``Response`` (namedtuple) or of a raw ``requests.Response``."""
    if isinstance(response, requests.Response):
        payload = response.json()
        return dict(payload.get("data") or {})
    data = getattr(response, "data", None)
    return dict(data) if isinstance(data, dict) else {}
