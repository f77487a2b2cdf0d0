"""The judgement tables are well formed before any rule is measured on them.

Two hand-written tables of labelled posts (see ``tests/judgement/README.md``): the
development table that CI tests the decision rules on, and the held-out table in
``benchmarks/data/`` that only reports figures. This module checks what a rule test
would otherwise trust blindly: the schema, labels that agree with each other, no post
shared (or nearly shared) between the two tables, the coverage the README promises,
and the counts the READMEs quote.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TABLES = {
    "dev": ROOT / "tests" / "judgement" / "posts.jsonl",
    "holdout": ROOT / "benchmarks" / "data" / "judgement_holdout.jsonl",
    "wide": ROOT / "tests" / "judgement" / "posts_wide.jsonl",
    "blind": ROOT / "tests" / "judgement" / "posts_blind.jsonl",
    "holdout_c": ROOT / "benchmarks" / "data" / "judgement_holdout_c.jsonl",
}
READMES = {
    "dev": ROOT / "tests" / "judgement" / "README.md",
    "holdout": ROOT / "benchmarks" / "data" / "README.md",
    "wide": ROOT / "tests" / "judgement" / "README.md",
    "blind": ROOT / "tests" / "judgement" / "README.md",
    "holdout_c": ROOT / "benchmarks" / "data" / "README.md",
}
#: Tables held out from every rule and from the judgement head, and those they must not
#: overlap (in text or in brands).
HELD_OUT = {"holdout": ("dev",), "holdout_c": ("dev", "wide", "blind", "holdout")}

REQUIRED: dict[str, type] = {
    "id": str,
    "text": str,
    "brand": str,
    "handle": str,
    "industry": str,
    "addressed": bool,
    "followers": int,
    "verified_type": str,
    "lang": str,
    "kind": str,
    "reach_slack": bool,
    "urgent": bool,
    "urgency_reason": str,
    "topic": str,
    "hard": bool,
}
OPTIONAL: dict[str, type] = {"note": str}

KINDS = ("complaint", "request", "not_complaint", "chatter")
REASONS = ("safety", "stranded", "money", "outage", "legal", "reach")
VERIFIED = ("none", "blue", "business", "government")
HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")
INDUSTRY = re.compile(r"[a-z][a-z_]*")
REACH_FOLLOWERS = 100_000

MIN_INDUSTRIES = 20
MIN_PER_REASON = 8
MIN_HARD_SHARE = 0.30
NEAR_DUPLICATE_SHARE = 0.80
# The README's balance, with room for a table a few rows either way.
KIND_SHARE = {
    "complaint": (0.35, 0.45),
    "request": (0.07, 0.13),
    "not_complaint": (0.25, 0.35),
    "chatter": (0.15, 0.25),
}
URGENT_COMPLAINT_SHARE = (0.25, 0.45)
# The two blind batches stress the two figures the earlier tables missed: more posts
# about a brand that need no person, and more urgent complaints.
BLIND_KIND_SHARE = {
    "complaint": (0.40, 0.50),
    "request": (0.07, 0.13),
    "not_complaint": (0.35, 0.45),
    "chatter": (0.03, 0.08),
}
BLIND_URGENT_COMPLAINT_SHARE = (0.50, 0.70)
BLIND = ("blind", "holdout_c")

Row = dict[str, Any]


def load(path: Path) -> list[Row]:
    rows: list[Row] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            raise AssertionError(f"{path.name}:{lineno}: blank line")
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"{path.name}:{lineno}: not JSON: {exc}") from None
        if not isinstance(row, dict):
            raise AssertionError(f"{path.name}:{lineno}: not an object")
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def tables() -> dict[str, list[Row]]:
    return {name: load(path) for name, path in TABLES.items()}


@pytest.fixture(params=sorted(TABLES))
def table(request: pytest.FixtureRequest, tables: dict[str, list[Row]]) -> tuple[str, list[Row]]:
    name: str = request.param
    return name, tables[name]


def mentions(handle: str, text: str) -> bool:
    """Whether ``text`` @-mentions exactly this handle (not a longer one it prefixes)."""
    return re.search(rf"@{re.escape(handle)}(?![A-Za-z0-9_])", text, re.IGNORECASE) is not None


def normalised(text: str) -> str:
    return " ".join(text.lower().split())


def trigrams(text: str) -> frozenset[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return frozenset(tuple(words[i : i + 3]) for i in range(len(words) - 2))


def shared_share(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    """Share of the smaller text's 3-grams that the other text also has."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def schema_errors(row: Row) -> list[str]:
    errors = []
    for key, kind in REQUIRED.items():
        if key not in row:
            errors.append(f"missing {key}")
        elif type(row[key]) is not kind:  # bool is an int: compare exact types
            errors.append(f"{key} is {type(row[key]).__name__}, not {kind.__name__}")
    for key in row.keys() - REQUIRED.keys():
        if key not in OPTIONAL:
            errors.append(f"unknown field {key}")
        elif type(row[key]) is not OPTIONAL[key] or not row[key].strip():
            errors.append(f"{key} must be a non-empty string when present")
    if errors:
        return errors
    if not row["id"].strip() or not row["text"].strip() or not row["topic"].strip():
        errors.append("id, text and topic must be non-empty")
    if row["lang"] != "en":
        errors.append(f"lang {row['lang']!r} (English only)")
    if row["kind"] not in KINDS:
        errors.append(f"kind {row['kind']!r} not in {KINDS}")
    if row["urgency_reason"] not in (*REASONS, "none"):
        errors.append(f"urgency_reason {row['urgency_reason']!r}")
    if row["verified_type"] not in VERIFIED:
        errors.append(f"verified_type {row['verified_type']!r} not in {VERIFIED}")
    if row["followers"] < 0:
        errors.append("followers < 0")
    return errors


