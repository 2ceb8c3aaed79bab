"""``clusters models``: listing registered versions and promoting one by hand (rollback),
on a real MLflow store with a trained toy model."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient
from test_training import point_at_store, train_toy_store
from typer.testing import CliRunner

from classifier.classify import registered_version
from clusters.cli import app
from clusters.config import get_settings
from training.registry import register_and_gate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with ``toy`` v1 (trained, champion), v2 (the same model, passed over) and v3
    (the same files, from a run that scored it lower on other held-out labels)."""
    root = train_toy_store(tmp_path_factory.mktemp("models_cli"), "toy")
    with pytest.MonkeyPatch.context() as patch:
        point_at_store(root, patch)
        client = MlflowClient(get_settings().mlflow_uri)
        source = client.get_model_version("toy", "1").source
        mlflow.set_tracking_uri(get_settings().mlflow_uri)
        with mlflow.start_run():
            decision = register_and_gate(source, "toy", 0.1, lambda _v: 0.9, "micro_f1")
        assert decision.version == "2" and not decision.promoted
        first = client.get_run(client.get_model_version("toy", "1").run_id).data
        with mlflow.start_run() as run:
            mlflow.log_params(
                {"dataset_hash": "other-labels", "taxonomy_hash": first.params["taxonomy_hash"]}
            )
            mlflow.log_metrics(
                {
                    "micro_f1": first.metrics["micro_f1"] - 0.25,
                    "f1__space": first.metrics["f1__space"] - 0.5,
                    "f1__food": first.metrics["f1__food"],
                    "support__space": 7.0,
                }
            )
        client.create_model_version("toy", source, run_id=run.info.run_id)
    return root


@pytest.fixture
def store(two_versions: Path, monkeypatch: pytest.MonkeyPatch) -> MlflowClient:
    point_at_store(two_versions, monkeypatch)
    client = MlflowClient(get_settings().mlflow_uri)
    client.set_registered_model_alias("toy", "champion", "1")  # each test starts from v1
    return client


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


def test_list_shows_versions_aliases_scores_and_decisions(store):
    result = cli("models", "list", "--model-name", "toy")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("toy in sqlite:///")
    v3, v2, v1 = lines[2], lines[3], lines[4]  # newest first
    assert v3.startswith("v3")
    assert v2.startswith("v2") and "challenger" in v2 and "not promoted" in v2
    assert v1.startswith("v1") and "champion" in v1 and "promoted: first model" in v1
    micro = (
        MlflowClient(get_settings().mlflow_uri)
        .get_run(store.get_model_version("toy", "1").run_id)
        .data.metrics["micro_f1"]
    )
    assert f"{micro:.3f}" in v1 and "minilm" in v1

    rows = [
        json.loads(line)
        for line in cli("models", "list", "--model-name", "toy", "--json").output.splitlines()
    ]
    assert [r["version"] for r in rows] == ["3", "2", "1"]
    assert rows[2]["aliases"] == ["champion"] and rows[1]["aliases"] == ["challenger"]
    assert rows[2]["micro_f1"] == pytest.approx(micro) and rows[2]["embedder"] == "minilm"
    assert rows[2]["taxonomy_version"] == "1" and rows[2]["run_id"]


def test_promote_by_hand_moves_champion_and_records_why(store):
    result = cli("models", "promote", "2", "--model-name", "toy", "--reason", "v1 drifts")
    assert result.exit_code == 0, result.output
    assert "toy v2 is now the champion (was v1)" in result.output
    assert registered_version("models:/toy@champion") == "toy/v2"  # what classify will load
    promoted = store.get_model_version("toy", "2").tags["promotion"]
    assert promoted.startswith("promoted manually by ") and promoted.endswith(
        ": v1 drifts (replaced v1)"
    )
    assert "replaced by v2" in store.get_model_version("toy", "1").tags["demotion"]

    again = cli("models", "promote", "v2", "--model-name", "toy", "--reason", "again")
    assert again.exit_code == 0 and "already the champion; nothing changed" in again.output

    back = cli("models", "promote", "v1", "--model-name", "toy", "--reason", "rollback")
    assert back.exit_code == 0 and "toy v1 is now the champion (was v2)" in back.output
    assert registered_version("models:/toy@champion") == "toy/v1"


def test_bad_promotions_are_clear_errors_and_change_nothing(store):
    unknown = cli("models", "promote", "9", "--model-name", "toy", "--reason", "x")
    assert unknown.exit_code == 2
    assert "model 'toy' has no version 9; versions: 1, 2, 3" in unknown.output
    no_reason = cli("models", "promote", "2", "--model-name", "toy", "--reason", "  ")
    assert no_reason.exit_code == 2 and "give a --reason" in no_reason.output
    no_model = cli("models", "list", "--model-name", "nope")
    assert no_model.exit_code == 2
    assert (
        "no registered model 'nope'; registered: " in no_model.output and "toy" in no_model.output
    )
    assert registered_version("models:/toy@champion") == "toy/v1"


