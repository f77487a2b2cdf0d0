"""The composition root builds the configured model: brand topics reach the classifier."""

from __future__ import annotations

from listener.cli.wiring import build_classifier
from listener.config import Settings


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
