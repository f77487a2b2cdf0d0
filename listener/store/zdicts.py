"""Preset dictionaries of the compact column formats (revision 0009).

A dictionary is part of the format it serves: a blob compressed against it can only be
inflated with the very same bytes. These are therefore frozen: ``tests/store`` pins their
digests, and a better dictionary must come as a new format tag (``compact.py``), never as
an edit here. They hold what the rows repeat: the field names and fixed values of each
network's payload, and the scores' labels and explanation phrases. Deflate prefers the
nearest match, so the most common shapes come last.
"""

from __future__ import annotations

__all__ = ["PAYLOAD_V1", "SCORES_V1"]

_X_TWEET = (
    '{"edit_history_tweet_ids":["1"],"possibly_sensitive":false,"reply_settings":"everyone",'
    '"public_metrics":{"retweet_count":0,"reply_count":0,"like_count":0,"quote_count":0,'
    '"bookmark_count":0,"impression_count":0},"entities":{"mentions":[{"start":0,"end":8,'
    '"username":"","id":""}],"urls":[{"start":0,"end":23,"url":"https://t.co/",'
    '"expanded_url":"https://","display_url":""}],"hashtags":[{"start":0,"end":0,"tag":""}]},'
    '"referenced_tweets":[{"type":"replied_to","id":""},{"type":"quoted","id":""}],'
    '"note_tweet":{"text":""},"in_reply_to_user_id":"","lang":"en",'
    '"created_at":"2026-01-01T00:00:00.000Z","conversation_id":"","author_id":"",'
    '"id":"","text":""}'
)
_BLUESKY_POST = (
    '{"uri":"at://did:plc:/app.bsky.feed.post/","cid":"bafyrei","author":{"did":"did:plc:",'
    '"handle":".bsky.social","displayName":""},"record":{"$type":"app.bsky.feed.post",'
    '"createdAt":"2026-01-01T00:00:00.000Z","langs":["en"],"facets":[{"$type":'
    '"app.bsky.richtext.facet","features":[{"$type":"app.bsky.richtext.facet#mention",'
    '"did":"did:plc:"}],"index":{"byteEnd":0,"byteStart":0}}],"reply":{"parent":{"cid":'
    '"bafyrei","uri":"at://did:plc:/app.bsky.feed.post/"},"root":{"cid":"bafyrei","uri":'
    '"at://did:plc:/app.bsky.feed.post/"}},"text":""},"indexedAt":"2026-01-01T00:00:00.000Z"}'
)
_DEMO = (
    '{"id":"","text":"","created_at":"2017-10-01T00:00:00+00:00","author_id":"","brand":"",'
    '"brand_handle":"","conversation_id":"","in_reply_to_id":null,'
    '"original_created_at":"2017-10-01T00:00:00+00:00"}'
)
_TWCS = (
    '{"":"","tweet_id":"","author_id":"","inbound":"True","created_at":'
    '"Tue Oct 31 22:11:45 +0000 2017","text":"","response_tweet_id":"",'
    '"in_response_to_tweet_id":"1.0","brand_replied_at":"Tue Oct 31 22:10:47 +0000 2017"}'
)

#: ``mentions.payload``'s dictionary; the row's own strings are appended to it per row.
PAYLOAD_V1 = (_X_TWEET + _BLUESKY_POST + _DEMO + _TWCS).encode("utf-8")

#: ``scores.packed``'s dictionary: the positional JSON ``compact.pack_scores`` writes.
SCORES_V1 = (
    '"money","legal","churn","press","safety","outage","model","phrase",'
    '" signal (model): "," signal: \\"'
    '"; topic billing/refund"; topic product defect"; topic account/login'
    '"; topic customer service"; topic delivery"; topic pricing"; topic safety"; topic outage'
    '"firstreply-triage-minilm-ft/2026'
    '{"no explicit reproach":0.,"disapproval":0.,"accusation":0.,"blame":0.}]'
    '"not a complaint (p=0.1, threshold 0.25), neutral"'
    '"complaint (p=0.9, threshold 0.25), negative; urgency 2 (disapproval)'
    '; urgency 1 (no explicit reproach); urgency 3 (accusation); urgency 4 (blame)'
    '{"delivery":0.,"billing/refund":0.,"product defect":0.,"account/login":0.,'
    '"customer service":0.,"outage":0.,"safety":0.,"pricing":0.,"other":0.},'
    '[{"negative":0.,"neutral":0.,"positive":0.},false,[],'
).encode("utf-8")
