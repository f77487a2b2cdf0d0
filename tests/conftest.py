"""Shared fixtures: one ``store`` parametrised over every implementation of the port.

``store`` runs a test on the memory store, a fresh SQLite file and PostgreSQL (a schema
of its own per test session, emptied before each test). PostgreSQL at 127.0.0.1:5432 is
skipped when unreachable, except under ``CI`` where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from listener.ports import Store
from listener.store import MemoryStore

if TYPE_CHECKING:
    import psycopg

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_DB = "test"
PG_USERS = ("postgres", "root")


@pytest.fixture
def memory_store() -> Iterator[MemoryStore]:
    store = MemoryStore()
    yield store
    store.close()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, migrated once and copied for each test."""
    from listener.store import migrate

    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    """URL of a fresh, migrated SQLite file in the test's tmp_path."""
    path = tmp_path / "firstreply.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite:///{path}"


def _pg_connect() -> tuple[psycopg.Connection[Any], str]:
    import psycopg

    errors = []
    for user in PG_USERS:
        try:
            conn = psycopg.connect(
                host=PG_HOST, port=PG_PORT, user=user, dbname=PG_DB, connect_timeout=3,
                autocommit=True,
            )
        except psycopg.Error as exc:
            errors.append(f"{user}: {str(exc).strip()}")
            continue
        return conn, user
    reason = f"PostgreSQL at {PG_HOST}:{PG_PORT}/{PG_DB} unreachable ({'; '.join(errors)})"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def _postgres_schema() -> Iterator[str]:
    """A migrated schema of this session's own; dropped at the end."""
    from psycopg import sql

    from listener.store import migrate

    conn, user = _pg_connect()
    schema = f"fr_test_{uuid.uuid4().hex[:12]}"
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    url = (
        f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{PG_DB}"
        f"?options=-csearch_path%3D{schema}"
    )
    try:
        migrate.upgrade(url)
        yield url
    finally:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        conn.close()


@pytest.fixture
def postgres_url(_postgres_schema: str) -> str:
    """URL of the session's migrated PostgreSQL schema, emptied for this test."""
    from listener.store.engine import make_engine
    from listener.store.tables import metadata

    engine = make_engine(_postgres_schema)
    try:
        with engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
    finally:
        engine.dispose()
    return _postgres_schema


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """Each implementation of the ``Store`` port in turn."""
    from listener.store import open_store

    if request.param == "memory":
        s: Store = MemoryStore()
    else:
        s = open_store(request.getfixturevalue(f"{request.param}_url"))
    yield s
    s.close()
