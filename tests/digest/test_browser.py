"""The HTML report in a real browser: headless Chromium renders it with no console errors.

Skipped where Chromium is not installed, except in CI (``CI`` set), where it must be.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from listener.digest import Digest
from listener.report.html import render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium not installed (apt-get install chromium); required in CI",
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None, "chromium is required in CI"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def test_the_console_check_catches_errors(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text("<p>x<script>throw new Error('boom')</script>", encoding="utf-8")
    done = chromium(tmp_path, f"--screenshot={tmp_path / 'bad.png'}", page.as_uri())
    assert any("boom" in line for line in console_errors(done.stderr)), done.stderr[-2000:]


def test_report_renders_to_png_and_pdf_without_console_errors(
    sample_digest: Digest, tmp_path: Path
) -> None:
    page = tmp_path / "digest.html"
    page.write_text(
        render_html(sample_digest, generated_at=datetime(2026, 3, 10, 16, 30, tzinfo=UTC)),
        encoding="utf-8",
    )
    shot = tmp_path / "digest.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,2000", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_errors(done.stderr) == []
    assert shot.read_bytes().startswith(b"\x89PNG")
    assert shot.stat().st_size > 50_000  # a rendered page, not a blank one
    pdf = tmp_path / "digest.pdf"
    done = chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_errors(done.stderr) == []
    assert pdf.read_bytes().startswith(b"%PDF")
    out = os.environ.get("FIRSTREPLY_DIGEST_SHOTS")
    if out:  # keep the renders to look at by eye
        shutil.copy(shot, Path(out) / "digest.png")
        shutil.copy(pdf, Path(out) / "digest.pdf")
