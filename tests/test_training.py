"""Training end to end with the real embedding model and a real (temporary) MLflow store."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.models import Model
from mlflow.tracking import MlflowClient

from classifier.pyfunc import unwrap
from clusters.config import get_settings
from clusters.contracts import PREDICTIONS, ContractError
from training.registry import register_and_gate
from training.train import train

pytestmark = pytest.mark.slow

TOY_TAXONOMY = """
name: Toy clusters
version: "1"
clusters:
  - id: space
    name: Space technology
    description: Companies that build satellites, rockets, launch services or use satellite
      data and Earth observation.
    tier: new-economy
    keywords: [satellite, rocket, earth observation, launch vehicle, spacecraft]
    sic_codes: ["30300"]
  - id: medtech
    name: Medical technology
    description: Companies that design and make medical devices, diagnostics and surgical
      instruments.
    tier: established
    keywords: [medical device, diagnostic, surgical, implant, patient monitoring]
    sic_codes: ["32500", "26600"]
  - id: food
    name: Food and drink manufacturing
    description: Bakeries, breweries, dairies and other makers of food and drink products.
    tier: established
    keywords: [bakery, brewery, dairy, bread, beer, cheese]
    sic_codes: ["10710", "11050"]
"""

SPACE = [
    "We design small satellites and their onboard computers for Earth observation missions.",
    "Rocket engine test facility and launch vehicle propulsion engineering.",
    "Satellite ground station software and spacecraft operations services.",
    "Earth observation imagery analytics from our own satellite constellation.",
    "Manufacturer of reaction wheels and star trackers for spacecraft.",
    "Launch services broker helping cubesat teams reach orbit.",
    "Space weather monitoring using satellite sensors.",
    "Thermal protection materials for re-entry vehicles and rockets.",
]
MEDTECH = [
    "We manufacture surgical instruments and orthopaedic implants for hospitals.",
    "Diagnostic test kits for rapid detection of infections at the point of care.",
    "Wearable patient monitoring devices for heart rhythm.",
    "Medical device design consultancy and ISO 13485 quality systems.",
    "Catheters and minimally invasive surgical tools.",
    "Imaging equipment for ultrasound diagnostics.",
    "Hearing aid and cochlear implant components manufacturer.",
    "Insulin pump and glucose monitoring device maker.",
]
FOOD = [
    "Family bakery producing artisan bread and cakes for local shops.",
    "Craft brewery making cask ales and lager.",
    "Dairy producing cheese and yoghurt from local milk.",
    "Chocolate and confectionery manufacturer.",
    "Gin distillery with a visitor centre.",
    "Sausage and pie maker supplying butchers.",
    "Bottled juices and smoothies made from British fruit.",
    "Frozen ready meals for supermarkets.",
]
OTHER = [
    "Residential lettings agency managing rented flats.",
    "Plumbing and heating engineers for homes.",
    "Accountancy practice for small businesses.",
    "Hair salon and beauty treatments.",
    "Commercial cleaning contractor for offices.",
    "Second-hand car dealership.",
    "Estate agents selling houses.",
    "Driving school offering lessons.",
]


def _labels(rows: list[tuple[str, str]], path: Path) -> Path:
    pd.DataFrame(
        {
            "company_id": [f"{i + 1:08d}" for i in range(len(rows))],
            "text": [t for t, _ in rows],
            "labels": [lab for _, lab in rows],
        }
    ).to_csv(path, index=False)
    return path


TOY_ROWS = (
    [(t, "space") for t in SPACE]
    + [(t, "medtech") for t in MEDTECH]
    + [(t, "food") for t in FOOD]
    + [(t, "") for t in OTHER]
)
"""The toy labelled companies: (text, cluster id or "" for a negative)."""


def train_toy_store(root: Path, model_name: str) -> Path:
    """Train the toy model (MiniLM) as ``model_name`` in an MLflow store under ``root``
    (``mlflow.db``; cache and outputs beside it) and return ``root``. For session fixtures."""
    from clusters import config

    (root / "toy.yaml").write_text(TOY_TAXONOMY)
    labels = _labels(list(TOY_ROWS), root / "labels.csv")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        patch.setenv("CLUSTERS_PATHS__CACHE_DIR", str(root / "cache"))
        patch.setenv("CLUSTERS_PATHS__OUTPUT_DIR", str(root / "outputs"))
        config.set_settings(None)
        train(root / "toy.yaml", [labels], model_name=model_name)
    config.set_settings(None)
    return root


def point_at_store(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point this test's settings at the MLflow store under ``root`` (cache and outputs stay
    per test) and return ``root``."""
    from clusters import config

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
    config.set_settings(None)
    return root


