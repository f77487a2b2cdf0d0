"""The small records of ``SqlStore``: cursors, backfill checkpoints, the reply ledger,
feedback labels, the digest ledger. Each is a table of its own (revision 0004 took the
checkpoints and replies out of the cursors table)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select

from listener.domain import Feedback
from listener.ports import StoreCounts
from listener.store.codec import clean_text
from listener.store.sql_outbox import SqlOutbox
from listener.store.tables import (
    alerts,
    checkpoints,
    cursors,
    feedback,
    mentions,
    rejected,
    replies,
    sent_digests,
)

__all__ = ["SqlRecords"]


class SqlRecords(SqlOutbox):
    """``CursorRepo``, ``CheckpointRepo``, ``ReplyLedgerRepo``, ``FeedbackRepo`` and
    ``DigestRepo`` on SQL, and the counts of ``status``; ``SqlStore`` adds mentions and
    triage."""

    # -- CursorRepo -----------------------------------------------------------------------

    def get_cursor(self, source: str) -> str | None:
        with self._read() as conn:
            return conn.execute(
                select(cursors.c.since_id).where(cursors.c.source == source)
            ).scalar_one_or_none()

    def set_cursor(self, source: str, since_id: str, now: datetime) -> None:
        stmt = self._insert(cursors).values(source=source, since_id=since_id, updated_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=["source"], set_={"since_id": since_id, "updated_at": now}
        )
        with self._write() as conn:
            conn.execute(stmt)

    # -- FeedbackRepo ---------------------------------------------------------------------

    def add_feedback(self, fb: Feedback) -> None:
        with self._write() as conn:
            conn.execute(
                feedback.insert().values(
                    source=fb.mention[0],
                    mention_id=fb.mention[1],
                    label=clean_text(fb.label),
                    user_id=clean_text(fb.user),
                    note=clean_text(fb.note),
                    created_at=fb.created_at,
                )
            )

    def list_feedback(self, since: datetime | None = None) -> list[Feedback]:
        q = select(feedback).order_by(feedback.c.created_at, feedback.c.pk)
        if since is not None:
            q = q.where(feedback.c.created_at >= since)
        with self._read() as conn:
            return [
                Feedback(
                    mention=(r.source, r.mention_id),
                    label=r.label,
                    user=r.user_id,
                    created_at=r.created_at,
                    note=r.note,
                )
                for r in conn.execute(q)
            ]

    # -- DigestRepo -----------------------------------------------------------------------

    def digest_sent(self, brand: str, day: date) -> bool:
        q = select(sent_digests.c.brand).where(
            sent_digests.c.brand == brand, sent_digests.c.day == day
        )
        with self._read() as conn:
            return conn.execute(q).first() is not None

    def mark_digest_sent(self, brand: str, day: date, ref_json: str, now: datetime) -> bool:
        stmt = (
            self._insert(sent_digests)
            .values(brand=brand, day=day, ref=clean_text(ref_json), sent_at=now)
            .on_conflict_do_nothing(index_elements=["brand", "day"])
            .returning(sent_digests.c.brand)
        )
        with self._write() as conn:
            return conn.execute(stmt).first() is not None

    # -- CheckpointRepo -------------------------------------------------------------------

    def get_checkpoint(self, key: str) -> str | None:
        with self._read() as conn:
            return conn.execute(
                select(checkpoints.c.value).where(checkpoints.c.key == key)
            ).scalar_one_or_none()

    def set_checkpoint(self, key: str, value: str, now: datetime) -> None:
        stmt = self._insert(checkpoints).values(key=key, value=clean_text(value), updated_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"], set_={"value": clean_text(value), "updated_at": now}
        )
        with self._write() as conn:
            conn.execute(stmt)

    def clear_checkpoint(self, key: str) -> None:
        with self._write() as conn:
            conn.execute(delete(checkpoints).where(checkpoints.c.key == key))

    # -- ReplyLedgerRepo ------------------------------------------------------------------

    def reply_for(self, key: str) -> str | None:
        with self._read() as conn:
            return conn.execute(
                select(replies.c.url).where(replies.c.key == key)
            ).scalar_one_or_none()

    def record_reply(self, key: str, url: str, now: datetime) -> bool:
        stmt = (
            self._insert(replies)
            .values(key=key, url=clean_text(url), posted_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(replies.c.key)
        )
        with self._write() as conn:
            return conn.execute(stmt).first() is not None

    # -- status ---------------------------------------------------------------------------

    def counts(self) -> StoreCounts:
        with self._read() as conn:

            def count(q: Any) -> int:
                return int(conn.execute(q).scalar_one())

            by_state = {
                str(state): int(n)
                for state, n in conn.execute(
                    select(alerts.c.state, func.count()).group_by(alerts.c.state)
                )
            }
            return StoreCounts(
                mentions=count(select(func.count()).select_from(mentions)),
                rejected=count(select(func.count()).select_from(rejected)),
                pending_triage=count(
                    select(func.count())
                    .select_from(mentions)
                    .where(mentions.c.triaged_at.is_(None))
                ),
                alerts=by_state,
                feedback=count(select(func.count()).select_from(feedback)),
            )
