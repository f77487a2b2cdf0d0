"""Load the shipped model once per test session (it is the slow part)."""

from __future__ import annotations

import os

import pytest

from classifiers.model import TriageModel, load_default

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def model() -> TriageModel:
    return load_default(device="cpu")