@pytest.fixture
def toy(tmp_path: Path) -> dict[str, Path]:
    taxonomy = tmp_path / "toy.yaml"
    taxonomy.write_text(TOY_TAXONOMY)
    rows = list(TOY_ROWS)
    good = _labels(rows, tmp_path / "labels.csv")
    rng = np.random.default_rng(0)
    shuffled = [lab for _, lab in rows]
    rng.shuffle(shuffled)
    bad = _labels(
        [(t, lab) for (t, _), lab in zip(rows, shuffled, strict=True)], tmp_path / "bad.csv"
    )
    return {"taxonomy": taxonomy, "labels": good, "bad": bad}


def test_train_register_load_by_alias_predict(toy, tmp_path):
    result = train(toy["taxonomy"], [toy["labels"]], model_name="toy")
    assert result.decision.promoted and result.decision.version == "1"
    assert result.evaluation is not None
    assert result.label_counts["imported"] > 0 and result.label_counts["taxonomy"] > 0

    client = MlflowClient(get_settings().mlflow_uri)
    run = client.get_run(result.run_id)
    assert run.data.params["taxonomy_hash"] == result.taxonomy_hash
    assert run.data.params["dataset_hash"] == result.dataset_hash
    assert "micro_f1" in run.data.metrics and "baseline_tfidf_micro_f1" in run.data.metrics
    assert "f1__space" in run.data.metrics
    gain = result.gains.set_index(["baseline", "metric"]).loc[("tfidf", "micro_f1")]
    assert gain["gain"] == pytest.approx(
        result.evaluation.metrics["micro_f1"] - result.baselines["tfidf"].metrics["micro_f1"]
    )
    assert gain["ci_low"] <= gain["gain"] <= gain["ci_high"]
    assert run.data.metrics["gain_over_tfidf_micro_f1"] == pytest.approx(gain["gain"])
    assert (
        run.data.metrics["gain_over_tfidf_macro_f1_ci_high"]
        >= (run.data.metrics["gain_over_tfidf_macro_f1"])
    )
    artifacts = {a.path for a in client.list_artifacts(result.run_id, "evaluation")}
    assert {
        "evaluation/per_cluster.csv",
        "evaluation/reliability.png",
        "evaluation/comparison.csv",
        "evaluation/gains.csv",
    } <= artifacts
    assert str(client.get_model_version_by_alias("toy", "champion").version) == "1"
    assert str(client.get_model_version_by_alias("toy", "challenger").version) == "1"

    # artifacts live beside the SQLite store, not in the working directory
    assert any((tmp_path / "mlruns").rglob("estimator.joblib"))
    # the wrapper is logged as code: loading it runs no pickle
    flavor = Model.load(next((tmp_path / "mlruns").rglob("MLmodel"))).flavors["python_function"]
    assert flavor.get("model_code_path") and "python_model" not in flavor

    loaded = mlflow.pyfunc.load_model("models:/toy@champion")
    frame = pd.DataFrame(
        {
            "company_id": ["00000001", "00000002", "00000003"],
            "text": [
                "Our cubesats carry hyperspectral cameras for earth observation.",
                "We make surgical implants and diagnostic devices for hospitals.",
                "A bakery making sourdough bread.",
            ],
        }
    )
    out = loaded.predict(frame)
    _, rejects = PREDICTIONS.validate(out)
    assert rejects.empty
    assert list(out["top_label"]) == ["space", "medtech", "food"]
    assert {"p_space", "p_medtech", "p_food"} <= set(out.columns)
    explanation = unwrap(loaded).explain(frame["text"][0])
    assert explanation[0]["cluster_id"] == "space"
    assert "earth observation" in explanation[0]["keywords"]
    assert explanation[0]["examples"], "nearest labelled examples support the prediction"


def test_blend_is_the_default_and_hybrid_still_trains(toy):
    from typer.testing import CliRunner

    from clusters.cli import app

    assert get_settings().training.features == "blend"
    args = ["train", "--taxonomy", str(toy["taxonomy"]), "--labels", str(toy["labels"])]
    done = CliRunner().invoke(app, [*args, "--model-name", "joined", "--features", "hybrid"])
    assert done.exit_code == 0, done.output
    assert "classifier vs tfidf: micro-F1" in done.output
    assert "Downloading artifacts" not in done.output  # MLflow's bars are off in the CLI
    client = MlflowClient(get_settings().mlflow_uri)
    run = client.get_run(client.get_model_version_by_alias("joined", "champion").run_id)
    assert run.data.params["features"] == "hybrid"
    assert "blend_weight" not in run.data.metrics
    assert get_settings().training.features == "blend"  # the option changed one run only
    again = CliRunner().invoke(app, [*args, "--model-name", "joined", "--features", "hybrid"])
    assert again.exit_code == 0, again.output
    assert "kept as challenger" in again.output
    assert "v2 vs champion: micro-F1 +0.000 (95% CI +0.000..+0.000)" in again.output
    model = unwrap(mlflow.pyfunc.load_model("models:/joined@champion"))
    assert model.estimator.tfidf_models_ is None and model.estimator.uses_tfidf_


