"""Bluesky as one of firstreply's networks (``listener.networks``): the brand account's
notifications, searchPosts queries, the Jetstream stream and replies, free to read.

One app password (``BLUESKY_APP_PASSWORD``) is one account, ``bluesky.login`` (by
default the first brand's first Bluesky handle): its notifications are polled for the
brand that lists it, and that brand replies as it. Every brand's queries are searched
through the same session, and the stream follows every brand's handles and keywords.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from listener.bluesky.mapping import SOURCE, BrandContext, post_url
from listener.config import BrandSettings, Secrets, Settings
from listener.ports import Clock, CursorRepo, MentionSource, PublicReplier

if TYPE_CHECKING:
    from listener.bluesky.client import BlueskyClient
    from listener.health import Budget
    from listener.networks import StorePage
    from listener.runtime.runtime import Service

__all__ = ["NETWORK", "BlueskyNetwork", "brand_context", "client_for", "login_handle"]

#: What bsky.app generates under Settings -> Privacy and security -> App passwords.
_APP_PASSWORD = re.compile(r"[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}")


def _reads(settings: Settings) -> bool:
    return any(b.bluesky.handles or b.bluesky.queries for b in settings.brands)


def login_handle(settings: Settings) -> str | None:
    """The account BLUESKY_APP_PASSWORD belongs to."""
    if settings.bluesky.login:
        return settings.bluesky.login
    return next((b.bluesky.handles[0] for b in settings.brands if b.bluesky.handles), None)


def _login_brand(settings: Settings) -> BrandSettings | None:
    login = login_handle(settings)
    return next((b for b in settings.brands if login in b.bluesky.handles), None)


def brand_context(brand: BrandSettings) -> BrandContext:
    return BrandContext(
        brand=brand.name,
        handles=frozenset(brand.bluesky.handles),
        keywords=tuple(frozenset(q.lower().split()) for q in brand.bluesky.queries),
    )


def client_for(settings: Settings, secrets: Secrets) -> BlueskyClient:
    from listener.bluesky.client import BlueskyClient

    login = login_handle(settings)
    assert login is not None, "problems() refuses settings without a Bluesky account"
    return BlueskyClient(
        service_url=settings.bluesky.service_url, login=login,
        password=secrets.bluesky_app_password, timeout=settings.bluesky.timeout_seconds,
    )


class BlueskyNetwork:
    key = SOURCE

    def post_url(self, author: str, post_id: str) -> str:
        return post_url(author, post_id)

    def problems(self, settings: Settings, secrets: Secrets) -> list[tuple[str, str]]:
        if not _reads(settings):
            if settings.bluesky.stream:
                return [("bluesky.stream", "no brand has brands[].bluesky handles or queries")]
            return []
        problems = []
        password = secrets.bluesky_app_password
        if password is None:
            problems.append(("BLUESKY_APP_PASSWORD", "not set in the environment: cannot "
                             "read Bluesky (create an app password for the brand account)"))
        elif not _APP_PASSWORD.fullmatch(password.get_secret_value()):
            problems.append(("BLUESKY_APP_PASSWORD", "is not an app password "
                             "(xxxx-xxxx-xxxx-xxxx): never use the account password; create "
                             "one under Settings > Privacy and security > App passwords"))
        login = login_handle(settings)
        if login is None:
            problems.append(("bluesky.login", "Bluesky queries need an account to search "
                             "with: set it, or brands[].bluesky.handles"))
        elif _login_brand(settings) is None:
            problems.append(("bluesky.login", f"{login} is in no brands[].bluesky.handles: "
                             "whose notifications would it read?"))
        return problems

    def sources(self, settings: Settings, secrets: Secrets, *, clock: Clock
                ) -> list[MentionSource]:
        if not _reads(settings):
            return []
        from listener.bluesky.profiles import ProfileCache
        from listener.bluesky.sources import NotificationsSource, SearchSource

        cfg = settings.bluesky
        client = client_for(settings, secrets)
        profiles = ProfileCache(client, clock=clock,
                                ttl=timedelta(minutes=cfg.profile_cache_minutes))
        common: dict[str, Any] = {"client": client, "profiles": profiles, "clock": clock,
                  "page_size": cfg.page_size, "first_pages": cfg.first_poll_pages}
        out: list[MentionSource] = []
        owner = _login_brand(settings)
        if owner is not None:
            out.append(NotificationsSource(ctx=brand_context(owner),
                                           name=f"bsky-notifications:{client.login}", **common))
        for brand in settings.brands:
            for query in brand.bluesky.queries:
                out.append(SearchSource(
                    query=query, ctx=brand_context(brand),
                    overlap=timedelta(seconds=cfg.search_overlap_seconds), **common))
        return out

    def services(
        self, settings: Settings, secrets: Secrets, *, clock: Clock, store_page: StorePage,
        cursors: CursorRepo,
    ) -> list[Service]:
        if not settings.bluesky.stream or not _reads(settings):
            return []
        from listener.bluesky.jetstream import build_stream_service

        return [build_stream_service(settings, secrets, clock=clock, store_page=store_page,
                                     cursors=cursors)]

    def poll_interval(self, settings: Settings) -> float:
        return float(settings.bluesky.poll_interval_seconds)

    def budget(self, settings: Settings) -> Budget | None:
        return None  # free to read

    def repliers(
        self, settings: Settings, secrets: Secrets, *, ledger: MutableMapping[str, str]
    ) -> tuple[Mapping[str, PublicReplier], str | None]:
        """The brand that lists ``bluesky.login`` replies as that account; others cannot."""
        owner = _login_brand(settings)
        if owner is None:
            return {}, None
        if secrets.bluesky_app_password is None:
            return {}, "BLUESKY_APP_PASSWORD not set"
        from listener.bluesky.replier import BlueskyReplier

        replier = BlueskyReplier(client=client_for(settings, secrets), memory=ledger)
        return {owner.name: replier}, None


NETWORK = BlueskyNetwork()
