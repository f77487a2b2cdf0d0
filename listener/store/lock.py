"""One poller per database: a singleton lock so a second replica doesn't poll the same sources.

    with acquire_singleton_lock(settings.database.url, "poller") as held:
        if not held:
            ... log "another firstreply is polling; standing by" and exit or wait

PostgreSQL: a session-level ``pg_try_advisory_lock`` on a dedicated connection, held for
the ``with`` block (a crashed holder's lock vanishes with its connection). SQLite: an
exclusive ``fcntl.flock`` on ``<db file>.<name>.lock`` beside the database (released by
the OS if the process dies). ``memory://`` is one process by definition: always held.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from listener.errors import StoreError
from listener.store.engine import normalise_url

__all__ = ["acquire_singleton_lock", "lock_key"]

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    digest = hashlib.blake2b(f"firstreply:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextlib.contextmanager
def acquire_singleton_lock(url: str, name: str) -> Iterator[bool]:
    """Try to take the lock ``name`` for the database at ``url``; yield whether we hold it.

    Never blocks: a ``False`` means another process holds it. Raises ``StoreError`` when
    the database cannot be reached.
    """
    if url.startswith("memory:"):
        yield True
        return
    url = normalise_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        with _pg_lock(url, name) as held:
            yield held
    elif backend == "sqlite":
        with _file_lock(_lock_path(url, name)) as held:
            yield held
    else:
        raise StoreError(f"no singleton lock for database backend {backend!r}")


@contextlib.contextmanager
def _pg_lock(url: str, name: str) -> Iterator[bool]:
    key = lock_key(name)
    engine = create_engine(url, poolclass=NullPool)
    try:
        conn = engine.connect()
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(f"cannot reach the database for the {name!r} lock: {exc}") from exc
    held = False
    try:
        held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()  # the lock is session-level: it outlives this transaction
        yield held
    finally:
        try:
            if held:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        except SQLAlchemyError:
            pass  # closing the connection releases it anyway
        finally:
            conn.close()
            engine.dispose()


def _lock_path(url: str, name: str) -> Path:
    database = make_url(url).database
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    if not database or database == ":memory:":
        # One in-memory database per process: a per-user temp file still stops a twin.
        return Path(tempfile.gettempdir()) / f"firstreply-{os.getuid()}.{safe}.lock"
    return Path(f"{os.path.abspath(database)}.{safe}.lock")


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
