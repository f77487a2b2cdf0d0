"""Bluesky mentions round-trip through every store (memory, SQLite, PostgreSQL): their
ids, handles and languages fit the store's key columns, whatever the network sent."""

from __future__ import annotations

from datetime import UTC, datetime

from listener.bluesky.mapping import BrandContext, PostInput, map_post
from listener.ports import Store

DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"


def test_mapped_posts_store_and_load_unchanged(store: Store) -> None:
    long_handle = "a" * 60 + ".example.com"  # a valid handle, wider than the column
    root = f"at://{DID}/app.bsky.feed.post/3l3qo2vutsw2b"
    record = {
        "$type": "app.bsky.feed.post", "text": "@acme.bsky.social the app is broken 😡",
        "createdAt": "2026-03-02T09:00:00.000Z", "langs": ["pt-BR-x-weird-and-very-long"],
        "reply": {"root": {"uri": root, "cid": "bafyreia"}, "parent": {"uri": root,
                                                                       "cid": "bafyreia"}},
    }
    ctx = BrandContext(brand="Acme", handles=frozenset({"acme.bsky.social"}))
    m = map_post(PostInput(uri=f"at://{DID}/app.bsky.feed.post/3l3qo2vutsw2c", cid="bafyreib",
                           did=DID, handle=long_handle, record=record, followers=5),
                 ctx=ctx, found_by="bsky-notifications:acme.bsky.social")
    assert m.author.username == "" and m.url.startswith(f"https://bsky.app/profile/{DID}/")
    assert m.lang == "pt"
    assert store.add_mentions([m]) == 1
    assert store.add_mentions([m]) == 0
    got = store.get_mention(m.key)
    assert got is not None
    assert (got.id, got.conversation_id, got.in_reply_to_id, got.lang, got.url) == (
        m.id, f"{DID}/3l3qo2vutsw2b", f"{DID}/3l3qo2vutsw2b", "pt", m.url)
    assert got.raw["cid"] == "bafyreib" and got.raw["record"]["text"] == record["text"]
    assert got.created_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
