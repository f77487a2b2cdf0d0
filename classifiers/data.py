"""Loaders for the shared corpora, each handling the quirks in its PROVENANCE.md.

Every loader returns a :class:`pandas.DataFrame` with the same columns:

``text``       normalised text (see :func:`classifiers.text.normalize`)
``source``     corpus name
``group``      airline / CESAMARD domain / file, for cross-domain splits
``sentiment``  0 negative, 1 neutral, 2 positive, -1 unknown
``complaint``  1 complaint, 0 not, -1 unknown
``severity``   0..4 (Jin & Aletras), -1 unknown
``reason``     airline ``negativereason`` (weak topic label) or ""
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from classifiers.text import decode_u_escapes, normalize

logger = logging.getLogger(__name__)

COLUMNS = ("text", "source", "group", "sentiment", "complaint", "severity", "reason")
_SENT = {"negative": 0, "neutral": 1, "positive": 2}
_SEVERITY = {
    "non-complaint": 0,
    "no explicit reproach": 1,
    "disapproval": 2,
    "accusation": 3,
    "blame": 4,
}
_ALNUM = re.compile(r"[^a-z0-9]+")


def _frame(rows: dict[str, Any]) -> pd.DataFrame:
    n = len(rows["text"])
    for col, default in (("sentiment", -1), ("complaint", -1), ("severity", -1), ("reason", "")):
        rows.setdefault(col, [default] * n)
    df = pd.DataFrame({c: rows[c] for c in COLUMNS})
    df = df[df["text"].str.len() > 0].reset_index(drop=True)
    return df.astype({"sentiment": "int64", "complaint": "int64", "severity": "int64"})


def airline(data_dir: Path) -> pd.DataFrame:
    """Twitter US Airline Sentiment: dedupe by tweet id; "Can't Tell" is no complaint label."""
    df = pd.read_csv(data_dir / "twitter-us-airline-sentiment" / "Tweets.csv")
    df = df.drop_duplicates("tweet_id").reset_index(drop=True)
    reason = df["negativereason"].fillna("").astype(str)
    sentiment = df["airline_sentiment"].map(_SENT)
    complaint = np.where(sentiment == 0, 1, 0)
    complaint = np.where((sentiment == 0) & (reason == "Can't Tell"), -1, complaint)
    return _frame(
        {
            "text": [normalize(t) for t in df["text"].astype(str)],
            "source": ["airline"] * len(df),
            "group": df["airline"].astype(str).tolist(),
            "sentiment": sentiment.tolist(),
            "complaint": complaint.tolist(),
            "reason": reason.tolist(),
        }
    )


def _semeval_records(path: Path) -> list[tuple[str, str, str]]:
    records: list[list[str]] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for line in fh.read().split("\n"):
            if not line:
                continue
            if re.match(r"^\d+\t", line) or not records:
                records.append(line.split("\t"))
            else:  # embedded newline: join onto the previous record
                records[-1][-1] += " " + line
    out = []
    for rec in records:
        rec = [f for f in rec if f != ""] if len(rec) > 3 else rec
        if len(rec) < 3:
            continue
        text = decode_u_escapes("\t".join(rec[2:]).strip())
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            text = text[1:-1]
        out.append((rec[0], rec[1], text))
    return out


def semeval(data_dir: Path, *, exclude: pd.Series | None = None) -> pd.DataFrame:
    """SemEval-2017 4A pool: dedupe by id, drop conflicting labels, decode escapes.

    ``exclude`` holds texts (e.g. TweetEval val and test) whose alphanumeric form
    must not appear in the result. All rows are labelled not-complaint: general
    tweets, mostly not addressed to a brand, are the complaint head's hard negatives.
    """
    folder = data_dir / "semeval2017-task4a"
    seen: dict[str, tuple[str, str, str]] = {}
    conflicts: set[str] = set()
    for path in sorted(folder.glob("twitter-*.txt")):
        for tid, label, text in _semeval_records(path):
            if tid in seen and seen[tid][0] != label:
                conflicts.add(tid)
            seen.setdefault(tid, (label, text, path.stem))
    rows = [(v[0], v[1], v[2]) for k, v in seen.items() if k not in conflicts and v[0] in _SENT]
    texts = [normalize(t) for _, t, _ in rows]
    df = _frame(
        {
            "text": texts,
            "source": ["semeval"] * len(rows),
            "group": [g for _, _, g in rows],
            "sentiment": [_SENT[lab] for lab, _, _ in rows],
            "complaint": [0] * len(rows),
        }
    )
    if exclude is not None:
        banned = {alnum_key(t) for t in exclude}
        keep = ~df["text"].map(alnum_key).isin(banned)
        logger.info("semeval: dropped %d rows matching excluded texts", int((~keep).sum()))
        df = df[keep].reset_index(drop=True)
    logger.info("semeval: %d rows, %d conflicting ids dropped", len(df), len(conflicts))
    return df


def alnum_key(text: str) -> str:
    """Lower-case alphanumeric-only form, for overlap checks."""
    text = normalize(text).replace("@user", "")
    return _ALNUM.sub("", re.sub(r"\bhttp\b", "", text).lower())


def tweeteval_sentiment(data_dir: Path, split: str) -> pd.DataFrame:
    """TweetEval sentiment ``val`` or ``test`` (test is evaluation-only)."""
    folder = data_dir / "tweeteval" / "sentiment"
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
    labels = (folder / f"{split}_labels.txt").read_text(encoding="utf-8").split()
    texts = texts[: len(labels)]
    return _frame(
        {
            "text": [normalize(t) for t in texts],
            "source": [f"tweeteval-{split}"] * len(labels),
            "group": [split] * len(labels),
            "sentiment": [int(x) for x in labels],
            "complaint": [0] * len(labels),
        }
    )


def tweeteval_emotion(data_dir: Path, split: str = "train") -> pd.DataFrame:
    """TweetEval emotion mapped to sentiment: anger/sadness negative, joy/optimism positive."""
    folder = data_dir / "tweeteval" / "emotion"
    texts = (folder / f"{split}_text.txt").read_text(encoding="utf-8").split("\n")
    labels = [int(x) for x in (folder / f"{split}_labels.txt").read_text().split()]
    to_sent = {0: 0, 1: 2, 2: 2, 3: 0}
    return _frame(
        {
            "text": [normalize(t) for t in texts[: len(labels)]],
            "source": ["emotion"] * len(labels),
            "group": [split] * len(labels),
            "sentiment": [to_sent[x] for x in labels],
            "complaint": [0] * len(labels),
        }
    )


def cesamard(data_dir: Path) -> pd.DataFrame:
    """CESAMARD-Aspect (Amazon.in reviews): title + review; complaint and severity.

    Rows whose severity disagrees with ``Complaint`` keep the complaint label but
    lose the severity label.
    """
    path = data_dir / "cesamard-aspect" / "CESAMARD-Aspect_Dataset.csv"
    df = pd.read_csv(path)
    title = df["Title"].fillna("").astype(str).str.strip()
    review = df["Review_S"].fillna("").astype(str).str.strip()
    text = [normalize(f"{t}. {r}" if t else r) for t, r in zip(title, review, strict=True)]
    complaint = df["Complaint"].astype(int)
    sev = df["Severity"].astype(str).str.strip().str.lower().map(_SEVERITY).fillna(-1).astype(int)
    agree = (sev > 0).astype(int) == complaint
    sev = sev.where(agree & (sev >= 0), -1)
    return _frame(
        {
            "text": text,
            "source": ["cesamard"] * len(df),
            "group": df["Domain"].astype(str).tolist(),
            "complaint": complaint.tolist(),
            "severity": sev.tolist(),
        }
    )


#: X-FINCORP ``Domain`` (case-folded) -> the industry group its leave-one-out fold holds out.
XFIN_GROUPS: dict[str, str] = {
    "debit card": "cards",
    "credit card": "cards",
    "atm": "cards",
    "transaction failure": "payments",
    "transaction fail": "payments",
    "transaction": "payments",
    "consumer transaction complaints": "payments",
    "refund": "payments",
    "financial apps": "payments",
    "netbanking": "payments",
    "customer service": "banking",
    "retail banking": "banking",
    "loan": "banking",
    "mortgage": "banking",
    "interest rate": "banking",
    "salary": "banking",
    "economy": "markets",
    "stocks and investment": "markets",
    "stock": "markets",
    "crypto": "markets",
    "financial policies": "markets",
    "tax": "markets",
}


def x_fincorp(data_dir: Path) -> pd.DataFrame:
    """X-FINCORP finance tweets: complaint, 4-level severity and sentiment, one text per row.

    ``group`` is the industry group of the unnormalised ``Domain`` (see :data:`XFIN_GROUPS`).
    """
    path = data_dir / "x-fincorp" / "X-FINCORP.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    domain = df["Domain"].str.strip().str.lower()
    sev = df["Severity level"].str.strip().str.lower().map(_SEVERITY).fillna(-1).astype(int)
    complaint = df["Complaint Label"].str.strip().astype(int)
    agree = (sev > 0).astype(int) == complaint
    return _frame(
        {
            "text": [normalize(t) for t in df["Complaint/ Opinion"]],
            "source": ["xfincorp"] * len(df),
            "group": domain.map(XFIN_GROUPS).fillna("other").tolist(),
            "sentiment": df["Sentiment"].str.strip().str.lower().map(_SENT).fillna(-1).tolist(),
            "complaint": complaint.tolist(),
            "severity": sev.where(agree, -1).tolist(),
        }
    )


def tweet_sentiment_extraction(data_dir: Path) -> pd.DataFrame:
    """Kaggle Tweet Sentiment Extraction: general tweets; ``group`` is its ``kfold`` (0-9).

    Backticks become apostrophes (the source writes "I`d"); nothing is brand-directed,
    so every row is also a not-complaint (ordinary chatter).
    """
    path = data_dir / "tweet-sentiment-extraction" / "train_10fold.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return _frame(
        {
            "text": [normalize(t.replace("`", "'")) for t in df["text"]],
            "source": ["tse"] * len(df),
            "group": [f"fold{k}" for k in df["kfold"]],
            "sentiment": df["sentiment"].str.strip().map(_SENT).fillna(-1).tolist(),
            "complaint": [0] * len(df),
        }
    )


def twcs_inbound(data_dir: Path) -> pd.DataFrame:
    """Customer tweets from the twcs sample (unlabelled); bare ``\\r`` kept inside fields."""
    path = data_dir / "twcs-sample" / "twcs_first5000.csv"
    df = pd.read_csv(path, lineterminator="\n")
    inbound = df[df["inbound"].astype(str) == "True"]
    return _frame(
        {
            "text": [normalize(t) for t in inbound["text"].astype(str)],
            "source": ["twcs"] * len(inbound),
            "group": ["twcs"] * len(inbound),
        }
    )


def split_frame(
    df: pd.DataFrame, fractions: tuple[float, float], *, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Seeded random train/val/test split; ``fractions`` are (val, test)."""
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(df))
    n_val, n_test = int(len(df) * fractions[0]), int(len(df) * fractions[1])
    test = df.iloc[idx[:n_test]]
    val = df.iloc[idx[n_test : n_test + n_val]]
    train = df.iloc[idx[n_test + n_val :]]
    return train.reset_index(drop=True), val.reset_index(drop=True), test.reset_index(drop=True)


