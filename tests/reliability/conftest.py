"""The long crash, outage and load scenarios here run only when asked for.

``pytest -m slow`` (or ``-m "slow or not slow"``, ``make test-all``) runs them; a plain
``pytest`` skips them so the default run stays fast.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.rig import Rig, build_rig, fakes

# tests/slack's bolt-app fixture (``env``) and what it needs, for test_security.py.
from tests.slack.conftest import clock, fake_slack, mem, settings  # noqa: F401
from tests.slack.test_app import env  # noqa: F401

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "slow" in (config.getoption("markexpr") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow")
    for item in items:
        if item.get_closest_marker("slow") and _HERE in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    """The whole cycle on a fresh SQLite file, against fresh fakes."""
    x, slack = fakes()
    r = build_rig(x, slack, f"sqlite:///{tmp_path / 'rig.db'}")
    try:
        yield r
    finally:
        r.close()
        x.stop()
        slack.stop()