def label_errors(row: Row) -> list[str]:
    errors = []
    kind, reason, handle, text = row["kind"], row["urgency_reason"], row["handle"], row["text"]
    if row["reach_slack"] != (kind in ("complaint", "request")):
        errors.append(f"reach_slack={row['reach_slack']} for a {kind}")
    if row["urgent"] and not row["reach_slack"]:
        errors.append("urgent but not reach_slack")
    if (reason == "none") == row["urgent"]:
        errors.append(f"urgent={row['urgent']} with urgency_reason={reason}")
    journalist = "journalist" in row.get("note", "").lower()
    if reason == "reach" and row["followers"] < REACH_FOLLOWERS and not journalist:
        errors.append("reason reach needs >= 100k followers or a note naming a journalist")
    if kind == "chatter":
        if row["brand"] or handle or row["industry"] or row["addressed"]:
            errors.append("chatter must have no brand, handle or industry and not be addressed")
        return errors
    if not row["brand"] or not HANDLE.fullmatch(handle) or not INDUSTRY.fullmatch(row["industry"]):
        errors.append("a brand post needs a brand, a valid handle and a snake_case industry")
        return errors
    if row["addressed"] != mentions(handle, text):
        where = "missing from" if row["addressed"] else "present in"
        errors.append(f"addressed={row['addressed']} but @{handle} is {where} the text")
    return errors


def test_rows_match_the_schema(table: tuple[str, list[Row]]) -> None:
    name, rows = table
    bad = {r.get("id", f"line {i}"): e for i, r in enumerate(rows, 1) if (e := schema_errors(r))}
    assert not bad, f"{name}: {bad}"


def test_labels_agree_with_each_other(table: tuple[str, list[Row]]) -> None:
    name, rows = table
    bad = {r["id"]: e for r in rows if not schema_errors(r) and (e := label_errors(r))}
    assert not bad, f"{name}: {bad}"


def test_each_brand_has_one_handle_and_industry(table: tuple[str, list[Row]]) -> None:
    name, rows = table
    seen: dict[str, set[tuple[str, str]]] = {}
    for r in rows:
        if r["brand"]:
            seen.setdefault(r["brand"], set()).add((r["handle"].lower(), r["industry"]))
    assert {b: v for b, v in seen.items() if len(v) > 1} == {}, name


def test_ids_are_unique_across_both_tables(tables: dict[str, list[Row]]) -> None:
    ids = Counter(r["id"] for rows in tables.values() for r in rows)
    assert [i for i, n in ids.items() if n > 1] == []


def test_no_text_appears_twice(tables: dict[str, list[Row]]) -> None:
    texts = Counter(normalised(r["text"]) for rows in tables.values() for r in rows)
    assert [t for t, n in texts.items() if n > 1] == []


def near_duplicates(
    left: list[Row], right: list[Row], *, same: bool
) -> Iterable[tuple[str, str, float]]:
    grams = [trigrams(r["text"]) for r in right]
    for i, a in enumerate(left):
        mine = trigrams(a["text"])
        for j in range(i + 1 if same else 0, len(right)):
            share = shared_share(mine, grams[j])
            if share > NEAR_DUPLICATE_SHARE:
                yield a["id"], right[j]["id"], round(share, 2)


@pytest.mark.parametrize(("held", "others"), sorted(HELD_OUT.items()))
def test_a_holdout_shares_no_near_duplicate_with_the_tables_before_it(
    tables: dict[str, list[Row]], held: str, others: tuple[str, ...]
) -> None:
    for other in others:
        assert list(near_duplicates(tables[other], tables[held], same=False)) == [], other


