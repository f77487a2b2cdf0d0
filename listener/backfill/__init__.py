"""Batch mode: backfill history from files or X's full archive, and replay it.

``open_records`` streams a file as ``Record``s; ``backfill`` classifies them in large
length-sorted batches and stores them idempotently, resumable from a checkpoint;
``replay`` runs stored history through the current rules and reports what would have
alerted; ``history_rows`` flattens stored history for analysis.
"""

from __future__ import annotations

from listener.backfill.batch import (
    BackfillStats,
    backfill,
    clear_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from listener.backfill.history import history_rows
from listener.backfill.readers import FORMATS, detect_format, open_records
from listener.backfill.records import Position, Record
from listener.backfill.replay import ReplayReport, ReplayRow, render_report, replay, replay_history

__all__ = [
    "FORMATS",
    "BackfillStats",
    "Position",
    "Record",
    "ReplayReport",
    "ReplayRow",
    "backfill",
    "clear_checkpoint",
    "detect_format",
    "history_rows",
    "load_checkpoint",
    "open_records",
    "render_report",
    "replay",
    "replay_history",
    "save_checkpoint",
]
