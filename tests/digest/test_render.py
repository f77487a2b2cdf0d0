"""HTML, Markdown, terminal and chart renderings: complete, escaped, self-contained."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from rich.console import Console

from listener.digest import Digest
from listener.report.chart import digest_png, themes_png, trend_png
from listener.report.html import render_html
from listener.report.markdown import escape_md, render_markdown
from listener.report.text import render_terminal

NOW = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


def test_charts_are_deterministic_pngs(sample_digest: Digest, empty_digest: Digest) -> None:
    one = digest_png(sample_digest)
    assert one.startswith(PNG)
    assert one == digest_png(sample_digest)
    assert trend_png(sample_digest.trend, period_days=1).startswith(PNG)
    assert themes_png(sample_digest.themes).startswith(PNG)
    assert digest_png(empty_digest).startswith(PNG)  # "No mentions yet", not an error


def test_html_is_self_contained_and_escapes_mention_text(sample_digest: Digest) -> None:
    html = render_html(sample_digest, generated_at=NOW)
    assert html.startswith("<!doctype html>")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    srcs = re.findall(r'src="([^"]+)"', html)
    assert len(srcs) == 2
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "<link" not in html  # no external stylesheet or font
    assert "@media print" in html
    for heading in ("Top complaint themes", "Response performance", "Still open", "Model health"):
        assert heading in html
    assert "https://x.com/" in html


def test_html_of_an_empty_install(empty_digest: Digest) -> None:
    html = render_html(empty_digest, generated_at=NOW)
    assert "No complaints in this period." in html
    assert "Nothing urgent is waiting." in html
    assert "no previous yet" in html
    assert html.count("data:image/png;base64,") == 1  # the trend only: no themes to chart


def test_markdown_escapes_and_links(sample_digest: Digest, empty_digest: Digest) -> None:
    md = render_markdown(sample_digest, generated_at=NOW)
    assert md.startswith("# Acme · complaint digest — Mon 09 Mar 2026")
    assert "<script>" not in md
    assert r"\<script\>" in md
    assert "](javascript:" not in md
    assert "](https://x.com/" in md
    assert "| Mentions |" in md
    assert render_markdown(empty_digest, generated_at=NOW).count("No complaints") == 1
    assert escape_md("[a](b) *c*") == r"\[a\]\(b\) \*c\*"
    # List and heading markers only matter at the start of a line.
    assert escape_md("- a-b") == r"\- a-b"
    assert escape_md("12. steps") == r"12\. steps"
    assert escape_md("# 1. x") == r"\# 1. x"


def test_terminal_summary_prints_markup_literally(sample_digest: Digest) -> None:
    console = Console(file=io.StringIO(), width=120, record=True, no_color=True)
    console.print(render_terminal(sample_digest))
    out = console.export_text()
    assert "Acme · complaint digest · Mon 09 Mar 2026" in out
    assert "Top complaint themes" in out
    assert "spike" in out
