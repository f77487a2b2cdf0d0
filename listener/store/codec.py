"""Domain values <-> table rows, and the cleaning every store applies at its boundary.

Text is cleaned the same way in every store, so the contract suite can hold them to one
behaviour: NUL characters are removed (PostgreSQL's ``text`` and JSON cannot hold them
and they carry no meaning in a post) and lone UTF-16 surrogates, which a truncated
emoji in a JSON payload can produce and no UTF-8 database accepts, become U+FFFD.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from listener.domain import (
    Alert,
    AlertKind,
    AlertStatus,
    Author,
    DeliveryState,
    Mention,
    MentionKey,
    Priority,
    Rejected,
    Route,
    Scores,
    SlackRef,
    Verdict,
)
from listener.store.compact import (
    pack_embedding,
    pack_payload,
    pack_reasons,
    pack_scores,
    unpack_embedding,
    unpack_payload,
    unpack_reasons,
    unpack_scores,
)

__all__ = [
    "DIGEST_COPIES",
    "alert_row",
    "clean_json",
    "clean_mention",
    "clean_rejected",
    "clean_text",
    "digest_copies",
    "dumps_clean",
    "mention_row",
    "payload_context",
    "rejected_key",
    "rejected_row",
    "row_to_alert",
    "row_to_mention",
    "row_to_scores",
    "row_to_verdict",
    "scores_row",
    "verdict_row",
]


def _dirty(value: str) -> bool:
    if "\x00" in value:
        return True
    if value.isascii():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def clean_text(value: str) -> str:
    """``value`` without NUL characters and with lone surrogates replaced (same object if clean)."""
    if not _dirty(value):
        return value
    value = value.replace("\x00", "")
    # Through UTF-16: split surrogate pairs are joined, lone ones become U+FFFD.
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _json_dirty(value: Any) -> bool:
    if isinstance(value, str):
        return _dirty(value)
    if isinstance(value, Mapping):
        return any(_dirty(str(k)) or _json_dirty(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_json_dirty(v) for v in value)
    return False


#: How JSON columns are written: compact, and UTF-8 rather than ``\u`` escapes.
_dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


def _dirty_json(text: str) -> bool:
    # NUL is escaped as \u0000 by dumps (a literal backslash-u0000 in a string also trips
    # this, harmlessly); lone surrogates are left in and fail UTF-8 encoding.
    return "\\u0000" in text or _dirty(text)


def clean_json(value: Any) -> Any:
    """A JSON-like value with every string (keys included) passed through ``clean_text``.

    Returns ``value`` itself when nothing needs cleaning: the common case costs one
    ``json.dumps`` (in C; a walk in Python cost more than the rest of storing a mention).
    """
    try:
        text = _dumps(value)
    except (TypeError, ValueError):  # not plain JSON: walk it instead
        return _rebuild(value) if _json_dirty(value) else value
    return _rebuild(value) if _dirty_json(text) else value


def dumps_clean(value: Any) -> str:
    """The JSON columns' serializer: what ``clean_json`` keeps, dumped in one pass.

    Cleaning here covers every JSON column at the cost of the ``dumps`` the driver
    needs anyway; only a dirty value is walked and dumped a second time.
    """
    text = _dumps(value)
    return _dumps(_rebuild(value)) if _dirty_json(text) else text


def _rebuild(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_text(str(k)): _rebuild(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rebuild(v) for v in value]
    return value


def _clean_opt(value: str | None) -> str | None:
    return None if value is None else clean_text(value)


def clean_mention(m: Mention) -> Mention:
    """``m`` with its strings cleaned; ``m`` itself when they all are clean already."""
    a = m.author
    texts = (m.source, m.id, m.text, a.id, a.username, a.name, a.verified_type, m.brand,
             m.url, m.found_by, m.conversation_id or "", m.in_reply_to_id or "",
             m.quoted_id or "", m.lang or "")
    if not any(_dirty(t) for t in texts) and clean_json(m.raw) is m.raw:
        return m
    author = Author(
        id=clean_text(a.id),
        username=clean_text(a.username),
        name=clean_text(a.name),
        followers=a.followers,
        verified_type=clean_text(a.verified_type),
    )
    return dataclasses.replace(
        m,
        source=clean_text(m.source),
        id=clean_text(m.id),
        text=clean_text(m.text),
        author=author,
        brand=clean_text(m.brand),
        conversation_id=_clean_opt(m.conversation_id),
        in_reply_to_id=_clean_opt(m.in_reply_to_id),
        quoted_id=_clean_opt(m.quoted_id),
        lang=_clean_opt(m.lang),
        url=clean_text(m.url),
        found_by=clean_text(m.found_by),
        raw=clean_json(m.raw),
    )


def payload_context(r: Mapping[Any, Any]) -> bytes:
    """The strings of a ``mentions`` row its payload is compressed against (0009).

    What a payload repeats, so it costs a back-reference: the text last, where deflate
    finds it cheapest. Only columns no statement ever updates: changing one would leave
    the payload undecodable.
    """
    parts = (r["id"], r["author_id"], r["author_username"], r["author_name"], r["text"])
    return "\x00".join(parts).encode("utf-8")


def mention_row(m: Mention, received_at: datetime) -> dict[str, Any]:
    """The ``mentions`` row of an already cleaned mention."""
    a = m.author
    row: dict[str, Any] = {
        "source": m.source,
        "id": m.id,
        "text": m.text,
        "author_id": a.id,
        "author_username": a.username,
        "author_name": a.name,
        "author_followers": a.followers,
        "author_verified_type": a.verified_type,
        "created_at": m.created_at,
        "brand": m.brand,
        "conversation_id": m.conversation_id,
        "in_reply_to_id": m.in_reply_to_id,
        "quoted_id": m.quoted_id,
        "lang": m.lang,
        "url": m.url,
        "addresses_brand": m.addresses_brand,
        "found_by": m.found_by,
        "received_at": received_at,
    }
    row["payload"] = pack_payload(m.raw, payload_context(row))
    return row


def row_to_mention(r: Mapping[Any, Any]) -> Mention:
    return Mention(
        source=r["source"],
        id=r["id"],
        text=r["text"],
        author=Author(
            id=r["author_id"],
            username=r["author_username"],
            name=r["author_name"],
            followers=r["author_followers"],
            verified_type=r["author_verified_type"],
        ),
        created_at=r["created_at"],
        brand=r["brand"],
        conversation_id=r["conversation_id"],
        in_reply_to_id=r["in_reply_to_id"],
        quoted_id=r["quoted_id"],
        lang=r["lang"],
        url=r["url"],
        addresses_brand=bool(r["addresses_brand"]),
        found_by=r["found_by"],
        raw=unpack_payload(r["payload"], payload_context(r)),
    )


def scores_row(key: MentionKey, s: Scores) -> dict[str, Any]:
    return {
        "source": key[0],
        "mention_id": key[1],
        "packed": pack_scores(s),  # its strings cleaned by dumps_clean
        "embedding": pack_embedding(s.embedding),
    }


def row_to_scores(packed: bytes, embedding: bytes | None) -> Scores:
    return dataclasses.replace(unpack_scores(packed), embedding=unpack_embedding(embedding))


#: The ``mentions`` columns that copy what the digest counts by (revision 0006).
DIGEST_COPIES = ("topic", "is_complaint", "negative", "model", "urgency", "priority",
                 "incident_id")


def digest_copies(s: Scores, v: Verdict) -> dict[str, Any]:
    """The values of ``DIGEST_COPIES`` for a mention triaged with ``s`` and ``v``."""
    return {
        "topic": s.topic,
        "is_complaint": s.is_complaint,
        "negative": s.sentiment == "negative",
        "model": s.model,
        "urgency": s.urgency,
        "priority": int(v.priority),
        "incident_id": v.incident_id,
    }


def rejected_key(r: Rejected) -> str:
    """Identifies a kept input: its source, reason (which names the line) and text.

    A resumed backfill reads the lines after its last checkpoint again; the key keeps
    their rejects from being stored twice (revision 0006).
    """
    h = hashlib.sha256()
    for part in (r.source, r.reason, r.raw):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def clean_rejected(r: Rejected) -> Rejected:
    return dataclasses.replace(
        r, source=clean_text(r.source), reason=clean_text(r.reason), raw=clean_text(r.raw)
    )


def rejected_row(r: Rejected) -> dict[str, Any]:
    r = clean_rejected(r)
    return {
        "source": r.source,
        "reason": r.reason,
        "raw": r.raw,
        "received_at": r.received_at,
        "key": rejected_key(r),
    }


def verdict_row(v: Verdict) -> dict[str, Any]:
    return {
        "source": v.mention[0],
        "mention_id": v.mention[1],
        "actionable": v.actionable,
        "priority": int(v.priority),
        "route": v.route.value,
        "channel": v.channel,
        "reasons": pack_reasons(v.reasons),  # cleaned by dumps_clean
        "incident_id": v.incident_id,
        "thread_of_source": v.thread_of[0] if v.thread_of else None,
        "thread_of_id": v.thread_of[1] if v.thread_of else None,
        "decided_at": v.decided_at,
    }


def row_to_verdict(r: Mapping[Any, Any]) -> Verdict:
    thread_of = (
        (r["thread_of_source"], r["thread_of_id"]) if r["thread_of_source"] is not None else None
    )
    return Verdict(
        mention=(r["source"], r["mention_id"]),
        actionable=bool(r["actionable"]),
        priority=Priority(r["priority"]),
        route=Route(r["route"]),
        channel=r["channel"],
        reasons=unpack_reasons(r["reasons"]),
        decided_at=r["decided_at"],
        incident_id=r["incident_id"],
        thread_of=thread_of,
    )


def alert_row(a: Alert, created_at: datetime) -> dict[str, Any]:
    """The ``alerts`` row of a new outbox entry (its id is assigned by the database)."""
    return {
        "source": a.mention[0],
        "mention_id": a.mention[1],
        "channel": a.channel,
        "kind": a.kind.value,
        "state": a.state.value,
        "attempts": a.attempts,
        "created_at": a.created_at or created_at,
        "next_attempt_at": a.next_attempt_at,
        "last_error": None if a.last_error is None else clean_text(a.last_error),
        "sent_at": a.sent_at,
        "slack_channel": a.slack.channel if a.slack else None,
        "slack_ts": a.slack.ts if a.slack else None,
        "thread_channel": a.thread.channel if a.thread else None,
        "thread_ts": a.thread.ts if a.thread else None,
        "status": a.status.value,
        "claimed_by": a.claimed_by,
        "status_changed_at": None,
        "claimed_at": a.claimed_at,
        "replied_at": a.replied_at,
        "resolved_at": a.resolved_at,
        "attempt_started_at": a.attempt_started_at,
        "interrupted": a.interrupted,
    }


def row_to_alert(r: Mapping[Any, Any]) -> Alert:
    slack = SlackRef(r["slack_channel"], r["slack_ts"]) if r["slack_ts"] is not None else None
    thread = SlackRef(r["thread_channel"], r["thread_ts"]) if r["thread_ts"] is not None else None
    return Alert(
        mention=(r["source"], r["mention_id"]),
        channel=r["channel"],
        kind=AlertKind(r["kind"]),
        id=r["id"],
        state=DeliveryState(r["state"]),
        attempts=r["attempts"],
        created_at=r["created_at"],
        next_attempt_at=r["next_attempt_at"],
        last_error=r["last_error"],
        sent_at=r["sent_at"],
        slack=slack,
        thread=thread,
        status=AlertStatus(r["status"]),
        claimed_by=r["claimed_by"],
        claimed_at=r["claimed_at"],
        replied_at=r["replied_at"],
        resolved_at=r["resolved_at"],
        attempt_started_at=r["attempt_started_at"],
        interrupted=r["interrupted"],
    )
