"""The brand's public reply on Bluesky: ``listener.ports.PublicReplier`` over
``com.atproto.repo.createRecord``.

A reply is an ``app.bsky.feed.post`` record whose ``reply.parent`` is a strong ref (URI
and CID) to the post answered and ``reply.root`` the thread's first post (the parent's
own root, else the parent). ``@handle`` mentions in the text become mention facets (the
answered author's DID is known; other handles are resolved, and a handle that does not
resolve stays plain text), links and tags get their facets too, as the Bluesky app does.

Refused before any request: text over 300 graphemes (Bluesky's limit, counted as user
-perceived characters: an emoji with modifiers is one) or 3000 bytes, empty text, a post
whose thread gate refuses replies. Idempotency as on X: ``memory`` (the store's reply
ledger at runtime) maps an idempotency key to the reply's URL; a repeated key returns it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, MutableMapping
from typing import Any

import regex
from atproto import models
from atproto_client.exceptions import BadRequestError
from atproto_client.models.utils import get_model_as_dict
from atproto_client.utils import facet_detection
from atproto_core.exceptions import AtProtocolError

from listener.bluesky.client import BlueskyClient, delivery_error
from listener.bluesky.mapping import POST_COLLECTION, SOURCE, post_id, post_uri, post_url
from listener.domain import Mention
from listener.errors import DeliveryError, PermanentDelivery
from listener.ports import Clock, SystemClock

__all__ = ["MAX_BYTES", "MAX_GRAPHEMES", "BlueskyReplier", "graphemes"]

log = logging.getLogger(__name__)

#: app.bsky.feed.post#text: maxGraphemes 300, maxLength 3000 (bytes of UTF-8).
MAX_GRAPHEMES = 300
MAX_BYTES = 3000


def graphemes(text: str) -> int:
    """User-perceived characters (Unicode extended grapheme clusters, UAX #29)."""
    return len(regex.findall(r"\X", text))


def _strong_ref(value: object) -> dict[str, str] | None:
    if (isinstance(value, Mapping) and isinstance(value.get("uri"), str)
            and isinstance(value.get("cid"), str) and value["cid"]):
        return {"uri": value["uri"], "cid": value["cid"]}
    return None


class BlueskyReplier:
    def __init__(self, *, client: BlueskyClient, memory: MutableMapping[str, str] | None = None,
                 clock: Clock | None = None) -> None:
        """``client`` is logged in as the brand's own account (``bluesky.login``)."""
        self._client = client
        self._memory: MutableMapping[str, str] = {} if memory is None else memory
        self._clock = clock or SystemClock()
        self._lock = threading.Lock()

    def cost_warning(self, mention: Mention, text: str) -> str | None:
        return None  # posting on Bluesky is free

    def check(self, mention: Mention, text: str) -> tuple[dict[str, str], dict[str, str]]:
        """The (root, parent) strong refs of a reply, or ``PermanentDelivery`` saying why
        Bluesky would refuse it."""
        if mention.source != SOURCE:
            raise PermanentDelivery(f"{mention.url or mention.id} is not a Bluesky post")
        if not mention.addresses_brand:
            raise PermanentDelivery(f"{mention.url}: the author's thread gate refuses "
                                    "replies from this account; reply on Bluesky if allowed")
        if not text.strip():
            raise PermanentDelivery("empty reply text")
        count = graphemes(text)
        if count > MAX_GRAPHEMES or len(text.encode()) > MAX_BYTES:
            raise PermanentDelivery(
                f"the reply is {count} characters long; Bluesky allows {MAX_GRAPHEMES}: "
                "shorten it"
            )
        raw = mention.raw
        parent = _strong_ref({"uri": raw.get("uri") or post_uri(mention.id),
                              "cid": raw.get("cid")})
        if parent is None:
            raise PermanentDelivery(f"{mention.url}: the post's CID was not kept; reply on "
                                    "Bluesky directly")
        record = raw.get("record")
        reply = record.get("reply") if isinstance(record, Mapping) else None
        root = _strong_ref(reply.get("root")) if isinstance(reply, Mapping) else None
        return root or parent, parent

    def reply(self, mention: Mention, text: str, *, idempotency_key: str) -> str:
        root, parent = self.check(mention, text)
        with self._lock:
            done = self._memory.get(idempotency_key)
            if done is not None:
                log.info("reply %s already posted: %s", idempotency_key, done)
                return done
            try:
                record: dict[str, Any] = {
                    "$type": POST_COLLECTION,
                    "text": text,
                    "createdAt": self._clock.now().isoformat().replace("+00:00", "Z"),
                    "reply": {"root": root, "parent": parent},
                }
                facets = self._facets(text, mention)
                if facets:
                    record["facets"] = facets
                if mention.lang:
                    record["langs"] = [mention.lang]
                body = self._client.procedure(
                    "com.atproto.repo.createRecord",
                    models.ComAtprotoRepoCreateRecord.Data(
                        repo=self._client.did, collection=POST_COLLECTION, record=record),
                )
            except AtProtocolError as exc:
                raise delivery_error(exc) from exc
            new_id = post_id(str(body.get("uri", "")))
            if new_id is None:
                raise DeliveryError(f"Bluesky answered without the new post's URI: {body!r}")
            url = post_url(self._client.login, new_id)
            self._memory[idempotency_key] = url
        log.info("replied to %s as %s", mention.id, url)
        return url

    def _facets(self, text: str, mention: Mention) -> list[dict[str, Any]]:
        facets = [get_model_as_dict(f) for f in facet_detection.detect_facets(text)]
        known = {mention.author.username.lower(): mention.author.id} if mention.author.username \
            else {}
        for match in facet_detection.detect_mentions(text):
            handle = match.handle.lower()
            if handle not in known:
                known[handle] = self._resolve(handle)
            did = known[handle]
            if did:
                facets.append({
                    "$type": "app.bsky.richtext.facet",
                    "index": {"byteStart": match.byte_start, "byteEnd": match.byte_end},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}],
                })
        return sorted(facets, key=lambda f: int(f["index"]["byteStart"]))

    def _resolve(self, handle: str) -> str:
        try:
            body = self._client.query("com.atproto.identity.resolveHandle",
                                      models.ComAtprotoIdentityResolveHandle.Params(handle=handle))
        except BadRequestError:
            return ""  # not a handle anyone has: the text stays plain
        did = body.get("did")
        return did if isinstance(did, str) else ""
