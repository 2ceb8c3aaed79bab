"""Training labels: reading label files, checking them against a taxonomy, label matrices.

A label file follows the LABELS contract (``company_id``, ``text``, ``labels``); ``labels``
holds cluster ids separated by ``;`` and an empty value is a reviewed negative. Every row
becomes one example whose label row is positive for its clusters (and their parent
super-clusters) and negative for all others.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from clusters.contracts import LABELS, ContractError, split_labels
from clusters.taxonomy import Taxonomy

logger = logging.getLogger(__name__)


@dataclass
class LabelSet:
    """Examples with an indicator matrix over a taxonomy's clusters.

    ``sources`` names where each row came from (``reviewed``, ``imported``, ``keyword``,
    ``sic+similarity``, ``taxonomy``...); ``weights`` is (n, k).
    """

    company_ids: list[str]
    texts: list[str]
    Y: np.ndarray
    sources: list[str]
    weights: np.ndarray
    cluster_ids: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def trusted(self) -> np.ndarray:
        """Rows whose labels come from people (reviewed or imported), not from rules."""
        return np.isin(self.sources, list(TRUSTED_SOURCES))

    def subset(self, rows: np.ndarray) -> LabelSet:
        rows = np.asarray(rows)
        return LabelSet(
            [self.company_ids[i] for i in rows],
            [self.texts[i] for i in rows],
            self.Y[rows],
            [self.sources[i] for i in rows],
            self.weights[rows],
            self.cluster_ids,
        )

    def counts_by_source(self) -> dict[str, int]:
        return pd.Series(self.sources, dtype=object).value_counts().to_dict()

    @staticmethod
    def concat(parts: Sequence[LabelSet]) -> LabelSet:
        parts = [p for p in parts if len(p)]
        if not parts:
            raise ValueError("no labelled examples")
        return LabelSet(
            [c for p in parts for c in p.company_ids],
            [t for p in parts for t in p.texts],
            np.vstack([p.Y for p in parts]),
            [s for p in parts for s in p.sources],
            np.vstack([p.weights for p in parts]),
            parts[0].cluster_ids,
        )


TRUSTED_SOURCES = frozenset({"reviewed", "imported"})


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file as strings, index = 1-based data-row number."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.suffix.lower() in {".parquet", ".pq"}:
        frame = pd.read_parquet(path)
    else:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ContractError(
                f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=str(path)
            ) from exc
        except pd.errors.EmptyDataError as exc:
            raise ContractError("the file is empty (no header)", source=str(path)) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def read_labels(path: Path, taxonomy: Taxonomy) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a label file; returns (valid rows, rejects).

    Raises:
        ContractError: a required column is missing, or labels name clusters that are not
            in the taxonomy (the message lists them with their rows and company numbers).
    """
    frame = read_table(path)
    valid, rejects = LABELS.validate(frame, source=str(path))
    unknown = []
    for row, cid, labels in valid[["company_id", "labels"]].itertuples():
        missing = [x for x in split_labels(labels) if x not in taxonomy]
        if missing:
            unknown.append(f"row {row} (company {cid}): {', '.join(missing)}")
    if unknown:
        shown = "; ".join(unknown[:10]) + (
            f"; ... {len(unknown) - 10} more" if len(unknown) > 10 else ""
        )
        raise ContractError(
            f"labels name clusters that are not in taxonomy {taxonomy.name!r} "
            f"v{taxonomy.version}: {shown}",
            source=str(path),
        )
    if len(rejects):
        logger.warning(
            "%s: %d label rows rejected (first: %s)", path, len(rejects), rejects.iloc[0]["reason"]
        )
    return valid, rejects


def with_parents(Y: np.ndarray, taxonomy: Taxonomy) -> np.ndarray:
    """Set each parent super-cluster wherever one of its children is set."""
    Y = Y.copy()
    index = {cid: j for j, cid in enumerate(taxonomy.ids)}
    for j, cluster in enumerate(taxonomy.clusters):
        parent = cluster.parent
        while parent is not None:
            Y[:, index[parent]] |= Y[:, j]
            parent = taxonomy[parent].parent
    return Y


def label_matrix(label_strings: Sequence[object], taxonomy: Taxonomy) -> np.ndarray:
    """(n, k) int8 indicator matrix from ``;``-separated label strings, parents included."""
    index = {cid: j for j, cid in enumerate(taxonomy.ids)}
    Y = np.zeros((len(label_strings), len(index)), dtype=np.int8)
    for i, value in enumerate(label_strings):
        for cid in split_labels(value):
            Y[i, index[cid]] = 1
    return with_parents(Y, taxonomy)


def labels_from_frame(frame: pd.DataFrame, taxonomy: Taxonomy, source: str) -> LabelSet:
    """A :class:`LabelSet` of weight-1 rows from a validated labels frame."""
    Y = label_matrix(frame["labels"].tolist(), taxonomy)
    return LabelSet(
        frame["company_id"].astype(str).tolist(),
        frame["text"].astype(str).tolist(),
        Y,
        [source] * len(frame),
        np.ones(Y.shape, dtype=float),
        taxonomy.ids,
    )


def load_label_files(
    paths: Sequence[Path], taxonomy: Taxonomy, source: str = "imported"
) -> LabelSet | None:
    """All label files as one :class:`LabelSet` (later files win for a repeated company)."""
    frames = [read_labels(Path(p), taxonomy)[0] for p in paths]
    if not frames:
        return None
    frame = pd.concat(frames).drop_duplicates("company_id", keep="last")
    return labels_from_frame(frame, taxonomy, source)
