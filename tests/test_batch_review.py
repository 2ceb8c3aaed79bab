"""The review queue of a batch job: per-row priority, bounded by a limit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from clusters.batch.layout import JobLayout
from clusters.batch.outputs import write_review_queue
from clusters.review_queue import build_review_queue


def _candidates(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "company_id": [f"{i:08d}" for i in range(n)],
            "labels": "",
            "top_label": "space",
            "confidence": rng.choice([0.3, 0.5, 0.55], size=n),
            "needs_review": rng.random(n) < 0.8,
            "model_version": "m/v1",
            "text_hash": "h",
            "p_space": rng.random(n),
            "employees": rng.choice([np.nan, 3, 40, 900], size=n),
            "turnover": rng.choice([np.nan, 1e5, 5e7], size=n),
        }
    )


def test_uncertainty_first_then_size():
    frame = pd.DataFrame(
        {
            "company_id": ["00000001", "00000002", "00000003", "00000004"],
            "labels": "",
            "top_label": "a",
            "confidence": [0.5, 0.5, 0.2, 0.5],
            "needs_review": [True, True, True, False],
            "model_version": "m/v1",
            "text_hash": "h",
            "employees": [10, 5000, 1, 99999],
            "turnover": [np.nan] * 4,
        }
    )
    queue = build_review_queue(frame, None)
    assert queue["company_id"].tolist() == ["00000003", "00000002", "00000001"]
    assert queue["priority"].is_monotonic_decreasing


def test_priority_is_per_row_so_parts_merge_to_the_whole():
    frame = _candidates(200)
    whole = build_review_queue(frame, None)
    halves = pd.concat(
        [build_review_queue(frame.iloc[:90], None), build_review_queue(frame.iloc[90:], None)]
    )
    merged = halves.sort_values(["priority", "company_id"], ascending=[False, True])
    pd.testing.assert_frame_equal(whole, merged.reset_index(drop=True))


def test_job_queue_keeps_the_top_rows_within_the_limit(tmp_path: Path):
    layout = JobLayout(tmp_path)
    frame = _candidates(300, seed=1)
    for k, start in enumerate(range(0, 300, 70)):
        part = layout.review_part(k)
        part.parent.mkdir(parents=True, exist_ok=True)
        frame.iloc[start : start + 70].to_parquet(part)
    queued, needing = write_review_queue(layout, 5, ["space"], limit=25)
    expected = build_review_queue(frame, None).head(25)
    queue = pd.read_csv(layout.review_queue, dtype={"company_id": str})
    assert (queued, needing) == (25, int(frame["needs_review"].sum()))
    assert queue["company_id"].tolist() == expected["company_id"].tolist()
    empty = JobLayout(tmp_path / "empty")
    assert write_review_queue(empty, 1, ["space"]) == (0, 0)
    assert pd.read_csv(empty.review_queue).empty
