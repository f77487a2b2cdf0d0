"""Deciding history: the context the live pipeline would have had, rebuilt in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from listener.backfill.decider import HistoryDecider, alerts_for, find_brand
from listener.config import BrandSettings, RuleSettings, Settings, SlackSettings
from listener.domain import AlertKind, Author, Mention, Route
from tests.backfill.doubles import keyword_scores

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def mention(i: int, *, minutes: int = 0, conv: str | None = None, author: str = "",
            brand: str = "Acme", text: str = "@acme worst service ever") -> Mention:
    who = author or f"user{i}"
    return Mention("x", str(i), text, Author(id=who, username=who),
                   T0 + timedelta(minutes=minutes), brand=brand, conversation_id=conv or str(i))


def settings(budget: int = 30) -> Settings:
    acme = BrandSettings(name="Acme", handles=["AcmeHelp"], channel="#acme",  # type: ignore[call-arg]
                         rules=RuleSettings())  # type: ignore[call-arg]
    return Settings(brands=[acme], slack=SlackSettings(channel_budget_per_hour=budget))  # type: ignore[call-arg]


def test_a_brand_is_found_by_name_or_by_handle() -> None:
    s = settings()
    assert find_brand(s, "Acme") is not None
    assert find_brand(s, "@acmehelp") is not None
    assert find_brand(s, "Other") is None
    assert HistoryDecider(s).rules_for("AcmeHelp").channel == "#acme"
    assert HistoryDecider(s).rules_for("Other").channel == "#cx-alerts"


def test_the_second_complaint_in_a_conversation_joins_the_thread() -> None:
    d = HistoryDecider(settings())
    first = d(mention(1, conv="c"), keyword_scores("worst"))
    second = d(mention(2, minutes=3, conv="c"), keyword_scores("worst"))
    assert first.route is Route.ALERT
    assert second.route is Route.THREAD
    assert second.thread_of == ("x", "1")
    assert [a.kind for a in alerts_for(second)] == [AlertKind.THREAD_REPLY]
    assert [a.kind for a in alerts_for(first)] == [AlertKind.ALERT]


def test_the_channel_budget_applies_per_hour_of_history() -> None:
    d = HistoryDecider(settings(budget=2))
    # Unrelated posts (orthogonal embeddings: no incident), moderate urgency (not urgent).
    axes = [tuple(float(i == k) for k in range(4)) for i in range(4)]
    s = [replace(keyword_scores("worst"), urgency=2, embedding=e) for e in axes]
    routes = [d(mention(i, minutes=10 * i), s[i]).route for i in range(3)]
    assert routes == [Route.ALERT, Route.ALERT, Route.DIGEST]
    # An hour after the first two, the channel has room again.
    assert d(mention(3, minutes=75), s[3]).route is Route.ALERT


def test_decide_many_decides_oldest_first_but_answers_in_input_order() -> None:
    d = HistoryDecider(settings())
    late, early = mention(2, minutes=10, conv="c"), mention(1, conv="c")
    s = keyword_scores("worst")
    verdicts = d.decide_many([(late, s), (early, s)])
    assert [v.mention for v in verdicts] == [late.key, early.key]
    assert verdicts[1].route is Route.ALERT  # the earlier post opened the thread
    assert verdicts[0].route is Route.THREAD


def test_an_ignored_post_queues_nothing() -> None:
    d = HistoryDecider(settings())
    v = d(mention(1, text="@acme thanks!"), keyword_scores("thanks!"))
    assert v.route is Route.IGNORE
    assert alerts_for(v) == ()


def test_an_actionable_post_opens_an_incident_that_later_posts_join() -> None:
    d = HistoryDecider(settings())
    first = d(mention(1), keyword_scores("worst"))
    second = d(mention(2, minutes=20), keyword_scores("worst"))
    assert first.incident_id == "x-1"
    assert second.incident_id == "x-1"
    assert second.route is Route.THREAD
    assert second.thread_of == ("x", "1")
