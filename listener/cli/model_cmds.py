"""``firstreply classify``: score a file of posts (training commands: ``train_cmds``).

torch, transformers and the classifiers' heavy modules are imported inside the
commands, so ``firstreply --help`` stays fast.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from classifiers.model import TriageModel

logger = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path("../shared/data")


@dataclass(frozen=True, slots=True)
class InputRow:
    id: str
    text: str


class InputError(Exception):
    """The input file cannot be read at all."""


def _err(message: str) -> None:
    typer.echo(message, err=True)


def read_rows(path: Path, skipped: list[int] | None = None) -> Iterator[InputRow]:
    """Rows of a JSONL (``{"id", "text"}``) or CSV (``id,text``) file; bad lines go to stderr.

    The line number of every skipped line is appended to ``skipped`` when given.
    """
    skipped = [] if skipped is None else skipped
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    if path.suffix.lower() == ".csv":
        yield from _read_csv(raw, path, skipped)
    else:
        yield from _read_jsonl(raw, path, skipped)


def _read_jsonl(raw: str, path: Path, skipped: list[int]) -> Iterator[InputRow]:
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                raise ValueError('expected an object with a string "text"')
            yield InputRow(str(obj.get("id", number)), obj["text"])
        except ValueError as exc:
            _err(f"{path}:{number}: skipped malformed line: {exc}")
            skipped.append(number)


def _read_csv(raw: str, path: Path, skipped: list[int]) -> Iterator[InputRow]:
    reader = csv.reader(io.StringIO(raw, newline=""))
    header = next(reader, None)
    if header is None or "text" not in header:
        raise InputError(f"{path}: CSV needs a header with columns id,text")
    id_col = header.index("id") if "id" in header else None
    text_col = header.index("text")
    for row in reader:
        number = reader.line_num
        if len(row) != len(header):
            _err(
                f"{path}:{number}: skipped malformed line: "
                f"{len(row)} fields, expected {len(header)}"
            )
            skipped.append(number)
            continue
        yield InputRow(row[id_col] if id_col is not None else str(number), row[text_col])


def _settings(ctx: typer.Context | None) -> Any:
    """The listener settings (``--config`` on the root command, or the defaults)."""
    if ctx is None:
        return None
    from listener.cli.context import settings_from

    return settings_from(ctx)


def _load_model(
    model: Path | None, batch_size: int | None, ctx: typer.Context | None
) -> TriageModel:
    from classifiers.model import load

    settings = _settings(ctx)
    path: str | Path | None = model
    device = "auto"
    if settings is not None:
        path = path or settings.model.path
        device = settings.model.device
        batch_size = batch_size or settings.model.batch_size
    return load(path, device=device, batch_size=batch_size or 64)


ModelOpt = Annotated[
    Path | None, typer.Option("--model", "-m", help="Model directory (default: shipped model).")
]
DataOpt = Annotated[Path, typer.Option("--data-dir", help="Folder holding the shared corpora.")]


def classify(
    ctx: typer.Context,
    input: Annotated[Path, typer.Argument(help="JSONL ({id,text} per line) or CSV (id,text).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="JSONL output (default stdout).")
    ] = None,
    model: ModelOpt = None,
    batch_size: Annotated[int | None, typer.Option("--batch-size", min=1)] = None,
) -> None:
    """Score every post of INPUT and write one JSON line per post, in input order."""
    skipped: list[int] = []
    try:
        rows = list(read_rows(input, skipped))
    except InputError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(code=2) from exc
    if skipped and not rows:
        _err(f"error: {input}: no line could be read (see the reasons above); nothing classified")
        raise typer.Exit(code=1)
    triage = _load_model(model, batch_size, ctx)
    chunk = max(256, batch_size or 256)
    out = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        from rich.progress import Progress

        with Progress(transient=True, disable=len(rows) < 1000, console=_stderr_console()) as bar:
            task = bar.add_task("classifying", total=len(rows))
            for start in range(0, len(rows), chunk):
                part = rows[start : start + chunk]
                scores = triage.predict([r.text for r in part])
                for row, score in zip(part, scores, strict=True):
                    out.write(
                        json.dumps({"id": row.id, **score.to_dict()}, ensure_ascii=False) + "\n"
                    )
                bar.advance(task, len(part))
    finally:
        if output:
            out.close()


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add ``classify`` to the firstreply app."""
    app.command("classify")(classify)
