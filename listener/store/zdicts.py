"""Preset dictionaries of the compact column formats (revision 0009).

A dictionary is part of the format it serves: a blob compressed against it can only be
inflated with the very same bytes. These are therefore frozen: ``tests/store`` pins their
digests, and a better dictionary must come as a new format tag (``compact.py``), never as
an edit here. They hold what the rows repeat: the field names and fixed values of each
network's payload, and the scores' labels and explanation phrases. Deflate prefers the
nearest match, so the most common shapes come last.
"""

from __future__ import annotations

__all__ = ["PAYLOAD_V1", "REASONS_V1", "SCORES_V1"]

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

#: ``verdicts.reasons``' dictionary: the policy's phrases (``listener/decisions``), with the
#: default channels.
REASONS_V1 = (
    '"quiet hours (","outside business hours (","language \'","\' not in ",'
    '"ignore phrase: \'","the brand\'s own post (@","closed (","less urgent (",'
    '" is on the VIP list","reach: ","k followers","M followers",'
    '" over budget (","), but urgent: sent","earlier alert in this conversation is ",'
    '" → new card","same conversation as an earlier alert → thread","joins incident ",'
    '"urgent · safety: \'","urgent · outage: \'","urgent · money: \'","urgent · legal: \'",'
    '"urgent · churn: \'","urgent · press: \'","spike: 10 \'other\' posts in 15 min (usually 0.",'
    '"spike: 50% of 10 posts in 15 min are complaints (usually 0.",'
    '"held back: #cx-queue over budget (120/120 this hour) → digest",'
    '"no complaint or request read","praise: \'thanks\'","praise: \'Thank",'
    '"neither addresses nor names ","spike: 10 posts in 15 min (usually 0.",'
    '["→ #cx-alerts, pings"]["→ #cx-urgent, pings"]["no brand to route it to"]'
    '["no problem words, model unsure","not urgent → #cx-queue, no ping"]'
).encode()

#: ``scores.packed``'s dictionary: the positional JSON ``compact.pack_scores`` writes.
SCORES_V1 = (
    b'"money","legal","churn","press","safety","outage","model","phrase",'
    b'" signal (model): "," signal: \\"'
    b'"; topic billing/refund"; topic product defect"; topic account/login'
    b'"; topic customer service"; topic delivery"; topic pricing"; topic safety"; topic outage'
    b'"firstreply-triage-minilm-ft/2026'
    b'{"no explicit reproach":0.,"disapproval":0.,"accusation":0.,"blame":0.}]'
    b'"not a complaint (p=0.1, threshold 0.25), neutral"'
    b'"complaint (p=0.9, threshold 0.25), negative; urgency 2 (disapproval)'
    b'; urgency 1 (no explicit reproach); urgency 3 (accusation); urgency 4 (blame)'
    b'{"delivery":0.,"billing/refund":0.,"product defect":0.,"account/login":0.,'
    b'"customer service":0.,"outage":0.,"safety":0.,"pricing":0.,"other":0.},'
    b'[{"negative":0.,"neutral":0.,"positive":0.},false,[],'
    # Two whole rows, made up: deflate copies their runs of structure and digits.
    b'[{"negative":0.0412,"neutral":0.9376,"positive":0.0212},false,[],{"delivery":0.0067,'
    b'"billing/refund":0.0125,"product defect":0.0021,"account/login":0.0043,'
    b'"customer service":0.0254,"outage":0.0008,"safety":0.0013,"pricing":0.0019,'
    b'"other":0.9450},"not a complaint (p=0.12, threshold 0.25), neutral",'
    b'"firstreply-triage-minilm-ft/20261201",{"no explicit reproach":0.8795,'
    b'"disapproval":0.0911,"accusation":0.0102,"blame":0.0192},2,"neutral",0.1187,0,"other"]'
    b'[{"negative":0.8731,"neutral":0.1054,"positive":0.0215},true,[],{"delivery":0.1476,'
    b'"billing/refund":0.0398,"product defect":0.0387,"account/login":0.0613,'
    b'"customer service":0.2815,"outage":0.0352,"safety":0.0041,"pricing":0.0073,'
    b'"other":0.3845},"complaint (p=0.71, threshold 0.25), negative; urgency 1 '
    b'(no explicit reproach)","firstreply-triage-minilm-ft/20261201",'
    b'{"no explicit reproach":0.7314,"disapproval":0.1389,"accusation":0.0158,'
    b'"blame":0.1139},2,"negative",0.7093,1,"other"]'
)
