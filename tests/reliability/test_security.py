"""Security of the Slack endpoint, the X reply path and the SQL.

Already in tests/slack/test_app.py (not repeated): forged, wrong-secret, stale and
future signatures; an unauthorised replier (buttons and a hand-made submission); replier
groups. In tests/x/test_replier.py: one reply per idempotency key, refusal of posts that
do not address the brand.

Replays: Slack's guidance ("Verifying requests from Slack") is to check the v0 HMAC and
reject timestamps more than five minutes old; that bounds, but does not stop, a replay
inside the window. bolt does exactly that and keeps no record of seen requests. So a
replayed *action* is accepted again; every firstreply action is idempotent (claim,
status changes) except public replies, which the replier dedupes by idempotency key.
"""

from __future__ import annotations

import ast
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from listener.domain import AlertStatus
from tests.fakes.slack_server import sign
from tests.slack.conftest import ALICE, BOB, MALLORY, SIGNING_SECRET, make_mention, seed
from tests.slack.test_app import Env, reply_values

# The ``env`` fixture (the bolt app served over HTTP, one alert posted) and the fixtures
# it needs come from tests/slack, through this directory's conftest.py.

ROOT = Path(__file__).resolve().parents[2]


def raw_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def signed(
    body: str, ts: int | None = None, ctype: str = "application/x-www-form-urlencoded"
) -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    return {
        "Content-Type": ctype,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(SIGNING_SECRET, body, ts),
    }


def reply_view(env: Env) -> dict[str, Any]:
    assert env.click(ALICE, "fr_reply")[0] == 200
    return env.opened_view()


def submission(env: Env, view: dict[str, Any], text: str, user: str = ALICE) -> str:
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEST001", "domain": "firstreply-test"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEST001"},
        "api_app_id": "A0FIRSTRE",
        "token": "legacy-verification-token",
        "trigger_id": "1234.5678.ghijkl",
        "view": {**view, "id": "V0MODAL01", "state": {"values": reply_values(text)}},
        "response_urls": [],
    }
    return urlencode({"payload": json.dumps(payload)})


def test_a_replayed_reply_submission_posts_on_x_once(env: Env) -> None:
    view = reply_view(env)
    body = submission(env, view, "So sorry Jane, DM us please.")
    headers = signed(body)
    first = raw_post(env.url, body.encode(), headers)
    replay = raw_post(env.url, body.encode(), headers)  # same signature and timestamp
    assert first == (200, "")
    assert replay[0] == 200
    assert len(env.x.posted) == 1
    assert len(env.x.requests_to("/2/tweets", "POST")) == 1
    assert env.status() == AlertStatus.REPLIED


def test_two_people_submitting_the_same_reply_post_it_once(env: Env) -> None:
    env.slack.usergroups["S0CXTEAM1"] = [BOB]
    view = reply_view(env)
    for user in (ALICE, BOB):
        body = submission(env, view, "Sorry! Fixing it now.", user=user)
        assert raw_post(env.url, body.encode(), signed(body))[0] == 200
    assert len(env.x.posted) == 1


def test_a_replayed_claim_changes_nothing_more(env: Env) -> None:
    payload = env.block_action(ALICE, "fr_claim")
    body = urlencode({"payload": json.dumps(payload)})
    headers = signed(body)
    assert raw_post(env.url, body.encode(), headers)[0] == 200
    assert raw_post(env.url, body.encode(), headers)[0] == 200
    alert = env.store.get_alert(env.alert_id)
    assert alert is not None
    assert alert.claimed_by == ALICE
    assert alert.status == AlertStatus.CLAIMED


def test_a_replay_older_than_five_minutes_is_refused(env: Env) -> None:
    payload = env.block_action(ALICE, "fr_claim")
    body = urlencode({"payload": json.dumps(payload)})
    status, _ = raw_post(env.url, body.encode(), signed(body, ts=int(time.time()) - 6 * 60))
    assert status == 401
    assert env.status() == AlertStatus.OPEN


@pytest.mark.parametrize(
    "ctype", ["application/json", "text/plain", "multipart/form-data; boundary=x", ""]
)
def test_wrong_content_types_do_nothing_and_do_not_crash(env: Env, ctype: str) -> None:
    payload = env.block_action(ALICE, "fr_claim")
    for body in (json.dumps(payload), urlencode({"payload": json.dumps(payload)}), "\x00\xff"):
        unsigned = {"Content-Type": ctype} if ctype else {}
        # Refused either way; never a 500 (bolt parses before it verifies: GuardedHandler).
        assert raw_post(env.url, body.encode(), unsigned)[0] in (400, 401)
        status, _ = raw_post(env.url, body.encode(), signed(body, ctype=ctype))
        assert status in (200, 400, 401, 404), (ctype, status)
    # Only the correctly-typed signed claim may act: whatever the others did, the alert
    # is at most claimed by Alice, and no reply went to X.
    alert = env.store.get_alert(env.alert_id)
    assert alert is not None
    assert alert.claimed_by in (None, ALICE)
    assert env.x.posted == []


