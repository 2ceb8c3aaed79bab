"""The labels an item ends up with, from its current decisions (a pure function).

Per item, over its current (not superseded) non-skip decisions:

* ``agreed``: every analyst recorded the same clusters;
* ``adjudicated``: they disagree and an admin decided: the latest admin decision wins;
* ``conflict``: they disagree and no admin has decided yet: no labels (not exported).

A company reviewed for several model versions keeps the labels of its latest decided item.
"""

from __future__ import annotations

import pandas as pd

from clusters.contracts import split_labels

RESOLVED_COLUMNS = [
    "item_id",
    "company_id",
    "model_version",
    "text",
    "labels_before",
    "labels",
    "status",
    "reviewers",
    "decided_at",
    "simulated",
]


def current(decisions: pd.DataFrame) -> pd.DataFrame:
    """The decisions that count now: not superseded, not skips."""
    return decisions[~decisions["superseded"].astype(bool) & (decisions["action"] != "skip")]


def _same(labels: pd.Series) -> bool:
    return len({frozenset(split_labels(v)) for v in labels}) == 1


def resolve_items(decisions: pd.DataFrame) -> pd.DataFrame:
    """One row per decided item: its labels and how they were reached (see module doc)."""
    rows = []
    for item_id, group in current(decisions).groupby("item_id", sort=True):
        group = group.sort_values(["created_at", "decision_id"])
        admins = group[group["role"] == "admin"]
        if _same(group["labels_after"]):
            labels, status = group["labels_after"].iloc[-1], "agreed"
        elif len(admins):
            labels, status = admins["labels_after"].iloc[-1], "adjudicated"
        else:
            labels, status = None, "conflict"
        last = group.iloc[-1]
        rows.append(
            {
                "item_id": item_id,
                "company_id": last["company_id"],
                "model_version": last["model_version"],
                "text": last["text"],
                "labels_before": last["labels_before"],
                "labels": labels,
                "status": status,
                "reviewers": group["user_id"].nunique(),
                "decided_at": last["created_at"],
                "simulated": bool(group["simulated"].any()),
            }
        )
    return pd.DataFrame(rows, columns=RESOLVED_COLUMNS)


def latest_per_company(resolved: pd.DataFrame) -> pd.DataFrame:
    """The most recently decided, non-conflicting item of each company."""
    usable = resolved[resolved["status"] != "conflict"]
    return (
        usable.sort_values(["decided_at", "item_id"])
        .drop_duplicates("company_id", keep="last")
        .sort_values("company_id")
        .reset_index(drop=True)
    )