def test_blend_features_train_log_their_weight_and_load(toy):
    result = train(toy["taxonomy"], [toy["labels"]], model_name="blended")
    run = MlflowClient(get_settings().mlflow_uri).get_run(result.run_id)
    assert run.data.params["features"] == "blend"
    assert 0.5 <= run.data.metrics["blend_weight"] <= 0.8
    model = unwrap(mlflow.pyfunc.load_model("models:/blended@champion"))
    assert model.estimator.tfidf_models_ is not None
    out = model.predict_frame(
        pd.DataFrame(
            {
                "company_id": ["00000001", "00000002"],
                "text": ["Cubesat constellation for earth observation.", "A sourdough bakery."],
            }
        )
    )
    assert list(out["top_label"]) == ["space", "food"]


def test_retraining_on_the_same_data_does_not_promote(toy):
    first = train(toy["taxonomy"], [toy["labels"]], model_name="gate")
    assert first.decision.promoted
    second = train(toy["taxonomy"], [toy["labels"]], model_name="gate")
    # same data, same seeds: an equal score is not "better", so the champion stays
    assert second.decision.champion_version == "1"
    assert second.decision.champion_score == pytest.approx(second.decision.challenger_score)
    assert not second.decision.promoted
    client = MlflowClient(get_settings().mlflow_uri)
    assert str(client.get_model_version_by_alias("gate", "champion").version) == "1"
    assert str(client.get_model_version_by_alias("gate", "challenger").version) == "2"
    assert client.get_model_version("gate", "2").tags["promotion"].startswith("not promoted")
    run = client.get_run(second.run_id)
    assert "gate_champion_micro_f1" in run.data.metrics
    # the challenger's gain over the champion, with its interval: the same model, so zero
    assert first.champion_gain is None
    gain = second.champion_gain.set_index("metric").loc["micro_f1"]
    assert (gain["baseline"], gain["gain"], gain["ci_low"], gain["ci_high"]) == (
        "champion",
        0.0,
        0.0,
        0.0,
    )
    assert run.data.metrics["gain_over_champion_micro_f1"] == 0.0


def test_promotion_gate_both_ways_on_scores(toy):
    result = train(toy["taxonomy"], [toy["labels"]], model_name="scores")
    uri = result.model_uri
    mlflow.set_tracking_uri(get_settings().mlflow_uri)
    with mlflow.start_run():
        better = register_and_gate(uri, "scores", 0.9, lambda _v: 0.5, "micro_f1")
    with mlflow.start_run():
        worse = register_and_gate(uri, "scores", 0.4, lambda _v: 0.5, "micro_f1")
    with mlflow.start_run():
        tie = register_and_gate(uri, "scores", 0.5, lambda _v: 0.5, "micro_f1")
    assert better.promoted and not worse.promoted and not tie.promoted
    client = MlflowClient(get_settings().mlflow_uri)
    assert str(client.get_model_version_by_alias("scores", "champion").version) == better.version


def test_unknown_label_id_is_a_clear_error(toy, tmp_path):
    bad = _labels([("Satellite maker", "space;warp-drive")], tmp_path / "unknown.csv")
    with pytest.raises(ContractError, match="warp-drive.*|.*row 1.*"):
        train(toy["taxonomy"], [bad], model_name="unknown")


def test_cold_start_without_labels_gives_sensible_top_clusters(toy, tmp_path):
    companies = pd.DataFrame(
        {
            "company_id": [f"{i + 100:08d}" for i in range(32)],
            "name": [f"Company {i}" for i in range(32)],
            "postcode": ["NG7 2RD"] * 32,
            "sic_codes": ["30300"] * 8 + ["32500"] * 8 + ["10710"] * 8 + ["68100"] * 8,
            "website_text": SPACE + MEDTECH + FOOD + OTHER,
        }
    )
    path = tmp_path / "companies.csv"
    companies.to_csv(path, index=False)
    result = train(toy["taxonomy"], [], [], path, model_name="cold")
    assert result.decision.promoted  # first model
    assert result.evaluation is None
    assert {"taxonomy", "keyword"} <= set(result.label_counts)
    model = unwrap(mlflow.pyfunc.load_model("models:/cold@champion"))
    proba = model.predict_proba(
        [
            "A company launching a satellite constellation for earth observation.",
            "Maker of surgical instruments and diagnostic medical devices.",
            "Brewery and bakery producing beer and bread.",
        ]
    )
    assert [model.cluster_ids[j] for j in proba.argmax(axis=1)] == ["space", "medtech", "food"]


