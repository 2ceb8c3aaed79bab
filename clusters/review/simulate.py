"""A simulated review round, so the main job's demo shows the loop end to end.

A stand-in analyst, ``simulated-analyst`` (an account that cannot log in), takes queued items
through the ordinary lease-and-decide path and answers from a truth file (for the demo,
``data/demo/truth.csv``, the generator's ground truth): confirm when the model's labels are
the truth, reject when the truth is no cluster, relabel otherwise. Only companies outside the
training labels are used (a held-out set), and everything is marked **simulated**: the user,
the items, each decision (with a comment naming the truth file) and the export's
``simulated`` column. The demo writes to its own store, never to the analysts' one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from clusters.contracts import normalise_company_id, split_labels
from clusters.review import auth, decisions, queue
from clusters.review.db import Database

logger = logging.getLogger(__name__)

SIMULATED_USER = "simulated-analyst"


def simulated_decision(predicted: str, truth: str) -> tuple[str, list[str]]:
    """The action (and, for a relabel, the clusters) a perfect analyst would record.

    >>> simulated_decision("medtech", "medtech"), simulated_decision("medtech", "")
    (('confirm', []), ('reject', []))
    >>> simulated_decision("", "ai-data;digital-technology")
    ('relabel', ['ai-data', 'digital-technology'])
    """
    wanted = split_labels(truth)
    if set(wanted) == set(split_labels(predicted)):
        return "confirm", []
    if not wanted:
        return "reject", []
    return "relabel", wanted


def read_truth(path: Path) -> dict[str, str]:
    """company id → ``;``-separated true clusters, from a ``company_id, labels`` file."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return {
        normalise_company_id(cid) or cid: labels
        for cid, labels in zip(frame["company_id"], frame["labels"], strict=True)
    }


@dataclass
class RoundReport:
    """What the simulated analyst did."""

    decided: int = 0
    actions: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        parts = ", ".join(f"{n} {a}" for a, n in sorted(self.actions.items()))
        return f"SIMULATED review round: {self.decided} decisions ({parts or 'none'})"


def simulate_round(
    db: Database,
    truth: Mapping[str, str],
    items: int,
    valid: Sequence[str],
    truth_name: str = "the truth file",
    lease_minutes: float = 10.0,
) -> RoundReport:
    """Let the simulated analyst decide up to ``items`` queued items, by priority."""
    user = auth.get_user(db, SIMULATED_USER)
    user_id = user.id if user else auth.add_user(db, SIMULATED_USER, None, simulated=True)
    report = RoundReport()
    comment = f"SIMULATED: decision drawn from {truth_name}, not a person's judgement"
    while report.decided < items:
        lease = queue.take_next(db, user_id, lease_minutes=lease_minutes)
        if lease is None:
            break
        item = queue.get_item(db, lease.item_id)
        if item.company_id not in truth:
            queue.release(db, item.id, user_id, lease.token)
            logger.warning("no truth for %s: the simulated round stops", item.company_id)
            break
        action, labels = simulated_decision(item.labels, truth[item.company_id])
        decisions.decide(
            db, item.id, user_id, lease.token, action, labels, comment, valid, simulated=True
        )
        report.decided += 1
        report.actions[action] = report.actions.get(action, 0) + 1
    return report


@dataclass
class DemoReview:
    """Where the demo round wrote its store and labels."""

    database: Path
    labels: Path
    round: RoundReport
    export_summary: str


def run_demo_review(
    queue_path: Path,
    companies_path: Path,
    truth_path: Path,
    exclude_labels: Path | None,
    output_dir: Path,
    settings: object,
) -> DemoReview:
    """The main job's review step: a fresh demo store with the held-out queued companies, a
    simulated round over the top ``review.simulated_items`` of them, and the export."""
    from clusters.company_base import load_company_base
    from clusters.review.export import export_labels
    from clusters.review.items import build_items, company_evidence, read_queue
    from clusters.sic import default_reference
    from clusters.taxonomy import load_taxonomy

    cfg = settings.review
    truth = read_truth(truth_path)
    held_out = set(truth)
    if exclude_labels is not None and Path(exclude_labels).exists():
        held_out -= set(read_truth(exclude_labels))
    queued = read_queue(queue_path)
    queued = queued[queued["company_id"].isin(held_out)].head(cfg.simulated_items)
    evidence = company_evidence(load_company_base(companies_path), default_reference().titles)
    database = Path(output_dir) / "review_demo.db"
    for leftover in database.parent.glob(database.name + "*"):
        leftover.unlink()  # a fresh demo store per run (with its WAL files)
    db = Database.connect(f"sqlite:///{database}")
    try:
        items = build_items(
            queued, evidence, None, cfg.double_review_share, str(queue_path), simulated=True
        )
        queue.import_items(db, items)
        valid = load_taxonomy(settings.paths.taxonomy).ids
        report = simulate_round(db, truth, len(items), valid, truth_path.name, cfg.lease_minutes)
        labels_path = Path(output_dir) / "reviewed_labels.csv"
        exported = export_labels(db, labels_path)
    finally:
        db.close()
    return DemoReview(database, labels_path, report, exported.summary())