def feedback_frame(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    """Operator feedback ``(text, label)``; label is a sentiment name or complaint/not_complaint."""
    rows: dict[str, Any] = {"text": [], "source": [], "group": [], "sentiment": []}
    rows["complaint"] = []
    for text, label in pairs:
        rows["text"].append(normalize(text))
        rows["source"].append("feedback")
        rows["group"].append("feedback")
        rows["sentiment"].append(_SENT.get(label, -1))
        rows["complaint"].append({"complaint": 1, "not_complaint": 0}.get(label, -1))
    return _frame(rows)


#: The corpus files training and evaluation read, relative to the data folder.
CORPUS_FILES: tuple[str, ...] = (
    "twitter-us-airline-sentiment/Tweets.csv",
    "semeval2017-task4a",
    "tweeteval/sentiment/val_text.txt",
    "tweeteval/sentiment/test_text.txt",
    "tweeteval/emotion",
    "cesamard-aspect/CESAMARD-Aspect_Dataset.csv",
    "x-fincorp/X-FINCORP.csv",
    "tweet-sentiment-extraction/train_10fold.csv",
    "twcs-sample/twcs_first5000.csv",
)


def missing_corpora(data_dir: Path) -> list[str]:
    """The entries of :data:`CORPUS_FILES` that ``data_dir`` lacks."""
    return [name for name in CORPUS_FILES if not (data_dir / name).exists()]


def read_all(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Every corpus, keyed by name; SemEval minus TweetEval val/test overlaps."""
    val = tweeteval_sentiment(data_dir, "val")
    test = tweeteval_sentiment(data_dir, "test")
    exclude = pd.concat([val["text"], test["text"]])
    return {
        "airline": airline(data_dir),
        "semeval": semeval(data_dir, exclude=exclude),
        "tweeteval_val": val,
        "tweeteval_test": test,
        "emotion": tweeteval_emotion(data_dir),
        "cesamard": cesamard(data_dir),
        "twcs": twcs_inbound(data_dir),
    }
