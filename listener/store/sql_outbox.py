"""The outbox half of ``SqlStore``: claiming due alerts and recording how delivery went.

Delivery is at-least-once. ``due_alerts`` claims rows with one ``UPDATE ... RETURNING``
that moves ``next_attempt_at`` to the end of a lease; on PostgreSQL the rows are picked
with ``FOR UPDATE SKIP LOCKED``, so concurrent dispatchers never block on or share a row;
SQLite serialises writers anyway. A dispatcher that dies mid-send leaves its claim to
expire, and the alert is sent again: a rare duplicate, never a lost alert.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from listener import lifecycle
from listener.domain import (
    Alert,
    AlertKind,
    AlertStatus,
    DeliveryState,
    MentionKey,
    SlackRef,
)
from listener.errors import StoreError
from listener.store.codec import alert_row, clean_text, row_to_alert
from listener.store.rollup import refresh_status
from listener.store.tables import alerts, mentions

__all__ = ["SqlOutbox", "db_error"]

_OPEN_STATES = (DeliveryState.PENDING.value, DeliveryState.RETRYING.value)


def db_error(what: str, exc: SQLAlchemyError) -> StoreError:
    """A ``StoreError`` naming the driver's complaint, without the SQL or its parameters."""
    detail = exc.orig if isinstance(exc, DBAPIError) else exc
    return StoreError(f"{what}: {type(detail).__name__}: {str(detail).strip().splitlines()[0]}")


