"""Public replies: the ``PublicReplier`` the Slack app uses, picking for each mention the
replier of its network and brand (each brand answers as its own account)."""

from __future__ import annotations

from collections.abc import Mapping

from listener.domain import Mention
from listener.errors import PermanentDelivery
from listener.networks import network_label
from listener.ports import PublicReplier

__all__ = ["ReplierRouter"]


class ReplierRouter:
    def __init__(
        self,
        repliers: Mapping[tuple[str, str], PublicReplier],
        *,
        why_not: Mapping[str, str] | None = None,
    ) -> None:
        """``repliers`` by (network key, brand name); ``why_not`` by network key: why
        that network has none (missing credentials), for the refusal."""
        self._repliers = dict(repliers)
        self._why_not = dict(why_not or {})

    def _for(self, mention: Mention) -> PublicReplier:
        replier = self._repliers.get((mention.source, mention.brand))
        if replier is not None:
            return replier
        network = network_label(mention.source)
        why = self._why_not.get(mention.source) or (
            f"no {network} account is configured to reply for {mention.brand or 'this brand'}"
        )
        raise PermanentDelivery(f"{why}: reply on {network} directly")

    def reply(self, mention: Mention, text: str, *, idempotency_key: str) -> str:
        return self._for(mention).reply(mention, text, idempotency_key=idempotency_key)

    def cost_warning(self, mention: Mention, text: str) -> str | None:
        try:
            replier = self._for(mention)
        except PermanentDelivery:
            return None
        return replier.cost_warning(mention, text)
