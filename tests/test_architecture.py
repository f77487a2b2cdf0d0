"""Pins the import direction: a pure core, one SDK per adapter package."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
SDKS = {
    "tweepy",
    "atproto",
    "atproto_client",
    "atproto_core",
    "websockets",
    "slack_sdk",
    "slack_bolt",
    "apscheduler",
    "torch",
    "transformers",
    "sqlalchemy",
    "alembic",
}


def imports_of(path: Path) -> set[str]:
    """Top-level module names imported by a file (including inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def top(name: str) -> str:
    return name.split(".")[0]


def files(pattern: str) -> list[Path]:
    return sorted(ROOT.glob(pattern))


@pytest.mark.parametrize(
    "module",
    [
        "listener/domain.py",
        "listener/ports.py",
        "listener/errors.py",
        "listener/lifecycle.py",
        "classifiers/base.py",
    ],
)
def test_core_values_import_only_stdlib(module: str) -> None:
    allowed = {"listener.domain", "listener.errors", "listener.lifecycle", "classifiers.base"}
    bad = {m for m in imports_of(ROOT / module) if top(m) not in STDLIB and m not in allowed}
    assert not bad, f"{module} imports {bad}"


@pytest.mark.parametrize(
    "module",
    [
        "listener/decisions",
        "listener/digest",
        "listener/timewindow.py",
        "listener/pipeline.py",
        "listener/dispatch.py",
        "listener/ingest.py",
        "listener/health/state.py",
        "listener/health/persist.py",
        "listener/health/__init__.py",
        "listener/networks.py",
        "listener/replies.py",
        "listener/runtime/runtime.py",
        "listener/runtime/checks.py",
        "listener/escalation.py",
        "listener/lifecycle.py",
        "listener/drafts.py",
    ],
)
def test_pure_core_never_imports_an_sdk(module: str) -> None:
    path = ROOT / module
    paths = [path] if path.is_file() else sorted(path.glob("**/*.py"))
    if not paths:
        pytest.fail(f"{module} is part of the documented core but missing")
    bad = {m for p in paths for m in imports_of(p) if top(m) in SDKS}
    assert not bad, f"{module} imports {bad}"


@pytest.mark.parametrize(
    ("sdk", "home"),
    [
        ("tweepy", "listener/x/"),
        ("atproto", "listener/bluesky/"),
        ("atproto_client", "listener/bluesky/"),
        ("atproto_core", "listener/bluesky/"),
        ("websockets", "listener/bluesky/"),
        ("slack_sdk", "listener/slack/"),
        ("slack_bolt", "listener/slack/"),
        ("sqlalchemy", "listener/store/"),
        ("alembic", "listener/store/"),
    ],
)
def test_each_sdk_lives_in_one_adapter_package(sdk: str, home: str) -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in files("listener/**/*.py")
        if not str(p.relative_to(ROOT)).startswith(home)
        and any(top(m) == sdk for m in imports_of(p))
    ]
    assert not offenders, f"{sdk} imported outside {home}: {offenders}"


def test_prometheus_lives_in_its_exporter_and_the_core_never_loads_it() -> None:
    offenders = [
        str(p.relative_to(ROOT)) for p in files("listener/**/*.py")
        if any(top(m) == "prometheus_client" for m in imports_of(p))
        and p.relative_to(ROOT) != Path("listener/health/prometheus.py")
    ]
    assert not offenders
    import subprocess

    probe = (
        "import sys, listener.ingest, listener.health, listener.pipeline, listener.runtime, "
        "listener.cli; sys.exit('prometheus_client' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", probe], cwd=ROOT, timeout=60).returncode == 0


