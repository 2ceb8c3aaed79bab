"""Churn between two prediction datasets: who entered and left each cluster, and why.

For every cluster, a company *entered* when it is a member in NEW but not in OLD, and *left*
in the opposite case. The reason is told from the two rows, in this order:

``new company`` / ``company removed``
    the company is in only one of the datasets;
``text changed``
    its ``text_hash`` differs (new filing or website text, or a new text recipe);
``cluster added`` / ``cluster removed``
    the cluster has no probability column on one side (the taxonomy changed);
``threshold moved``
    same text and the cluster's probability unchanged (within ``tolerance``), so only the
    cluster's threshold can have moved;
``model changed``
    same text, another ``model_version``, and the probability crossed the threshold;
``unexplained``
    same text, same model version, different probability: churn without cause (a bug or a
    non-deterministic model); must never happen.

The *churn rate* is the share of companies present in both datasets whose set of clusters
changed; two runs of the same model on the same data must give 0.

Example:
    >>> old = pd.DataFrame({"company_id": ["1", "2"], "labels": ["a", ""], "model_version": "m/v1",
    ...                     "text_hash": ["h1", "h2"], "p_a": [0.9, 0.2]})
    >>> new = old.assign(labels=["a", "a"], text_hash=["h1", "h9"], p_a=[0.9, 0.8])
    >>> result = diff_predictions(old, new)
    >>> result.changes[["cluster", "company_id", "change", "reason"]].values.tolist()
    [['a', '2', 'entered', 'text changed']]
    >>> result.churn_rate
    0.5
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from clusters.batch.layout import prediction_columns, read_predictions
from clusters.contracts import PROBABILITY_PREFIX, ContractError

logger = logging.getLogger(__name__)

REASONS = (
    "new company",
    "company removed",
    "text changed",
    "cluster added",
    "cluster removed",
    "threshold moved",
    "model changed",
    "unexplained",
)
CHANGE_COLUMNS = [
    "cluster",
    "company_id",
    "change",
    "reason",
    "old_probability",
    "new_probability",
    "old_model_version",
    "new_model_version",
    "old_text_hash",
    "new_text_hash",
]
KEY_COLUMNS = ["company_id", "labels", "model_version", "text_hash"]


@dataclass
class DiffResult:
    """What changed between two prediction datasets."""

    summary: pd.DataFrame
    """One row per cluster (and a total row ``(all)``): members before and after, entered,
    left, churn (``(entered + left) / members before``) and the count of each reason."""
    changes: pd.DataFrame
    """One row per company entering or leaving a cluster (:data:`CHANGE_COLUMNS`)."""
    companies_old: int
    companies_new: int
    companies_compared: int
    """Companies present in both datasets."""
    companies_changed: int
    """Of those, companies whose set of clusters changed."""

    @property
    def churn_rate(self) -> float:
        if not self.companies_compared:
            return 0.0
        return self.companies_changed / self.companies_compared

    @property
    def unexplained(self) -> int:
        return int((self.changes["reason"] == "unexplained").sum())

    def headline(self) -> str:
        """One line: the churn rate and the population change."""
        return (
            f"churn rate {self.churn_rate:.2%}: {self.companies_changed:,} of "
            f"{self.companies_compared:,} companies in both changed clusters; "
            f"{self.companies_new - self.companies_compared:,} new, "
            f"{self.companies_old - self.companies_compared:,} removed"
            + (f"; {self.unexplained:,} changes WITHOUT CAUSE" if self.unexplained else "")
        )


def _members(labels: pd.Series, cluster: str) -> np.ndarray:
    padded = ";" + labels.fillna("").astype(str).str.replace(" ", "", regex=False) + ";"
    return padded.str.contains(f";{cluster};", regex=False).to_numpy(dtype=bool)


def _clusters(frame: pd.DataFrame) -> list[str]:
    from_columns = [c[len(PROBABILITY_PREFIX) :] for c in frame if c.startswith(PROBABILITY_PREFIX)]
    from_labels = sorted(
        {x for v in frame["labels"].fillna("") for x in str(v).split(";") if x.strip()}
        - set(from_columns)
    )
    return from_columns + from_labels


def _check(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    missing = [c for c in KEY_COLUMNS if c not in frame]
    if missing:
        raise ContractError(f"{name} predictions lack column(s) {', '.join(missing)}")
    if not frame["company_id"].is_unique:
        dup = frame.loc[frame["company_id"].duplicated(), "company_id"].iloc[0]
        raise ContractError(f"{name} predictions hold company_id {dup} more than once")
    return frame


def diff_predictions(old: pd.DataFrame, new: pd.DataFrame, tolerance: float = 1e-6) -> DiffResult:
    """Compare two prediction frames (PREDICTIONS contract) company by company.

    Args:
        old, new: predictions; ``p_<cluster>`` columns are used when present.
        tolerance: probabilities closer than this count as unchanged.
    """
    old = _check(old, "OLD").assign(company_id=lambda f: f["company_id"].astype(str))
    new = _check(new, "NEW").assign(company_id=lambda f: f["company_id"].astype(str))
    clusters = list(dict.fromkeys(_clusters(old) + _clusters(new)))
    both = old.merge(new, on="company_id", how="outer", suffixes=("_old", "_new"), indicator=True)
    in_old = (both["_merge"] != "right_only").to_numpy()
    in_new = (both["_merge"] != "left_only").to_numpy()
    same_text = (both["text_hash_old"] == both["text_hash_new"]).to_numpy()
    same_model = (both["model_version_old"] == both["model_version_new"]).to_numpy()

    change_frames, rows = [], []
    changed_any = np.zeros(len(both), dtype=bool)
    for cluster in clusters:
        was = _members(both["labels_old"], cluster) & in_old
        now = _members(both["labels_new"], cluster) & in_new
        moved = was != now
        column = PROBABILITY_PREFIX + cluster
        has_old, has_new = column in old, column in new
        p_old = _probabilities(both, column, has_old, has_new, "_old")
        p_new = _probabilities(both, column, has_new, has_old, "_new")
        same_p = np.abs(p_old - p_new) <= tolerance
        reason = np.select(
            [
                ~in_old,
                ~in_new,
                ~same_text,
                np.full(len(both), not has_old),
                np.full(len(both), not has_new),
                same_p,
                ~same_model,
            ],
            list(REASONS[:-1]),
            REASONS[-1],
        )
        changed_any |= moved & in_old & in_new
        picked = np.flatnonzero(moved)
        change_frames.append(
            pd.DataFrame(
                {
                    "cluster": cluster,
                    "company_id": both["company_id"].to_numpy()[picked],
                    "change": np.where(now[picked], "entered", "left"),
                    "reason": reason[picked],
                    "old_probability": p_old[picked],
                    "new_probability": p_new[picked],
                    "old_model_version": both["model_version_old"].to_numpy()[picked],
                    "new_model_version": both["model_version_new"].to_numpy()[picked],
                    "old_text_hash": both["text_hash_old"].to_numpy()[picked],
                    "new_text_hash": both["text_hash_new"].to_numpy()[picked],
                },
                columns=CHANGE_COLUMNS,
            )
        )
        rows.append(_summary_row(cluster, int(was.sum()), int(now.sum()), now, moved, reason))
    changes = (
        pd.concat(change_frames, ignore_index=True)
        if change_frames
        else pd.DataFrame(columns=CHANGE_COLUMNS)
    )
    summary = pd.DataFrame(rows)
    if len(summary):
        total = summary.drop(columns=["cluster", "churn"]).sum()
        total_row = {"cluster": "(all)", **total.to_dict()}
        total_row["churn"] = _churn(total_row["entered"], total_row["left"], total_row["old"])
        summary = pd.concat([summary, pd.DataFrame([total_row])], ignore_index=True)
    return DiffResult(
        summary=summary,
        changes=changes,
        companies_old=int(in_old.sum()),
        companies_new=int(in_new.sum()),
        companies_compared=int((in_old & in_new).sum()),
        companies_changed=int(changed_any.sum()),
    )


def _probabilities(
    both: pd.DataFrame, column: str, here: bool, there: bool, suffix: str
) -> np.ndarray:
    """One side's probabilities for a cluster after the merge (NaN where it has none)."""
    if not here:
        return np.full(len(both), np.nan)
    return both[column + suffix if there else column].to_numpy(dtype=float)


