"""Alerts' response steps as integer microseconds: one row (``AlertTimes``) or a column
each for a whole period (``AlertColumns``).

A 90-day digest at 10,000 mentions a day measures ~375,000 alerts. As columns, a store
can hand them over without a Python object per alert and step (SQLite: one string per
column, parsed by numpy), and the response maths works on the arrays as they come.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from listener.domain import MentionKey

__all__ = ["NO_TIME", "AlertColumns", "AlertTimes", "Micros", "at_micros", "micros"]

Micros = npt.NDArray[np.int64]

#: A response step that has not happened (numpy's NaT as an integer).
NO_TIME = -(2**63)


class AlertTimes(NamedTuple):
    """One alerted mention's response steps, for response times and the SLA, in
    microseconds since the epoch (``micros``; ``NO_TIME``: not yet): exact arithmetic,
    in bulk."""

    key: MentionKey
    created_at: int
    sent_at: int
    claimed_at: int
    replied_at: int
    resolved_at: int


@dataclass(frozen=True, slots=True, eq=False)
class AlertColumns:
    """``AlertTimes`` of many alerts, a column each, in the order of ``keys``."""

    keys: Sequence[MentionKey]
    created_at: Micros
    sent_at: Micros
    claimed_at: Micros
    replied_at: Micros
    resolved_at: Micros

    @staticmethod
    def of(rows: Iterable[AlertTimes]) -> AlertColumns:
        got = list(rows)
        cols = [np.fromiter((r[i] for r in got), np.int64, len(got)) for i in range(1, 6)]
        return AlertColumns([r.key for r in got], *cols)

    def __len__(self) -> int:
        return len(self.keys)

    def rows(self) -> list[AlertTimes]:
        cols = (self.created_at, self.sent_at, self.claimed_at, self.replied_at,
                self.resolved_at)
        return list(map(AlertTimes, self.keys, *(c.tolist() for c in cols)))

    def in_history_order(self) -> AlertColumns:
        """By creation time, then key: these columns if they are, else sorted."""
        born, keys = self.created_at, self.keys
        step = np.diff(born)
        ties = np.flatnonzero(step == 0).tolist()
        if not (step < 0).any() and all(keys[i] <= keys[i + 1] for i in ties):
            return self
        order = sorted(range(len(keys)), key=lambda i: (int(born[i]), keys[i]))
        cols = (self.created_at, self.sent_at, self.claimed_at, self.replied_at,
                self.resolved_at)
        return AlertColumns([keys[i] for i in order], *(c[order] for c in cols))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AlertColumns) and self.rows() == other.rows()

    __hash__ = None  # type: ignore[assignment]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def micros(at: datetime) -> int:
    """Microseconds since the epoch (``at`` timezone-aware)."""
    return (at - _EPOCH) // _MICRO


def at_micros(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)
