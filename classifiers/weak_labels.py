"""Weak complaint labels for twcs customer tweets, read off the brand's reply.

A support agent who apologises or asks the customer to move to DMs is answering a
problem report; one who says "glad to hear" is answering praise. Neither is a human
label, so the trainer weights these rows down (see ``classifiers.finetune_data``).
Rows whose reply says neither are left unlabelled and unused.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from classifiers.data import _frame
from classifiers.text import normalize

APOLOGY = re.compile(
    r"\b(sorry|apologi[sz]e\w*|apologies|unfortunate\w*|frustrat\w*|inconvenience\w*"
    r"|not (the experience|what) we want)\b",
    re.IGNORECASE,
)
TO_PRIVATE = re.compile(
    r"\b(DM|DMs|direct message|private message|PM us|send us a (private )?(message|note))\b",
    re.IGNORECASE,
)
PRAISE = re.compile(
    r"\b(glad|great to hear|happy to hear|love to hear|thanks for the (love|shout\w*)"
    r"|you're welcome|enjoy)\b",
    re.IGNORECASE,
)


def reply_label(reply: str) -> int:
    """1 = the reply treats the post as a problem, 0 = as praise, -1 = cannot tell."""
    if APOLOGY.search(reply) or TO_PRIVATE.search(reply):
        return 1
    if PRAISE.search(reply):
        return 0
    return -1


def label_threads(df: pd.DataFrame) -> pd.DataFrame:
    """Customer (inbound) tweets with a weak ``complaint`` label from their brand replies.

    ``df`` has the twcs columns. Any problem-reply wins over praise; ``group`` is the brand.
    """
    inbound = df["inbound"].astype(str) == "True"
    customers = df[inbound].set_index("tweet_id")
    labels: dict[int, int] = {}
    brands: dict[int, str] = {}
    for _, reply in df[~inbound].iterrows():
        parent = reply["in_response_to_tweet_id"]
        if pd.isna(parent) or int(parent) not in customers.index:
            continue
        label = reply_label(str(reply["text"]))
        if label < 0:
            continue
        key = int(parent)
        labels[key] = max(labels.get(key, 0), label)
        brands[key] = str(reply["author_id"])
    ids = sorted(labels)
    return _frame(
        {
            "text": [normalize(str(customers.loc[i, "text"])) for i in ids],
            "source": ["twcs"] * len(ids),
            "group": [brands[i] for i in ids],
            "complaint": [labels[i] for i in ids],
        }
    )


def twcs_weak(data_dir: Path) -> pd.DataFrame:
    """Weakly labelled customer tweets of the twcs sample (see :func:`label_threads`)."""
    path = data_dir / "twcs-sample" / "twcs_first5000.csv"
    return label_threads(pd.read_csv(path, lineterminator="\n"))
