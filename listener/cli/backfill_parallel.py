"""``firstreply backfill --file F --workers N``: N writer processes, one decision pass.

The design and its guarantees are in ``listener.backfill.workers`` and docs/batch.md
("Parallel writers"); this module checks what cannot work, keeps the checkpoints (one
per shard, and the worker count the run was started with), and draws one progress bar.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from listener.cli.backfill_cmds import _Batching, _progress, _summary

if TYPE_CHECKING:
    from listener.backfill.batch import BackfillStats
    from listener.backfill.shards import Shard
    from listener.config import Settings
    from listener.ports import Store


def spool_dir(base: str, url: str, workers: int, chosen: Path | None) -> Path:
    """Where the workers leave their records and scores for the decision pass."""
    digest = hashlib.sha256(f"{base}|{url}|{workers}".encode()).hexdigest()[:16]
    root = chosen or Path(tempfile.gettempdir()) / "firstreply-backfill"
    return root / digest


def _refuse(message: str) -> typer.BadParameter:
    return typer.BadParameter(message, param_hint="--workers")


def _forget(store: Store, base: str, counts: set[int]) -> None:
    """Every checkpoint of this file's runs (one process, or ``counts`` shards)."""
    store.clear_checkpoint(base)
    store.clear_checkpoint(f"{base}:workers")
    for n in counts:
        for k in range(1, n + 1):
            store.clear_checkpoint(f"{base}:shard:{k}/{n}")


def from_file_parallel(console: Console, store: Store, settings: Settings, path: Path,
                       kind: str, brand: str | None, sizes: _Batching, alert: bool,
                       resume: bool) -> None:
    from listener.backfill.batch import load_checkpoint, save_checkpoint
    from listener.backfill.records import Position
    from listener.backfill.shards import Unsplittable, plan_shards

    n = sizes.workers
    url = settings.database.url
    if url.startswith("memory:"):
        raise _refuse("the workers need a database they share (PostgreSQL, or a SQLite "
                      "file); the memory store lives in one process: use --workers 1")
    if sizes.ray_actors:
        raise _refuse("--workers and --ray-actors do not combine: choose one")
    base = f"backfill:{path.resolve()}"
    manifest = f"{base}:workers"
    # "<workers>|<file size>": byte ranges and checkpoints hold only for the same both.
    recorded, _, recorded_size = (store.get_checkpoint(manifest) or "").partition("|")
    spools = spool_dir(base, url, n, sizes.spool_dir)
    if not resume:
        counts = {n} | ({int(recorded)} if recorded.isdigit() else set())
        _forget(store, base, counts)
        for c in counts:
            shutil.rmtree(spool_dir(base, url, c, sizes.spool_dir), ignore_errors=True)
        recorded = ""
    size = path.stat().st_size
    done = load_checkpoint(store, base)
    if done is not None and done.offset >= size:
        console.print(f"{path} was already backfilled; use --restart to read it again.")
        return
    if done is not None and done.offset and not recorded:
        raise _refuse("a --workers 1 run of this file stopped part way: resume it with "
                      "--workers 1, or start over with --restart")
    if recorded and recorded != str(n):
        raise _refuse(f"this file's backfill was started with --workers {recorded}: resume "
                      f"with --workers {recorded}, or start over with --restart")
    if recorded and recorded_size != str(size):
        raise _refuse(f"{path} changed since its backfill started ({recorded_size} bytes, now "
                      f"{size}): start over with --restart")
    try:
        shards = plan_shards(path, kind, n)
    except Unsplittable as exc:
        raise _refuse(str(exc)) from None
    store.set_checkpoint(manifest, f"{n}|{size}", _now())
    spools.mkdir(parents=True, exist_ok=True)
    stats = _run_parallel(console, store, settings, path, kind, brand, sizes, alert,
                          shards, spools)
    _forget(store, base, {n})
    # Done as a one-process run would be: any later run of this file says so.
    save_checkpoint(store, base, Position(size, shards[-1].end.line, 0))
    shutil.rmtree(spools, ignore_errors=True)
    _summary(console, stats, alert)
    console.print(f"  {len(shards)} workers ({', '.join(_mb(s) for s in shards)})")


def _mb(shard: Shard) -> str:
    return f"{shard.size / 1e6:.1f} MB"


def _now() -> datetime:
    return datetime.now(UTC)


def _run_parallel(console: Console, store: Store, settings: Settings, path: Path, kind: str,
                  brand: str | None, sizes: _Batching, alert: bool, shards: list[Shard],
                  spools: Path) -> BackfillStats:
    from classifiers.model import ModelSpec
    from listener.backfill.workers import Job, WorkerFailed, merge, run_parallel, shard_key
    from listener.decisions import DecisionEngine, Rulebook

    base = f"backfill:{path.resolve()}"
    brand_settings = settings.brand(brand) if brand else None
    threads = sizes.worker_threads or max(1, (os.cpu_count() or 1) // len(shards))
    factory = sizes.components.model_factory(settings)
    if isinstance(factory, ModelSpec) and not factory.threads:
        # The encoder sets torch's thread count when it loads: give it each worker's share.
        factory = dataclasses.replace(factory, threads=threads)
    jobs = [
        Job(path=str(path), kind=kind, shard=s, url=settings.database.url, factory=factory,
            spool=str(spools / f"shard-{s.index + 1}-of-{s.count}.spool"),
            key=shard_key(base, s), brand=brand or "",
            handles=tuple(brand_settings.handles) if brand_settings else (),
            batch_size=sizes.batch_size, buffer_size=sizes.buffer_size, threads=threads,
            rules=Rulebook.from_settings(settings))
        for s in shards
    ]
    size = path.stat().st_size
    began = time.perf_counter()
    name = f"{path.name} ({kind}, {len(jobs)} workers)"
    with _progress(console) as bar:
        task = bar.add_task(name, total=size or None, mentions=0, rate=0.0)

        def on_progress(position: int, classified: int, decided: int) -> None:
            rate = classified / max(time.perf_counter() - began, 1e-9)
            bar.update(task, completed=position, mentions=classified, rate=rate,
                       description=f"{name}, {decided:,} decided")

        try:
            decided, counts = run_parallel(jobs, store=store,
                                           engine=DecisionEngine.from_settings(settings),
                                           buffer_size=sizes.buffer_size, alert=alert,
                                           writers=len(jobs), progress=on_progress)
        except WorkerFailed as exc:
            raise WorkerFailed(f"{exc}; everything stored so far is kept: run the same "
                               "command again to resume") from None
        bar.update(task, completed=size, description=f"{name}, {decided.mentions:,} decided")
    return merge(decided, counts, count=len(jobs), seconds=time.perf_counter() - began)
