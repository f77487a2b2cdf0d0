"""A shortened ``benchmarks/bench_load.py``: sustained load and a burst, nothing lost.

The full run (200 mentions/s for 10 minutes, a 20,000-post burst) and its figures are in
docs/reliability.md; this keeps the harness honest in ``pytest -m slow``.
"""

from __future__ import annotations

import math

import pytest

from benchmarks.bench_load import parse, run


@pytest.mark.slow
def test_sustained_load_and_a_burst_lose_nothing() -> None:
    out = run(parse(["--rate", "80", "--seconds", "20", "--burst", "3000", "--quiet"]))
    assert out["errors"] == []
    assert out["lost"] == 0
    assert out["dead"] == 0
    assert out["mentions"] == out["made"] + 3000
    assert math.isfinite(out["drain_after_s"])
    assert math.isfinite(out["burst_drained_s"])
    assert out["alerts"] > 0
    assert out["burst_alerts"] > 0
    assert out["peak_rss_mb"] < 600
