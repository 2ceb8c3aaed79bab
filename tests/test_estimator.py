"""The core estimator: scikit-learn conformance and multi-label edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from classifier.estimator import (
    ClusterClassifier,
    EmbeddedTexts,
    best_threshold,
    confidence_from_proba,
    expected_calibration_error,
)

EXPECTED_FAILED_CHECKS = {
    # Out-of-fold calibration splits rows into folds: a row with weight 2 sits in one fold,
    # while its duplicate could fall into another, so weights and repetition differ.
    "check_sample_weight_equivalence_on_dense_data": "weights are not repetitions under CV",
}


@parametrize_with_checks(
    [ClusterClassifier(cv=3, features="embedding")],
    expected_failed_checks=lambda _est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _blobs(n: int = 300, k: int = 3, d: int = 16, seed: int = 0):
    """Separable multi-label data: cluster j is 'on' when feature j is large."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = (X[:, :k] > 0.3).astype(int)
    return X, Y


def test_learns_separable_multilabel_data():
    X, Y = _blobs(400)
    model = ClusterClassifier(cv=3).fit(X[:300], Y[:300])
    pred = model.predict(X[300:])
    assert pred.shape == (100, 3)
    assert (pred == Y[300:]).mean() > 0.9
    assert model.multilabel_ and list(model.classes_) == [0, 1, 2]
    # a row can belong to several clusters at once
    assert (pred.sum(axis=1) >= 2).any()


def test_cluster_with_no_examples_is_never_predicted():
    X, Y = _blobs(200)
    Y[:, 2] = 0
    model = ClusterClassifier(cv=3).fit(X, Y)
    assert model.n_positives_[2] == 0
    assert np.all(model.predict_proba(X)[:, 2] == 0.0)
    assert model.predict(X)[:, 2].sum() == 0
    assert not model.threshold_tuned_[2]


def test_cluster_with_one_example_uses_default_threshold():
    X, Y = _blobs(200)
    Y[:, 1] = 0
    Y[7, 1] = 1
    model = ClusterClassifier(cv=3, default_threshold=0.5).fit(X, Y)
    assert model.calibration_methods_[1] == "uncalibrated"
    assert model.thresholds_[1] == 0.5
    proba = model.predict_proba(X)[:, 1]
    assert np.all((proba >= 0) & (proba <= 1))
    assert proba[7] == proba.max()  # the one positive is the most likely member


def test_all_negative_rows_are_explicit_negatives():
    X, Y = _blobs(300)
    negatives = np.random.default_rng(1).normal(loc=-3.0, size=(100, X.shape[1]))
    X2 = np.vstack([X, negatives])
    Y2 = np.vstack([Y, np.zeros((100, 3), int)])
    model = ClusterClassifier(cv=3).fit(X2, Y2)
    assert model.predict(negatives).sum() == 0


def test_all_rows_negative_for_every_cluster_gives_zero_probabilities():
    X = np.random.default_rng(0).normal(size=(50, 4))
    model = ClusterClassifier(cv=3).fit(X, np.zeros((50, 2), int))
    assert np.all(model.predict_proba(X) == 0.0)


def test_single_cluster_taxonomy_stays_multilabel():
    X, Y = _blobs(100, k=1)
    model = ClusterClassifier(cv=3, multilabel=True).fit(X, Y)
    assert model.predict_proba(X).shape == (100, 1)
    assert model.predict(X).shape == (100, 1)


def test_non_binary_indicator_matrix_is_rejected():
    X, Y = _blobs(60)
    Y[0, 0] = 2
    with pytest.raises(ValueError, match="multi-label|indicator|label type"):
        ClusterClassifier(cv=3).fit(X, Y)


def test_calibration_method_depends_on_data_size():
    X, Y = _blobs(1200, k=1)
    big = ClusterClassifier(cv=3, isotonic_min=200, multilabel=True).fit(X, Y)
    small = ClusterClassifier(cv=3, isotonic_min=200, multilabel=True).fit(X[:150], Y[:150])
    assert big.calibration_methods_ == ["isotonic"]
    assert small.calibration_methods_ == ["sigmoid"]


def test_probabilities_are_calibrated_on_noisy_data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 5))
    p_true = 1 / (1 + np.exp(-2 * X[:, 0]))
    Y = (rng.random(3000) < p_true).astype(int).reshape(-1, 1)
    model = ClusterClassifier(cv=5, C=1.0, multilabel=True).fit(X[:2000], Y[:2000])
    ece = expected_calibration_error(Y[2000:], model.predict_proba(X[2000:]))
    assert ece < 0.05
    assert model.oof_ece_ < 0.05


