"""The Docker build context and image recipe, checked without a Docker engine."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _sent_to_docker(path: str) -> bool:
    """Whether ``.dockerignore`` lets ``path`` into the build context (last match wins)."""
    included = True
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").rstrip("/")
        candidates = [path, *("/".join(path.split("/")[: i + 1]) for i in range(path.count("/")))]
        if any(fnmatch.fnmatch(c, pattern) for c in candidates):
            included = negate
    return included


def test_build_context_holds_what_the_dockerfile_copies_and_nothing_heavy() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = [
        src
        for line in dockerfile.splitlines()
        if (m := re.match(r"COPY\s+(?!--from)(.+)\s+\S+$", line.strip()))
        for src in m.group(1).split()
    ]
    assert copied, "the Dockerfile copies the sources"
    for src in copied:
        assert _sent_to_docker(src.rstrip("/")), f"{src} is copied but .dockerignore drops it"
    for heavy in (".venv", ".venv-ci", ".git", "tests", "benchmarks", "firstreply.db",
                  "notebooks", "firstreply.toml", "listener/__pycache__"):
        assert not _sent_to_docker(heavy), f"{heavy} would be sent to the Docker daemon"
