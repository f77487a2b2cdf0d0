"""``firstreply backfill``: load history from a file or X's full archive, or replay it.

    firstreply backfill --file twcs.csv                 # classify + store, no alerts
    firstreply backfill --file twcs.csv --workers 4     # 4 writer processes (backfill_parallel)
    firstreply backfill --archive --query "@acme" --start 2026-01-01 --end 2026-02-01
    firstreply backfill --replay --start 2026-01-01     # what the current rules would send
    firstreply backfill --rejected                      # every input kept as unreadable
"""

from __future__ import annotations

import importlib.util
import logging
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from listener.cli.context import Components, components_from, settings_from
from listener.errors import FirstReplyError

if TYPE_CHECKING:
    from listener.backfill.batch import BackfillStats
    from listener.config import Settings
    from listener.ports import Store

log = logging.getLogger(__name__)

FORMAT_CHOICES = ("auto", "x-json", "x-jsonl", "twcs", "csv", "jsonl")


class _Batching(NamedTuple):
    """How to run it: batch sizes, Ray, and what builds the model."""

    batch_size: int
    buffer_size: int
    ray_actors: int = 0
    gpus_per_actor: float = 0.0
    components: Components = Components()
    #: ``--workers``: writer processes (``backfill_parallel``); 1 is this module's path.
    workers: int = 1
    worker_threads: int = 0
    spool_dir: Path | None = None


def register(app: typer.Typer) -> None:
    app.command("backfill")(backfill_cmd)


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    from listener.backfill.textio import parse_datetime

    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{exc} (use e.g. 2026-01-31 or 2026-01-31T09:00Z)",
                                 param_hint=option) from None


def backfill_cmd(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read this file.",
                                              exists=True, dir_okay=False)] = None,
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMAT_CHOICES)}.")]
    = "auto",
    archive: Annotated[bool, typer.Option("--archive", help="X full-archive search.")] = False,
    query: Annotated[str | None, typer.Option("--query", "-q", help="Archive query.")] = None,
    replay_: Annotated[bool, typer.Option("--replay", help="Replay stored history through "
                                          "the current rules; nothing is written.")] = False,
    rejected: Annotated[bool, typer.Option("--rejected", help="List the inputs kept as "
                                           "unreadable, with their reasons.")] = False,
    start: Annotated[str | None, typer.Option("--start", help="Window start (UTC).")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Window end (UTC).")] = None,
    brand: Annotated[str | None, typer.Option("--brand", help="Configured brand the mentions "
                                              "are about (files without one).")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask before spending.")] = False,
    confirm_above: Annotated[float, typer.Option(help="Ask first when the archive estimate "
                                                 "exceeds this many USD.")] = 5.0,
    alert: Annotated[bool, typer.Option("--alert", help="Queue Slack alerts as live would "
                                        "(default: none).")] = False,
    batch_size: Annotated[int | None, typer.Option(min=1, max=4096, help="Texts per model "
                                                   "batch (default: model.batch_size).")] = None,
    buffer_size: Annotated[int, typer.Option(min=1, help="Records sorted by length together "
                                             "(and checkpointed together).")] = 4096,
    resume: Annotated[bool, typer.Option("--resume/--restart", help="Continue from the "
                                         "checkpoint, or start over.")] = True,
    reclassify: Annotated[bool, typer.Option("--reclassify", help="Replay: score again "
                                             "instead of using stored scores.")] = False,
    ray_actors: Annotated[int, typer.Option(min=0, help="Classify on Ray Data with this many "
                                            "model actors (needs the distributed extra; "
                                            "RAY_ADDRESS picks a cluster). 0: in process.")]
    = 0,
    gpus_per_actor: Annotated[float, typer.Option(min=0, help="GPUs each Ray actor "
                                                  "reserves (1 = one model per GPU).")] = 0.0,
    workers: Annotated[int, typer.Option(min=1, max=64, help="--file: writer processes, each "
                                         "with a byte range of the file and its own model "
                                         "and database connection; one decision pass "
                                         "follows.")] = 1,
    worker_threads: Annotated[int, typer.Option(min=0, help="Torch threads per worker "
                                                "(0: cores / workers).")] = 0,
    spool_dir: Annotated[Path | None, typer.Option(help="Where workers leave scores for the "
                                                   "decision pass (default: the temp "
                                                   "folder).", file_okay=False)] = None,
) -> None:
    """Backfill history (file or X archive) without pinging anyone, or replay it."""
    modes = sum([file is not None, archive, replay_, rejected])
    if modes != 1:
        raise typer.BadParameter(
            "choose exactly one of --file, --archive, --replay or --rejected"
        )
    if fmt not in FORMAT_CHOICES:
        raise typer.BadParameter(f"choose one of {', '.join(FORMAT_CHOICES)}",
                                 param_hint="--format")
    settings = settings_from(ctx)
    components = components_from(ctx)
    console = Console()
    from listener.runtime import open_store_for

    store = open_store_for(settings, create=True)
    try:
        if rejected:
            _list_rejected(console, store)
            return
        if replay_:
            _replay(console, store, settings, components, _when(start, "--start"),
                    _when(end, "--end"), brand, reclassify)
            return
        if brand is not None and settings.brand(brand) is None:
            console.print(f"[yellow]![/] brand {brand!r} is not configured: default rules apply")
        size = batch_size or settings.model.batch_size
        sizes = _Batching(size, buffer_size, ray_actors, gpus_per_actor, components, workers,
                          worker_threads, spool_dir)
        if file is not None:
            _from_file(console, store, settings, file, fmt, brand, sizes, alert, resume)
        else:
            if not query:
                raise typer.BadParameter("--archive needs --query", param_hint="--query")
            s, e = _when(start, "--start"), _when(end, "--end")
            if s is None or e is None or s >= e:
                raise typer.BadParameter("--archive needs --start before --end")
            _from_archive(console, store, settings, query, s, e, brand, sizes, alert, resume,
                          yes, confirm_above)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]: everything stored so far is kept; run the same "
                      "command again to resume.")
        raise typer.Exit(130) from None
    finally:
        store.close()


