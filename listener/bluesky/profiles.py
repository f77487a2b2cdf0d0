"""Authors' profiles (handle, display name, follower count), asked in batches and cached.

Posts carry only a basic author view (no follower count; a Jetstream commit not even a
handle); ``app.bsky.actor.getProfiles`` answers 25 actors a call. Each DID is asked at
most once per ``ttl``; the cache is bounded so a busy stream cannot grow it forever.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from atproto import models

from listener.bluesky.client import BlueskyClient
from listener.ports import Clock

__all__ = ["BATCH", "Profile", "ProfileCache"]

#: app.bsky.actor.getProfiles takes at most 25 actors.
BATCH = 25


@dataclass(frozen=True, slots=True)
class Profile:
    did: str
    handle: str
    display_name: str = ""
    followers: int = 0


class ProfileCache:
    def __init__(self, client: BlueskyClient, *, clock: Clock, ttl: timedelta,
                 max_entries: int = 50_000) -> None:
        self._client = client
        self._clock = clock
        self._ttl = ttl
        self._max = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[datetime, Profile]] = OrderedDict()
        self.calls = 0

    def profiles(self, dids: Iterable[str]) -> dict[str, Profile]:
        """The profiles of ``dids`` that Bluesky knows (deleted accounts are left out).

        Raises the client's exceptions (the caller translates them)."""
        now = self._clock.now()
        wanted = list(dict.fromkeys(dids))
        out: dict[str, Profile] = {}
        missing = []
        with self._lock:
            for did in wanted:
                hit = self._entries.get(did)
                if hit is not None and now - hit[0] < self._ttl:
                    out[did] = hit[1]
                else:
                    missing.append(did)
        for start in range(0, len(missing), BATCH):
            batch = missing[start:start + BATCH]
            self.calls += 1
            body = self._client.query(
                "app.bsky.actor.getProfiles", models.AppBskyActorGetProfiles.Params(actors=batch)
            )
            for item in body.get("profiles") or []:
                if not isinstance(item, dict) or not isinstance(item.get("did"), str):
                    continue
                profile = Profile(
                    did=item["did"],
                    handle=str(item.get("handle") or ""),
                    display_name=str(item.get("displayName") or ""),
                    followers=int(item.get("followersCount") or 0),
                )
                out[profile.did] = profile
                self._keep(profile, now)
        return out

    def _keep(self, profile: Profile, now: datetime) -> None:
        with self._lock:
            self._entries[profile.did] = (now, profile)
            self._entries.move_to_end(profile.did)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
