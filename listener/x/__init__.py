"""X (Twitter) API v2 adapters: the only package that imports tweepy.

- ``build_sources(settings, secrets, *, clock)``: the ``MentionSource`` list to poll
- ``XReplier``: the brand's public reply (``PublicReplier``)
- ``FilteredStream``: the optional filtered stream with catch-up
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
