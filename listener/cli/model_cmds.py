"""``firstreply classify | train | evaluate``: the model commands.

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


def read_rows(path: Path) -> Iterator[InputRow]:
    """Rows of a JSONL (``{"id", "text"}``) or CSV (``id,text``) file; bad lines go to stderr."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    if path.suffix.lower() == ".csv":
        yield from _read_csv(raw, path)
    else:
        yield from _read_jsonl(raw, path)


def _read_jsonl(raw: str, path: Path) -> Iterator[InputRow]:
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


def _read_csv(raw: str, path: Path) -> Iterator[InputRow]:
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
    try:
        rows = list(read_rows(input))
    except InputError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(code=2) from exc
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


def _require_train_extra(command: str) -> None:
    """``train``/``evaluate`` read corpora with pandas, which only the [train] extra installs."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        _err(
            f"error: `firstreply {command}` needs the training extra: "
            "pip install 'firstreply[train]' (adds pandas)"
        )
        raise typer.Exit(code=1) from None


def _holdouts(specs: list[str] | None) -> list[Any]:
    from classifiers.finetune_data import Holdout

    out = []
    for spec in specs or []:
        corpus, _, group = spec.partition(":")
        out.append(Holdout(corpus, group or None))
    return out


def train(
    data_dir: DataOpt = DEFAULT_DATA_DIR,
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to save the model.")] = Path(
        "models/triage"
    ),
    seed: Annotated[int, typer.Option(help="Random seed for splits, batches and heads.")] = 13,
    frozen: Annotated[
        bool,
        typer.Option(
            "--frozen", help="The v1 recipe: frozen encoder, linear heads only (minutes)."
        ),
    ] = False,
    steps: Annotated[
        int | None, typer.Option(min=1, help="Fine-tuning steps (default: the shipped recipe's).")
    ] = None,
    checkpoint_dir: Annotated[
        Path | None,
        typer.Option(help="Checkpoint folder; a rerun resumes there (default: OUTPUT-checkpoint)."),
    ] = None,
    device: Annotated[str, typer.Option(help="cpu, cuda or auto.")] = "cpu",
    threads: Annotated[int | None, typer.Option(min=1, help="torch CPU threads.")] = None,
    hold_out: Annotated[
        list[str] | None,
        typer.Option(help="Keep CORPUS or CORPUS:GROUP out of training, e.g. xfincorp:payments."),
    ] = None,
    feedback: Annotated[
        Path | None,
        typer.Option(
            help="(--frozen) JSONL of {text,label}; "
            "label: negative|neutral|positive|complaint|not_complaint."
        ),
    ] = None,
    encoder: Annotated[
        str | None, typer.Option(help="(--frozen) HF model id or local dir (default MiniLM-L6).")
    ] = None,
    evaluate: Annotated[bool, typer.Option(help="Also run the held-out evaluation.")] = True,
    without: Annotated[
        list[str] | None,
        typer.Option(help="(--frozen) Leave a corpus out (airline, cesamard, semeval, emotion)."),
    ] = None,
) -> None:
    """Train the triage model on the shared corpora and save it with its card.

    By default the encoder is fine-tuned with every head (multi-task LP-FT; about an hour
    on 2 CPU cores, progress and ETA on stderr, resumable from its checkpoint).
    """
    _require_train_extra("train")
    if not frozen:
        if feedback or encoder or without:
            _err("error: --feedback, --encoder and --without need --frozen")
            raise typer.Exit(code=2)
        _train_finetuned(
            data_dir, output, seed, steps, checkpoint_dir, device, threads, hold_out, evaluate
        )
        return
    from classifiers.train import TrainOptions
    from classifiers.workflow import train_and_save

    pairs: list[tuple[str, str]] = []
    if feedback:
        for line in feedback.read_text(encoding="utf-8").splitlines():
            if line.strip():
                obj = json.loads(line)
                pairs.append((str(obj["text"]), str(obj["label"])))
    result = train_and_save(
        data_dir,
        output,
        opts=TrainOptions(seed=seed, drop_corpora=tuple(without or ())),
        encoder=encoder,
        feedback=pairs,
        run_evaluation=evaluate,
        run_cross_domain=evaluate,
    )
    _print_metrics(result, as_json=False)
    _err(f"saved to {output}")


def _train_finetuned(
    data_dir: Path,
    output: Path,
    seed: int,
    steps: int | None,
    checkpoint_dir: Path | None,
    device: str,
    threads: int | None,
    hold_out: list[str] | None,
    evaluate: bool,
) -> None:
    import os
    from dataclasses import replace

    from classifiers.encoder import pick_device
    from classifiers.finetune import FinetuneOptions
    from classifiers.recipe import train_finetuned

    opts = replace(
        FinetuneOptions(),
        seed=seed,
        device=pick_device(device),
        threads=threads or os.cpu_count() or 1,
    )
    if steps is not None:
        opts = replace(opts, steps=steps)
    ckpt = checkpoint_dir or output.with_name(output.name + "-checkpoint")
    model = train_finetuned(
        data_dir, output, opts=opts, holdouts=_holdouts(hold_out), checkpoint_dir=ckpt
    )
    if evaluate:
        from classifiers.report import evaluate_and_record

        _print_metrics(evaluate_and_record(model, data_dir, output), as_json=False)
    else:
        _print_metrics(dict(model.config.training), as_json=False)
    _err(f"saved to {output} (checkpoint in {ckpt}; delete it once you keep the model)")


def evaluate(
    ctx: typer.Context,
    model: ModelOpt = None,
    data_dir: DataOpt = DEFAULT_DATA_DIR,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Held-out evaluation of a model on the shared corpora."""
    from classifiers.evaluate import evaluate_model

    triage = _load_model(model, None, ctx)
    _print_metrics(evaluate_model(triage, data_dir), as_json=as_json)


def _print_metrics(metrics: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(metrics, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="firstreply model evaluation")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in metrics.items():
        table.add_row(key, f"{value:.3f}" if isinstance(value, float) else str(value))
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``classify``, ``train`` and ``evaluate`` to the firstreply app."""
    app.command("classify")(classify)
    app.command("train")(train)
    app.command("evaluate")(evaluate)
