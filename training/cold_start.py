"""Cold start: training examples for a taxonomy that has few or no labelled companies.

Three rule-based label sources, all weaker than labels from people:

* ``taxonomy``: each cluster's own words. One example per cluster ("name: description")
  and one per keyword, positive for the cluster (and its parents).
* ``keyword``: an unlabelled company whose text contains a cluster keyword is a weak
  positive for that cluster.
* ``sic+similarity``: a company whose SIC code is in a cluster's crosswalk *and* whose text
  is nearest (by embedding cosine) to that cluster's description among all clusters is a weak
  positive. A SIC code alone is never enough: codes such as 62012 span many clusters.

A company with no weak positive is a weak negative for every cluster; a SIC match that fails
the similarity test leaves that cluster unknown (weight 0) for the company.

**Fading**: rule-based rows get weight ``base_weight * max(0, 1 - n_c / fade_at)`` in the
column of cluster ``c``, where ``n_c`` is the number of trusted (reviewed or imported)
positives of ``c``. As analysts label a cluster, its rule-based examples fade out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.preprocessing import normalize

from classifier.keywords import KeywordMatcher
from clusters.taxonomy import Taxonomy
from training.labels import LabelSet, with_parents

RULE_SOURCES = ("taxonomy", "keyword", "sic+similarity", "weak-negative")


def cluster_descriptions(taxonomy: Taxonomy) -> list[str]:
    """One text per cluster: ``"name: description"``, for prototypes and examples."""
    return [f"{c.name}: {c.description}" for c in taxonomy.clusters]


def taxonomy_examples(taxonomy: Taxonomy) -> LabelSet:
    """Examples from the taxonomy's own words (source ``taxonomy``)."""
    texts, rows = [], []
    for j, (cluster, text) in enumerate(
        zip(taxonomy.clusters, cluster_descriptions(taxonomy), strict=True)
    ):
        for t in [text, *cluster.keywords]:
            texts.append(t)
            rows.append(j)
    Y = np.zeros((len(texts), len(taxonomy.ids)), dtype=np.int8)
    Y[np.arange(len(texts)), rows] = 1
    Y = with_parents(Y, taxonomy)
    ids = [f"taxonomy:{taxonomy.ids[j]}" for j in rows]
    return LabelSet(ids, texts, Y, ["taxonomy"] * len(texts), np.ones(Y.shape), taxonomy.ids)


def weak_labels(
    company_ids: Sequence[str],
    texts: Sequence[str],
    sic_codes: Sequence[Sequence[str]],
    embeddings: np.ndarray,
    prototypes: np.ndarray,
    taxonomy: Taxonomy,
) -> LabelSet:
    """Weak labels for unlabelled companies from keywords and the SIC crosswalk.

    Args:
        embeddings: (n, d) company text embeddings.
        prototypes: (k, d) embeddings of :func:`cluster_descriptions`.
    """
    n, k = len(texts), len(taxonomy.ids)
    keyword_hits = KeywordMatcher(taxonomy).matrix(list(texts))
    sic_hits = np.zeros((n, k), dtype=bool)
    for j, cluster in enumerate(taxonomy.clusters):
        crosswalk = set(cluster.sic_codes)
        if crosswalk:
            sic_hits[:, j] = [bool(crosswalk.intersection(codes or ())) for codes in sic_codes]
    sims = normalize(np.asarray(embeddings, float)) @ normalize(np.asarray(prototypes, float)).T
    nearest = np.zeros((n, k), dtype=bool)
    if n and k:
        nearest[np.arange(n), sims.argmax(axis=1)] = True
    sic_confirmed = sic_hits & nearest
    positive = keyword_hits | sic_confirmed
    Y = with_parents(positive.astype(np.int8), taxonomy)
    weights = np.ones((n, k))
    weights[sic_hits & ~sic_confirmed & (Y == 0)] = 0.0  # SIC says maybe, text disagrees
    sources = np.where(
        keyword_hits.any(axis=1),
        "keyword",
        np.where(sic_confirmed.any(axis=1), "sic+similarity", "weak-negative"),
    )
    return LabelSet(list(company_ids), list(texts), Y, sources.tolist(), weights, taxonomy.ids)


def fade(
    rules: LabelSet, trusted_positives: np.ndarray, base_weight: float, fade_at: int
) -> LabelSet:
    """Scale rule-based weights per cluster as trusted positives accumulate."""
    factor = base_weight * np.clip(1.0 - np.asarray(trusted_positives, float) / fade_at, 0.0, 1.0)
    return LabelSet(
        rules.company_ids,
        rules.texts,
        rules.Y,
        rules.sources,
        rules.weights * factor,
        rules.cluster_ids,
    )


def prototypes(taxonomy: Taxonomy, encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """(k, d) cluster prototypes: embeddings of the cluster descriptions."""
    return np.asarray(encode(cluster_descriptions(taxonomy)), dtype=np.float32)
