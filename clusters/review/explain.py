"""Evidence for queued items from the model that produced the queue: thresholds and the
nearest labelled examples behind each top cluster.

Computed once, when a queue is imported, so the web app never loads a model. Texts are
embedded through the embedding cache (keyed by text hash), so a queue imported right after
``clusters classify`` costs no new embeddings.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from classifier.estimator import EmbeddedTexts
from classifier.model import ClusterModel
from training.reviewed import registry_uri

logger = logging.getLogger(__name__)


def explain_texts(
    model: ClusterModel,
    texts: list[str],
    hashes: list[str],
    top: int = 3,
    examples: int = 3,
    cache: Any = None,
) -> list[list[dict[str, Any]]]:
    """Per text, its ``top`` clusters: probability, threshold, assigned, nearest examples."""
    if not texts:
        return []
    vectors = model.embed(texts, hashes, cache)
    proba = model.estimator.predict_proba(EmbeddedTexts(texts, vectors))
    thresholds = model.estimator.thresholds_
    ids = model.estimator.example_ids_ or []
    example_texts = model.estimator.example_texts_ or []
    out = []
    for i in range(len(texts)):
        clusters = []
        for j in np.argsort(-proba[i])[:top]:
            near = model.estimator.nearest_examples(vectors[i : i + 1], int(j), k=examples)[0]
            clusters.append(
                {
                    "cluster_id": model.cluster_ids[j],
                    "probability": round(float(proba[i, j]), 6),
                    "threshold": round(float(thresholds[j]), 6),
                    "assigned": bool(proba[i, j] >= thresholds[j]),
                    "examples": [
                        {
                            "company_id": ids[k] if k < len(ids) else None,
                            "text": example_texts[k][:300] if k < len(example_texts) else "",
                            "similarity": round(sim, 4),
                        }
                        for k, sim in near
                    ],
                }
            )
        out.append(clusters)
    return out


def model_thresholds(model: ClusterModel) -> dict[str, float]:
    """Each cluster's decision threshold, as stored in the model bundle."""
    return {
        cid: round(float(t), 6)
        for cid, t in zip(model.cluster_ids, model.estimator.thresholds_, strict=True)
    }


def explain_queue(
    queue: pd.DataFrame,
    evidence: pd.DataFrame,
    settings: Any,
    model_uri: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Explanations for every queued company with known text, from the model that produced
    its queue row (or ``model_uri``); companies whose model cannot be loaded get none.

    Returns:
        company id → ``{"thresholds": {...}, "clusters": [...]}``.
    """
    from classifier.cache import EmbeddingCache
    from classifier.classify import resolve_model
    from clusters.contracts import ContractError

    review = settings.review
    out: dict[str, dict[str, Any]] = {}
    cache = EmbeddingCache(settings.paths.cache_dir / "embeddings.sqlite")
    try:
        for version, rows in queue.groupby("model_version", sort=False):
            uri = model_uri or registry_uri(str(version))
            if uri is None:
                logger.warning("no registry URI for model version %s: no explanations", version)
                continue
            try:
                model = resolve_model(uri, settings)
            except ContractError as exc:
                logger.warning("no explanations for %s: %s", version, exc)
                continue
            known = [c for c in rows["company_id"] if c in evidence.index]
            texts = evidence.loc[known, "text"].tolist()
            hashes = evidence.loc[known, "text_hash"].tolist()
            thresholds = model_thresholds(model)
            explained = explain_texts(
                model, texts, hashes, review.top_clusters, review.examples_per_cluster, cache
            )
            for company_id, clusters in zip(known, explained, strict=True):
                out[company_id] = {"thresholds": thresholds, "clusters": clusters}
            logger.info("explained %d queued companies with %s", len(known), uri)
    finally:
        cache.close()
    return out