def test_only_x_knows_x_prices() -> None:
    """Spend is whatever a source's ``read_cost`` says; X's price list stays in ``x/``."""
    words = ("XPrices", ".prices", "post_read", "owned_read", "post_create")
    offenders = {
        str(p.relative_to(ROOT)): [w for w in words if w in p.read_text(encoding="utf-8")]
        for p in files("listener/**/*.py")
        if not str(p.relative_to(ROOT)).startswith("listener/x/")
        and not str(p.relative_to(ROOT)).startswith("listener/config/")
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_the_core_reaches_a_network_only_through_the_registry() -> None:
    """A new network is a package and a line in ``listener/networks.py``: nothing in the
    core imports ``listener.x`` (only X's own batch inputs: its file formats, its archive)."""
    allowed = {"listener/backfill/xfiles.py", "listener/backfill/twcs.py",
               "listener/cli/backfill_cmds.py"}
    offenders = [
        str(p.relative_to(ROOT)) for p in files("listener/**/*.py")
        if not str(p.relative_to(ROOT)).startswith("listener/x/")
        and str(p.relative_to(ROOT)) not in allowed
        and any(m == "listener.x" or m.startswith("listener.x.") for m in imports_of(p))
    ]
    assert not offenders
    registry = (ROOT / "listener/networks.py").read_text(encoding="utf-8")
    assert 'NetworkEntry("x", "X", "listener.x.network")' in registry
    assert 'NetworkEntry("bluesky", "Bluesky", "listener.bluesky.network")' in registry


def test_the_core_never_imports_bluesky() -> None:
    """Bluesky came in as a package, settings and a registry line: nothing else knows it."""
    offenders = [
        str(p.relative_to(ROOT)) for p in files("listener/**/*.py")
        if not str(p.relative_to(ROOT)).startswith("listener/bluesky/")
        and any(m == "listener.bluesky" or m.startswith("listener.bluesky.")
                for m in imports_of(p))
    ]
    assert not offenders


def test_the_poller_reads_only_what_sources_declare() -> None:
    """``kind``, rate limits, cost and cursors are ``SourceInfo``: no ``getattr`` guesses."""
    for module in ("listener/ingest.py", "listener/health/state.py", "listener/runtime/build.py"):
        assert "getattr(" not in (ROOT / module).read_text(encoding="utf-8"), module


def test_the_decision_engine_does_no_io() -> None:
    """Live and history agree because the engine only decides: it reaches the store
    through its ``AlertLookup`` port and nothing else."""
    allowed_listener = {
        "listener.config", "listener.domain", "listener.ports", "listener.errors",
        "listener.timewindow",
    }
    offenders = {}
    for p in files("listener/decisions/**/*.py"):
        bad = {
            m for m in imports_of(p)
            if top(m) not in STDLIB | {"numpy", "classifiers", "listener"}
            or (top(m) == "listener" and not m.startswith("listener.decisions")
                and m not in allowed_listener)
            or (top(m) == "classifiers" and m != "classifiers.base")
            or m in {"socket", "sqlite3", "urllib", "http", "requests", "subprocess"}
        }
        if bad:
            offenders[str(p.relative_to(ROOT))] = bad
    assert not offenders, offenders


def test_classifiers_never_import_listener() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in files("classifiers/**/*.py")
        if any(top(m) == "listener" for m in imports_of(p))
    ]
    assert not offenders


def test_torch_is_imported_lazily() -> None:
    """A module-level torch import would make `firstreply --help` take seconds."""
    offenders = []
    for p in files("listener/**/*.py") + files("classifiers/**/*.py"):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in tree.body:
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(top(n) in {"torch", "transformers"} for n in names):
                offenders.append(str(p.relative_to(ROOT)))
    assert not offenders, f"module-level torch/transformers import in {offenders}"


def test_contributing_lists_every_module_of_the_layout() -> None:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    layout = text.split("```")[1]
    entries = {p.name + ("/" if p.is_dir() else "") for p in (ROOT / "listener").iterdir()
               if not p.name.startswith(("_", ".")) and p.name != "py.typed"
               and (p.is_dir() or p.suffix == ".py")}
    missing = sorted(e for e in entries if f"  {e}" not in layout)
    assert not missing, f"CONTRIBUTING's layout misses {missing}"


def test_modules_stay_under_400_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in files("listener/**/*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert not long, long
