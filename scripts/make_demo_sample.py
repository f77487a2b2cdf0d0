"""Build the bundled demo sample from the twcs slice in ../shared/data (reproducible).

The sample is the customer side of ~200 real conversations with brands that the default
model was NOT trained on (no airlines), so the demo shows the model on unseen brands.
Usage: python scripts/make_demo_sample.py [../shared/data/twcs-sample/twcs_first5000.csv]
"""

from __future__ import annotations

import csv
import json
import random
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from listener.x.mapping import x_text

SRC = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/twcs-sample/twcs_first5000.csv")
OUT = Path(__file__).resolve().parent.parent / "listener" / "demo" / "sample.jsonl"
BRANDS = {
    "AmazonHelp": "Amazon",
    "AppleSupport": "Apple",
    "Uber_Support": "Uber",
    "comcastcares": "Comcast",
    "SpotifyCares": "Spotify",
    "TMobileHelp": "T-Mobile",
    "ChipotleTweets": "Chipotle",
    "Tesco": "Tesco",
    "XboxSupport": "Xbox",
    "VerizonSupport": "Verizon",
    "AskPlayStation": "PlayStation",
    "sprintcare": "Sprint",
}
N_CONVERSATIONS = 200


def main() -> None:
    # Split on \n only: tweet 3399 holds bare \r characters in an unquoted field, which
    # both universal newlines and the csv module would take for line ends.
    with SRC.open(newline="", encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    rows = list(csv.DictReader(line.replace("\r", " ") for line in lines if line))
    by_id = {r["tweet_id"]: r for r in rows}

    def parent(r: dict[str, str]) -> str | None:
        p = r["in_response_to_tweet_id"]
        return str(int(float(p))) if p else None

    def root(r: dict[str, str]) -> str:
        seen = r
        while (p := parent(seen)) and p in by_id:
            seen = by_id[p]
        return seen["tweet_id"]

    def brand_of(r: dict[str, str]) -> str | None:
        for rid in filter(None, r["response_tweet_id"].split(",")):
            reply = by_id.get(rid)
            if reply and reply["inbound"] == "False":
                return reply["author_id"]
        return None

    convs: dict[str, list[dict[str, str]]] = {}
    conv_brand: dict[str, str] = {}
    for r in rows:
        if r["inbound"] != "True":
            continue
        cid = root(r)
        convs.setdefault(cid, []).append(r)
        b = brand_of(r)
        if b:
            conv_brand.setdefault(cid, b)
    eligible = sorted(
        c for c, b in conv_brand.items() if b in BRANDS and by_id[c]["inbound"] == "True"
    )
    random.Random(7).shuffle(eligible)
    out = []
    for cid in eligible[:N_CONVERSATIONS]:
        handle = conv_brand[cid]
        for r in convs[cid]:
            created = datetime.strptime(r["created_at"], "%a %b %d %H:%M:%S %z %Y")
            out.append(
                {
                    "id": r["tweet_id"],
                    "text": x_text(r["text"]),  # as the author wrote it (twcs is X's text)
                    "created_at": created.isoformat(),
                    "author_id": r["author_id"],
                    "brand": BRANDS[handle],
                    "brand_handle": handle,
                    "conversation_id": cid,
                    "in_reply_to_id": parent(r),
                }
            )
    out.sort(key=lambda d: (d["created_at"], int(d["id"])))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as fh:
        for d in out:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    print(f"wrote {len(out)} posts from {N_CONVERSATIONS} conversations to {OUT}")


if __name__ == "__main__":
    main()
