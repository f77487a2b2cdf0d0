"""The database failing under the poller and dispatcher: locked, full, restarted.

Expected: a ``StoreError`` naming the cause (or a bounded wait), the cursor not moved, no
corruption (``PRAGMA integrity_check``), earlier rows intact, and recovery on the next tick.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event

from listener.domain import Author, Mention
from listener.errors import StoreError
from listener.ports import Store
from listener.store import open_store
from tests.reliability.rig import Rig, build_rig, fakes

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def mention(i: int, size: int = 100) -> Mention:
    return Mention(
        source="x",
        id=str(10_000 + i),
        text=f"@acme post {i} " + "x" * size,
        author=Author(id=f"u{i}", username=f"user{i}"),
        created_at=T0,
        brand="Acme",
    )


@contextmanager
def exclusive_lock(path: Path) -> Iterator[subprocess.Popen[str]]:
    """A second process holding ``BEGIN EXCLUSIVE`` on the file until we let go."""
    code = (
        "import sqlite3, sys\n"
        f"c = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
        "c.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "sys.stdin.readline()\n"
        "c.execute('COMMIT')\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    try:
        yield proc
    finally:
        if proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.write("\n")
            proc.stdin.flush()
        proc.wait(timeout=10)


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def test_a_short_lock_is_a_bounded_wait_then_the_write_lands(tmp_path: Path) -> None:
    path = tmp_path / "lock.db"
    store = open_store(f"sqlite:///{path}", create=True)
    try:
        store.add_mentions([mention(0)])
        with exclusive_lock(path) as holder:
            release_at = time.monotonic() + 1.0

            def release() -> None:
                while time.monotonic() < release_at:
                    time.sleep(0.05)
                assert holder.stdin is not None
                holder.stdin.write("\n")
                holder.stdin.flush()

            import threading

            t = threading.Thread(target=release)
            t.start()
            started = time.monotonic()
            assert store.add_mentions([mention(1)]) == 1  # waits on busy_timeout, then lands
            waited = time.monotonic() - started
            t.join()
        assert 0.5 < waited < 10
        assert store.counts().mentions == 2
    finally:
        store.close()
    assert integrity(path) == "ok"


@pytest.mark.slow
def test_a_long_lock_is_a_store_error_and_the_poller_keeps_its_cursor(rig: Rig) -> None:
    rig.x.seed_tweets(5)
    rig.cycle()
    cursor = rig.store.get_cursor("mentions:acme")
    rig.x.seed_tweets(7)
    path = Path(str(rig.settings.database.url).removeprefix("sqlite:///"))
    with exclusive_lock(path):
        started = time.monotonic()
        outcome = rig.poller.poll(rig.sources[0])
        waited = time.monotonic() - started
    assert outcome.status == "store_failed"
    assert outcome.error is not None
    assert "locked" in outcome.error
    assert waited < 15  # SQLite's busy_timeout (10 s), not forever
    assert rig.store.get_cursor("mentions:acme") == cursor
    assert rig.poller.poll(rig.sources[0]).ok  # the next tick recovers
    assert rig.store.counts().mentions == 12
    assert integrity(path) == "ok"


@contextmanager
def tiny_tmpfs(tmp_path: Path, size: str = "1m") -> Iterator[Path]:
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill_until_full(store: Store, start: int = 0) -> tuple[int, StoreError]:
    """Add 20 KB mentions until the store refuses; return how many it holds and the error."""
    for stored, i in enumerate(range(start, start + 10_000)):
        try:
            store.add_mentions([mention(i, size=20_000)])
        except StoreError as exc:
            return stored, exc
    raise AssertionError("never filled up")


def _check_full(path: Path, store: Store, stored: int, error: StoreError) -> None:
    assert "full" in str(error).lower(), error
    assert store.counts().mentions == stored  # what was committed is intact
    assert store.get_mention(("x", str(10_000))) is not None
    assert integrity(path) == "ok"


def test_disk_full_on_a_real_filesystem_is_a_clear_error(tmp_path: Path) -> None:
    with tiny_tmpfs(tmp_path) as mnt:
        path = mnt / "full.db"
        seedfile = tmp_path / "seed.db"
        open_store(f"sqlite:///{seedfile}", create=True).close()
        shutil.copyfile(seedfile, path)
        store = open_store(f"sqlite:///{path}")
        try:
            stored, error = fill_until_full(store)
            assert stored > 0
            _check_full(path, store, stored, error)
        finally:
            store.close()
        assert integrity(path) == "ok"


def test_database_full_via_max_page_count_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "capped.db"
    store = open_store(f"sqlite:///{path}", create=True)
    engine = store._engine  # type: ignore[attr-defined]
    pages = sqlite3.connect(path).execute("PRAGMA page_count").fetchone()[0]

    def cap(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count={int(pages) + 60}")

    event.listen(engine, "connect", cap)
    engine.dispose()
    try:
        stored, error = fill_until_full(store)
        assert stored > 0
        _check_full(path, store, stored, error)
        # A poll that hits the full database fails cleanly; the cursor stays.
    finally:
        store.close()
    assert integrity(path) == "ok"


def _pg_cluster() -> list[str]:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]


def _pg_ready(timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0:
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def own_pg_schema() -> Iterator[str]:
    """A schema of this test's own, on connections opened after the restart too: the
    session's shared schema fixture holds a connection the restart would kill."""
    import uuid

    from psycopg import sql

    from tests.conftest import PG_DB, PG_HOST, PG_PORT, _pg_connect

    conn, user = _pg_connect()
    schema = f"fr_restart_{uuid.uuid4().hex[:10]}"
    with conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    url = f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{PG_DB}?options=-csearch_path%3D{schema}"
    from listener.store import migrate

    migrate.upgrade(url)  # PostgreSQL is migrated by `db upgrade`, never on open
    yield url
    if not _pg_ready(30):
        subprocess.run([*_pg_cluster(), "start"], check=False, timeout=120)
        _pg_ready()
    conn, _ = _pg_connect()
    with conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_restart_mid_run_recovers_on_the_next_tick(own_pg_schema: str) -> None:
    postgres_url = own_pg_schema
    if shutil.which("pg_ctlcluster") is None:
        pytest.skip("no pg_ctlcluster here")
    x, slack = fakes()
    rig = build_rig(x, slack, postgres_url)
    try:
        x.seed_tweets(10, text="@{brand} my blender is broken #{i}")
        rig.cycle()
        assert rig.store.counts().mentions == 10
        x.seed_tweets(10, text="@{brand} refund please, order #{i} never arrived")
        try:
            subprocess.run([*_pg_cluster(), "restart"], check=True, timeout=120)
        finally:
            if not _pg_ready():
                subprocess.run([*_pg_cluster(), "start"], check=False, timeout=120)
        assert _pg_ready()
        # Pooled connections died with the server: the next tick must not care.
        for _ in range(3):
            try:
                rig.cycle()
                break
            except StoreError:
                time.sleep(0.5)
        rig.drain()
        assert rig.store.counts().mentions == 20
        assert rig.store.counts().alerts.get("sent") == 20
        assert len(slack.calls_to("chat.postMessage")) == 20
    finally:
        rig.close()
        x.stop()
        slack.stop()
        if not _pg_ready(5):
            subprocess.run([*_pg_cluster(), "start"], check=False, timeout=120)
