"""Bluesky through the composition root: settings -> sources, stream, Slack card, reply;
``check-config`` and ``run --once`` through the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from listener.bluesky.jetstream import JetstreamStream
from listener.config import Secrets, Settings
from listener.errors import PermanentDelivery
from listener.health import Health
from listener.networks import network_label, post_url
from listener.runtime import build_runtime
from listener.runtime.build import build_replier
from listener.runtime.checks import runtime_problems
from listener.store import MemoryStore
from listener.streaming import StreamService
from tests.backfill.doubles import KeywordClassifier
from tests.bluesky.conftest import PASSWORD
from tests.fakes.bsky_server import FakeBlueskyServer
from tests.fakes.jetstream_server import FakeJetstream
from tests.fakes.slack_server import FakeSlack
from tests.x.conftest import FakeClock

SCRIPT = Path(sys.executable).with_name("firstreply")


def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@pytest.fixture
def jet(pds: FakeBlueskyServer) -> Iterator[FakeJetstream]:
    with FakeJetstream(pds.network) as server:
        yield server


def settings_for(pds: FakeBlueskyServer, jet: FakeJetstream | None = None,
                 slack: FakeSlack | None = None) -> Settings:
    return Settings.model_validate({
        "bluesky": {"service_url": pds.base_url, "timeout_seconds": 2.0,
                    "poll_interval_seconds": 9, "stream": jet is not None,
                    **({"jetstream_url": jet.url} if jet else {})},
        **({"slack": {"api_base_url": slack.base_url}} if slack else {}),
        "brands": [{"name": "Acme", "channel": "#cx-acme",
                    "bluesky": {"handles": ["@Acme.bsky.social"],
                                "queries": ["acme broken"]}}],
    })


def test_the_registry_names_bluesky_and_links_its_posts() -> None:
    assert network_label("bluesky") == "Bluesky"
    assert post_url("bluesky", "ann.bsky.social", "did:plc:abc/3kxyz") == (
        "https://bsky.app/profile/ann.bsky.social/post/3kxyz")
    assert post_url("x", "acme", "12") == "https://x.com/acme/status/12"


@pytest.mark.parametrize(
    ("env", "key", "says"),
    [
        ({}, "BLUESKY_APP_PASSWORD", "not set"),
        ({"bluesky_app_password": "my-account-password"}, "BLUESKY_APP_PASSWORD",
         "never use the account password"),
    ],
)
def test_run_refuses_without_an_app_password(pds: FakeBlueskyServer, env: dict[str, str],
                                             key: str, says: str) -> None:
    problems = dict(runtime_problems(settings_for(pds), Secrets.model_validate(env)))
    assert key in problems and says in problems[key]


def test_a_login_that_no_brand_lists_is_refused(pds: FakeBlueskyServer) -> None:
    settings = settings_for(pds).model_copy(
        update={"bluesky": settings_for(pds).bluesky.model_copy(
            update={"login": "someone.bsky.social"})})
    problems = dict(runtime_problems(settings, Secrets(bluesky_app_password=PASSWORD)))  # type: ignore[arg-type]
    assert "in no brands[].bluesky.handles" in problems["bluesky.login"]


def test_bad_handles_are_named_by_key() -> None:
    from pydantic import ValidationError

    from listener.config.settings import _problems

    with pytest.raises(ValidationError) as caught:
        Settings.model_validate(
            {"brands": [{"name": "A", "bluesky": {"handles": ["not a handle"]}}]})
    assert [k for k, _ in _problems(caught.value)] == ["brands.0.bluesky.handles"]


def test_polls_streams_triages_alerts_and_replies_end_to_end(
    pds: FakeBlueskyServer, jet: FakeJetstream,
) -> None:
    net = pds.network
    ann = net.add_account("ann.bsky.social", display_name="Ann", followers=50)
    older = net.post(ann, "@acme.bsky.social my kettle arrived broken")
    with FakeSlack() as slack:
        settings = settings_for(pds, jet, slack)
        secrets = Secrets(bluesky_app_password=PASSWORD,  # type: ignore[arg-type]
                          slack_bot_token=slack.token)  # type: ignore[arg-type]
        store, clock = MemoryStore(), FakeClock()
        runtime = build_runtime(settings, secrets, store=store, clock=clock,
                                classifier=KeywordClassifier(), health=Health(clock=clock),
                                services=True)
        try:
            names = sorted(s.name for s in runtime.sources)
            assert names[0] == "bsky-notifications:acme.bsky.social"
            assert names[1].startswith("bsky-search:Acme:")
            jobs = {j.id: j for j in runtime.jobs()}
            assert jobs["poll:bsky-notifications:acme.bsky.social"].seconds == 9
            (stream,) = [s for s in runtime.services if isinstance(s, StreamService)]
            assert isinstance(stream.stream, JetstreamStream)
            stream.start()
            wait_until(lambda: jet.clients == 1)
            live = net.post(ann, "acme support never answers, kettle broken again")
            key = ("bluesky", f"{ann.did}/{live.rkey}")
            wait_until(lambda: store.get_mention(key) is not None)

            report = runtime.cycle()
            assert report.exit_code == 0, report
            assert store.get_mention(("bluesky", f"{ann.did}/{older.rkey}")) is not None
            cards = json.dumps([p.blocks for p in slack.posts()])
            assert f"https://bsky.app/profile/ann.bsky.social/post/{older.rkey}" in cards
            assert "Bluesky" in cards

            mention = store.get_mention(key)
            assert mention is not None
            replier = build_replier(settings, secrets, store, clock)
            url = replier.reply(mention, "So sorry Ann, we are on it", idempotency_key="r1")
            assert url.startswith("https://bsky.app/profile/acme.bsky.social/post/")
            assert pds.created[0]["record"]["reply"]["parent"]["uri"] == live.uri
            # Stored in the store's ledger: a second runtime's replier does not post again.
            again = build_replier(settings, secrets, store, clock)
            assert again.reply(mention, "So sorry Ann, we are on it", idempotency_key="r1") == url
            assert len(pds.created) == 1
        finally:
            for service in runtime.services:
                if isinstance(service, StreamService):
                    service.stop()
            runtime.close()


def test_other_brands_have_no_bluesky_replier(pds: FakeBlueskyServer) -> None:
    from datetime import UTC, datetime

    from listener.domain import Author, Mention

    settings = settings_for(pds)
    replier = build_replier(settings, Secrets(bluesky_app_password=PASSWORD),  # type: ignore[arg-type]
                            MemoryStore(), FakeClock())
    other = Mention("bluesky", "did:plc:a/3k", "hi", Author("did:plc:a", "a.bsky.social"),
                    datetime(2026, 3, 2, tzinfo=UTC), brand="Globex", addresses_brand=True)
    with pytest.raises(PermanentDelivery, match="no Bluesky account is configured to reply"):
        replier.reply(other, "hi", idempotency_key="g")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FIRSTREPLY_", "SLACK_", "X_", "BLUESKY_"))}
    return {**env, **extra}


def _config(tmp_path: Path, pds: FakeBlueskyServer) -> Path:
    cfg = tmp_path / "firstreply.toml"
    cfg.write_text(
        f'health_file = "{tmp_path / "health.json"}"\n'
        f'[database]\nurl = "sqlite:///{tmp_path / "fr.db"}"\n'
        f'[bluesky]\nservice_url = "{pds.base_url}"\ntimeout_seconds = 5.0\n'
        '[[brands]]\nname = "Acme"\n[brands.bluesky]\nhandles = ["acme.bsky.social"]\n'
        'queries = ["acme broken"]\n'
    )
    return cfg


def test_check_config_names_the_missing_app_password(tmp_path: Path,
                                                    pds: FakeBlueskyServer) -> None:
    cfg = _config(tmp_path, pds)
    bad = subprocess.run([str(SCRIPT), "--config", str(cfg), "check-config"],
                         capture_output=True, text=True, env=_env(), timeout=120)
    assert bad.returncode == 2, bad.stdout + bad.stderr
    assert "BLUESKY_APP_PASSWORD" in bad.stdout + bad.stderr
    assert "Traceback" not in bad.stderr
    good = subprocess.run([str(SCRIPT), "--config", str(cfg), "check-config"],
                          capture_output=True, text=True, timeout=120,
                          env=_env(BLUESKY_APP_PASSWORD=PASSWORD))
    assert good.returncode == 0, good.stdout + good.stderr
    assert PASSWORD not in good.stdout + good.stderr


def test_run_once_reads_bluesky_through_the_console_script(tmp_path: Path,
                                                          pds: FakeBlueskyServer) -> None:
    ann = pds.network.add_account("ann.bsky.social")
    for i in range(3):
        pds.network.post(ann, f"@acme.bsky.social order {i} never came")
    cfg = _config(tmp_path, pds)
    once = subprocess.run([str(SCRIPT), "--config", str(cfg), "run", "--once"],
                          capture_output=True, text=True, timeout=300,
                          env=_env(BLUESKY_APP_PASSWORD=PASSWORD, HF_HUB_OFFLINE="1",
                                   TRANSFORMERS_OFFLINE="1"))
    assert once.returncode == 0, once.stdout + once.stderr
    assert PASSWORD not in once.stdout + once.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "fr.db") as db:
        rows = db.execute("select source, count(*) from mentions group by source").fetchall()
    assert rows == [("bluesky", 3)]
