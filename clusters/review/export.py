"""Export the current decisions as training labels (the LABELS contract).

One row per reviewed company (its latest resolved item; disagreements that no admin settled
are left out and counted): ``company_id, text, labels`` as ``clusters train --reviewed``
reads them, plus two provenance columns the contract ignores: ``model_version`` (the model
that queued the company, so training can compare the new model with it on these companies)
and ``simulated`` (decisions of a simulated round).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from clusters.contracts import LABELS
from clusters.review.consensus import latest_per_company, resolve_items
from clusters.review.db import Database
from clusters.review.decisions import decisions_frame

EXPORT_COLUMNS = ["company_id", "text", "labels", "model_version", "simulated"]


@dataclass(frozen=True)
class ExportReport:
    rows: int
    conflicts: int
    simulated: int
    path: Path

    def summary(self) -> str:
        note = f", {self.simulated} from a SIMULATED round" if self.simulated else ""
        return (
            f"{self.rows} reviewed labels -> {self.path}{note}; "
            f"{self.conflicts} items left out (analysts disagree, no admin decision yet)"
        )


def reviewed_labels(db: Database, include_simulated: bool = True) -> tuple[pd.DataFrame, int]:
    """The labels table and the number of unresolved disagreements."""
    resolved = resolve_items(decisions_frame(db, include_simulated))
    conflicts = int((resolved["status"] == "conflict").sum())
    latest = latest_per_company(resolved)
    table = latest.assign(labels=latest["labels"].fillna(""))[EXPORT_COLUMNS]
    return table, conflicts


def export_labels(db: Database, output: Path, include_simulated: bool = True) -> ExportReport:
    """Write the reviewed labels to ``output`` (CSV) and check them against the contract."""
    table, conflicts = reviewed_labels(db, include_simulated)
    _, rejects = LABELS.validate(table, source="review store")
    if len(rejects):  # e.g. an item imported without text
        table = table[~table["company_id"].isin(rejects["company_id"])]
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(output, index=False)
    return ExportReport(len(table), conflicts, int(table["simulated"].sum()), output)
