"""Baselines every model is compared with, on the same split.

* ``tfidf``: TF-IDF word 1-2-grams + one logistic regression per cluster, with the same
  out-of-fold threshold tuning as the model (``ClusterClassifier(features="tfidf")``).
* ``sic``: the SIC-crosswalk rule: a company is in a cluster when one of its SIC codes is in
  the cluster's crosswalk (and so in its parents).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from classifier.estimator import ClusterClassifier
from clusters.taxonomy import Taxonomy
from training.labels import with_parents
from training.metrics import Evaluation, evaluate


def tfidf_baseline(
    train_texts: Sequence[str],
    Y_train: np.ndarray,
    eval_texts: Sequence[str],
    Y_eval: np.ndarray,
    cluster_ids: Sequence[str],
    sample_weight: np.ndarray | None = None,
    cv: int = 5,
    random_state: int = 0,
) -> Evaluation:
    """Fit and score the TF-IDF + logistic-regression baseline."""
    model = ClusterClassifier(
        features="tfidf", multilabel=True, cv=cv, random_state=random_state
    ).fit(list(train_texts), Y_train, sample_weight=sample_weight)
    proba = model.predict_proba(list(eval_texts))
    return evaluate(Y_eval, proba, cluster_ids, thresholds=model.thresholds_)


def sic_rule_predictions(sic_codes: Sequence[Sequence[str]], taxonomy: Taxonomy) -> np.ndarray:
    """(n, k) indicator: SIC code in the cluster's crosswalk, parents included."""
    Y = np.zeros((len(sic_codes), len(taxonomy.ids)), dtype=np.int8)
    for j, cluster in enumerate(taxonomy.clusters):
        crosswalk = set(cluster.sic_codes)
        if crosswalk:
            Y[:, j] = [bool(crosswalk.intersection(codes or ())) for codes in sic_codes]
    return with_parents(Y, taxonomy)


def sic_baseline(
    sic_codes: Sequence[Sequence[str]], Y_eval: np.ndarray, taxonomy: Taxonomy
) -> Evaluation:
    """Score the SIC-crosswalk rule."""
    return evaluate(Y_eval, None, taxonomy.ids, Y_pred=sic_rule_predictions(sic_codes, taxonomy))
