"""The composition root builds the configured model: brand topics reach the classifier."""

from __future__ import annotations

import pickle

from listener.config import Settings
from listener.runtime import build_classifier, model_spec


def test_brand_topics_from_config_extend_the_taxonomy() -> None:
    settings = Settings(
        brands=[
            {
                "name": "Tesla",
                "handles": ["Tesla"],
                "topics": {
                    "charging": [
                        "the supercharger is full of cars that finished charging",
                        "my car won't charge at the station",
                        "every charging stall was taken by idle cars",
                    ]
                },
            }
        ]
    )
    model = build_classifier(settings)
    [scores] = model.predict(["@Tesla the San Carlos supercharger is clogged by idle cars again"])
    assert "charging" in scores.topic_scores
    assert scores.topic == "charging"


def test_the_model_spec_pickles_with_everything_the_config_says() -> None:
    # Ray actors (backfill --ray-actors) build their model from this, in another process.
    settings = Settings(
        model={"batch_size": 32, "device": "cpu", "sentiment_model": "/models/sent",
               "sentiment_labels": {"LABEL_0": "negative"}},
        brands=[{"name": "A", "handles": ["a"], "topics": {"charging": ["no charger"]}},
                {"name": "B", "handles": ["b"], "topics": {"charging": ["stall taken"]}}],
    )
    spec = pickle.loads(pickle.dumps(model_spec(settings)))
    assert spec == model_spec(settings)
    assert (spec.batch_size, spec.device, spec.sentiment_model) == (32, "cpu", "/models/sent")
    assert dict(spec.sentiment_labels) == {"LABEL_0": "negative"}
    assert dict(spec.topics) == {"charging": ("no charger", "stall taken")}
