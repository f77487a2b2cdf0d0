"""X as one of firstreply's networks (``listener.networks``): its sources, the filtered
stream, each brand's replier, its budget and what it needs to run."""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING

from listener.config import Secrets, Settings
from listener.errors import ConfigError
from listener.ports import Clock, CursorRepo, MentionSource, PublicReplier
from listener.x.mapping import SOURCE, status_url

if TYPE_CHECKING:
    from listener.health import Budget
    from listener.networks import StorePage
    from listener.runtime.runtime import Service

__all__ = ["NETWORK", "XNetwork"]

log = logging.getLogger(__name__)


def _reads_x(settings: Settings) -> bool:
    return any(b.handles or b.queries for b in settings.brands)


class XNetwork:
    key = SOURCE

    def post_url(self, author: str, post_id: str) -> str:
        return status_url(author, post_id)

    def problems(self, settings: Settings, secrets: Secrets) -> list[tuple[str, str]]:
        problems = []
        if _reads_x(settings) and secrets.x_bearer_token is None:
            problems.append(("X_BEARER_TOKEN", "not set in the environment: cannot read X"))
        if settings.x.stream and not any(b.queries for b in settings.brands):
            problems.append(
                ("x.stream", "the filtered stream follows brands[].queries: none configured")
            )
        return problems

    def sources(self, settings: Settings, secrets: Secrets, *, clock: Clock
                ) -> list[MentionSource]:
        if not _reads_x(settings):
            return []
        from listener.x.sources import build_sources

        return build_sources(settings, secrets, clock=clock)

    def services(
        self, settings: Settings, secrets: Secrets, *, clock: Clock, store_page: StorePage,
        cursors: CursorRepo,
    ) -> list[Service]:
        if not settings.x.stream:
            return []
        from listener.x.stream import build_stream, stream_service

        stream = build_stream(settings, secrets, clock=clock)
        return [stream_service(stream, store_page=store_page, cursor=cursors.get_cursor)]

    def poll_interval(self, settings: Settings) -> float:
        return float(settings.x.poll_interval_seconds)

    def budget(self, settings: Settings) -> Budget | None:
        from listener.health import Budget

        return Budget(settings.x.daily_budget_usd, settings.x.monthly_budget_usd)

    def repliers(
        self, settings: Settings, secrets: Secrets, *, ledger: MutableMapping[str, str]
    ) -> tuple[Mapping[str, PublicReplier], str | None]:
        """One ``XReplier`` per brand with a handle, answering as the brand's account."""
        from listener.x.client import build_user_client
        from listener.x.replier import XAccount, XReplier

        brands = [b for b in settings.brands if b.handles]
        if not brands:
            return {}, None
        try:
            client = build_user_client(settings, secrets)
        except ConfigError as exc:
            why = ", ".join(key for key, _ in exc.problems) + " not set"
            log.warning("public replies on X are disabled: %s", why)
            return {}, why
        # One set of user credentials is one account: each brand's replier checks that
        # it is the brand's own before posting (asked once, on the first reply).
        account = XAccount(client)
        return {
            b.name: XReplier(client=client, handle=b.handles[0], handles=b.handles,
                             memory=ledger, prices=settings.x.prices, account=account)
            for b in brands
        }, None


NETWORK = XNetwork()