def _list_rejected(console: Console, store: Store) -> None:
    kept = store.list_rejected()
    if not kept:
        console.print("no rejected inputs stored")
        return
    for r in kept:
        # Tab-separated lines for grep and cut; untrusted text, so not through rich.
        raw = _PLAIN.sub(" ", r.raw[:_RAW_SHOWN])
        typer.echo(f"{_PLAIN.sub(' ', r.source)}\t{_PLAIN.sub(' ', r.reason)}\t{raw}")
    typer.echo(f"{len(kept):,} rejected input(s)", err=True)


_RAW_SHOWN = 200
#: Tabs, newlines and other control characters, which would break a line of the list.
_PLAIN = re.compile(r"[\x00-\x1f\x7f]+")


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[mentions]:>9,} mentions"),
        TextColumn("{task.fields[rate]:>7.1f}/s"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def _run(console: Console, records: Any, *, store: Store, settings: Settings, total: float,
         by_count: bool, sizes: _Batching, alert: bool, checkpoint: Any,
         description: str) -> BackfillStats:
    from listener.backfill.batch import backfill
    from listener.decisions import DecisionEngine

    if sizes.ray_actors:
        if importlib.util.find_spec("ray") is None:
            raise FirstReplyError("--ray-actors needs Ray: pip install 'firstreply[distributed]'")
        from listener.backfill.distributed import backfill_distributed
    else:
        with console.status("loading the model…"):
            classifier = sizes.components.classifier(settings)
    began = time.perf_counter()
    with _progress(console) as bar:
        task = bar.add_task(description, total=total or None, mentions=0, rate=0.0)

        def on_progress(*, position: int, classified: int) -> None:
            rate = classified / max(time.perf_counter() - began, 1e-9)
            bar.update(task, completed=classified if by_count else position,
                       mentions=classified, rate=rate)

        if sizes.ray_actors:
            # Each actor builds the configured model itself; the driver only stores.
            stats = backfill_distributed(
                records, store=store, classifier_factory=sizes.components.model_factory(settings),
                decider=DecisionEngine.from_settings(settings),
                batch_size=sizes.batch_size,
                chunk_size=sizes.buffer_size, actors=sizes.ray_actors,
                num_gpus=sizes.gpus_per_actor, alert=alert, checkpoint=checkpoint,
                progress=on_progress)
        else:
            stats = backfill(records, store=store, classifier=classifier,
                             decider=DecisionEngine.from_settings(settings),
                             batch_size=sizes.batch_size,
                             buffer_size=sizes.buffer_size, alert=alert, checkpoint=checkpoint,
                             progress=on_progress)
        bar.update(task, completed=total or stats.classified)
    return stats


def _summary(console: Console, stats: BackfillStats, alert: bool) -> None:
    model_share = stats.classify_seconds / stats.seconds if stats.seconds else 0.0
    console.print(
        f"[green]✓[/] {stats.records:,} records: {stats.new_mentions:,} new mentions, "
        f"{stats.triaged:,} triaged, {stats.rejected:,} rejected (kept with their reason)"
    )
    if stats.rejected:
        for reason in stats.reject_reasons:
            console.print(f"  rejected: {reason}", markup=False, highlight=False)
        more = stats.rejected - len(stats.reject_reasons)
        console.print(("  … and " + f"{more:,} more; " if more > 0 else "  ")
                      + "all of them: firstreply backfill --rejected", markup=False)
    console.print(f"  {stats.rate:,.1f} mentions/s over {stats.seconds:,.1f} s; "
                  f"the model took {model_share:.0%} of it")
    if stats.triaged:
        share = stats.complaints / stats.triaged
        r = stats.routes
        console.print(f"  {stats.complaints:,} complaints ({share:.1%}); the current rules "
                      f"would have sent {r['alert']:,} alerts ({stats.urgent:,} urgent), "
                      f"{r['thread']:,} thread replies, {r['digest']:,} digest-only, "
                      f"{r['ignore']:,} ignored")
        top = ", ".join(f"{t} {n:,}" for t, n in stats.complaint_topics.most_common(5))
        if top:
            console.print(f"  top complaint themes: {top}")
    if alert:
        console.print(f"  {stats.alerts:,} alerts queued for Slack")
    else:
        console.print("  no alerts sent (use --alert to route them)")
    if stats.first_at is not None and stats.last_at is not None:
        first, last = f"{stats.first_at:%Y-%m-%d}", f"{stats.last_at:%Y-%m-%d}"
        # A stray old post can stretch the span to years: offer the last month at most.
        days = min((stats.last_at.date() - stats.first_at.date()).days + 1, 30)
        console.print(f"  per channel and day: firstreply backfill --replay --start {first} "
                      f"--end {stats.last_at + timedelta(days=1):%Y-%m-%d}")
        console.print(f"  a digest of it: firstreply digest --date {last} --days {days} "
                      f"-o backfill.html")


def _from_file(console: Console, store: Store, settings: Settings, path: Path, fmt: str,
               brand: str | None, sizes: _Batching, alert: bool, resume: bool) -> None:
    from listener.backfill.batch import clear_checkpoint, load_checkpoint, save_checkpoint
    from listener.backfill.readers import detect_format, open_records
    from listener.backfill.records import Position

    key = f"backfill:{path.resolve()}"
    kind = detect_format(path) if fmt == "auto" else fmt
    if sizes.workers > 1:
        from listener.cli.backfill_parallel import from_file_parallel

        from_file_parallel(console, store, settings, path, kind, brand, sizes, alert, resume)
        return
    parallel = (store.get_checkpoint(f"{key}:workers") or "").partition("|")[0]
    if resume and parallel:
        raise typer.BadParameter(f"this file's backfill was started with --workers {parallel}:"
                                 f" resume with --workers {parallel}, or start over with "
                                 "--restart", param_hint="--workers")
    if not resume:
        clear_checkpoint(store, key)
    start = load_checkpoint(store, key) if resume else None
    size = path.stat().st_size
    if start is not None and start.offset:
        if start.offset >= size:
            console.print(f"{path} was already backfilled; use --restart to read it again.")
            return
        console.print(f"resuming {path} at line {start.line + 1:,} "
                      f"({start.offset / max(size, 1):.0%})")
    brand_settings = settings.brand(brand) if brand else None
    try:
        with open_records(path, kind, start=start, brand=brand or "",  # type: ignore[arg-type]
                          handles=brand_settings.handles if brand_settings else ()) as records:
            stats = _run(console, records, store=store, settings=settings, total=size,
                         by_count=False, sizes=sizes, alert=alert,
                         checkpoint=lambda pos: save_checkpoint(store, key, pos),
                         description=f"{path.name} ({kind})")
    except (ValueError, OSError) as exc:
        raise FirstReplyError(f"cannot read {path}: {exc}") from exc
    # Trailing rows that yield nothing (brand tweets in twcs) leave the last checkpoint
    # short of the end; the whole file is done, so say so.
    save_checkpoint(store, key, Position(size, stats.last.line if stats.last else 0, 0))
    _summary(console, stats, alert)


def _from_archive(console: Console, store: Store, settings: Settings, query: str,
                  start: datetime, end: datetime, brand: str | None, sizes: _Batching,
                  alert: bool, resume: bool, yes: bool, confirm_above: float) -> None:
    from listener.backfill.archive import (
        ArchiveCheckpoint,
        ArchiveReader,
        checkpoint_key,
        estimate,
    )
    from listener.config import Secrets
    from listener.x.archive import ArchiveSearch

    secrets = Secrets.from_env()
    if secrets.x_bearer_token is None:
        raise FirstReplyError("X_BEARER_TOKEN is not set: full-archive search needs it")
    search = ArchiveSearch.from_settings(settings, secrets)
    key = checkpoint_key(query, start, end)
    saved = store.get_checkpoint(key) if resume else None
    checkpoint = ArchiveCheckpoint.decode(saved) if saved else None
    if checkpoint is not None and checkpoint.done:
        console.print("this query and window were already backfilled; use --restart to "
                      "read them again.")
        return
    cost = estimate(search, query, start, end)
    console.print(f"full-archive search for {query!r} from {start:%Y-%m-%d %H:%M} to "
                  f"{end:%Y-%m-%d %H:%M} UTC: {cost.describe()}")
    if checkpoint is not None:
        console.print("resuming from the saved checkpoint (part of that is already read)")
    if cost.usd > confirm_above and not yes and not typer.confirm("Go ahead?", default=False):
        raise typer.Exit(1)
    brand_settings = settings.brand(brand) if brand else None
    reader = ArchiveReader(search, query, start, end, brand=brand or "",
                           handles=brand_settings.handles if brand_settings else ())

    def save(pos: Any) -> None:
        store.set_checkpoint(key, reader.checkpoint_at(pos).encode(), datetime.now(UTC))

    stats = _run(console, reader.records(checkpoint), store=store, settings=settings,
                 total=cost.posts, by_count=True, sizes=sizes, alert=alert,
                 checkpoint=save, description="X archive")
    _summary(console, stats, alert)
    console.print(f"  {reader.read:,} posts read from X in {search.requests:,} requests "
                  f"(≈ ${reader.read * search.read_price:,.2f})")


def _replay(console: Console, store: Store, settings: Settings, components: Components,
            start: datetime | None, end: datetime | None, brand: str | None,
            reclassify: bool) -> None:
    from listener.backfill.replay import render_report, replay

    end = end or datetime.now(UTC)
    start = start or end - timedelta(days=30)
    classifier = None
    if reclassify:
        classifier = components.classifier(settings)
    with console.status("replaying…"):
        report = replay(store, settings, start, end, brand=brand, classifier=classifier)
    if report.scanned == 0:
        console.print(f"no stored mentions between {start:%Y-%m-%d} and {end:%Y-%m-%d}; "
                      "backfill some first (firstreply backfill --file …)")
        return
    console.print(render_report(report))