def test_compare_puts_the_biggest_drops_first_and_warns_about_other_data(store):
    first = store.get_run(store.get_model_version("toy", "1").run_id).data.metrics
    result = cli("models", "compare", "1", "v3", "--model-name", "toy")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "toy v1 vs v3: scored on DIFFERENT held-out labels"
    assert "clusters evaluate --model models:/toy/N" in lines[1]
    micro = next(line for line in lines if line.startswith("micro_f1"))
    assert micro.split() == [
        "micro_f1",
        f"{first['micro_f1']:.3f}",
        f"{first['micro_f1'] - 0.25:.3f}",
        "-0.250",
    ]
    header = lines.index(next(line for line in lines if line.startswith("cluster ")))
    space, food = lines[header + 1].split(), lines[header + 2].split()
    assert space[0] == "space" and space[3] == "-0.500" and space[4] == "7"  # biggest drop first
    assert food[0] == "food" and food[3] == "+0.000"
    assert lines[header + 3].split()[2:4] == ["-", "-"]  # medtech: not scored by v3

    same = cli("models", "compare", "1", "2", "--model-name", "toy", "--json")
    data = json.loads(same.output)
    assert data["same_data"] and data["same_taxonomy"] and data["a"] == "1"
    assert all(a == b for _, a, b in data["overall"])
    bad = cli("models", "compare", "1", "7", "--model-name", "toy")
    assert bad.exit_code == 2 and "has no version 7; versions: 1, 2, 3" in bad.output


def test_explain_a_text_and_a_company_of_the_base(store, tmp_path: Path):
    base = tmp_path / "base.csv"
    base.write_text(
        "company_id,name,postcode,website_text,sic_codes\n"
        "1234,ORBITAL WIDGETS LTD,NG7 2RD,We build small satellites and launch vehicle parts.,30300\n"
        "00000777,QUIET LTD,CV1 2AA,,68100\n"
    )
    text = cli(
        "explain",
        "--model",
        "models:/toy/1",
        "--text",
        "A sourdough bakery and craft brewery.",
        "--top",
        "2",
        "--examples",
        "1",
    )
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[0] == "text, model toy/v1" and "assigned: food" in lines[2]
    assert lines[3].startswith("1. food: p=") and lines[3].endswith(", assigned)")
    assert "keywords found: bakery, brewery" in lines[4]
    assert lines[5].startswith("   like 000000")  # a labelled company of the toy set
    assert lines[6].startswith("2. ")

    company = cli(
        "explain",
        "--model",
        "models:/toy/1",
        "--company-id",
        "1234",
        "--companies",
        str(base),
        "--json",
    )
    assert company.exit_code == 0, company.output
    data = json.loads(company.output)
    assert data["company_id"] == "00001234" and data["name"] == "ORBITAL WIDGETS LTD"
    assert data["text"].startswith("ORBITAL WIDGETS") and "satellites" in data["text"]
    assert data["clusters"][0]["cluster_id"] == "space" and data["clusters"][0]["assigned"]
    assert "launch vehicle" in data["clusters"][0]["keywords"]

    quiet = cli(
        "explain", "--model", "models:/toy/1", "--company-id", "777", "--companies", str(base)
    )
    assert "(no description: the text is the name and SIC titles only)" in quiet.output

    missing = cli(
        "explain", "--model", "models:/toy/1", "--company-id", "999", "--companies", str(base)
    )
    assert missing.exit_code == 2 and "company 999 is not in the company base" in missing.output
    both = cli("explain", "--text", "x", "--company-id", "1")
    assert both.exit_code == 2 and "give either --text or --company-id" in both.output
    empty = cli("explain", "--model", "models:/toy/1", "--text", "  ")
    assert empty.exit_code == 2 and "the text is empty" in empty.output


def test_a_version_whose_run_is_gone_and_a_model_without_versions(store):
    client = MlflowClient(get_settings().mlflow_uri)
    client.create_registered_model("orphans")
    empty = cli("models", "list", "--model-name", "orphans")
    assert empty.exit_code == 0 and empty.output.splitlines()[-1] == "no versions registered"
    client.create_model_version("orphans", "file:///nowhere", run_id="0" * 32)
    listed = cli("models", "list", "--model-name", "orphans")  # scores unknown, no crash
    assert listed.exit_code == 0 and listed.output.splitlines()[-1].startswith("v1  ")
    gone = cli("models", "compare", "1", "1", "--model-name", "orphans")
    assert gone.exit_code == 2
    assert f"model 'orphans' v1: its training run {'0' * 32} cannot be read" in gone.output
