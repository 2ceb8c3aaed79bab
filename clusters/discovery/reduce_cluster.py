"""Reduce the candidates' embeddings and find dense groups in them.

Default path (``reducer="umap"``): unit-length vectors → PCA (``pca_components``, which
denoises and makes the neighbour search cheap) → UMAP to ``umap_components`` dimensions
(``min_dist=0`` so groups stay compact; ``umap_epochs`` optimisation epochs) → HDBSCAN
(``min_group_size``). UMAP is fitted on at most ``max_fit`` candidates and the rest are
placed with ``transform``, which bounds its cost on large pools. ``reducer="pca"`` skips
UMAP (a documented fast alternative: HDBSCAN then works in the PCA space).

Cost on 2 CPU cores (measured, see the README section): UMAP's numba functions compile on the
first call in a process (about 15 s); then about 20 s per 20,000 candidates at 200 epochs.

Cohesion per group: ``silhouette`` (cosine, in the original embedding space, on a sample) and
``strength`` (mean HDBSCAN membership probability: how long, in density terms, members stay
in the group relative to its densest member; HDBSCAN's per-point persistence).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import HDBSCAN
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_samples

from clusters.discovery.candidates import unit_rows
from clusters.discovery.settings import DiscoverySettings

logger = logging.getLogger(__name__)

NOISE = -1
SILHOUETTE_SAMPLE = 5_000


@dataclass
class Clustering:
    """Groups found among the candidates (rows in candidate order)."""

    labels: np.ndarray
    """Group per candidate, 0..k-1, or ``-1`` for noise."""
    strength: np.ndarray
    """HDBSCAN membership probability per candidate (0 for noise)."""
    embedding: np.ndarray
    """The reduced coordinates HDBSCAN clustered."""

    @property
    def n_groups(self) -> int:
        return int(self.labels.max() + 1) if len(self.labels) else 0


def pca_reduce(vectors: np.ndarray, components: int, seed: int) -> np.ndarray:
    """Unit-length rows projected on their first ``components`` principal components."""
    unit = unit_rows(vectors)
    n_components = max(1, min(components, unit.shape[0] - 1, unit.shape[1]))
    return PCA(n_components, random_state=seed).fit_transform(unit).astype(np.float32)


def umap_reduce(
    points: np.ndarray, components: int, neighbors: int, epochs: int, max_fit: int, seed: int
) -> np.ndarray:
    """UMAP coordinates of ``points``, fitted on at most ``max_fit`` of them."""
    import umap

    n = len(points)
    reducer = umap.UMAP(
        n_components=components,
        n_neighbors=max(2, min(neighbors, n - 1)),
        min_dist=0.0,
        n_epochs=epochs,
        random_state=seed,
        init="spectral" if n > components + 1 else "random",
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*n_jobs value.*", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*k >= N.*", category=UserWarning)
        if n <= max_fit:
            return reducer.fit_transform(points).astype(np.float32)
        fit_rows = np.zeros(n, dtype=bool)
        fit_rows[np.random.default_rng(seed).choice(n, max_fit, replace=False)] = True
        reducer.fit(points[fit_rows])
        out = np.empty((n, components), dtype=np.float32)
        out[fit_rows] = reducer.embedding_
        out[~fit_rows] = reducer.transform(points[~fit_rows])
    return out


def reduce(vectors: np.ndarray, settings: DiscoverySettings, seed: int) -> np.ndarray:
    """The low-dimensional space HDBSCAN clusters (see the module docstring)."""
    points = pca_reduce(vectors, settings.pca_components, seed)
    if settings.reducer == "pca" or len(points) <= settings.umap_components + 2:
        return points
    return umap_reduce(
        points,
        settings.umap_components,
        settings.umap_neighbors,
        settings.umap_epochs,
        settings.max_fit,
        seed,
    )


def find_groups(
    points: np.ndarray, min_group_size: int, min_samples: int | None, max_share: float = 1.0
) -> Clustering:
    """HDBSCAN on reduced points; too few points give no group.

    Groups hold at most ``max_share`` of the points, or ``10 * min_group_size`` if more (so
    that a small pool can still be one large group and some noise)."""
    n = len(points)
    if n < max(min_group_size, 2) + 1:
        return Clustering(np.full(n, NOISE), np.zeros(n), points)
    model = HDBSCAN(
        min_cluster_size=max(2, min_group_size),
        min_samples=min(min_samples or min_group_size, n - 1),
        max_cluster_size=max(10 * min_group_size, int(max_share * n)) if max_share < 1 else None,
        copy=True,
    ).fit(points)
    labels = np.where(model.labels_ >= 0, model.labels_, NOISE)
    return Clustering(labels, np.nan_to_num(model.probabilities_), points)


def reduce_and_cluster(
    vectors: np.ndarray, settings: DiscoverySettings, seed: int, size_scale: float = 1.0
) -> Clustering:
    """Reduce then cluster; ``size_scale`` shrinks the minimum group size for subsamples."""
    min_size = max(3, round(settings.min_group_size * size_scale))
    min_samples = max(1, round(settings.min_samples * size_scale)) if settings.min_samples else None
    points = reduce(vectors, settings, seed)
    return find_groups(points, min_size, min_samples, settings.max_group_share)


def cohesion(vectors: np.ndarray, clustering: Clustering, seed: int) -> pd.DataFrame:
    """Per group: ``size``, ``silhouette`` (cosine, original space) and ``strength``."""
    labels = clustering.labels
    groups = np.arange(clustering.n_groups)
    clustered = np.flatnonzero(labels != NOISE)
    silhouette = pd.Series(np.nan, index=groups)
    if clustering.n_groups >= 2:
        rng = np.random.default_rng(seed)
        sample = (
            np.sort(rng.choice(clustered, SILHOUETTE_SAMPLE, replace=False))
            if len(clustered) > SILHOUETTE_SAMPLE
            else clustered
        )
        values = silhouette_samples(unit_rows(vectors[sample]), labels[sample], metric="cosine")
        silhouette = pd.Series(values).groupby(labels[sample]).mean().reindex(groups)
    frame = pd.DataFrame({"group": groups})
    frame["size"] = [int((labels == g).sum()) for g in groups]
    frame["silhouette"] = silhouette.to_numpy()
    frame["strength"] = [float(clustering.strength[labels == g].mean()) for g in groups]
    return frame


def map_2d(vectors: np.ndarray, settings: DiscoverySettings, seed: int) -> np.ndarray:
    """2-D coordinates for the report's map (UMAP, or PCA with ``reducer="pca"``)."""
    points = pca_reduce(vectors, settings.pca_components, seed)
    if settings.reducer == "pca" or len(points) <= 4:
        return pca_reduce(points, 2, seed) if points.shape[1] > 2 else points
    return umap_reduce(
        points, 2, settings.umap_neighbors, settings.umap_epochs, settings.max_fit, seed
    )
