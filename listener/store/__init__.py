"""Where firstreply keeps what it heard and decided: the ``Store`` port's implementations.

``open_store(url)`` picks one: ``memory://`` for dry runs and tests, ``sqlite:///path.db``
(the default) or ``postgresql+psycopg://user@host/db`` for real use. SQL databases are
migrated with Alembic (``firstreply db upgrade``); see ``SqlStore`` for ``create=True``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from listener.ports import Clock, Store
from listener.store.memory import MemoryStore

if TYPE_CHECKING:
    from listener.store.sql import SqlStore

__all__ = ["MemoryStore", "SqlStore", "open_store"]


def open_store(
    url: str,
    *,
    create: bool = False,
    clock: Clock | None = None,
    claim_ttl: timedelta = timedelta(minutes=5),
) -> Store:
    """The store behind ``url``; ``create=True`` migrates a SQL database to the newest schema."""
    if url.startswith("memory:"):
        return MemoryStore(claim_ttl=claim_ttl)
    # Imported here so that a memory-only dry run never loads SQLAlchemy.
    from listener.store.sql import SqlStore

    return SqlStore(url, create=create, clock=clock, claim_ttl=claim_ttl)


def __getattr__(name: str) -> object:
    if name == "SqlStore":
        from listener.store.sql import SqlStore

        return SqlStore
    raise AttributeError(name)