def test_an_oversized_body_is_refused_without_action(env: Env) -> None:
    big = "payload=" + "A" * (5 * 1024 * 1024)
    status, _ = raw_post(
        env.url,
        big.encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(int(time.time())),
            "X-Slack-Signature": "v0=" + "0" * 64,
        },
    )
    assert status == 413  # refused before parsing or an HMAC over 5 MB
    status, _ = raw_post(env.url, big.encode(), signed(big))
    assert status == 413
    assert env.status() == AlertStatus.OPEN
    assert env.click(ALICE, "fr_claim")[0] == 200  # the app is still serving
    assert env.status() == AlertStatus.CLAIMED


# Which actions the product restricts to repliers (settings.slack.repliers and
# replier_groups). Claim, snooze and the two feedback buttons are open to the channel
# by design: they change no public state and are recorded with the clicking user.
RESTRICTED = {
    "fr_reply": True,
    "fr_resolve": True,
    "fr_claim": False,
    "fr_snooze": False,
    "fr_not_complaint": False,
}


@pytest.mark.parametrize("action", sorted(RESTRICTED))
def test_each_action_is_authorised_as_documented(env: Env, action: str) -> None:
    assert env.click(MALLORY, action)[0] == 200
    refused = [
        c
        for c in env.slack.calls_to("chat.postEphemeral")
        if "only the configured repliers" in str(c.args.get("text"))
    ]
    if RESTRICTED[action]:
        assert refused
        assert env.slack.calls_to("views.open") == []
        assert env.status() == AlertStatus.OPEN
    else:
        assert refused == []
    assert env.x.posted == []


def test_wrong_urgency_is_recorded_as_the_clicking_user(env: Env) -> None:
    assert env.click(MALLORY, "fr_wrong_urgency", urgency=4)[0] == 200
    (label,) = env.store.list_feedback()
    assert (label.user, label.label) == (MALLORY, "urgency:4")


def test_should_not_have_pinged_is_recorded_and_shown_as_the_clicking_user(env: Env) -> None:
    assert env.click(MALLORY, "fr_should_not_ping")[0] == 200
    (label,) = env.store.list_feedback()
    assert (label.user, label.label) == (MALLORY, "not_urgent")
    card = json.dumps(env.slack.messages[(env.ref.channel, env.ref.ts)].blocks)
    assert f"Marked *should not have pinged* by <@{MALLORY}>" in card


def test_a_reply_to_a_post_that_does_not_address_the_brand_is_refused(env: Env) -> None:
    tweet = env.x.add_tweet("acme support is useless", author="bystander")
    mention = make_mention(tweet["id"], text=tweet["text"], addresses_brand=False)
    seed(env.store, mention)
    view = reply_view(env)
    meta = json.loads(view["private_metadata"])
    meta["k"] = ["x", tweet["id"]]
    view = {**view, "private_metadata": json.dumps(meta)}
    body = submission(env, view, "Sorry to hear that!")
    status, answer = raw_post(env.url, body.encode(), signed(body))
    assert status == 200
    assert "reply manually" in json.loads(answer)["errors"]["reply"]
    assert env.x.requests_to("/2/tweets", "POST") == []


# ---------------------------------------------------------------------- SQL injection
_SQL_SINKS = {"text", "execute", "exec_driver_sql", "executescript", "literal_column"}


def _dynamic_string(node: ast.expr) -> bool:
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return any(
            isinstance(side, ast.Constant) and isinstance(side.value, str)
            for side in (node.left, node.right)
        ) or _dynamic_string(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in {"format", "join"}
    return False


def sql_built_from_strings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in _SQL_SINKS and _dynamic_string(node.args[0]):
            where = path.relative_to(ROOT) if ROOT in path.parents else path.name
            found.append(f"{where}:{node.lineno}: {name}({ast.unparse(node.args[0])[:60]})")
    return found


def test_the_grep_finds_what_it_looks_for(tmp_path: Path) -> None:
    bad = tmp_path / "probe.py"
    bad.write_text(
        "def f(conn, name):\n"
        "    conn.execute(text(f'select * from t where n = {name}'))\n"
        "    conn.execute('select %s' % name)\n"
        "    conn.exec_driver_sql('select {}'.format(name))\n"
        "    conn.execute(text('select 1'))\n"
    )
    found = sql_built_from_strings(bad)
    assert [f.split(":")[1] for f in found] == ["3", "4", "2"]  # not the constant on line 5


def test_no_sql_is_built_from_strings_in_listener() -> None:
    offenders = []
    for path in sorted((ROOT / "listener").rglob("*.py")):
        offenders += sql_built_from_strings(path)
    assert offenders == []
