"""``clusters diff``: entered/left per cluster with reasons, on crafted prediction pairs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clusters.batch.diff import diff_predictions
from clusters.cli import app
from clusters.contracts import ContractError


def _predictions(rows: list[tuple[str, str, str, str, float, float]]) -> pd.DataFrame:
    """Rows of (company_id, labels, model_version, text_hash, p_space, p_food)."""
    return pd.DataFrame(
        rows,
        columns=["company_id", "labels", "model_version", "text_hash", "p_space", "p_food"],
    )


OLD = _predictions(
    [
        ("00000001", "space", "m/v1", "h1", 0.90, 0.10),  # stays
        ("00000002", "space", "m/v1", "h2", 0.80, 0.10),  # text changes, leaves space
        ("00000003", "", "m/v1", "h3", 0.45, 0.10),  # threshold drops to 0.4: enters space
        ("00000004", "food", "m/v1", "h4", 0.10, 0.70),  # new model: food prob drops, leaves
        ("00000005", "food", "m/v1", "h5", 0.10, 0.90),  # removed from the base
        ("00000006", "space;food", "m/v1", "h6", 0.90, 0.90),  # stays in both
    ]
)
NEW = _predictions(
    [
        ("00000001", "space", "m/v2", "h1", 0.90, 0.10),
        ("00000002", "food", "m/v2", "h2b", 0.20, 0.80),
        ("00000003", "space", "m/v2", "h3", 0.45, 0.10),
        ("00000004", "", "m/v2", "h4", 0.10, 0.30),
        ("00000006", "space;food", "m/v2", "h6", 0.90, 0.90),
        ("00000007", "space", "m/v2", "h7", 0.95, 0.10),  # new company
    ]
)


def test_entered_and_left_with_reasons():
    result = diff_predictions(OLD, NEW)
    changes = {(r.cluster, r.company_id): (r.change, r.reason) for r in result.changes.itertuples()}
    assert changes == {
        ("space", "00000002"): ("left", "text changed"),
        ("space", "00000003"): ("entered", "threshold moved"),
        ("space", "00000007"): ("entered", "new company"),
        ("food", "00000002"): ("entered", "text changed"),
        ("food", "00000004"): ("left", "model changed"),
        ("food", "00000005"): ("left", "company removed"),
    }
    summary = result.summary.set_index("cluster")
    assert summary.loc["space", ["old", "new", "entered", "left"]].tolist() == [3, 4, 2, 1]
    assert summary.loc["food", ["old", "new", "entered", "left"]].tolist() == [3, 2, 1, 2]
    assert summary.loc["(all)", "entered"] == 3 and summary.loc["(all)", "text changed"] == 2
    assert summary.loc["space", "churn"] == pytest.approx(1.0)
    # companies in both: 1, 2, 3, 4, 6; of them 2, 3 and 4 changed clusters
    assert (result.companies_compared, result.companies_changed) == (5, 3)
    assert result.churn_rate == pytest.approx(0.6)
    assert result.unexplained == 0


def test_same_predictions_have_zero_churn():
    result = diff_predictions(OLD, OLD.sample(frac=1.0, random_state=1))
    assert result.churn_rate == 0.0 and result.changes.empty
    assert result.summary["entered"].sum() == 0 and result.summary["left"].sum() == 0


def test_change_without_cause_is_flagged():
    new = OLD.copy()
    new.loc[0, ["labels", "p_space"]] = ["", 0.2]  # same text, same model, other result
    result = diff_predictions(OLD, new)
    assert result.changes["reason"].tolist() == ["unexplained"]
    assert "WITHOUT CAUSE" in result.headline()


def test_a_cluster_new_in_the_taxonomy():
    new = NEW.assign(p_agri=0.9, labels=NEW["labels"] + ";agri")
    result = diff_predictions(NEW, new)
    assert set(result.changes["reason"]) == {"cluster added"}
    assert set(result.changes["cluster"]) == {"agri"}


def test_duplicate_ids_are_an_error():
    with pytest.raises(ContractError, match="more than once"):
        diff_predictions(pd.concat([OLD, OLD.head(1)]), NEW)


def test_diff_command_prints_and_writes(tmp_path: Path):
    old, new = tmp_path / "old.parquet", tmp_path / "new.csv"
    OLD.to_parquet(old)
    NEW.to_csv(new, index=False)
    done = CliRunner().invoke(app, ["diff", str(old), str(new), "--output", str(tmp_path / "d")])
    assert done.exit_code == 0, done.output
    assert "churn rate 60.00%" in done.output and "text changed" in done.output
    changes = pd.read_csv(tmp_path / "d" / "changes.csv", dtype=str)
    assert len(changes) == 6
    churn = json.loads((tmp_path / "d" / "churn.json").read_text())
    assert churn["churn_rate"] == pytest.approx(0.6)
    missing = CliRunner().invoke(app, ["diff", str(old), str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_diff_command_has_help():
    done = CliRunner().invoke(app, ["diff", "--help"])
    assert done.exit_code == 0 and "entered and left" in done.output