def test_target_precision_raises_threshold():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(1500, 5))
    Y = (rng.random(1500) < 1 / (1 + np.exp(-2 * X[:, 0]))).astype(int).reshape(-1, 1)
    f1 = ClusterClassifier(cv=3, multilabel=True).fit(X, Y)
    precise = ClusterClassifier(cv=3, multilabel=True, target_precision=[0.9]).fit(X, Y)
    assert precise.thresholds_[0] > f1.thresholds_[0]
    pred = precise.predict(X)[:, 0].astype(bool)
    assert Y[pred, 0].mean() >= 0.85


def test_sample_weights_zero_rows_are_ignored():
    X, Y = _blobs(300, k=1)
    flipped = Y.copy()
    flipped[:100] = 1 - flipped[:100]  # wrong labels ...
    weights = np.r_[np.zeros(100), np.ones(200)]  # ... that carry no weight
    model = ClusterClassifier(cv=3, multilabel=True).fit(X, flipped, sample_weight=weights)
    assert (model.predict(X[:100]) == Y[:100]).mean() > 0.85


def test_text_input_with_tfidf_and_embeddings():
    texts = ["satellite launch services"] * 20 + ["bakery bread cakes"] * 20
    emb = np.random.default_rng(0).normal(size=(40, 8)).astype(np.float32)
    Y = np.r_[np.ones(20), np.zeros(20)].astype(int).reshape(-1, 1)
    model = ClusterClassifier(cv=3, multilabel=True).fit(EmbeddedTexts(texts, emb), Y)
    assert model.uses_tfidf_
    test = EmbeddedTexts(["satellite launch", "bread cakes"], emb[:2])
    proba = model.predict_proba(test)[:, 0]
    assert proba[0] > proba[1]
    with pytest.raises(ValueError, match="TF-IDF"):
        model.predict_proba(emb[:2])


def test_tfidf_only_baseline_needs_no_embeddings():
    texts = ["satellite launch services"] * 20 + ["bakery bread cakes"] * 20
    Y = np.r_[np.ones(20), np.zeros(20)].astype(int).reshape(-1, 1)
    model = ClusterClassifier(cv=3, multilabel=True, features="tfidf").fit(texts, Y)
    proba = model.predict_proba(["satellite services", "cakes"])[:, 0]
    assert proba[0] > 0.5 > proba[1]


def test_texts_without_embedder_give_clear_error():
    with pytest.raises(ValueError, match="no embedder"):
        ClusterClassifier().fit(["a", "b"], [0, 1])


def test_explanation_examples_are_the_nearest_positives():
    X, Y = _blobs(200, k=2)
    ids = [f"C{i:07d}" for i in range(200)]
    model = ClusterClassifier(cv=3, max_examples=500).fit(X, Y, example_ids=ids)
    nearest = model.nearest_examples(X[:5], column=0, k=2)
    for row, matches in enumerate(nearest):
        assert len(matches) == 2
        idx, cos = matches[0]
        assert model.example_labels_[idx, 0] == 1
        assert cos >= matches[1][1]
        if Y[row, 0] == 1:  # a training positive finds itself
            assert model.example_ids_[idx] == ids[row] and cos > 0.99


def test_clone_keeps_params():
    model = ClusterClassifier(C=2.0, features="embedding", target_precision=[0.8, None])
    assert clone(model).get_params()["target_precision"] == [0.8, None]


def test_best_threshold_maximises_f1():
    y = np.array([0, 0, 1, 1, 1, 0])
    p = np.array([0.1, 0.2, 0.3, 0.8, 0.9, 0.35])
    threshold, reached = best_threshold(y, p)
    assert reached and threshold == pytest.approx(0.3)
    threshold, reached = best_threshold(y, p, target_precision=1.0)
    assert reached and threshold == pytest.approx(0.8)
    _, reached = best_threshold(np.array([0, 1]), np.array([0.9, 0.1]), target_precision=1.0)
    assert not reached


def test_confidence_is_the_weakest_decision():
    proba = np.array([[0.9, 0.05], [0.55, 0.1], [0.2, 0.45]])
    conf = confidence_from_proba(proba, np.array([0.5, 0.5]))
    assert conf == pytest.approx([0.9, 0.55, 0.55])


def test_ece_of_overconfident_predictions():
    y = np.array([0, 1] * 50)
    assert expected_calibration_error(y, np.full(100, 0.95)) == pytest.approx(0.45)