def test_no_table_repeats_a_post_in_other_words(table: tuple[str, list[Row]]) -> None:
    name, rows = table
    assert list(near_duplicates(rows, rows, same=True)) == [], name


@pytest.mark.parametrize(("held", "others"), sorted(HELD_OUT.items()))
def test_a_holdout_uses_other_brands(
    tables: dict[str, list[Row]], held: str, others: tuple[str, ...]
) -> None:
    def brands(rows: list[Row]) -> set[str]:
        return {r["brand"].lower() for r in rows if r["brand"]} | {
            r["handle"].lower() for r in rows if r["handle"]
        }

    for other in others:
        assert brands(tables[other]) & brands(tables[held]) == set(), other


def test_a_near_duplicate_is_caught() -> None:
    """The detector itself can fail: a reworded post shares most of its 3-grams."""
    a = {"id": "a", "text": "@brand my parcel has been arriving today for four days straight now"}
    b = {"id": "b", "text": "@brand my parcel has been arriving today for four days straight!!"}
    c = {"id": "c", "text": "@brand the parcel came a day early, thanks a lot"}
    assert [(x, y) for x, y, _ in near_duplicates([a], [b, c], same=False)] == [("a", "b")]


def test_coverage(table: tuple[str, list[Row]]) -> None:
    name, rows = table
    industries = {r["industry"] for r in rows if r["industry"]}
    reasons = Counter(r["urgency_reason"] for r in rows)
    hard = sum(r["hard"] for r in rows) / len(rows)
    assert len(industries) >= MIN_INDUSTRIES, (name, sorted(industries))
    assert {x: reasons[x] for x in REASONS if reasons[x] < MIN_PER_REASON} == {}, name
    assert hard >= MIN_HARD_SHARE, (name, round(hard, 3))


def test_balance(table: tuple[str, list[Row]]) -> None:
    name, rows = table
    shares = BLIND_KIND_SHARE if name in BLIND else KIND_SHARE
    lo_urgent, hi_urgent = (
        BLIND_URGENT_COMPLAINT_SHARE if name in BLIND else URGENT_COMPLAINT_SHARE)
    kinds = Counter(r["kind"] for r in rows)
    off = {
        k: round(kinds[k] / len(rows), 3)
        for k, (lo, hi) in shares.items()
        if not lo <= kinds[k] / len(rows) <= hi
    }
    assert off == {}, name
    complaints = [r for r in rows if r["kind"] == "complaint"]
    urgent = sum(r["urgent"] for r in complaints) / len(complaints)
    assert lo_urgent <= urgent <= hi_urgent, (name, urgent)
    not_complaints = [r for r in rows if r["kind"] == "not_complaint"]
    assert sum(r["hard"] for r in not_complaints) >= len(not_complaints) / 2, name


def counts_markdown(rows: list[Row]) -> str:
    """The counts block each README quotes, exactly as this function renders it."""
    kinds = Counter(r["kind"] for r in rows)
    reasons = Counter(r["urgency_reason"] for r in rows if r["urgent"])
    industries = Counter(r["industry"] for r in rows if r["industry"])
    lines = [
        f"Rows: {len(rows)}, of which hard: {sum(r['hard'] for r in rows)}, "
        f"addressed: {sum(r['addressed'] for r in rows)}, "
        f"urgent: {sum(r['urgent'] for r in rows)}.",
        "",
        "| kind | rows | urgent | hard |",
        "|---|---:|---:|---:|",
    ]
    for k in KINDS:
        of_kind = [r for r in rows if r["kind"] == k]
        lines.append(
            f"| {k} | {kinds[k]} | {sum(r['urgent'] for r in of_kind)} "
            f"| {sum(r['hard'] for r in of_kind)} |"
        )
    lines += ["", "| urgency_reason | rows |", "|---|---:|"]
    lines += [f"| {x} | {reasons[x]} |" for x in REASONS]
    lines += ["", "| industry | rows |", "|---|---:|"]
    lines += [f"| {i} | {n} |" for i, n in sorted(industries.items(), key=lambda t: (-t[1], t[0]))]
    return "\n".join(lines)


def test_readmes_quote_the_counts(table: tuple[str, list[Row]]) -> None:
    name, rows = table
    expected = counts_markdown(rows)
    assert expected in READMES[name].read_text(encoding="utf-8"), (
        f"{READMES[name].relative_to(ROOT)} must contain, verbatim:\n\n{expected}"
    )


def test_the_holdout_readme_forbids_tuning_at_the_top() -> None:
    top = READMES["holdout"].read_text(encoding="utf-8").splitlines()[:6]
    assert any("do not tune" in line.lower() for line in top)
