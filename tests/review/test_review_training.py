"""Closing the loop: reviewed labels train the next model, which is compared with the model
that queued them (real embedding model, real temporary MLflow store)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from clusters.config import get_settings
from training.train import train

pytestmark = pytest.mark.slow

TAXONOMY = """
name: Toy clusters
version: "1"
clusters:
  - id: space
    name: Space technology
    description: Companies that build satellites, rockets or use satellite data.
    tier: new-economy
    keywords: [satellite, rocket, spacecraft]
  - id: food
    name: Food and drink manufacturing
    description: Bakeries, breweries, dairies and other makers of food and drink.
    tier: established
    keywords: [bakery, brewery, dairy]
"""
SPACE = [
    "Small satellites and onboard computers for Earth observation.",
    "Rocket engine testing and launch vehicle propulsion.",
    "Satellite ground station software and spacecraft operations.",
    "Star trackers and reaction wheels for spacecraft.",
    "Cubesat launch brokerage.",
    "Satellite imagery analytics for insurers.",
]
FOOD = [
    "Family bakery making bread and cakes.",
    "Craft brewery making cask ales.",
    "Dairy producing cheese and yoghurt.",
    "Chocolate and confectionery maker.",
    "Gin distillery with a visitor centre.",
    "Pie maker supplying butchers.",
]
OTHER = [
    "Lettings agency for rented flats.",
    "Plumbing and heating engineers.",
    "Accountancy practice.",
    "Hair salon.",
    "Office cleaning contractor.",
    "Driving school.",
]


def _rows(start: int, texts: list[str], label: str) -> list[dict[str, str]]:
    return [
        {"company_id": f"{start + i:08d}", "text": t, "labels": label} for i, t in enumerate(texts)
    ]


def test_training_with_reviewed_labels_logs_counts_and_the_comparison(tmp_path: Path):
    taxonomy = tmp_path / "toy.yaml"
    taxonomy.write_text(TAXONOMY)
    labels = tmp_path / "labels.csv"
    pd.DataFrame(
        _rows(1, SPACE[:4], "space") + _rows(101, FOOD[:4], "food") + _rows(201, OTHER[:4], "")
    ).to_csv(labels, index=False)
    first = train(taxonomy, [labels], model_name="loop")
    assert first.decision.version == "1" and first.reviewed_comparison is None
    _explanations_come_from_the_queue_model()

    reviewed_rows = (
        _rows(1001, SPACE, "space")
        + _rows(1101, FOOD, "food")
        + _rows(1201, OTHER, "")
        + [{"company_id": "00000001", "text": SPACE[0], "labels": ""}]  # a correction
    )
    reviewed = tmp_path / "reviewed.csv"
    pd.DataFrame(reviewed_rows).assign(model_version="loop/v1", simulated="False").to_csv(
        reviewed, index=False
    )
    second = train(taxonomy, [labels], [reviewed], model_name="loop")

    table = second.reviewed_comparison
    assert table is not None
    assert set(table["cluster_id"]) == {"space", "food", "(all, micro)"}
    assert {"f1_queue_model", "f1_new_model", "f1_change", "items"} <= set(table.columns)
    assert table["items"].iloc[0] >= 3
    client = MlflowClient(get_settings().mlflow_uri)
    run = client.get_run(second.run_id)
    assert run.data.params["reviewed_labels"] == str(len(reviewed_rows))
    assert "reviewed_micro_f1_queue_model" in run.data.metrics
    artifacts = {a.path for a in client.list_artifacts(second.run_id, "evaluation")}
    assert "evaluation/reviewed_comparison.csv" in artifacts


def _explanations_come_from_the_queue_model() -> None:
    """What `clusters review import` stores for the item page, from model loop/v1."""
    from classifier.text import text_hash
    from clusters.review.explain import explain_queue

    texts = {"00000901": SPACE[4], "00000902": FOOD[4]}
    queued = pd.DataFrame({"company_id": list(texts), "model_version": "loop/v1"})
    evidence = pd.DataFrame(
        {"text": list(texts.values()), "text_hash": [text_hash(t) for t in texts.values()]},
        index=list(texts),
    )
    explained = explain_queue(queued, evidence, get_settings())
    space = explained["00000901"]
    assert set(space["thresholds"]) == {"space", "food"}
    top = space["clusters"][0]
    assert top["cluster_id"] == "space" and 0.0 <= top["probability"] <= 1.0
    assert top["examples"] and top["examples"][0]["text"]
    assert explained["00000902"]["clusters"][0]["cluster_id"] == "food"
    assert explain_queue(queued.assign(model_version="gone/v7"), evidence, get_settings()) == {}
