"""``firstreply learn``: fit the judgement head (is a complaint urgent?) from labelled posts.

The head is one logistic regression on the model's sentence embedding
(``classifiers/judgement.py``); fitting it takes seconds plus one encoder pass over the
labelled posts, so a team can refit it from its own labels whenever it likes.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from listener.cli.model_cmds import DEFAULT_DATA_DIR, DataOpt, _err


def learn(
    labels: Annotated[
        list[Path],
        typer.Argument(
            help="JSONL files: one post per line with 'text' and 'urgent' (true/false); "
            "`firstreply feedback export` writes one."
        ),
    ],
    model: Annotated[
        Path | None,
        typer.Option("--model", "-m", help="Model folder whose embeddings the head reads "
                     "(default: the shipped model)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the model folder here, with its new head "
                     "(default: the --model folder itself)."),
    ] = None,
    ibm_openers: Annotated[
        int,
        typer.Option(min=0, help="Add the first N IBM customer-care openers as not urgent "
                     "(the shipped recipe uses 300)."),
    ] = 0,
    data_dir: DataOpt = DEFAULT_DATA_DIR,
    c: Annotated[float, typer.Option("--c", min=1e-6, help="Inverse L2 regularisation.")] = 1.0,
) -> None:
    """Fit the judgement head from labelled posts and save it as judgement.json.

    Only complaints and requests teach urgency: rows with "reach_slack": false (the
    judgement tables' schema, a "not a complaint" label) are skipped, and so are rows
    with "reach_slack": true and no "urgent" (a complaint label saying nothing of its
    urgency); stderr counts both. The head is saved beside the model it reads; a model
    retrained later ignores it until it is fitted again.
    """
    from classifiers.judgement import fingerprint
    from classifiers.judgement_fit import LabelError, fit_from_texts, read_labels
    from classifiers.judgement_fit import ibm_openers as ibm
    from classifiers.model import DEFAULT_DIR, TriageModel

    folder = model or DEFAULT_DIR
    if not (folder / "config.json").is_file():
        _err(f"error: --model {folder}: not a firstreply model folder (no config.json)")
        raise typer.Exit(code=2)
    try:
        rows = []
        for path in labels:
            read = read_labels(path)
            rows += read.rows
            if read.not_person or read.no_urgency:
                _err(f"{path}: {len(read.rows)} rows teach urgency; skipped "
                     f"{read.not_person} not needing a person (reach_slack false) and "
                     f"{read.no_urgency} without 'urgent'")
        if ibm_openers:
            rows += ibm(data_dir, ibm_openers)
    except LabelError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(code=2) from None
    target = output or folder
    if output is not None and output.resolve() != folder.resolve():
        shutil.copytree(folder, output, dirs_exist_ok=True)
    triage = TriageModel.from_pretrained(target, device="cpu")
    _err(f"embedding {len(rows)} labelled posts with {triage.name}")
    try:
        head = fit_from_texts(rows, triage.embed, model=triage.name,
                              fingerprint=fingerprint(target), c=c)
    except ValueError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(code=2) from None
    path = head.save(target)
    counts = head.meta["counts"]["urgent"]
    typer.echo(f"{path}: fitted on {counts['yes']} urgent and {counts['no']} not urgent posts")


def register(app: typer.Typer) -> None:
    """Add ``learn`` to the firstreply app."""
    app.command("learn")(learn)