def test_predictions_frame_routes_doubtful_rows_to_review():
    from classifier.model import predictions_frame

    proba = np.array([[0.99, 0.001], [0.55, 0.001], [0.9, 0.052], [0.001, 0.002]])
    frame = predictions_frame(
        ["a", "b", "c", "d"], proba, np.array([0.5, 0.05]), ["x", "y"], ["h"] * 4, "m/v1", 0.6, 0.25
    )
    assert frame["labels"].tolist() == ["x", "x", "x;y", ""]
    assert frame["top_label"].tolist() == ["x", "x", "x", "y"]
    # b: confidence 0.55 < 0.6; c: 0.052 is within 0.25 log-odds of threshold 0.05
    assert frame["needs_review"].tolist() == [False, True, True, False]
    assert frame["confidence"].iloc[0] == pytest.approx(0.99)
    assert list(frame.columns[-2:]) == ["p_x", "p_y"]


def test_stacking_reads_the_other_clusters_scores():
    # cluster 2 is "0 and 1 together": no single feature shows it, the other clusters do
    rng = np.random.default_rng(5)
    X = rng.normal(size=(900, 6))
    Y = np.c_[X[:, 0] > 0, X[:, 1] > 0].astype(int)
    Y = np.c_[Y, Y[:, 0] & Y[:, 1]]
    flat = ClusterClassifier(cv=3, multilabel=True).fit(X[:600], Y[:600])
    stacked = ClusterClassifier(cv=3, multilabel=True, stack=True, stack_C=1.0).fit(
        X[:600], Y[:600]
    )
    assert stacked.base_models_ is not None and len(stacked.models_) == 3
    coef = stacked.models_[2].lr.coef_.ravel()
    assert coef[0] > 0.5 and coef[1] > 0.5  # cluster 2 leans on clusters 0 and 1
    proba = stacked.predict_proba(X[600:])
    assert proba.shape == (300, 3)
    # the second level still separates the conjunction well (a linear rule on the scores)
    assert (stacked.predict(X[600:])[:, 2] == Y[600:, 2]).mean() > 0.75
    assert (flat.predict(X[600:])[:, :2] == Y[600:, :2]).mean() > 0.9


# --- fast prediction paths: the same numbers as scikit-learn's own, to the bit ---------------

WORDS = [
    *["satellite", "launch", "services", "bakery", "bread", "cakes", "medical", "devices"],
    *["catheters", "software", "the", "and", "of", "for", "precision", "engineering"],
    *["Café", "naïve", "ＡＢＣ", "ﬁne", "ℌilbert", "中文", "文本", "x_y", "a1", "B2", "--", "..."],
]


def _random_texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=rng.integers(0, 30))) for _ in range(n)]


def _hybrid_data(n: int = 300, seed: int = 0) -> tuple[EmbeddedTexts, np.ndarray]:
    """Texts with embeddings (some exact zeros) and four clusters, one without examples."""
    texts = _random_texts(n, seed)
    emb = np.random.default_rng(seed).normal(size=(n, 8)).astype(np.float32)
    emb[::7, 3] = 0.0  # zeros are left out of the sparse matrix
    Y = np.c_[
        ["satellite" in t for t in texts],
        ["bread" in t or "cakes" in t for t in texts],
        ["medical" in t for t in texts],
        np.zeros(n),
    ].astype(int)
    return EmbeddedTexts(texts, emb), Y


def test_fast_tfidf_transform_is_sklearns_to_the_bit():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from classifier.estimator import tfidf_transform

    X, Y = _hybrid_data()
    model = ClusterClassifier(cv=3).fit(X, Y)
    texts = list(X.texts)
    # "ℌ" stays "ℌ" when lower-cased and becomes an upper-case "H" when accents are stripped
    others = _random_texts(200, seed=1) + ["", "ℌello World", "İstanbul ıi", "x", "the the"]
    for vectorizer in (
        model.vectorizer_,
        TfidfVectorizer(ngram_range=(1, 1), sublinear_tf=True).fit(texts),
        TfidfVectorizer(token_pattern=r"(?u)\b\w+\b", lowercase=False).fit(texts),
        TfidfVectorizer(analyzer="char").fit(texts),  # not word n-grams: sklearn's own path
    ):
        expected = vectorizer.transform(others)
        got = tfidf_transform(vectorizer, others)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert np.array_equal(got.indptr, expected.indptr)
        assert np.array_equal(got.indices, expected.indices)
        assert np.array_equal(got.data, expected.data)


def test_dense_as_csr_is_scipys():
    import scipy.sparse as sp

    from classifier.estimator import dense_as_csr

    rng = np.random.default_rng(0)
    for shape, zeros in [((0, 4), 0.0), ((3, 0), 0.0), ((50, 8), 0.0), ((50, 8), 0.2)]:
        dense = rng.normal(size=shape)
        dense[rng.random(shape) < zeros] = 0.0
        expected, got = sp.csr_matrix(dense), dense_as_csr(dense)
        assert got.shape == expected.shape and got.indices.dtype == expected.indices.dtype
        assert np.array_equal(got.indptr, expected.indptr)
        assert np.array_equal(got.indices, expected.indices)
        assert np.array_equal(got.data, expected.data)


