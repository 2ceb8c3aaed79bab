"""``clusters train --dry-run``: what a training run would train on, before it runs.

A training run with a fine-tune takes most of an hour on a CPU. This reads the same label
files, reviews and company base, splits the trusted labels exactly as training does, and
reports per cluster how many positives each side of the split has, which clusters will rely
on the taxonomy's cold-start rules or keep the default threshold, and whether the embedder
would be fine-tuned. It embeds nothing and writes nothing (no MLflow run).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from clusters.config import Settings, get_settings
from clusters.tables import text_table
from clusters.taxonomy import load_taxonomy
from training.fine_tune import should_fine_tune
from training.train import trusted_labels, weak_label_pool


@dataclass(frozen=True)
class TrainingPlan:
    """What ``clusters train`` would use, per source and per cluster."""

    taxonomy: str
    imported: int
    reviewed: int
    superseded: int
    train_rows: int
    eval_rows: int
    per_cluster: pd.DataFrame
    """cluster_id, train_positives, eval_positives, note."""
    fine_tune: str
    """"" when the embedder would be fine-tuned, else why not."""
    weak_pool: int | None
    """Companies of the base weak labels would be drawn from (``None``: no base given)."""
    min_positives: int

    def lines(self) -> list[str]:
        """The human-readable report."""
        out = [
            f"taxonomy {self.taxonomy}",
            f"trusted labels: {self.imported:,} imported, {self.reviewed:,} reviewed"
            + (f" ({self.superseded:,} imported replaced by a review)" if self.superseded else "")
            + f"; {self.train_rows:,} to fit, {self.eval_rows:,} held out to evaluate",
            "weak labels: "
            + (
                f"drawn from {self.weak_pool:,} companies of the base"
                if self.weak_pool is not None
                else "none (no --companies base)"
            )
            + "; the taxonomy's descriptions and keywords always count",
            "fine-tune: "
            + (
                f"yes, on {self.train_rows:,} companies"
                if not self.fine_tune
                else f"no: {self.fine_tune}"
            ),
        ]
        if self.eval_rows == 0:
            out.append(
                "evaluation: none (fewer than 10 trusted labels): no held-out scores, and the "
                "gate promotes only a first model"
            )
        rows = [{k: str(v) for k, v in row.items()} for row in self.per_cluster.to_dict("records")]
        out += ["", *text_table(rows).splitlines()]
        cold = (self.per_cluster["train_positives"] == 0).sum()
        thin = (self.per_cluster["note"] == "default threshold").sum()
        plural = "s" if cold != 1 else ""
        out.append(
            f"{cold} cluster{plural} on cold-start rules only, {thin} with fewer than "
            f"{self.min_positives} positives (default threshold)"
        )
        return out


def _note(train: int, held: int, min_positives: int, evaluated: bool) -> str:
    if train == 0:
        return "cold start only"
    if train < min_positives:
        return "default threshold"
    if evaluated and held == 0:
        return "not evaluated"
    return ""


def plan_training(
    taxonomy_path: Path,
    label_paths: Sequence[Path] = (),
    reviewed_paths: Sequence[Path] = (),
    companies_path: Path | None = None,
    *,
    embedder_name: str | None = None,
    settings: Settings | None = None,
) -> TrainingPlan:
    """The plan of ``clusters train`` with the same arguments (reads only).

    Raises:
        TaxonomyError, ContractError, FileNotFoundError: as ``clusters train`` would.
    """
    settings = settings or get_settings()
    cfg = settings.training
    taxonomy = load_taxonomy(taxonomy_path)
    labels = trusted_labels(taxonomy, label_paths, reviewed_paths, cfg.test_size, cfg.random_state)
    k = len(taxonomy.ids)
    train_pos = labels.train.Y.sum(axis=0) if labels.train is not None else np.zeros(k, int)
    eval_pos = labels.eval.Y.sum(axis=0) if labels.eval is not None else np.zeros(k, int)
    n_train = len(labels.train) if labels.train is not None else 0
    n_eval = len(labels.eval) if labels.eval is not None else 0
    min_positives = settings.thresholds.min_positives_to_tune
    per_cluster = pd.DataFrame(
        {
            "cluster_id": taxonomy.ids,
            "train_positives": train_pos.astype(int),
            "eval_positives": eval_pos.astype(int),
            "note": [
                _note(int(t), int(e), min_positives, n_eval > 0)
                for t, e in zip(train_pos, eval_pos, strict=True)
            ],
        }
    )
    known = set(labels.all.company_ids) if labels.all is not None else set()
    pool = weak_label_pool(companies_path, known, cfg.weak_pool_max, cfg.random_state)
    reason = should_fine_tune(
        cfg.fine_tune, embedder_name or settings.embedder, n_train, cfg.fine_tune_min_labels
    )
    return TrainingPlan(
        taxonomy=f"{taxonomy.name} v{taxonomy.version} ({len(taxonomy.ids)} clusters)",
        imported=labels.imported,
        reviewed=labels.reviewed,
        superseded=labels.superseded,
        train_rows=n_train,
        eval_rows=n_eval,
        per_cluster=per_cluster,
        fine_tune=reason,
        weak_pool=len(pool) if pool is not None else None,
        min_positives=min_positives,
    )
