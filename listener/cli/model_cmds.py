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
    from classifiers.finetune_data import Holdout
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
    holdouts = [Holdout.parse(h) for h in hold_out or []]
    model = train_finetuned(data_dir, output, opts=opts, holdouts=holdouts, checkpoint_dir=ckpt)
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
    folds: Annotated[
        Path | None,
        typer.Option(help="Fold results from `firstreply folds` (default: MODEL/folds.json)."),
    ] = None,
    record: Annotated[
        bool, typer.Option("--record", help="Store the figures in the model's config and card.")
    ] = False,
) -> None:
    """Held-out figures of a model on the shared corpora's test splits, and its fold table.

    The folds are not retrained here (that takes hours): their table is read from the JSON
    that `firstreply folds` writes, so this takes a minute or two.
    """
    _require_train_extra("evaluate")
    from classifiers.model import DEFAULT_DIR
    from classifiers.report import FOLDS_FILE, evaluate_and_record, evaluate_saved, read_folds

    triage = _load_model(model, None, ctx)
    folder = Path(model or DEFAULT_DIR)
    if record and not triage.config.encoder.get("weights"):
        _err("error: --record writes the fine-tuned model's card; this model is a frozen one")
        raise typer.Exit(code=2)
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr_console()) as bar:
        task = bar.add_task("evaluating (texts scored)", total=None)

        def advance(n: int) -> None:
            bar.advance(task, n)

        if record:
            metrics = evaluate_and_record(triage, data_dir, folder)
        else:
            metrics = evaluate_saved(triage, data_dir, progress=advance)
    fold_results = read_folds(folds or folder / FOLDS_FILE)
    if as_json:
        typer.echo(json.dumps({**metrics, "folds": fold_results.get("folds", {})}, indent=2))
        return
    _print_metrics(metrics, as_json=False)
    _print_folds(fold_results)


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


def _print_folds(results: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from classifiers.report import fold_rows

    rows = fold_rows(results)
    if not rows:
        _err("no fold results (run `firstreply folds` to measure them)")
        return
    table = Table(title="held out of training: complaint figures on its labelled rows")
    for col in ("held out", "steps", "rows", "complaint macro-F1", "F1", "recall", "false alarms"):
        table.add_column(col, justify="left" if col == "held out" else "right")
    for r in rows:
        table.add_row(
            r["fold"],
            str(r["steps"]),
            str(r["n"]),
            *(f"{float(r[k]):.3f}" for k in ("complaint_macro_f1", "complaint_f1")),
            *(f"{float(r[k]):.3f}" for k in ("complaint_recall", "false_alarm")),
        )
    Console().print(table)


def folds(
    data_dir: DataOpt = DEFAULT_DATA_DIR,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Fold results JSON (resumed if present).")
    ] = Path("models/folds.json"),
    steps: Annotated[int, typer.Option(min=1, help="Fine-tuning steps per fold.")] = 400,
    fold: Annotated[
        list[str] | None,
        typer.Option(help="Only these folds, e.g. cesamard or xfincorp:payments (default: all)."),
    ] = None,
    workdir: Annotated[
        Path, typer.Option(help="Scratch folder for each fold's model.")
    ] = Path("models/folds"),
    device: Annotated[str, typer.Option(help="cpu, cuda or auto.")] = "cpu",
    threads: Annotated[int | None, typer.Option(min=1, help="torch CPU threads.")] = None,
) -> None:
    """Leave-one-corpus-out and leave-one-industry-out folds of the fine-tuning recipe.

    Each fold fine-tunes without one corpus or industry group and scores its labelled rows;
    at 400 steps a fold takes roughly ten minutes on 2 CPU cores.
    """
    _require_train_extra("folds")
    import os
    from dataclasses import replace

    from classifiers.encoder import pick_device
    from classifiers.finetune import FinetuneOptions
    from classifiers.finetune_data import Holdout
    from classifiers.folds import FOLDS, run_folds

    opts = replace(
        FinetuneOptions(),
        steps=steps,
        device=pick_device(device),
        threads=threads or os.cpu_count() or 1,
    )
    chosen = [Holdout.parse(f) for f in fold] if fold else list(FOLDS)
    results = run_folds(data_dir, output, opts=opts, folds=chosen, workdir=workdir)
    _print_folds(results)
    _err(f"fold results in {output}")


def register(app: typer.Typer) -> None:
    """Add ``classify``, ``train``, ``evaluate`` and ``folds`` to the firstreply app."""
    app.command("classify")(classify)
    app.command("train")(train)
    app.command("evaluate")(evaluate)
    app.command("folds")(folds)
