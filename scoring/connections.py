"""How clusters connect: shared companies, co-location and shared SIC codes.

Three measures per pair of clusters (pure functions, one tidy table):

* ``jaccard``: company co-membership, |A and B| / |A or B| (multi-label overlap). Parent and
  child clusters overlap by construction; :func:`connections` leaves those pairs out of the
  named "strongest links" but keeps them in the table (``parent_child``).
* ``lq_correlation``: Pearson correlation of the two clusters' business LQs across local
  authorities (latest year): do they concentrate in the same places?
* ``sic_similarity``: cosine similarity of the clusters' SIC code profiles (counts of each
  5-digit code over member companies): shared supply-chain activities.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from clusters.sic import sic_code_list
from clusters.taxonomy import Taxonomy

CONNECTION_COLUMNS = [
    "cluster_a", "cluster_b", "shared_companies", "jaccard", "lq_correlation",
    "sic_similarity", "parent_child",
]  # fmt: skip


def co_membership(members: pd.DataFrame) -> pd.DataFrame:
    """``cluster_a, cluster_b, shared_companies, jaccard`` for every pair with members.

    >>> m = pd.DataFrame({"company_id": ["1", "2", "2", "3"], "cluster_id": ["a", "a", "b", "b"]})
    >>> co_membership(m)[["cluster_a", "cluster_b", "shared_companies", "jaccard"]].values.tolist()
    [['a', 'b', 1, 0.3333333333333333]]
    """
    sets = members.groupby("cluster_id")["company_id"].apply(set).to_dict()
    rows = []
    for a, b in itertools.combinations(sorted(sets), 2):
        inter, union = len(sets[a] & sets[b]), len(sets[a] | sets[b])
        rows.append((a, b, inter, inter / union if union else np.nan))
    return pd.DataFrame(rows, columns=["cluster_a", "cluster_b", "shared_companies", "jaccard"])


def lq_correlation(metrics: pd.DataFrame) -> pd.DataFrame:
    """Pearson correlation of business LQs across local authorities, latest year."""
    lq = metrics[
        (metrics["metric"] == "business_lq")
        & (metrics["geo_level"] == "lad")
        & (metrics["year"] == metrics["year"].max())
    ].pivot_table(index="geo_code", columns="cluster_id", values="value")
    corr = lq.corr(min_periods=3)
    rows = [(a, b, corr.loc[a, b]) for a, b in itertools.combinations(sorted(corr.columns), 2)]
    return pd.DataFrame(rows, columns=["cluster_a", "cluster_b", "lq_correlation"])


def sic_similarity(base: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """Cosine similarity of SIC code profiles between clusters."""
    sic = base[["company_id", "sic_codes"]].copy()
    sic["sic"] = sic["sic_codes"].map(sic_code_list)
    long = members.merge(sic[["company_id", "sic"]], on="company_id").explode("sic").dropna()
    counts = pd.crosstab(long["cluster_id"], long["sic"]).astype(float)
    norms = np.sqrt((counts**2).sum(axis=1))
    unit = counts.div(norms.where(norms > 0), axis=0).fillna(0.0)
    sim = unit @ unit.T
    rows = [(a, b, sim.loc[a, b]) for a, b in itertools.combinations(sorted(sim.index), 2)]
    return pd.DataFrame(rows, columns=["cluster_a", "cluster_b", "sic_similarity"])


def connections(
    base: pd.DataFrame,
    members: pd.DataFrame,
    metrics: pd.DataFrame,
    taxonomy: Taxonomy | None = None,
) -> pd.DataFrame:
    """All three measures for every pair of clusters (one row per unordered pair)."""
    keys = ["cluster_a", "cluster_b"]
    out = (
        co_membership(members)
        .merge(lq_correlation(metrics), on=keys, how="outer")
        .merge(sic_similarity(base, members), on=keys, how="outer")
    )
    out["shared_companies"] = out["shared_companies"].fillna(0).astype(int)
    parents = {c.id: c.parent for c in taxonomy.clusters} if taxonomy else {}
    out["parent_child"] = [
        parents.get(a) == b or parents.get(b) == a
        for a, b in zip(out["cluster_a"], out["cluster_b"], strict=True)
    ]
    return out[CONNECTION_COLUMNS].sort_values(keys).reset_index(drop=True)


def strongest_links(table: pd.DataFrame, cluster_id: str, n: int = 3) -> pd.DataFrame:
    """The ``n`` clusters most connected to ``cluster_id`` (by Jaccard, then LQ correlation),
    leaving out its parent and children."""
    mine = table[(table["cluster_a"] == cluster_id) | (table["cluster_b"] == cluster_id)]
    mine = mine[~mine["parent_child"]].copy()
    mine["other"] = np.where(mine["cluster_a"] == cluster_id, mine["cluster_b"], mine["cluster_a"])
    return mine.sort_values(["jaccard", "lq_correlation"], ascending=False).head(n)
