"""Fixtures the SQL store tests share: one store per backend (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from listener.store.sql import SqlStore


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
def sql_store(sql_url: str) -> Iterator[SqlStore]:
    s = SqlStore(sql_url)
    yield s
    s.close()
