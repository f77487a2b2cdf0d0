"""Where the training corpora live, for the tests (and notebooks) that need them.

They are not in the repository: ``../shared/data`` beside the clone, or ``FIRSTREPLY_DATA``.
A fresh clone without them skips those tests, saying why; CI has them, so under ``CI``
a missing folder fails instead of skipping silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("FIRSTREPLY_DATA", ROOT.parent / "shared" / "data"))


def missing_reason(*parts: str) -> str | None:
    """Why a test needing ``SHARED_DATA/<parts>`` cannot run here, or None if it can."""
    path = SHARED_DATA.joinpath(*parts)
    if path.exists() or os.environ.get("CI"):
        return None
    return f"training corpora not found at {path} (set FIRSTREPLY_DATA to their folder)"


def needs_shared_data(*parts: str) -> pytest.MarkDecorator:
    """``skipif`` marker for a test that reads ``SHARED_DATA/<parts>``."""
    reason = missing_reason(*parts)
    return pytest.mark.skipif(reason is not None, reason=reason or "")
