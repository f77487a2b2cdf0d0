"""X (Twitter) API v2 adapters: the only package that imports tweepy.

- ``network.NETWORK``: X's entry in ``listener.networks`` (what the runtime builds)
- ``build_sources(settings, secrets, *, clock)``: the ``MentionSource`` list to poll
- ``XReplier``: a brand's public reply (``PublicReplier``), as the brand's own account
- ``FilteredStream`` / ``StreamService``: the optional filtered stream with catch-up
- ``pricing``: X's prices (the only module that knows them)
- ``build_app_client`` / ``build_user_client`` / ``build_streaming_client``: tweepy clients
  routed to ``settings.x.api_base_url``
"""

from __future__ import annotations

from listener.x.client import build_app_client, build_streaming_client, build_user_client
from listener.x.mapping import SOURCE, BrandContext, map_page, map_tweet
from listener.x.replier import XReplier
from listener.x.sources import (
    MentionsTimelineSource,
    RecentSearchSource,
    brand_context,
    build_sources,
)
from listener.x.stream import FilteredStream, StreamRule, build_stream, rules_from_settings

__all__ = [
    "SOURCE",
    "BrandContext",
    "FilteredStream",
    "MentionsTimelineSource",
    "RecentSearchSource",
    "StreamRule",
    "XReplier",
    "brand_context",
    "build_app_client",
    "build_sources",
    "build_stream",
    "build_streaming_client",
    "build_user_client",
    "map_page",
    "map_tweet",
    "rules_from_settings",
]
