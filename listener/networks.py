"""The networks firstreply listens on: one registry line each.

A network is a package with a ``network`` module exposing ``NETWORK``, an object with
the :class:`Network` interface below (``listener.x.network`` is the one that ships).
The runtime builds every network's sources, services and repliers from here; the core
sees only ``SourceInfo`` / ``MentionSource`` / ``PublicReplier``. ``label`` is what
people call a network, for Slack texts ("Open the post on X"); ``post_url`` where a post
is read on the web (each mapping sets ``Mention.url`` with it).

Adding one: a package (``listener/bluesky/`` is the second; its SDK imported there
only), its settings, and one line in ``REGISTRY``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from listener.config import Secrets, Settings
from listener.ports import Clock, CursorRepo, MentionSource, Page, PublicReplier, SourceInfo

if TYPE_CHECKING:
    from listener.health import Budget
    from listener.runtime.runtime import Service

__all__ = ["REGISTRY", "Network", "NetworkEntry", "network_label", "networks", "post_url"]


@dataclass(frozen=True, slots=True)
class NetworkEntry:
    #: ``Mention.source`` of the network's posts (and ``SourceInfo.network``).
    key: str
    #: What people call it.
    label: str
    #: The module exposing ``NETWORK``; None for posts that come from elsewhere.
    module: str | None


REGISTRY: tuple[NetworkEntry, ...] = (
    NetworkEntry("x", "X", "listener.x.network"),
    NetworkEntry("bluesky", "Bluesky", "listener.bluesky.network"),
    # The bundled demo replays posts that were made on X; `firstreply demo` builds it.
    NetworkEntry("demo", "X", None),
)


class StorePage(Protocol):
    def __call__(self, source: SourceInfo, page: Page) -> int: ...


class Network(Protocol):
    """What the runtime asks a network for. Each method sees the whole settings and
    returns nothing for a network no brand uses."""

    @property
    def key(self) -> str: ...

    def post_url(self, author: str, post_id: str) -> str:
        """Where the post ``post_id`` by ``author`` (a handle) is read on the web."""
        ...

    def problems(self, settings: Settings, secrets: Secrets) -> list[tuple[str, str]]:
        """Settings or secrets that keep ``run`` from working, as (key, why)."""
        ...

    def sources(self, settings: Settings, secrets: Secrets, *, clock: Clock
                ) -> list[MentionSource]:
        """The sources to poll on the schedule."""
        ...

    def services(
        self, settings: Settings, secrets: Secrets, *, clock: Clock, store_page: StorePage,
        cursors: CursorRepo,
    ) -> list[Service]:
        """What runs beside the scheduler (a real-time stream), storing through the poller."""
        ...

    def poll_interval(self, settings: Settings) -> float:
        """Seconds between two polls of one of its sources."""
        ...

    def budget(self, settings: Settings) -> Budget | None:
        """What the operator means to spend reading it, or None when reading is free."""
        ...

    def repliers(
        self, settings: Settings, secrets: Secrets, *, ledger: MutableMapping[str, str]
    ) -> tuple[Mapping[str, PublicReplier], str | None]:
        """Each brand's replier, by brand name, replying as that brand's own account,
        and why there are none, if so. ``ledger`` remembers replies across restarts."""
        ...


def network_label(key: str) -> str:
    """``"x"`` -> ``"X"``; an unknown key is shown as it is."""
    return next((e.label for e in REGISTRY if e.key == key), key)


def post_url(key: str, author: str, post_id: str) -> str | None:
    """The web address of a post on network ``key``; None for a network without one."""
    found = networks([key])
    return found[0].post_url(author, post_id) if found else None


def networks(keys: Sequence[str] | None = None) -> list[Network]:
    """The registered networks (that have a module), imported on first use."""
    out = []
    for entry in REGISTRY:
        if entry.module is None or (keys is not None and entry.key not in keys):
            continue
        out.append(importlib.import_module(entry.module).NETWORK)
    return out
