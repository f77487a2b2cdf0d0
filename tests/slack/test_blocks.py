from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listener import lifecycle
from listener.domain import (
    Alert,
    AlertKind,
    AlertStatus,
    Signal,
    SlackRef,
)
from listener.ports import TriagedMention
from listener.slack import blocks
from listener.slack.blocks import ActionRef, alert_message, escalation_message, render
from listener.slack.escape import utf16_len
from tests.slack.conftest import ALICE, ONCALL, T0, make_mention, make_scores, make_verdict

HOSTILE = (
    "<!channel> <!here> @everyone @channel <@U024BE7LH> <#C024BE7LH|general> "
    "<https://evil.example/login|https://acme.com/refund> &lt; *bold* ~strike~"
)


def item(text: str | None = None, *, addresses_brand: bool = True, **kw: Any) -> TriagedMention:
    mention = make_mention(7, text=text, addresses_brand=addresses_brand)
    primary = Alert(mention=mention.key, channel="#cx-alerts", id=11)
    return TriagedMention(
        mention, make_scores(), make_verdict(mention.key, **kw), alerts=(primary,)
    )


def dump(message: blocks.Message) -> str:
    return json.dumps({"text": message.text, "blocks": message.blocks}, ensure_ascii=False)


def elements(message: blocks.Message) -> list[dict[str, Any]]:
    return [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def action_ids(message: blocks.Message) -> list[str]:
    return [e["action_id"] for e in elements(message)]


def test_alert_shows_everything_a_human_needs() -> None:
    it = item()
    msg = alert_message(it, it.alerts[0], sla_minutes=60)
    text = dump(msg)
    assert msg.text.startswith("High complaint from @jane7 · delivery: @acme my order 7")
    for expected in (
        "*Jane Doe* @jane7",
        "12,345 followers",
        "verified (blue)",
        ">@acme my order 7 never arrived",
        "negative (0.91)",
        "87%",
        "*Urgency*\\nUrgent",  # agrees with the priority, whatever the severity head says
        "delivery",
        "`inc-42`",
        "complaint 0.87 ≥ 0.50 · urgency 3 ≥ 2",
        "<https://x.com/jane7/status/7|Open the post on X>",
        "*Reply here*",
    ):
        assert expected in text, expected
    deadline = int((T0 + timedelta(minutes=60)).timestamp())
    assert f"<!date^{deadline}^{{date_short_pretty}} {{time}}|2026-11-22 13:00 UTC>" in text
    assert msg.post_kwargs()["unfurl_links"] is False
    assert msg.post_kwargs()["unfurl_media"] is False
    assert action_ids(msg) == [
        "fr_claim",
        "fr_reply",
        "fr_resolve",
        "fr_snooze",
        "fr_not_complaint",
        "fr_should_not_ping",
    ]


def test_buttons_carry_the_alert_and_mention() -> None:
    it = item()
    msg = alert_message(it, it.alerts[0], sla_minutes=60)
    assert {e["type"] for e in elements(msg)} == {"button"}  # no menu any more
    for element in elements(msg):
        assert ActionRef.decode(element["value"]) == ActionRef(11, ("x", "7"))


def test_posts_the_api_may_not_answer_say_reply_manually() -> None:
    it = item(addresses_brand=False)
    msg = alert_message(it, it.alerts[0], sla_minutes=60)
    assert "*Reply manually on X*" in dump(msg)
    assert "fr_reply" not in action_ids(msg)
    manual = next(e for e in elements(msg) if e["action_id"] == "fr_open_x")
    assert manual["url"] == "https://x.com/jane7/status/7"


def test_hostile_post_cannot_ping_mention_or_disguise_a_link() -> None:
    it = item(HOSTILE)
    msg = alert_message(it, it.alerts[0], sla_minutes=60)
    text = dump(msg)
    controls = re.findall(r"<[^<>]*>", msg.text + "".join(_mrkdwn_texts(msg.blocks)))
    assert all(c.startswith(("<!date^", "<https://x.com/jane7/status/7|")) for c in controls), (
        controls
    )
    for bad in (
        "<!channel>",
        "<!here>",
        "<@U024BE7LH>",
        "<#C024BE7LH",
        "|https://acme.com/refund>",
    ):
        assert bad not in text
    assert "&lt;!channel&gt;" in text
    assert not re.search(r"(?<!\w)@(channel|here|everyone)\b", text)


def _mrkdwn_texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") == "mrkdwn" else []
        return found + [t for v in node.values() for t in _mrkdwn_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _mrkdwn_texts(v)]
    return []


def test_a_huge_post_respects_block_kit_limits() -> None:
    it = item("é😀<" * 9000 + "\n" * 2000)
    msg = alert_message(it, it.alerts[0], sla_minutes=60)
    for block in msg.blocks:
        if block["type"] == "header":
            assert utf16_len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert utf16_len(block.get("text", {}).get("text", "")) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(utf16_len(f["text"]) <= 2000 for f in block.get("fields", []))
    assert len(msg.blocks) <= 50
    assert utf16_len(msg.text) < 4000


def test_claimed_then_resolved_variants() -> None:
    it = item()
    claimed = alert_message(
        it, it.alerts[0], sla_minutes=60, status=AlertStatus.CLAIMED, actor=ALICE
    )
    assert f"Claimed by <@{ALICE}>" in dump(claimed)
    assert "fr_claim" not in action_ids(claimed)
    assert "fr_reply" in action_ids(claimed)
    assert "[claimed]" in claimed.text

    resolved = alert_message(
        it,
        it.alerts[0],
        sla_minutes=60,
        status=AlertStatus.RESOLVED,
        actor=ALICE,
        note="refunded <!channel>",
    )
    assert f"Resolved by <@{ALICE}>: refunded &lt;!channel&gt;" in dump(resolved)
    assert action_ids(resolved) == []


def test_actor_that_is_not_a_slack_id_is_escaped() -> None:
    it = item()
    msg = alert_message(
        it, it.alerts[0], sla_minutes=60, status=AlertStatus.CLAIMED, actor="<!channel>"
    )
    assert "<!channel>" not in dump(msg)


def test_escalation_pings_the_oncall_group_only() -> None:
    it = item(HOSTILE)
    primary = replace(it.alerts[0], slack=SlackRef("C0ALERTS1", "1732276800.000100"))
    msg = escalation_message(it, primary, oncall_group=ONCALL, minutes=15)
    text = dump(msg)
    assert msg.text.startswith(f"<!subteam^{ONCALL}> unclaimed for 15 min")
    assert "https://slack.com/archives/C0ALERTS1/p1732276800000100" in text
    assert "<!channel>" not in text
    assert "<!here>" not in text
    assert action_ids(msg) == ["fr_claim"]

    unset = escalation_message(it, primary, oncall_group="<!everyone>", minutes=15)
    assert "<!everyone>" not in dump(unset)
    assert "subteam" not in dump(unset)


def test_render_picks_the_message_by_kind() -> None:
    it = item()
    primary = replace(it.alerts[0], status=AlertStatus.CLAIMED, claimed_by=ALICE)
    opts: dict[str, Any] = {"sla_minutes": 60, "oncall_group": ONCALL, "escalation_minutes": 15}
    follow = render(Alert(it.mention.key, "#cx", kind=AlertKind.THREAD_REPLY), it, **opts)
    assert follow.text.startswith("Follow-up from @jane7")
    assert action_ids(follow) == []
    update = render(
        Alert(it.mention.key, "#cx", kind=AlertKind.UPDATE), it, primary=primary, **opts
    )
    assert "Claimed by" in dump(update)
    escalation = Alert(it.mention.key, "#esc", kind=AlertKind.ESCALATION)
    esc = render(escalation, it, primary=it.alerts[0], **opts)
    assert "subteam" in esc.text
    assert action_ids(esc) == ["fr_claim"]


@pytest.mark.parametrize(
    "status",
    [AlertStatus.CLAIMED, AlertStatus.REPLIED, AlertStatus.RESOLVED, AlertStatus.NOT_COMPLAINT],
)
def test_an_escalation_of_a_taken_alert_neither_pings_nor_offers_claim(
    status: AlertStatus,
) -> None:
    it = item()
    primary = replace(it.alerts[0], status=status, claimed_by=ALICE)
    esc = blocks.escalation_message(it, primary, oncall_group=ONCALL, minutes=15)
    assert "subteam" not in dump(esc)
    assert action_ids(esc) == []
    assert f"[{status.value}]" in esc.text


@pytest.mark.parametrize("status", list(AlertStatus))
def test_the_card_offers_exactly_the_moves_the_lifecycle_allows(status: AlertStatus) -> None:
    it = item()
    card = blocks.alert_message(it, replace(it.alerts[0], status=status), sla_minutes=60)
    offered = set(action_ids(card))
    by_move = {
        "fr_claim": AlertStatus.CLAIMED,
        "fr_reply": AlertStatus.REPLIED,
        "fr_resolve": AlertStatus.RESOLVED,
        "fr_snooze": AlertStatus.SNOOZED,
        "fr_not_complaint": AlertStatus.NOT_COMPLAINT,
    }
    allowed = {a for a, to in by_move.items() if lifecycle.can_move(status, to)}
    assert offered & set(by_move) == allowed


def test_reply_posted_message_links_the_reply() -> None:
    msg = blocks.reply_posted_message(ALICE, "https://x.com/acme/status/99", "Hi <!here>", ["$$"])
    text = dump(msg)
    assert f"<@{ALICE}> replied on X: <https://x.com/acme/status/99|View the reply on X>" in text
    assert "<!here>" not in text
    assert ":warning: $$" in text


def test_action_values_from_elsewhere_are_rejected() -> None:
    import pytest

    for bad in ("", "{}", '{"k":[1,2]}', '{"k":["x","1"],"a":"3"}', '{"k":["x","1"],"u":9}', "[]"):
        with pytest.raises(ValueError, match=r"action value|mention key|alert id|urgency"):
            ActionRef.decode(bad)


untrusted = st.lists(
    st.one_of(st.sampled_from([*"<>&!@#|^ ", "@here", "<!channel>", "http://"]), st.characters()),
    max_size=30,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(
    text=untrusted,
    name=untrusted,
    username=untrusted,
    topic=untrusted,
    reason=untrusted,
    explanation=untrusted,
    incident=untrusted,
    found_by=untrusted,
    evidence=untrusted,
    note=untrusted,
    url=st.one_of(untrusted, untrusted.map("https://x.com/".__add__)),
    verified=untrusted,
)
def test_no_user_field_can_inject_a_control_sequence(
    text: str,
    name: str,
    username: str,
    topic: str,
    reason: str,
    explanation: str,
    incident: str,
    found_by: str,
    evidence: str,
    note: str,
    url: str,
    verified: str,
) -> None:
    base = make_mention(7, text=text, name=name)
    mention = replace(
        base,
        author=replace(base.author, username=username, verified_type=verified),
        found_by=found_by,
        url=url,
    )
    scores = replace(
        make_scores(topic=topic), explanation=explanation, signals=(Signal("money", evidence),)
    )
    verdict = replace(make_verdict(mention.key), reasons=(reason,), incident_id=incident)
    primary = Alert(mention=mention.key, channel="#cx", id=1, slack=SlackRef("C0ALERTS1", "1.2"))
    it = TriagedMention(mention, scores, verdict, (primary,))
    messages = [
        alert_message(it, primary, sla_minutes=60),
        alert_message(
            it,
            primary,
            sla_minutes=60,
            status=AlertStatus.RESOLVED,
            actor=ALICE,
            note=note,
            reply_url=url,
        ),
        escalation_message(it, primary, oncall_group=ONCALL, minutes=15),
        blocks.thread_reply_message(it),
        blocks.reply_posted_message(ALICE, url, note),
    ]
    ours = ("!date^", f"!subteam^{ONCALL}", f"@{ALICE}")
    labels = {"Open the post on X", "the reply", "View the reply on X", "Open the original alert"}
    for msg in messages:
        for chunk in [msg.text, *_mrkdwn_texts(msg.blocks)]:
            for control in re.findall(r"<([^<>]*)>", chunk):
                if control.startswith(ours):
                    continue
                link, _, label = control.partition("|")
                assert label in labels, control
                assert link.startswith(("http://", "https://")), control
                assert not re.search(r"[\s|<>]", link), control
            assert not re.search(r"(?<!\w)@(channel|here|everyone)\b", chunk, re.IGNORECASE)


def test_a_spike_row_renders_as_a_spike_notice_not_an_alert_with_buttons() -> None:
    # ``render`` had no SPIKE branch: the notice went out as the tipping post's alert.
    it = item()
    reasons = (*it.verdict.reasons, "spike: 24 'delivery' posts in 15 min (usually 1.5)")  # type: ignore[union-attr]
    it = replace(it, verdict=replace(it.verdict, reasons=reasons))  # type: ignore[arg-type,type-var]
    spike = Alert(mention=it.mention.key, channel="#cx-acme", kind=AlertKind.SPIKE, id=12)
    msg = render(spike, it, sla_minutes=60, oncall_group="", escalation_minutes=15)
    text = dump(msg)
    assert action_ids(msg) == []  # a notice: nothing to claim or reply to
    assert msg.blocks[0]["text"]["text"].startswith(":chart_with_upwards_trend: Spike · Acme")
    assert "24 'delivery' posts in 15 min (usually 1.5)" in text
    assert msg.text == "Spike for Acme: 24 'delivery' posts in 15 min (usually 1.5)"
    assert "never arrived" not in text  # the post is named, not quoted as the alert
    assert "@jane7's post on X" in text


def test_texts_name_the_network_of_the_post() -> None:
    it = item(addresses_brand=False)
    other = replace(it, mention=replace(it.mention, source="mastodon"))
    x_text = dump(alert_message(it, it.alerts[0], sla_minutes=60))
    other_text = dump(alert_message(other, other.alerts[0], sla_minutes=60))
    assert "Open the post on X" in x_text and "Reply manually on X" in x_text
    assert "Open the post on mastodon" in other_text and "on X" not in other_text
    replied = alert_message(other, other.alerts[0], sla_minutes=60,
                            status=AlertStatus.REPLIED, actor=ALICE)
    assert "Replied on mastodon by" in dump(replied)
    posted = blocks.reply_posted_message(ALICE, "https://m.example/1", "hi", network="mastodon")
    assert "replied on mastodon" in posted.text
