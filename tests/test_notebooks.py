"""The analysts' notebooks run top to bottom and draw their charts.

Executed once each with nbclient (the engine behind ``jupyter nbconvert --execute``): no
cell may raise or write to stderr, and every cell that plots must leave a PNG in its
outputs — a notebook that runs but draws nothing is no use to an analyst.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.shared_data import SHARED_DATA, needs_shared_data

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PLOTS = re.compile(r"plt\.subplots|\.plot\(|\.hist\(")

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")


def _execute(path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("FIRSTREPLY_DATA", str(SHARED_DATA))
    # The inline backend is what Jupyter uses; a forced "Agg" would draw nothing.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()
    return nb


@needs_shared_data()
@pytest.mark.parametrize("name", ["classifier_evaluation.ipynb", "history_exploration.ipynb"])
def test_notebook_runs_clean_and_draws_every_chart(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb = _execute(NOTEBOOKS / name, monkeypatch)
    plotting = 0
    for index, cell in enumerate(nb.cells):  # type: ignore[attr-defined]
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        stderr = [o.get("text", "") for o in outputs if o.get("name") == "stderr"]
        assert not stderr, f"cell {index} wrote to stderr: {stderr}"
        if PLOTS.search(cell.source):
            plotting += 1
            images = [o for o in outputs if "image/png" in o.get("data", {})]
            assert images, f"cell {index} plots but shows no chart:\n{cell.source[:200]}"
    assert plotting >= 2, "expected charts in the notebook"


def test_notebooks_are_stored_without_outputs() -> None:
    for path in NOTEBOOKS.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.get("outputs"), f"{path.name}: strip outputs before committing"
