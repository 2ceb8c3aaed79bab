"""Candidates for discovery: companies the current taxonomy does not describe well.

A company is a candidate (within the chosen scope, and with a filing or website text unless
``require_description`` is off) when it is

* **unassigned**: no cluster above its threshold;
* **weak**: assigned, but its best cluster's probability (``fit``) is below
  ``weak_probability``: no cluster fits it well;
* **far**: its embedding is less similar to the nearest cluster centroid than the
  ``far_quantile`` quantile of the assigned companies' similarities, whatever the classifier
  said (text unlike anything the taxonomy holds).

Cluster centroids are the unit-length mean embeddings of the companies assigned to each
cluster, so they live in whatever embedding space the vectors come from.

Example:
    >>> import numpy as np
    >>> ids, centres = cluster_centroids(np.eye(3, dtype=np.float32), [["a"], ["a"], []])
    >>> ids, centres.astype(float).round(3).tolist()
    (['a'], [[0.707, 0.707, 0.0]])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from clusters.contracts import PROBABILITY_PREFIX, split_labels
from clusters.discovery.settings import DiscoverySettings
from clusters.sic import NOT_TRADING, sic_code_list

REASONS = ("unassigned", "weak", "far")


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def cluster_centroids(
    vectors: np.ndarray, labels: Sequence[Sequence[str]]
) -> tuple[list[str], np.ndarray]:
    """Unit-length mean vector of the companies assigned to each cluster.

    Returns the cluster ids (sorted) and a ``(clusters, dim)`` matrix; clusters without
    companies are left out.
    """
    unit = unit_rows(vectors)
    members: dict[str, list[int]] = {}
    for row, ids in enumerate(labels):
        for cid in ids:
            members.setdefault(cid, []).append(row)
    ids = sorted(members)
    if not ids:
        return [], np.zeros((0, unit.shape[1]), dtype=np.float32)
    centres = np.stack([unit[members[cid]].mean(axis=0) for cid in ids])
    return ids, unit_rows(centres)


def nearest_centroid(vectors: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of and cosine similarity to the nearest centroid, per row (-1 and 0 if none)."""
    if len(centroids) == 0:
        return np.full(len(vectors), -1), np.zeros(len(vectors), dtype=np.float32)
    sims = unit_rows(vectors) @ centroids.T
    best = sims.argmax(axis=1)
    return best, sims[np.arange(len(sims)), best]


def flag_candidates(
    labels: Sequence[Sequence[str]],
    fit: np.ndarray,
    similarity: np.ndarray,
    in_scope: np.ndarray,
    settings: DiscoverySettings,
) -> pd.DataFrame:
    """Why each company is a candidate (a pure function of the predictions).

    Args:
        labels: assigned cluster ids per company.
        fit: the highest cluster probability per company (see :func:`best_fit`).
        similarity: cosine similarity to the nearest cluster centroid.
        in_scope: companies of the chosen region / incorporation window.
        settings: ``weak_probability`` and ``far_quantile``.

    Returns:
        A frame in input order with boolean columns ``unassigned``, ``weak``, ``far`` and
        ``candidate`` (any reason, and in scope), and ``reason`` (the first that applies).
    """
    assigned = np.array([len(ids) > 0 for ids in labels], dtype=bool)
    fit = np.nan_to_num(np.asarray(fit, dtype=float), nan=0.0)
    similarity = np.asarray(similarity, dtype=float)
    flags = pd.DataFrame(
        {
            "unassigned": ~assigned,
            "weak": assigned & (fit < settings.weak_probability),
            "far": similarity < far_threshold(similarity[assigned], settings.far_quantile)
            if assigned.any()
            else np.zeros(len(assigned), dtype=bool),
        }
    )
    flags["candidate"] = flags[list(REASONS)].any(axis=1) & np.asarray(in_scope, dtype=bool)
    first = flags[list(REASONS)].idxmax(axis=1)
    flags["reason"] = first.where(flags["candidate"], "")
    return flags


def has_description(base: pd.DataFrame) -> np.ndarray:
    """Rows with a non-blank ``filing_text`` or ``website_text``; all rows when the frame
    has neither column (texts come from elsewhere).

    >>> has_description(pd.DataFrame({"website_text": ["We grow salad.", " ", None]})).tolist()
    [True, False, False]
    """
    columns = [c for c in ("filing_text", "website_text") if c in base.columns]
    if not columns:
        return np.ones(len(base), dtype=bool)
    present = [base[c].fillna("").astype(str).str.strip().ne("").to_numpy() for c in columns]
    return np.logical_or.reduce(present)


def not_trading(base: pd.DataFrame) -> np.ndarray:
    """Rows whose SIC codes are all "dormant" or "non-trading" (:data:`clusters.sic.NOT_TRADING`):
    no activity to group, however far they sit from every cluster.

    >>> not_trading(pd.DataFrame({"sic_codes": [["99999"], ["74990", "62012"], [], None]})).tolist()
    [True, False, False, False]
    """
    if "sic_codes" not in base.columns:
        return np.zeros(len(base), dtype=bool)
    return np.array(
        [
            bool(codes) and set(codes) <= NOT_TRADING
            for codes in base["sic_codes"].map(sic_code_list)
        ],
        dtype=bool,
    )


def far_threshold(assigned_similarity: np.ndarray, quantile: float) -> float:
    """The similarity below which a company counts as far from every cluster."""
    if len(assigned_similarity) == 0:
        return -np.inf
    return float(np.quantile(assigned_similarity, quantile))


def best_fit(predictions: pd.DataFrame) -> np.ndarray:
    """The highest ``p_<cluster>`` probability per row; else ``confidence``; else 1.

    The product's ``confidence`` is the least certain of all cluster decisions, so a company
    firmly in one cluster but doubtful about another has a low confidence: it says "review
    me", not "no cluster fits me", hence the best probability is preferred here.
    """
    columns = [c for c in predictions.columns if c.startswith(PROBABILITY_PREFIX)]
    if columns:
        return predictions[columns].to_numpy(dtype=float).max(axis=1)
    if "confidence" in predictions:
        return pd.to_numeric(predictions["confidence"], errors="coerce").to_numpy(dtype=float)
    return np.ones(len(predictions))


def labels_of(predictions: pd.DataFrame) -> list[list[str]]:
    """Assigned cluster ids per row of a predictions frame (``labels`` column)."""
    return [split_labels(v) for v in predictions["labels"].tolist()]
