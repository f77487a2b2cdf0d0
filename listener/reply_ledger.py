"""Remembers which public replies were posted, in the store, so a restart never repeats one.

``XReplier`` dedupes on an idempotency key; with a plain dict that memory dies with the
process, and a Slack submission replayed after a restart would post a second public
reply. ``ReplyLedger`` keeps key -> reply URL through the store's cursor table (a small
durable key-value map already migrated on every store), under a ``reply:`` namespace that
no mention source uses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, MutableMapping

from listener.ports import Clock, CursorRepo

_PREFIX = "reply:"


class ReplyLedger(MutableMapping[str, str]):
    def __init__(self, *, store: CursorRepo, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    @staticmethod
    def _slot(key: str) -> str:
        # Keys embed a text hash and can be long; the cursor column holds 128 characters.
        return _PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()

    def __getitem__(self, key: str) -> str:
        value = self._store.get_cursor(self._slot(key))
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: str) -> None:
        self._store.set_cursor(self._slot(key), value, self._clock.now())

    def __delitem__(self, key: str) -> None:
        raise TypeError("a posted reply cannot be forgotten")

    def __iter__(self) -> Iterator[str]:
        raise TypeError("the ledger is looked up by key only")

    def __len__(self) -> int:
        raise TypeError("the ledger is looked up by key only")