@pytest.mark.parametrize("stack", [False, True])
def test_fast_predict_proba_is_the_per_model_computation_to_the_bit(stack):
    import scipy.sparse as sp
    from sklearn.preprocessing import normalize

    model = ClusterClassifier(cv=3, stack=stack).fit(*_hybrid_data())
    X, _ = _hybrid_data(120, seed=2)
    # the reference: scikit-learn's transform, scipy's matrices, one decision_function each
    tfidf = sp.csr_matrix(model.vectorizer_.transform(list(X.texts)))
    dense = normalize(X.embeddings.astype(np.float64))
    Z = sp.hstack([sp.csr_matrix(dense), tfidf], format="csr")
    if stack:
        scores = np.column_stack([m.scores(Z) for m in model.base_models_])
        Z = (scores - model.stack_mean_) / model.stack_scale_
    expected = np.clip(np.column_stack([m.proba(Z) for m in model.models_]), 0.0, 1.0)
    assert np.array_equal(model.predict_proba(X), expected)


def test_blend_averages_an_embedding_model_and_a_tfidf_model():
    from sklearn.preprocessing import normalize

    X, Y = _hybrid_data(300)
    test, _ = _hybrid_data(80, seed=3)
    blend = ClusterClassifier(cv=3, features="blend", blend_weight=0.7).fit(X, Y)
    alone = {
        "embedding": ClusterClassifier(cv=3, features="embedding").fit(
            EmbeddedTexts(X.texts, normalize(X.embeddings)), Y
        ),
        "tfidf": ClusterClassifier(cv=3, features="tfidf").fit(list(X.texts), Y),
    }
    expected = 0.7 * alone["embedding"].predict_proba(normalize(test.embeddings)) + (
        0.3 * alone["tfidf"].predict_proba(list(test.texts))
    )
    np.testing.assert_allclose(blend.predict_proba(test), np.clip(expected, 0, 1), atol=1e-6)
    oof = 0.7 * alone["embedding"].oof_proba_ + 0.3 * alone["tfidf"].oof_proba_
    np.testing.assert_allclose(blend.oof_proba_, oof, atol=1e-6)
    for j in range(3):  # thresholds are tuned on the blended out-of-fold probabilities
        assert blend.thresholds_[j] == pytest.approx(best_threshold(Y[:, j], oof[:, j])[0])
    assert blend.thresholds_[3] == blend.default_threshold and not blend.threshold_tuned_[3]
    assert blend.blend_weight_ == 0.7


def test_blend_weight_auto_is_chosen_from_the_grid_on_out_of_fold_f1():
    from classifier.estimator import BLEND_WEIGHTS

    X, Y = _hybrid_data(300)
    auto = ClusterClassifier(cv=3, features="blend").fit(X, Y)
    assert auto.blend_weight_ in BLEND_WEIGHTS
    # the chosen weight scores at least as well out of fold as every other candidate
    from classifier.estimator import _mean_f1

    def oof_f1(model):
        return _mean_f1(Y, model.oof_proba_ >= model.thresholds_)

    for weight in BLEND_WEIGHTS:
        fixed = ClusterClassifier(cv=3, features="blend", blend_weight=weight).fit(X, Y)
        assert oof_f1(auto) >= oof_f1(fixed) - 1e-12


def test_blend_needs_texts_and_refuses_bad_settings():
    X, Y = _hybrid_data(60)
    with pytest.raises(ValueError, match='features="blend" needs texts'):
        ClusterClassifier(cv=3, features="blend").fit(X.embeddings, Y)
    with pytest.raises(ValueError, match="blend_weight"):
        ClusterClassifier(cv=3, features="blend", blend_weight=1.5).fit(X, Y)
    with pytest.raises(ValueError, match="stack"):
        ClusterClassifier(cv=3, features="blend", stack=True).fit(X, Y)
    with pytest.raises(ValueError, match="features must be one of"):
        ClusterClassifier(features="both").fit(X, Y)


def test_blend_scores_each_row_alone_to_the_bit():
    """Batch reruns reuse stored probabilities only for models whose rows score alone
    (``classifier.model.scores_rows_alone``): the blend's two blocks are sparse products."""
    from classifier.model import scores_rows_alone

    model = ClusterClassifier(cv=3, features="blend").fit(*_hybrid_data())
    X, _ = _hybrid_data(60, seed=4)
    every = model.predict_proba(X)
    rows = np.array([2, 9, 10, 59])
    assert np.array_equal(model.predict_proba(X.take(rows)), every[rows])
    assert np.array_equal(model.predict_proba(X.take(np.array([7]))), every[7:8])
    assert scores_rows_alone(model)
