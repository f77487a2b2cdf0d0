"""Where firstreply keeps what it heard and decided: the ``Store`` port's implementations.

``open_store(url)`` picks one: ``memory://`` for dry runs and tests, ``sqlite:///path.db``
(the default) or ``postgresql+psycopg://user@host/db`` for real use.

One rule for opening, every command: ``create=True`` makes a SQLite database that does
not exist yet (a missing file, or one in memory) at the current schema; ``create=False``
creates nothing (a missing SQLite file is ``StoreMissing``, and no empty file is left
behind). An existing database, and any PostgreSQL database, must already be at the
current schema: only ``firstreply db upgrade`` (``listener.store.migrate``) migrates or
creates one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from listener.errors import StoreMissing
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
    map_file: bool = False,
) -> Store:
    """The store behind ``url``, opened by the rule in the module docstring;
    ``map_file``: a reader of long history (``engine.make_engine``)."""
    if url.startswith("memory:"):
        return MemoryStore(claim_ttl=claim_ttl)
    # Imported here so that a memory-only dry run never loads SQLAlchemy.
    from listener.store.engine import display_url, is_new_sqlite, sqlite_file
    from listener.store.sql import SqlStore

    path = sqlite_file(url)
    if path is not None and not path.exists() and not create:
        raise StoreMissing(
            f"no database at {display_url(url)} yet: `firstreply run` (or `db upgrade`) "
            "creates it"
        )
    create = create and is_new_sqlite(url)

    return SqlStore(url, create=create, clock=clock, claim_ttl=claim_ttl, map_file=map_file)


def __getattr__(name: str) -> object:
    if name == "SqlStore":
        from listener.store.sql import SqlStore

        return SqlStore
    raise AttributeError(name)