def test_model_loads_and_predicts_with_network_blocked(toy, tmp_path):
    train(toy["taxonomy"], [toy["labels"]], model_name="offline")
    script = textwrap.dedent(
        f"""
        import json, socket, sys
        def refuse(*args, **kwargs):
            raise OSError("network access attempted")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        import mlflow, pandas as pd
        mlflow.set_tracking_uri({get_settings().mlflow_uri!r})
        model = mlflow.pyfunc.load_model("models:/offline@champion")
        out = model.predict(pd.DataFrame({{"company_id": ["00000009"],
                                           "text": ["rocket engines for launch vehicles"]}}))
        print(json.dumps(out["top_label"].tolist()))
        """
    )
    env = {"HF_HUB_OFFLINE": "1", "MLFLOW_DISABLE_TELEMETRY": "true", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["space"]


def test_evaluate_and_classify_commands(toy, tmp_path):
    from typer.testing import CliRunner

    from clusters.cli import app

    train(toy["taxonomy"], [toy["labels"]])
    runner = CliRunner()
    done = runner.invoke(app, ["evaluate", "--labels", str(toy["labels"])])
    assert done.exit_code == 0, done.output
    assert "baseline: tfidf" in done.output and "classifier" in done.output
    assert "classifier vs tfidf: micro-F1 " in done.output and "95% CI" in done.output
    evaluation_run = MlflowClient(get_settings().mlflow_uri).search_runs(
        [mlflow.get_experiment_by_name(get_settings().experiment).experiment_id],
        "tags.kind = 'evaluation'",
    )[0]
    assert "gain_over_tfidf_micro_f1_ci_low" in evaluation_run.data.metrics
    logged = {a.path for a in MlflowClient().list_artifacts(evaluation_run.info.run_id)}
    assert {"comparison.csv", "gains.csv", "per_cluster.csv"} <= logged

    companies = pd.DataFrame(
        {"company_id": ["1", "2"], "text": ["rocket engines", "sourdough bakery"]}
    )
    source = tmp_path / "in.csv"
    companies.to_csv(source, index=False)
    out = tmp_path / "pred.parquet"
    done = runner.invoke(app, ["classify", "--input", str(source), "--output", str(out)])
    assert done.exit_code == 0, done.output
    pred = pd.read_parquet(out)
    assert pred["company_id"].tolist() == ["00000001", "00000002"]
    assert pred["top_label"].tolist() == ["space", "food"]
    assert pred["model_version"].iloc[0] == "company-clusters/v1"

    missing = runner.invoke(
        app, ["classify", "--input", str(tmp_path / "nope.csv"), "--output", str(out)]
    )
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_dry_run_reports_the_split_training_would_use_and_writes_nothing(toy, tmp_path):
    from typer.testing import CliRunner

    from clusters.cli import app

    # food gets only 3 positives (below min_positives_to_tune = 5), medtech none at all
    rows = [r for r in TOY_ROWS if r[1] != "medtech"]
    rows = [r for r in rows if r[1] != "food"] + [(t, "food") for t in FOOD[:3]]
    labels = _labels(rows, tmp_path / "few.csv")
    reviewed = tmp_path / "reviewed.csv"
    pd.DataFrame({"company_id": ["00000001"], "text": [SPACE[0]], "labels": ["space"]}).to_csv(
        reviewed, index=False
    )
    args = ["train", "--taxonomy", str(toy["taxonomy"]), "--labels", str(labels)]
    result = CliRunner().invoke(app, [*args, "--reviewed", str(reviewed), "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "taxonomy Toy clusters v1 (3 clusters)"
    n = len(rows)
    assert lines[1].startswith(
        f"trusted labels: {n} imported, 1 reviewed (1 imported replaced by a review); "
    )
    table = {
        line.split()[0]: line.split()[1:]
        for line in lines
        if line.startswith(("space", "medtech", "food"))
    }
    assert table["medtech"] == ["0", "0", "cold", "start", "only"]
    assert table["food"][2:] == ["default", "threshold"]
    assert int(table["food"][0]) + int(table["food"][1]) == 3
    assert (
        lines[-1]
        == "1 cluster on cold-start rules only, 1 with fewer than 5 positives (default threshold)"
    )
    assert "fine-tune: no: only" in result.output
    assert not Path(get_settings().mlflow_uri.removeprefix("sqlite:///")).exists()  # no run

    # the split it reports is the one training then uses
    held = int(lines[1].split(", ")[-1].split()[0])
    trained = train(toy["taxonomy"], [labels], [reviewed], model_name="dry")
    assert trained.label_counts["eval (held out)"] == held

    bad = _labels([("Satellite maker", "space;warp-drive")], tmp_path / "unknown.csv")
    wrong = CliRunner().invoke(
        app, ["train", "--taxonomy", str(toy["taxonomy"]), "--labels", str(bad), "--dry-run"]
    )
    assert wrong.exit_code == 2 and "warp-drive" in wrong.output
