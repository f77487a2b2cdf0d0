"""Engines configured the way firstreply needs them, for SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from listener.store.codec import dumps_clean

__all__ = ["display_url", "is_new_sqlite", "make_engine", "normalise_url", "sqlite_file"]

def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3, the driver firstreply ships."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def display_url(url: str) -> str:
    """``url`` with its password masked, for messages and logs."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: show only its scheme
        return url.partition("://")[0] + "://…"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for another database or SQLite in memory."""
    try:
        parsed = make_url(normalise_url(url))
    except Exception:
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):  # URI filenames: leave them to SQLite
        return None
    return Path(database)


def is_new_sqlite(url: str) -> bool:
    """A SQLite database that does not exist yet (a file not there, or in memory).

    Creating one at the newest schema migrates nothing, so the composition root does it
    without asking; an existing database is only ever migrated by ``firstreply db upgrade``.
    """
    try:
        parsed = make_url(normalise_url(url))
    except Exception:
        return False
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    if database in ("", ":memory:"):
        return True
    if database.startswith("file:"):  # URI filenames: leave them to `db upgrade`
        return False
    return not Path(database).exists()


#: A history reader maps up to 1 GiB of a SQLite file into memory.
_MAP_PRAGMA = "PRAGMA mmap_size=1073741824"


def make_engine(url: str, *, map_file: bool = False) -> Engine:
    """``map_file``: a reader of months of history (the digest). SQLite then reads the
    file through a memory map instead of a read() per page: a 90-day digest of 555,600
    mentions spent 5.7 of its 11.9 s in the kernel copying pages. Writers keep reading
    by read(): mapped pages would count in their resident memory."""
    url = normalise_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = create_engine(url, json_serializer=dumps_clean)
        event.listen(engine, "connect", _sqlite_pragmas)
        if map_file:
            event.listen(engine, "connect", _map_file)
        return engine
    if backend == "postgresql":
        return create_engine(url, json_serializer=dumps_clean, pool_pre_ping=True)
    raise ValueError(f"unsupported database URL {display_url(url)!r}")


def _map_file(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    try:
        cur.execute(_MAP_PRAGMA)
    finally:
        cur.close()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the Slack app read while the poller writes; busy_timeout makes a second
    # writer wait instead of failing at once; SQLite leaves foreign keys off by default.
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
    finally:
        cur.close()
