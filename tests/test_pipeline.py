"""The main job end to end, on a slice of the bundled demo data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clusters import config
from clusters.cli import app
from clusters.contracts import PREDICTIONS

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_slice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings = config.get_settings()
    companies = pd.read_csv(settings.paths.demo_companies, dtype=str, keep_default_na=False)
    labels = pd.read_csv(settings.paths.demo_labels, dtype=str, keep_default_na=False)
    part = companies.head(500)
    part.to_csv(tmp_path / "companies.csv", index=False)
    labels[labels["company_id"].isin(part["company_id"])].to_csv(
        tmp_path / "labels.csv", index=False
    )
    monkeypatch.setenv("CLUSTERS_PATHS__DEMO_COMPANIES", str(tmp_path / "companies.csv"))
    monkeypatch.setenv("CLUSTERS_PATHS__DEMO_LABELS", str(tmp_path / "labels.csv"))
    config.set_settings(None)
    return tmp_path


def test_clusters_run_completes_and_prints_its_outputs(demo_slice: Path):
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 0, result.output
    out = demo_slice / "outputs"
    for name in ("companies.parquet", "predictions.parquet", "review_queue.csv", "evaluation.csv"):
        assert (out / name).exists(), name
        assert str(out / name) in result.output
    listed = result.output.split("\nOutputs:\n", 1)[1].split("\nnote:", 1)[0].splitlines()
    assert len({line.index(str(demo_slice)) for line in listed}) == 1, "paths not in one column"
    predictions = pd.read_parquet(out / "predictions.parquet")
    assert len(predictions) == 500 and predictions["company_id"].is_unique
    _, rejects = PREDICTIONS.validate(predictions)
    assert rejects.empty
    queue = pd.read_csv(out / "review_queue.csv", dtype={"company_id": str})
    assert set(queue["company_id"]) == set(
        predictions.loc[predictions["needs_review"], "company_id"]
    )
    assert queue["priority"].is_monotonic_decreasing
    evaluation = pd.read_csv(out / "evaluation.csv")
    assert list(evaluation["model"]) == ["classifier", "baseline: tfidf", "baseline: sic"]
    assert (out / "scores").is_dir() and any((out / "scores").iterdir())
    # the closing hint names a real assigned company, and its command works as printed
    hint = next(line for line in result.output.splitlines() if "look inside with:" in line)
    example = hint.split("--company-id ", 1)[1].split()[0]
    assert predictions.set_index("company_id").loc[example, "labels"] != ""
    explained = CliRunner().invoke(app, ["explain", "--company-id", example])
    assert explained.exit_code == 0, explained.output
    assert explained.output.startswith(f"company {example} (")
