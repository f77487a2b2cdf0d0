"""The install recipe is written in five places; they must say the same thing.

PyPI's default Linux torch wheel is the CUDA build (several GB of ``nvidia-*`` packages),
so every place that installs torch for a CPU box names PyTorch's CPU index, and pins the
same release.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
TORCH = re.compile(r"pip install[^\n]*\btorch==(?P<version>[\w.+]+)[^\n]*")


def _torch_lines(text: str) -> list[str]:
    return [m.group(0) for m in TORCH.finditer(text)]


def _shell_blocks(markdown: str) -> str:
    return "\n".join(re.findall(r"```sh\n(.*?)```", markdown, flags=re.S))


def test_readme_installs_the_cpu_build_of_torch() -> None:
    lines = _torch_lines(_shell_blocks((ROOT / "README.md").read_text()))
    assert len(lines) >= 2, "the Quickstart installs torch for the demo and for the tests"
    for line in lines:
        assert f"--index-url {CPU_INDEX}" in line, line


def test_ci_makefile_and_dockerfile_install_what_the_readme_says() -> None:
    readme = _torch_lines(_shell_blocks((ROOT / "README.md").read_text()))
    pinned = {TORCH.search(line).group("version") for line in readme}  # type: ignore[union-attr]
    assert len(pinned) == 1, pinned
    makefile = (ROOT / "Makefile").read_text()
    for name in (".ci/run", "Makefile", "Dockerfile"):
        text = (ROOT / name).read_text().replace("$(TORCH_INDEX)", CPU_INDEX)
        found = _torch_lines(text)
        assert found, f"{name} installs no torch"
        for line in found:
            assert TORCH.search(line).group("version") in pinned, (name, line)  # type: ignore[union-attr]
            assert CPU_INDEX in line, (name, line)
    assert f"TORCH_INDEX ?= {CPU_INDEX}" in makefile