class SqlOutbox:
    """Shared plumbing and the ``Outbox`` methods; ``SqlStore`` adds the rest."""

    _engine: Engine
    _dialect: str
    claim_ttl: timedelta

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with self._engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise db_error("database write failed", exc) from exc

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise db_error("database read failed", exc) from exc

    def _insert(self, table: Table) -> Any:
        """The dialect's INSERT, which knows ``ON CONFLICT``."""
        if self._dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    def _update_alert(self, alert_id: int, *, copied: bool = False, **values: Any) -> None:
        """``copied``: the change may be to a time its mention keeps a copy of (0008)."""
        with self._write() as conn:
            done = conn.execute(update(alerts).where(alerts.c.id == alert_id).values(**values))
            if done.rowcount == 0:
                raise StoreError(f"no alert with id {alert_id}")
            if copied:
                self._refresh_mention(conn, alert_id)

    def _refresh_mention(self, conn: Connection, alert_id: int) -> None:
        """The copies of its primary alert on the mention ``alert_id`` is about."""
        about = conn.execute(
            select(alerts.c.source, alerts.c.mention_id, alerts.c.kind)
            .where(alerts.c.id == alert_id)
        ).one()
        if about.kind == AlertKind.ALERT.value:
            refresh_status(conn, self._insert, [(about.source, about.mention_id)])

    def _one_alert(self, q: Any) -> Alert | None:
        with self._read() as conn:
            row = conn.execute(q.limit(1)).first()
        return row_to_alert(row._mapping) if row else None

    # -- Outbox ---------------------------------------------------------------------------

    def due_alerts(self, now: datetime, limit: int) -> list[Alert]:
        due = (
            alerts.c.state.in_(_OPEN_STATES),
            or_(alerts.c.next_attempt_at.is_(None), alerts.c.next_attempt_at <= now),
        )
        # A CTE, not a plain sub-select: PostgreSQL may re-run a sub-select per row and
        # overshoot the LIMIT, while a FOR UPDATE CTE is evaluated exactly once.
        pick = (
            select(alerts.c.id)
            .where(*due)
            .order_by(alerts.c.created_at, alerts.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # rendered on PostgreSQL only
            .cte("picked")
        )
        # ``due`` is repeated outside the CTE: under READ COMMITTED PostgreSQL re-checks
        # it on rows another dispatcher updated meanwhile.
        claim = (
            update(alerts)
            .where(alerts.c.id.in_(select(pick.c.id)), *due)
            .values(next_attempt_at=now + self.claim_ttl)
            .returning(*alerts.c)
        )
        with self._write() as conn:
            claimed = [row_to_alert(r._mapping) for r in conn.execute(claim)]
        return sorted(claimed, key=lambda a: (a.created_at or now, a.id or 0))

    def enqueue(self, alerts_: Sequence[Alert], now: datetime) -> list[int]:
        ids: list[int] = []
        with self._write() as conn:
            for a in alerts_:
                row = conn.execute(
                    alerts.insert().values(alert_row(a, now)).returning(alerts.c.id)
                ).scalar_one()
                ids.append(int(row))
            # A first alert of kind "alert" gives its mention a primary status.
            refresh_status(conn, self._insert,
                           [a.mention for a in alerts_ if a.kind is AlertKind.ALERT])
        return ids

    def get_alert(self, alert_id: int) -> Alert | None:
        return self._one_alert(select(alerts).where(alerts.c.id == alert_id))

    def begin_attempt(self, alert_id: int, now: datetime) -> bool:
        with self._write() as conn:
            started = conn.execute(
                select(alerts.c.attempt_started_at).where(alerts.c.id == alert_id)
            ).first()
            if started is None:
                raise StoreError(f"no alert with id {alert_id}")
            cut_off = started[0] is not None
            conn.execute(
                update(alerts)
                .where(alerts.c.id == alert_id)
                .values(
                    attempt_started_at=now,
                    interrupted=alerts.c.interrupted + (1 if cut_off else 0),
                )
            )
        return cut_off

    def outbox_rows(self, state: DeliveryState | None, limit: int) -> list[Alert]:
        q = select(alerts)
        if state is not None:
            q = q.where(alerts.c.state == state.value)
        with self._read() as conn:
            rows = conn.execute(q.order_by(alerts.c.id.desc()).limit(limit))
            return [row_to_alert(r._mapping) for r in rows]

    def revive(self, alert_ids: Sequence[int] | None, now: datetime) -> list[int]:
        dead = alerts.c.state == DeliveryState.DEAD.value
        where = [dead] if alert_ids is None else [dead, alerts.c.id.in_(list(alert_ids))]
        again = (
            update(alerts)
            .where(*where)
            .values(
                state=DeliveryState.PENDING.value,
                attempts=0,
                next_attempt_at=None,
                attempt_started_at=None,
            )
            .returning(alerts.c.id)
        )
        with self._write() as conn:
            return sorted(int(i) for i in conn.execute(again).scalars())

    def mark_sent(self, alert_id: int, ref: SlackRef, now: datetime) -> None:
        self._update_alert(
            alert_id,
            copied=True,
            attempt_started_at=None,
            state=DeliveryState.SENT.value,
            attempts=alerts.c.attempts + 1,
            sent_at=now,
            next_attempt_at=None,
            slack_channel=ref.channel,
            slack_ts=ref.ts,
        )

    def mark_failed(
        self, alert_id: int, error: str, now: datetime, retry_at: datetime | None
    ) -> None:
        state = DeliveryState.RETRYING if retry_at is not None else DeliveryState.DEAD
        self._update_alert(
            alert_id,
            attempt_started_at=None,
            state=state.value,
            attempts=alerts.c.attempts + 1,
            last_error=clean_text(error),
            next_attempt_at=retry_at,
        )

    def defer_alert(self, alert_id: int, until: datetime) -> None:
        self._update_alert(alert_id, next_attempt_at=until, attempt_started_at=None)

    def alert_for(self, key: MentionKey) -> Alert | None:
        q = select(alerts).where(alerts.c.source == key[0], alerts.c.mention_id == key[1])
        return self._one_alert(q.order_by(alerts.c.id))

    def alert_for_conversation(self, brand: str, conversation_id: str) -> Alert | None:
        q = (
            select(alerts)
            .join(
                mentions,
                (mentions.c.source == alerts.c.source) & (mentions.c.id == alerts.c.mention_id),
            )
            .where(
                mentions.c.conversation_id == conversation_id,
                mentions.c.brand == brand,
                alerts.c.kind == AlertKind.ALERT.value,
            )
            .order_by(alerts.c.id)
        )
        return self._one_alert(q)

    def alerts_in_channel_since(self, channel: str, since: datetime) -> int:
        q = select(func.count()).where(
            alerts.c.channel == channel,
            alerts.c.kind == AlertKind.ALERT.value,
            alerts.c.created_at >= since,
        )
        with self._read() as conn:
            return int(conn.execute(q).scalar_one())

    def dead_alerts(self, limit: int = 100) -> list[Alert]:
        q = (
            select(alerts)
            .where(alerts.c.state == DeliveryState.DEAD.value)
            .order_by(alerts.c.id.desc())
            .limit(limit)
        )
        with self._read() as conn:
            return [row_to_alert(r._mapping) for r in conn.execute(q)]

    def set_status(
        self, alert_id: int, status: AlertStatus, user: str | None, now: datetime
    ) -> bool:
        values: dict[str, Any] = {"status": status.value, "status_changed_at": now}
        # The digest measures time to claim and to first reply: keep the first of each.
        if status in (AlertStatus.CLAIMED, AlertStatus.REPLIED):
            values["claimed_at"] = func.coalesce(alerts.c.claimed_at, now)
        if status is AlertStatus.REPLIED:
            values["replied_at"] = func.coalesce(alerts.c.replied_at, now)
        if status is AlertStatus.RESOLVED:
            values["resolved_at"] = now
        if user is not None:
            values["claimed_by"] = user
        sources = sorted(s.value for s in lifecycle.sources_of(status))
        # Compare-and-set: one statement, so of two racing clicks only one matches.
        move = (
            update(alerts)
            .where(alerts.c.id == alert_id, alerts.c.status.in_(sources))
            .values(**values)
        )
        with self._write() as conn:
            if conn.execute(move).rowcount == 1:
                self._refresh_mention(conn, alert_id)
                return True
            exists = conn.execute(select(alerts.c.id).where(alerts.c.id == alert_id)).first()
        if exists is None:
            raise StoreError(f"no alert with id {alert_id}")
        return False
