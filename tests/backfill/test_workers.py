"""``backfill --workers N``: the same verdicts as one process, resumable per shard."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from listener.cli.context import Components
from listener.store import open_store
from tests.backfill.doubles import KeywordClassifier, KeywordFactory
from tests.backfill.test_cli import make_app

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
#: Small buffers, so the run crosses many buffers and every shard boundary matters.
BUFFER = ["--buffer-size", "16", "--batch-size", "8"]
CRASH_TEXT = "crash-marker"


def history_file(path: Path, *, marker_at: int | None = None) -> Path:
    """160 posts over two days: complaint bursts (incidents, budgets), conversations
    (threads), a malformed line and a duplicate; ``marker_at`` makes one text a trap."""
    lines: list[str] = []
    for i in range(160):
        at = T0 + timedelta(minutes=17 * i)
        complaint = i % 3 == 0 or 60 <= i < 90
        text = ("my order never arrived, worst service" if complaint
                else "thanks for the quick answer")
        if i == marker_at:
            text += f" {CRASH_TEXT}"
        lines.append(json.dumps({
            "id": f"p{i}", "text": f"{text} #{i}", "created_at": at.isoformat(),
            "author": f"user{i % 23}", "brand": "acme", "conversation_id": f"c{i // 4}",
            "addressed": "true", "followers": str(10 ** (i % 6)),
        }))
        if i == 40:
            lines.append("{not json")
        if i == 80:
            lines.append(lines[-1])  # the same post twice
    path.write_text("\n".join(lines) + "\n")
    return path


def components(**factory: object) -> Components:
    return Components(classifier=lambda s: KeywordClassifier(),
                      model_factory=lambda s: KeywordFactory(**factory))  # type: ignore[arg-type]


def stored(url: str) -> list[tuple[object, ...]]:
    store = open_store(url)
    try:
        return [(t.mention.key, t.mention.brand, t.verdict.route.value if t.verdict else None,
                 t.verdict.priority if t.verdict else None,
                 t.verdict.channel if t.verdict else None,
                 t.verdict.incident_id if t.verdict else None)
                for t in store.history(T0 - timedelta(days=1), T0 + timedelta(days=9))]
    finally:
        store.close()


def summary(output: str) -> list[str]:
    """The summary's lines that must not depend on the worker count."""
    skip = re.compile(r"mentions/s over|workers \(|━")
    return [line.strip() for line in output.splitlines()
            if line.strip() and not skip.search(line)]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("FIRSTREPLY_CONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def run(url: str, path: Path, *args: str, comp: Components | None = None,
        spool: Path | None = None) -> tuple[int, str]:
    extra = ["--spool-dir", str(spool)] if spool else []
    result = CliRunner().invoke(
        make_app(comp or components()),
        ["backfill", "--file", str(path), *BUFFER, *extra, *args],
        env={"FIRSTREPLY_DATABASE__URL": url},
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return 1, f"{result.output}\n{result.exception}"
    return result.exit_code, result.output


def baseline(tmp: Path, path: Path) -> tuple[list[tuple[object, ...]], list[str]]:
    url = f"sqlite:///{tmp / 'one.db'}"
    code, out = run(url, path)
    assert code == 0, out
    return stored(url), summary(out)


def test_workers_crash_resume_and_match_one_process(env: Path) -> None:
    path = history_file(env / "posts.jsonl", marker_at=130)
    want, _ = baseline(env, path)
    url = f"sqlite:///{env / 'two.db'}"
    spool = env / "spool"

    # The worker of the second half dies on the marked post: exit 1, and why.
    code, out = run(url, path, "--workers", "2",
                    comp=components(crash_on=CRASH_TEXT, hard=True), spool=spool)
    assert code == 1
    assert "worker 2/2 died (exit code 3)" in out
    assert "run the same command again to resume" in out
    # Another worker count would read other byte ranges: refused, nothing touched.
    code, out = run(url, path, "--workers", "3", spool=spool)
    assert code == 2
    assert "started with --workers 2" in out
    code, out = run(url, path, spool=spool)
    assert code == 2 and "--workers 2" in out
    # A file that changed would not match its checkpoints either.
    original = path.read_bytes()
    path.write_bytes(original + b"\n")
    code, out = run(url, path, "--workers", "2", spool=spool)
    assert code == 2 and "changed since its backfill started" in out
    path.write_bytes(original)

    # The same count resumes each shard where its checkpoint says.
    code, out = run(url, path, "--workers", "2", spool=spool)
    assert code == 0, out
    # Same posts, same verdicts as one process. (Its summary counts what this run added:
    # the decision pass of the failed run had stored the first shard's verdicts.)
    assert stored(url) == want
    assert "2 workers" in out
    assert not list(spool.glob("*/*.spool"))  # the spools go once decided
    code, out = run(url, path, "--workers", "2", spool=spool)
    assert code == 0 and "already backfilled" in out


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_workers_store_and_summarise_what_one_process_does(
    env: Path, db: str, request: pytest.FixtureRequest
) -> None:
    path = history_file(env / "posts.jsonl")
    want, want_summary = baseline(env, path)
    url = (request.getfixturevalue("postgres_url") if db == "postgres"
           else f"sqlite:///{env / 'two.db'}")
    code, out = run(url, path, "--workers", "2", spool=env / "spool")
    assert code == 0, out
    assert stored(url) == want
    assert summary(out)[-len(want_summary):] == want_summary


@pytest.mark.parametrize(
    ("name", "url", "says"),
    [
        ("x.json", "sqlite", "cannot be split by byte range"),
        ("posts.jsonl", "memory://", "memory store lives in one process"),
        ("posts.jsonl", "ray", "do not combine"),
    ],
)
def test_what_cannot_run_in_parallel_exits_2(env: Path, name: str, url: str,
                                             says: str) -> None:
    path = env / name
    if name.endswith(".json"):
        path.write_text('{"data": []}')
    else:
        history_file(path)
    args = ["--workers", "2"] + (["--ray-actors", "2"] if url == "ray" else [])
    db = url if url.startswith("memory") else f"sqlite:///{env / 'x.db'}"
    code, out = run(db, path, *args)
    assert code == 2
    assert says in out


def test_a_worker_that_raises_reports_it_and_exits_1(tmp_path: Path, sqlite_url: str) -> None:
    # In process (no spawn): what the parent is told when the model raises.
    from listener.backfill.shards import plan_shards
    from listener.backfill.workers import Job, shard_key, work

    path = history_file(tmp_path / "posts.jsonl", marker_at=3)
    shard = plan_shards(path, "jsonl", 1)[0]
    events: list[tuple[object, ...]] = []

    class Events:
        def put(self, event: tuple[object, ...]) -> None:
            events.append(event)

    job = Job(path=str(path), kind="jsonl", shard=shard, url=sqlite_url,
              factory=KeywordFactory(crash_on=CRASH_TEXT), spool=str(tmp_path / "s.spool"),
              key=shard_key("test", shard), buffer_size=16)
    with pytest.raises(SystemExit) as exit_:
        work(job, Events())
    assert exit_.value.code == 1
    assert events[-1][:2] == ("error", 0)
    assert "simulated model failure" in str(events[-1][2])


def test_a_verdict_writer_that_fails_reports_it_and_exits_1(sqlite_url: str) -> None:
    # In process: a verdict for a mention no worker stored is a store error, named.
    from listener.backfill.verdicts import write_verdicts
    from listener.config import Settings
    from listener.decisions import DecisionEngine
    from listener.domain import Author, Mention

    m = Mention(source="import", id="x1", text="refund please", created_at=T0,
                author=Author(id="a", username="a"), brand="acme")
    decision = DecisionEngine.from_settings(Settings()).decide_history(
        [(m, KeywordClassifier().predict([m.text])[0])])[0]
    batches = iter([[decision.record(with_rows=False)], None])
    events: list[tuple[object, ...]] = []

    class Queue:
        def get(self) -> object:
            return next(batches)

        def put(self, event: tuple[object, ...]) -> None:
            events.append(event)

    with pytest.raises(SystemExit) as exit_:
        write_verdicts(sqlite_url, 0, Queue(), Queue())
    assert exit_.value.code == 1
    assert events[-1][:2] == ("writer-error", 0)
    assert "cannot record triage of" in str(events[-1][2])
