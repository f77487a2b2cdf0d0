"""``firstreply train | evaluate | folds``: make, measure and cross-validate the triage model.

torch, transformers, pandas and the classifiers' heavy modules are imported inside the
commands, so ``firstreply --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from listener.cli.model_cmds import (
    DEFAULT_DATA_DIR,
    DataOpt,
    ModelOpt,
    _err,
    _load_model,
    _stderr_console,
)


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


def _require_corpora(data_dir: Path) -> None:
    """A wrong ``--data-dir`` is a usage error named in one line, not a traceback."""
    from classifiers.data import missing_corpora

    missing = missing_corpora(data_dir)
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        shown = ", ".join(missing[:3]) + more
        _err(f"error: --data-dir {data_dir}: missing {shown} (the shared corpora; each "
             "folder's PROVENANCE.md says where it comes from)")
        raise typer.Exit(code=2)


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
            "label: negative|neutral|positive|complaint|not_complaint|urgent|not_urgent"
            "|urgency:N "
            "(`firstreply feedback export` writes one)."
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
        _require_corpora(data_dir)
        _train_finetuned(
            data_dir, output, seed, steps, checkpoint_dir, device, threads, hold_out, evaluate
        )
        return
    pairs: list[tuple[str, str]] = []
    if feedback:
        from classifiers.labels import LabelError, read_feedback

        try:
            pairs, mapped = read_feedback(feedback)
        except LabelError as exc:
            _err(f"error: {exc}")
            raise typer.Exit(code=2) from None
        _err(f"{feedback}: {len(pairs)} labelled posts; {mapped} of them urgency labels "
             "(urgent, not_urgent, urgency:N), read as complaint (urgency:0: not_complaint)")
    _require_corpora(data_dir)
    # Imported after the labels are read: a bad file is refused before the heavy imports.
    from classifiers.train import TrainOptions
    from classifiers.workflow import train_and_save

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
    _require_corpora(data_dir)
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
        typer.Option(help="Only these folds, e.g. cesamard, xfincorp:payments or "
                     "airline:Delta (default: all)."),
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
    known = {f.label for f in FOLDS}
    unknown = [f.label for f in chosen if f.label not in known]
    if unknown:
        # An unknown name would hold nothing out and score no rows: refuse it.
        _err(f"error: unknown fold {', '.join(unknown)}; folds: {', '.join(sorted(known))}")
        raise typer.Exit(code=2)
    _require_corpora(data_dir)
    results = run_folds(data_dir, output, opts=opts, folds=chosen, workdir=workdir)
    _print_folds(results)
    _err(f"fold results in {output}")


def register(app: typer.Typer) -> None:
    """Add ``train``, ``evaluate`` and ``folds`` to the firstreply app."""
    app.command("train")(train)
    app.command("evaluate")(evaluate)
    app.command("folds")(folds)
