"""Settings of emerging-cluster discovery (``clusters discover``).

Wired into :class:`clusters.config.Settings` as the ``discovery`` section, so every value can
be set in the settings YAML (``discovery: {min_group_size: 20}``) or the environment
(``CLUSTERS_DISCOVERY__MIN_GROUP_SIZE=20``). :func:`discovery_settings` reads the section from
the process-wide settings and falls back to the defaults here.

Example:
    >>> DiscoverySettings().reducer
    'umap'
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DiscoverySettings(BaseModel):
    """Candidate selection, reduction, clustering, stability, description and ranking."""

    model_config = ConfigDict(extra="forbid")

    # --- candidates -------------------------------------------------------------------------
    weak_probability: float = Field(0.5, ge=0.0, le=1.0)
    """An assigned company whose best cluster probability is below this is weakly assigned
    (a candidate)."""
    require_description: bool = True
    """Only companies with a filing or website text can be candidates: a company known by its
    name and SIC codes alone is unassigned for lack of evidence, not for a new activity (and
    such companies group by name words)."""
    far_quantile: float = Field(0.1, ge=0.0, le=1.0)
    """A company less similar to its nearest cluster centroid than this quantile of the
    assigned companies' similarities is far from every cluster (a candidate)."""

    # --- reduction and clustering -------------------------------------------------------------
    reducer: Literal["umap", "pca"] = "umap"
    """``umap``: PCA then UMAP (the default); ``pca``: PCA only (fast, for quick looks and
    tests; HDBSCAN then works in ``pca_components`` dimensions)."""
    pca_components: int = Field(50, ge=2)
    """PCA dimensions before UMAP (denoises and speeds up the neighbour search)."""
    umap_components: int = Field(5, ge=2)
    umap_neighbors: int = Field(15, ge=2)
    umap_epochs: int = Field(200, ge=10)
    max_fit: int = Field(30_000, ge=1_000)
    """UMAP is fitted on at most this many candidates; the others are transformed."""
    min_group_size: int = Field(15, ge=3)
    """HDBSCAN ``min_cluster_size``: the smallest group worth proposing."""
    max_group_share: float = Field(0.25, gt=0.0, le=1.0)
    """HDBSCAN ``max_cluster_size`` as a share of the candidates (at least 10 times
    ``min_group_size``): without it, excess-of-mass
    selection now and then keeps one giant low-density group instead of the dense groups
    inside it (seen on the Crunchbase benchmark: 2 groups instead of 30)."""
    min_samples: int | None = Field(None, ge=1)
    """HDBSCAN ``min_samples`` (``None`` = ``min_group_size``); lower finds more, noisier groups."""
    seed: int = 0

    # --- stability ------------------------------------------------------------------------------
    stability_runs: int = Field(3, ge=0)
    """Re-clusterings on random subsamples with other seeds (0 = no stability filter)."""
    stability_fraction: float = Field(0.8, gt=0.0, le=1.0)
    """Share of the candidates drawn (without replacement) for each re-clustering."""
    stability_max: int = Field(30_000, ge=100)
    """At most this many candidates per re-clustering (the minimum group size scales down)."""
    min_stability: float = Field(0.5, ge=0.0, le=1.0)
    """A group is kept when its mean best-match Jaccard over the re-clusterings reaches this."""

    # --- description ------------------------------------------------------------------------
    top_terms: int = Field(10, ge=1)
    central_examples: int = Field(5, ge=1)
    seed_labels: int = Field(25, ge=1)
    """Most central members of each group written as candidate positive labels."""
    background_sample: int = Field(20_000, ge=100)
    """Companies of the whole base sampled as the background of class-based TF-IDF."""
    recent_years: int = Field(3, ge=1)
    """Incorporations within this many years of the newest one count as recent."""
    focus_regions: tuple[str, ...] = ("East Midlands", "West Midlands")
    """Regions whose share and specialisation are reported (``--region`` replaces them)."""

    # --- ranking and report ---------------------------------------------------------------------
    weight_growth: float = Field(1.0, ge=0.0)
    weight_specialisation: float = Field(1.0, ge=0.0)
    weight_novelty: float = Field(1.0, ge=0.0)
    map_sample: int = Field(4_000, ge=100)
    """Candidates and as many classified companies drawn for the 2-D map."""
    experiment: str = "discovery"
    """MLflow experiment of discovery runs."""


def discovery_settings() -> DiscoverySettings:
    """The discovery section of the process-wide settings, or the defaults."""
    from clusters.config import get_settings

    section = getattr(get_settings(), "discovery", None)
    return section if isinstance(section, DiscoverySettings) else DiscoverySettings()
