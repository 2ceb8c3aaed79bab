"""The main job's simulated review round, on a slice of the demo data (no model needed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from clusters.config import get_settings
from clusters.review import auth
from clusters.review.db import Database
from clusters.review.decisions import decisions_frame
from clusters.review.simulate import SIMULATED_USER, run_demo_review


def test_simulated_round_decides_held_out_items_from_the_truth(tmp_path: Path):
    settings = get_settings()
    demo = settings.paths.data_dir / "demo"
    companies = pd.read_csv(demo / "companies.csv", dtype=str, keep_default_na=False).head(80)
    companies.to_csv(tmp_path / "companies.csv", index=False)
    truth = pd.read_csv(demo / "truth.csv", dtype=str, keep_default_na=False).set_index(
        "company_id"
    )
    ids = companies["company_id"].tolist()
    queue = pd.DataFrame(
        {
            "priority": [1 - i / 100 for i in range(len(ids))],
            "company_id": ids,
            "name": companies["name"],
            "region_name": companies["region_name"],
            "top_label": "medtech",
            "labels": [truth.loc[c, "labels"] if i % 2 else "medtech" for i, c in enumerate(ids)],
            "confidence": 0.5,
            "model_version": "company-clusters/v1",
            "text_hash": "",
            "p_medtech": 0.5,
        }
    )
    queue.to_csv(tmp_path / "review_queue.csv", index=False)
    settings = settings.model_copy(
        update={"review": settings.review.model_copy(update={"simulated_items": 12})}
    )
    result = run_demo_review(
        tmp_path / "review_queue.csv",
        tmp_path / "companies.csv",
        demo / "truth.csv",
        settings.paths.demo_labels,
        tmp_path,
        settings,
    )
    assert result.round.decided == 12 and "SIMULATED" in result.round.summary()
    labels = pd.read_csv(result.labels, dtype=str, keep_default_na=False)
    trained_on = set(pd.read_csv(settings.paths.demo_labels, dtype=str)["company_id"])
    assert len(labels) == 12 and not set(labels["company_id"]) & trained_on
    assert (labels["simulated"] == "True").all()
    assert all(
        set(row.labels.split(";")) - {""}
        == set(truth.loc[row.company_id, "labels"].split(";")) - {""}
        for row in labels.itertuples()
    )
    db = Database.connect(f"sqlite:///{result.database}")
    frame = decisions_frame(db)
    assert frame["simulated"].all() and set(frame["username"]) == {SIMULATED_USER}
    assert auth.get_user(db, SIMULATED_USER).simulated
    assert auth.authenticate(db, SIMULATED_USER, "") is None
    db.close()
