"""Alembic, driven from code: the migration scripts live in ``listener/store/migrations``.

No ``alembic.ini`` is needed; ``firstreply db upgrade`` (or ``upgrade(url)``) brings a
database to the newest revision, and ``SqlStore`` refuses an older one unless it was
opened with ``create=True``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from listener.errors import StoreError
from listener.store.engine import display_url, make_engine

T = TypeVar("T")

__all__ = [
    "current",
    "current_revision",
    "downgrade",
    "has_tables",
    "head",
    "upgrade",
    "upgrade_engine",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The connection travels in attributes, not as a URL option: a URL may hold a
    # password and '%' characters that Config would try to interpolate.
    cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def head() -> str:
    """The newest revision the code knows (the scripts are read once per process)."""
    rev = ScriptDirectory.from_config(_config()).get_current_head()
    assert rev is not None
    return rev


def has_tables(engine: Engine) -> bool:
    """Whether the database holds any table (one that was never migrated may)."""
    from sqlalchemy import inspect

    return bool(inspect(engine).get_table_names())


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        command.upgrade(_config(conn), revision)


def upgrade(url: str, revision: str = "head") -> str | None:
    """Migrate the database at ``url`` to ``revision``; return its revision afterwards."""

    def run(engine: Engine) -> str | None:
        upgrade_engine(engine, revision)
        return current_revision(engine)

    return _with_engine(url, run)


def downgrade(url: str, revision: str) -> str | None:
    """Migrate the database at ``url`` back to ``revision``; return its revision afterwards."""

    def run(engine: Engine) -> str | None:
        with engine.begin() as conn:
            command.downgrade(_config(conn), revision)
        return current_revision(engine)

    return _with_engine(url, run)


def current(url: str) -> str | None:
    """The database's revision, or None for a database never migrated."""
    return _with_engine(url, current_revision)


def _with_engine(url: str, run: Callable[[Engine], T]) -> T:
    with _as_store_error(url):
        engine = make_engine(url)
        try:
            return run(engine)
        finally:
            engine.dispose()


@contextmanager
def _as_store_error(url: str) -> Iterator[None]:
    try:
        yield
    except (SQLAlchemyError, CommandError, ValueError) as exc:
        detail = getattr(exc, "orig", None) or exc
        first = str(detail).strip().splitlines()[0] if str(detail).strip() else ""
        raise StoreError(
            f"migrating {display_url(url)} failed: {type(detail).__name__}: {first}"
        ) from exc
