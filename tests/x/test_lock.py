"""The singleton lock: a second replica must not poll the same sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from listener.store.lock import acquire_singleton_lock, lock_key

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_sqlite_lock_file_is_exclusive(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fr.db'}"
    with acquire_singleton_lock(url, "poller") as first:
        assert first
        with acquire_singleton_lock(url, "poller") as second:
            assert not second
        with acquire_singleton_lock(url, "digest") as other_name:
            assert other_name
        assert (tmp_path / "fr.db.poller.lock").exists()
    with acquire_singleton_lock(url, "poller") as again:
        assert again  # released on exit


def test_memory_store_is_always_held() -> None:
    with acquire_singleton_lock("memory://", "poller") as held:
        assert held


def test_lock_key_is_stable_and_signed_64_bit() -> None:
    assert lock_key("poller") == lock_key("poller") != lock_key("digest")
    assert -(2**63) <= lock_key("poller") < 2**63


def _postgres_up() -> bool:
    try:
        import psycopg

        psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=2
        ).close()
    except Exception:
        return False
    return True


@pytest.mark.postgres
@pytest.mark.skipif(not _postgres_up(), reason="PostgreSQL not reachable at 127.0.0.1:5432")
def test_postgres_advisory_lock_is_exclusive_across_connections() -> None:
    with acquire_singleton_lock(PG_URL, "x-test-poller") as first:
        assert first
        with acquire_singleton_lock(PG_URL, "x-test-poller") as second:
            assert not second
    with acquire_singleton_lock(PG_URL, "x-test-poller") as again:
        assert again
