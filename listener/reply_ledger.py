"""Remembers which public replies were posted, in the store, so a restart never repeats one.

Repliers dedupe on an idempotency key; with a plain dict that memory dies with the
process, and a Slack submission replayed after a restart would post a second public
reply. ``ReplyLedger`` keeps key -> reply URL in the store's reply ledger (its own table
since revision 0004), keyed by the key's sha256 (keys embed a text hash and can be long).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, MutableMapping

from listener.ports import Clock, ReplyLedgerRepo

__all__ = ["ReplyLedger"]


class ReplyLedger(MutableMapping[str, str]):
    def __init__(self, *, store: ReplyLedgerRepo, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    @staticmethod
    def _slot(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    def __getitem__(self, key: str) -> str:
        value = self._store.reply_for(self._slot(key))
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: str) -> None:
        self._store.record_reply(self._slot(key), value, self._clock.now())

    def __delitem__(self, key: str) -> None:
        raise TypeError("a posted reply cannot be forgotten")

    def __iter__(self) -> Iterator[str]:
        raise TypeError("the ledger is looked up by key only")

    def __len__(self) -> int:
        raise TypeError("the ledger is looked up by key only")