def _churn(entered: int, left: int, before: int) -> float:
    return round((entered + left) / before, 4) if before else float(entered + left > 0)


def _summary_row(
    cluster: str, before: int, after: int, now: np.ndarray, moved: np.ndarray, reason: np.ndarray
) -> dict[str, object]:
    entered = int((moved & now).sum())
    left = int((moved & ~now).sum())
    row: dict[str, object] = {
        "cluster": cluster,
        "old": before,
        "new": after,
        "entered": entered,
        "left": left,
        "churn": _churn(entered, left, before),
    }
    for name in REASONS:
        row[name] = int((moved & (reason == name)).sum())
    return row


def diff_datasets(old: Path, new: Path, tolerance: float = 1e-6) -> DiffResult:
    """:func:`diff_predictions` of two datasets (job dirs, dataset dirs or files)."""
    frames = []
    for path in (old, new):
        wanted = [
            c
            for c in prediction_columns(path)
            if c in KEY_COLUMNS or c.startswith(PROBABILITY_PREFIX)
        ]
        frames.append(read_predictions(path, wanted))
    return diff_predictions(frames[0], frames[1], tolerance)


def write_diff(result: DiffResult, directory: Path) -> dict[str, Path]:
    """Write ``summary.csv``, ``changes.csv`` and ``churn.json`` into ``directory``."""
    from clusters.batch.commit import atomic_write_json
    from clusters.batch.outputs import write_csv

    directory = Path(directory)
    paths = {
        "summary": directory / "summary.csv",
        "changes": directory / "changes.csv",
        "churn": directory / "churn.json",
    }
    write_csv(paths["summary"], result.summary)
    write_csv(paths["changes"], result.changes)
    atomic_write_json(
        paths["churn"],
        {
            "churn_rate": result.churn_rate,
            "companies_old": result.companies_old,
            "companies_new": result.companies_new,
            "companies_compared": result.companies_compared,
            "companies_changed": result.companies_changed,
            "unexplained_changes": result.unexplained,
        },
    )
    return paths
