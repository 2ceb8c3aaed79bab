"""Stability of discovered groups across subsamples and seeds.

Each re-clustering draws a random subsample of the candidates (``stability_fraction``,
without replacement, at most ``stability_max``), reduces and clusters it again with another
seed, and matches every reference group to its best counterpart by Jaccard similarity over
the subsampled companies (Hennig's cluster-wise stability, subsampling variant). A group's
stability is the mean of its best-match Jaccard over the runs; groups below
``min_stability`` are dropped: a group that the reduction's randomness or a few companies
created does not come back.

Example:
    >>> import numpy as np
    >>> best_match_jaccard(np.array([0, 0, 1, 1, -1]), np.array([1, 1, 1, -1, -1]), 2).round(2)
    array([0.67, 0.25])
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from clusters.discovery.reduce_cluster import NOISE

logger = logging.getLogger(__name__)

ClusterFn = Callable[[np.ndarray, int, float], np.ndarray]
"""``(rows, seed, size_scale) -> labels``: clusters the candidates ``rows`` (indices) again."""


def best_match_jaccard(reference: np.ndarray, other: np.ndarray, n_groups: int) -> np.ndarray:
    """For each reference group 0..n_groups-1, the best Jaccard with any group of ``other``.

    Both label arrays cover the same companies; ``-1`` (noise) is no group. A reference
    group absent from these companies scores 0.
    """
    reference = np.asarray(reference)
    other = np.asarray(other)
    keep = (reference != NOISE) & (other != NOISE)
    n_other = int(other.max() + 1) if (other != NOISE).any() else 0
    if n_groups == 0:
        return np.zeros(0)
    if n_other == 0:
        return np.zeros(n_groups)
    inter = np.zeros((n_groups, n_other))
    np.add.at(inter, (reference[keep], other[keep]), 1)
    size_ref = np.bincount(reference[reference != NOISE], minlength=n_groups)[:n_groups]
    size_other = np.bincount(other[other != NOISE], minlength=n_other)
    union = size_ref[:, None] + size_other[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        jaccard = np.where(union > 0, inter / union, 0.0)
    return jaccard.max(axis=1)


def group_stability(
    reference: np.ndarray,
    cluster_fn: ClusterFn,
    runs: int,
    fraction: float,
    max_rows: int,
    seed: int,
) -> np.ndarray:
    """Mean best-match Jaccard of each reference group over ``runs`` re-clusterings.

    Args:
        reference: group per candidate (``-1`` = noise) from the main clustering.
        cluster_fn: clusters a subsample again (see :data:`ClusterFn`).
        runs: number of re-clusterings; 0 gives every group stability 1.
        fraction: share of candidates drawn per run.
        max_rows: cap on the rows drawn per run.
        seed: base seed; run ``r`` uses ``seed + r + 1`` for the draw and the clustering.
    """
    reference = np.asarray(reference)
    n_groups = int(reference.max() + 1) if (reference != NOISE).any() else 0
    if runs == 0 or n_groups == 0:
        return np.ones(n_groups)
    n = len(reference)
    size = max(2, min(int(round(fraction * n)), max_rows, n))
    scores = np.zeros((runs, n_groups))
    for run in range(runs):
        run_seed = seed + run + 1
        rows = np.sort(np.random.default_rng(run_seed).choice(n, size, replace=False))
        labels = cluster_fn(rows, run_seed, size / n)
        scores[run] = best_match_jaccard(reference[rows], labels, n_groups)
        logger.debug("stability run %d: %s", run + 1, np.round(scores[run], 2).tolist())
    return scores.mean(axis=0)


def relabel(labels: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Labels with only the groups in ``keep`` (renumbered 0.. in order); others become noise.

    >>> relabel(np.array([0, 1, 2, -1, 2]), np.array([False, True, True]))
    array([-1,  0,  1, -1,  1])
    """
    keep = np.asarray(keep, dtype=bool)
    mapping = np.full(len(keep) + 1, NOISE)
    mapping[np.flatnonzero(keep)] = np.arange(int(keep.sum()))
    labels = np.asarray(labels)
    return np.where(labels == NOISE, NOISE, mapping[np.where(labels == NOISE, len(keep), labels)])
