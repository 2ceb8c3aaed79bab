"""The multi-label cluster classifier: a scikit-learn estimator over text embeddings.

:class:`ClusterClassifier` fits one calibrated binary model per cluster, so a company can
sit in several clusters. For each cluster it

1. computes out-of-fold (OOF) decision scores of a logistic regression (stratified folds);
2. fits a calibrator on the OOF scores: isotonic regression when both classes have at least
   ``isotonic_min`` examples, Platt scaling (a one-feature logistic regression) otherwise;
3. chooses the decision threshold on the calibrated OOF probabilities: the one that maximises
   F1, or the lowest that reaches the cluster's ``target_precision``;
4. refits the logistic regression on all rows.

Features are the text embeddings, by default joined by TF-IDF word n-grams of the same texts
(``features="hybrid"``; both blocks are L2-normalised so each carries equal weight), or read
by two model sets whose calibrated probabilities are averaged (``features="blend"``: steps
1-4 run for each block, the threshold is tuned on the averaged out-of-fold probabilities). Inputs are
embeddings (a 2-D float array), texts (with ``embedder`` set), or :class:`EmbeddedTexts`.

Targets are a binary indicator matrix (multi-label, the product's case) or a 1-D label vector
(binary or multi-class, for scikit-learn compatibility). Rows with no positive label are
explicit negatives for every cluster.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 8)); Y = np.c_[X[:, 0] > 0, X[:, 1] > 0].astype(int)
    >>> model = ClusterClassifier(cv=3).fit(X, Y)
    >>> model.predict_proba(X).shape, model.thresholds_.shape
    ((60, 2), (2,))
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EmbeddedTexts:
    """Texts together with their precomputed embeddings (rows aligned)."""

    texts: Sequence[str]
    embeddings: np.ndarray

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.embeddings):
            raise ValueError(f"{len(self.texts)} texts but {len(self.embeddings)} embedding rows")

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, rows: np.ndarray) -> EmbeddedTexts:
        """The subset at integer positions ``rows``."""
        return EmbeddedTexts([self.texts[i] for i in rows], self.embeddings[rows])


FEATURES = ("hybrid", "blend", "embedding", "tfidf")
"""What :class:`ClusterClassifier` can read (its ``features`` parameter)."""
BLEND_WEIGHTS = (0.5, 0.6, 2 / 3, 0.75, 0.8)
"""Embedding shares ``blend_weight="auto"`` chooses from."""


@dataclass(frozen=True)
class _Blocks:
    """The two feature blocks of ``features="blend"``, each read by its own models."""

    embedding: sp.csr_matrix
    tfidf: sp.csr_matrix

    @property
    def shape(self) -> tuple[int, int]:
        return self.embedding.shape


@dataclass
class _BinaryModel:
    """One cluster's fitted parts."""

    lr: LogisticRegression | None
    calibrator: IsotonicRegression | LogisticRegression | None
    constant: float | None = None
    """Probability used when the cluster could not be learned (no or only positive rows)."""
    method: str = "none"

    def scores(self, Z: sp.csr_matrix | np.ndarray) -> np.ndarray:
        """Raw decision scores (0 for a constant model)."""
        if self.constant is not None:
            return np.zeros(Z.shape[0])
        return self.lr.decision_function(Z)

    def proba(self, Z: sp.csr_matrix | np.ndarray) -> np.ndarray:
        if self.constant is not None:
            return np.full(Z.shape[0], self.constant)
        return self.proba_of_scores(self.lr.decision_function(Z))

    def proba_of_scores(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities from raw decision scores (see :meth:`scores`)."""
        if self.constant is not None:
            return np.full(scores.shape[0], self.constant)
        return _calibrate(self.calibrator, scores, self.lr)


def all_scores(models: Sequence[_BinaryModel], Z: sp.csr_matrix | np.ndarray) -> list[np.ndarray]:
    """``[m.scores(Z) for m in models]``, for a sparse ``Z`` in one pass over it.

    A CSR matrix times a block of coefficient columns sums each row's products in the same
    order as it does for one column, so the scores are the same to the bit as the models'
    own ``decision_function`` (tested), at about the cost of one of them.
    """
    learned = [i for i, m in enumerate(models) if m.constant is None]
    if not sp.issparse(Z) or len(learned) < 2:
        return [m.scores(Z) for m in models]
    coef = np.empty((Z.shape[1], len(learned)), dtype=np.float64)
    for column, i in enumerate(learned):
        coef[:, column] = models[i].lr.coef_[0]
    block = np.asarray(sp.csr_matrix(Z, dtype=np.float64) @ coef)
    out = [np.zeros(Z.shape[0]) for _ in models]
    for column, i in enumerate(learned):
        out[i] = block[:, column] + models[i].lr.intercept_[0]
    return out


def _calibrate(calibrator, scores: np.ndarray, lr: LogisticRegression | None) -> np.ndarray:
    if calibrator is None:
        return 1.0 / (1.0 + np.exp(-scores))
    if isinstance(calibrator, IsotonicRegression):
        return calibrator.predict(scores)
    return calibrator.predict_proba(scores.reshape(-1, 1))[:, 1]


_DEFAULT_TOKENS = r"(?u)\b\w\w+\b"
_ASCII_TOKENS_RE = re.compile(r"[0-9A-Z_a-z]{2,}")
"""The default token pattern on ASCII text, where ``\\w`` is ``[0-9A-Z_a-z]``, without the
word-boundary checks that make it slow (a maximal run of two or more word characters)."""


def tfidf_transform(vectorizer: TfidfVectorizer, texts: Sequence[str]) -> sp.csr_matrix:
    """``vectorizer.transform(texts)``, counting the terms faster for word n-grams.

    scikit-learn counts terms in a Python loop per term; for a fitted word 1-2-gram
    vectorizer (what :class:`ClusterClassifier` fits) this counts them with
    :class:`collections.Counter`, using the vectorizer's own preprocessor and tokenizer and
    then its own TF-IDF weighting, so the matrix is the same (tested). Any other
    configuration goes through ``transform``.
    """
    tfidf = getattr(vectorizer, "_tfidf", None)
    fast = (
        type(vectorizer) is TfidfVectorizer
        and tfidf is not None
        and vectorizer.analyzer == "word"
        and vectorizer.input == "content"
        and vectorizer.stop_words is None
        and vectorizer.ngram_range in ((1, 1), (1, 2))
        and not vectorizer.binary
        and all(isinstance(t, str) for t in texts)
    )
    if not fast:
        return sp.csr_matrix(vectorizer.transform(texts))
    preprocess = vectorizer.build_preprocessor()
    tokenize = vectorizer.build_tokenizer()
    if vectorizer.token_pattern == _DEFAULT_TOKENS and vectorizer.tokenizer is None:
        general = tokenize

        def tokenize(text: str) -> list[str]:
            return _ASCII_TOKENS_RE.findall(text) if text.isascii() else general(text)

    lookup = vectorizer.vocabulary_.get
    bigrams = vectorizer.ngram_range[1] == 2
    indices: list[int] = []
    counts: list[int] = []
    indptr = [0]
    for text in texts:
        tokens = tokenize(preprocess(text))
        if bigrams and len(tokens) > 1:
            tokens = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
        found = Counter(map(lookup, tokens))
        found.pop(None, None)
        indices.extend(found.keys())
        counts.extend(found.values())
        indptr.append(len(indices))
    index_type = np.int32 if indptr[-1] <= np.iinfo(np.int32).max else np.int64
    X = sp.csr_matrix(
        (
            np.asarray(counts, dtype=np.intc),
            np.asarray(indices, dtype=index_type),
            np.asarray(indptr, dtype=index_type),
        ),
        shape=(len(texts), len(vectorizer.vocabulary_)),
        dtype=vectorizer.dtype,
    )
    X.sort_indices()
    return sp.csr_matrix(tfidf.transform(X, copy=False))


def dense_as_csr(dense: np.ndarray) -> sp.csr_matrix:
    """``sp.csr_matrix(dense)`` (zeros left out), built without scipy's detour through
    COO coordinates, which costs more than the rest of a prediction."""
    dense = np.ascontiguousarray(dense)
    n, d = dense.shape
    if n * d == 0 or n * d > np.iinfo(np.int32).max:
        return sp.csr_matrix(dense)
    data = dense.ravel()
    indices = np.tile(np.arange(d, dtype=np.int32), n)
    present = data != 0
    if present.all():  # embeddings: (almost) always
        indptr = np.arange(0, n * d + 1, d, dtype=np.int32)
    else:
        data, indices = data[present], indices[present]
        indptr = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(present.reshape(n, d).sum(axis=1), out=indptr[1:])
    return sp.csr_matrix((data, indices, indptr), shape=(n, d))


def expected_calibration_error(y_true: np.ndarray, proba: np.ndarray, n_bins: int = 15) -> float:
    """ECE over all (row, cluster) pairs: the bin-weighted mean |accuracy - confidence|.

    >>> round(expected_calibration_error(np.array([0, 1, 1, 0]), np.array([0., 1., 1., 0.])), 6)
    0.0
    """
    y = np.asarray(y_true, dtype=float).ravel()
    p = np.asarray(proba, dtype=float).ravel()
    if y.size == 0:
        return float("nan")
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            ece += mask.mean() * abs(y[mask].mean() - p[mask].mean())
    return float(ece)


def best_threshold(
    y: np.ndarray,
    proba: np.ndarray,
    weights: np.ndarray | None = None,
    target_precision: float | None = None,
) -> tuple[float, bool]:
    """Threshold on ``proba`` that maximises F1 (or reaches ``target_precision``).

    Returns ``(threshold, reached)``; ``reached`` is False when a target precision was set
    but no threshold reaches it (the F1-best threshold is returned instead).
    """
    w = np.ones_like(proba, dtype=float) if weights is None else np.asarray(weights, float)
    order = np.argsort(-proba, kind="mergesort")
    p_sorted, y_sorted, w_sorted = proba[order], y[order], w[order]
    tp = np.cumsum(w_sorted * y_sorted)
    fp = np.cumsum(w_sorted * (1 - y_sorted))
    total_pos = tp[-1] if tp.size else 0.0
    # only cut between distinct probability values
    last = np.r_[p_sorted[1:] != p_sorted[:-1], True]
    tp, fp, cut = tp[last], fp[last], p_sorted[last]
    precision = tp / np.maximum(tp + fp, 1e-12)
    recall = tp / max(total_pos, 1e-12)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    if target_precision is not None:
        ok = np.flatnonzero(precision >= target_precision)
        if ok.size:
            return float(cut[ok[-1]]), True
        return float(cut[int(np.argmax(f1))]), False
    return float(cut[int(np.argmax(f1))]), True


def confidence_from_proba(proba: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """A company's confidence: the probability of its least certain cluster decision.

    For each cluster the decision is "in" (probability ``p``) or "out" (``1 - p``); the
    confidence is the smallest of these over all clusters, so one doubtful cluster makes
    the whole assignment doubtful.
    """
    proba = np.atleast_2d(proba)
    decided = np.where(proba >= thresholds, proba, 1.0 - proba)
    return decided.min(axis=1) if decided.shape[1] else np.ones(proba.shape[0])


class ClusterClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label classifier: one calibrated logistic regression per cluster.

    Args:
        embedder: an embedder name (see ``classifier.embedders``) or object with
            ``encode(texts)``; needed only when ``X`` holds texts without embeddings.
        multilabel: ``True`` reads a 2-D ``y`` as an indicator matrix even with one column;
            ``"auto"`` does so for 2-D ``y`` with several columns (a column vector is then
            read as 1-D labels, as scikit-learn expects).
        features: ``"hybrid"`` (embeddings + TF-IDF word 1-2-grams when texts are given, one
            model over both), ``"blend"`` (one calibrated model over the embeddings and one
            over TF-IDF per cluster, their probabilities averaged with ``blend_weight``; needs
            texts), ``"embedding"`` (embeddings only) or ``"tfidf"`` (TF-IDF only: the
            baseline).
        C: inverse regularisation strength of each logistic regression.
        class_weight: ``None``, ``"balanced"`` (per cluster), or for 1-D targets a dict
            ``{class: weight}`` applied as sample weights.
        cv: number of folds for out-of-fold calibration and threshold tuning.
        calibration: ``"auto"``, ``"isotonic"`` or ``"sigmoid"``.
        isotonic_min: ``"auto"`` uses isotonic regression when both classes have at least
            this many examples, Platt scaling otherwise.
        target_precision: per-cluster target precisions (sequence aligned with the label
            columns, ``None`` entries mean "maximise F1"), or ``None``.
        min_positives: clusters with fewer positives keep ``default_threshold``.
        default_threshold: threshold for clusters that cannot be tuned.
        max_examples: labelled examples kept per cluster for explanations.
        stack: multi-label only: a second level per cluster that reads the out-of-fold
            scores of *all* first-level cluster models, so label co-occurrence (a child
            cluster implies its parent, MedTech often goes with Digital Health) informs each
            cluster. Calibration and thresholds are then tuned on the second level.
        stack_C: inverse regularisation of the second-level models (features standardised).
        blend_weight: with ``features="blend"``, the embedding model's share of the averaged
            probability (TF-IDF gets the rest); ``"auto"`` picks it from
            :data:`BLEND_WEIGHTS` by the out-of-fold F1 (mean of micro and macro) it gives.
        random_state: seed for the folds.
        n_jobs: parallel jobs over clusters.
    """

    def __init__(
        self,
        embedder: object = None,
        multilabel: bool | str = "auto",
        features: str = "hybrid",
        C: float = 4.0,
        class_weight: str | None = None,
        cv: int = 5,
        calibration: str = "auto",
        isotonic_min: int = 200,
        target_precision: Sequence[float | None] | None = None,
        min_positives: int = 5,
        default_threshold: float = 0.5,
        max_examples: int = 50,
        stack: bool = False,
        stack_C: float = 0.05,
        blend_weight: float | str = "auto",
        random_state: int = 0,
        n_jobs: int | None = None,
    ) -> None:
        self.embedder = embedder
        self.multilabel = multilabel
        self.features = features
        self.C = C
        self.class_weight = class_weight
        self.cv = cv
        self.calibration = calibration
        self.isotonic_min = isotonic_min
        self.target_precision = target_precision
        self.min_positives = min_positives
        self.default_threshold = default_threshold
        self.max_examples = max_examples
        self.stack = stack
        self.stack_C = stack_C
        self.blend_weight = blend_weight
        self.random_state = random_state
        self.n_jobs = n_jobs

    # --- inputs ----------------------------------------------------------------------------

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        if self.embedder is None:
            raise ValueError(
                "ClusterClassifier got texts but has no embedder: pass embeddings, "
                "EmbeddedTexts, or set embedder="
            )
        embedder = self.embedder
        if isinstance(embedder, str):
            from classifier.embedders import get_embedder

            embedder = get_embedder(embedder)
        return np.asarray(embedder.encode(list(texts)), dtype=np.float32)

    def _split_input(self, X: object) -> tuple[np.ndarray, list[str] | None]:
        if self.features not in FEATURES:
            raise ValueError(
                f"features must be one of {', '.join(FEATURES)}, not {self.features!r}"
            )
        if self.features == "tfidf" and _is_text_sequence(X):
            texts = [("" if t is None else str(t)) for t in X]
            return np.zeros((len(texts), 0)), texts
        if isinstance(X, EmbeddedTexts):
            return check_array(X.embeddings, dtype=np.float64), [str(t) for t in X.texts]
        if isinstance(X, str):
            raise ValueError("expected a sequence of texts, got a single string")
        if _is_text_sequence(X):
            texts = [("" if t is None else str(t)) for t in X]
            return check_array(self._embed(texts), dtype=np.float64), texts
        return check_array(X, dtype=np.float64), None

    def _features(
        self, X: object, fit: bool = False
    ) -> tuple[sp.csr_matrix | np.ndarray, np.ndarray, list[str] | None]:
        """The model matrix, plus the embeddings and texts it was built from."""
        dense, texts = self._split_input(X)
        if fit:
            self.n_features_in_ = dense.shape[1]
            self.uses_tfidf_ = bool(self.features != "embedding" and texts is not None)
        elif dense.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {dense.shape[1]} features, but ClusterClassifier is expecting "
                f"{self.n_features_in_} features as input"
            )
        if not self.uses_tfidf_:
            if self.features in ("tfidf", "blend"):
                raise ValueError(f'features="{self.features}" needs texts')
            return dense, dense, texts
        if texts is None:
            raise ValueError("this model was fitted with TF-IDF features: pass texts too")
        if fit:
            self.vectorizer_ = TfidfVectorizer(
                ngram_range=(1, 2),
                min_df=2 if len(texts) >= 50 else 1,
                max_features=200_000,
                sublinear_tf=True,
                strip_accents="unicode",
                dtype=np.float32,
            )
            try:
                sparse = self.vectorizer_.fit_transform(texts)
            except ValueError:  # empty vocabulary: no usable words in any text
                self.vectorizer_ = TfidfVectorizer(analyzer="char", dtype=np.float32)
                sparse = self.vectorizer_.fit_transform([t or " " for t in texts])
        else:
            sparse = tfidf_transform(self.vectorizer_, texts)
        sparse = sp.csr_matrix(sparse)
        sparse.sort_indices()  # joblib shares matrices read-only; sklearn may sort in place
        if self.features == "tfidf":
            return sparse, dense, texts
        if self.features == "blend":
            return _Blocks(dense_as_csr(normalize(dense)), sparse), dense, texts
        joined = sp.hstack([dense_as_csr(normalize(dense)), sparse], format="csr")
        joined.sort_indices()
        return joined, dense, texts

    # --- targets ---------------------------------------------------------------------------

    def _encode_targets(self, y: object) -> np.ndarray:
        if y is None:
            raise ValueError("ClusterClassifier requires y to be passed, but the target y is None")
        y_arr = np.asarray(y)
        kind = type_of_target(y_arr)
        if self.multilabel is True and y_arr.ndim != 2:
            raise ValueError("multilabel=True needs y as an (n, k) 0/1 indicator matrix")
        if y_arr.ndim == 2:
            if self.multilabel is not True and y_arr.shape[1] == 1:
                y_arr = column_or_1d(y_arr, warn=True)
            else:
                Y = np.asarray(y_arr, dtype=float)
                if not np.isin(Y, (0, 1)).all():
                    raise ValueError("multi-label targets must be a 0/1 indicator matrix")
                self.multilabel_ = True
                self.classes_ = np.arange(Y.shape[1])
                return Y.astype(np.int8)
        if kind not in {"binary", "multiclass"}:
            raise ValueError(f"Unknown label type: {kind!r}")
        self.multilabel_ = False
        self.classes_ = np.unique(y_arr)
        if len(self.classes_) < 2:
            raise ValueError("Only one class present in y: a classifier needs at least two classes")
        if len(self.classes_) == 2:
            return (y_arr == self.classes_[1]).astype(np.int8).reshape(-1, 1)
        return (y_arr.reshape(-1, 1) == self.classes_.reshape(1, -1)).astype(np.int8)

    # --- fitting ---------------------------------------------------------------------------

    def fit(
        self,
        X: object,
        y: object,
        sample_weight: np.ndarray | None = None,
        trusted: np.ndarray | None = None,
        example_ids: Sequence[str] | None = None,
    ) -> ClusterClassifier:
        """Fit one calibrated model per label column.

        Args:
            X: embeddings, texts, or :class:`EmbeddedTexts`.
            y: (n, k) 0/1 indicator matrix, or 1-D labels.
            sample_weight: (n,) or (n, k) non-negative weights (e.g. weak labels < 1).
            trusted: (n,) bool, rows whose labels are reviewed; calibration and thresholds
                are tuned on them when they hold enough positives. Default: all rows.
            example_ids: ids kept with the explanation examples.
        """
        Z, dense, texts = self._features(X, fit=True)
        n = dense.shape[0]
        Y = self._encode_targets(y)
        if Y.shape[0] != n:
            raise ValueError(f"X has {n} rows but y has {Y.shape[0]}")
        k = Y.shape[1]
        W = _weights(sample_weight, n, k)
        if isinstance(self.class_weight, dict):
            if self.multilabel_:
                raise ValueError("class_weight as a dict is only defined for 1-D targets")
            W = W * compute_sample_weight(self.class_weight, np.asarray(y).ravel())[:, None]
        trusted_rows = np.ones(n, bool) if trusted is None else np.asarray(trusted, bool)
        targets = list(self.target_precision) if self.target_precision is not None else [None] * k
        if len(targets) != k:
            raise ValueError(f"target_precision has {len(targets)} entries for {k} labels")

        def fit_all(features, C: float) -> list:
            return Parallel(n_jobs=self.n_jobs)(
                delayed(self._fit_one)(features, Y[:, j], W[:, j], trusted_rows, targets[j], j, C)
                for j in range(k)
            )

        self.base_models_ = None
        self.tfidf_models_ = None
        self.blend_weight_ = None
        if isinstance(Z, _Blocks):
            if self.stack:
                raise ValueError('stack=True cannot be combined with features="blend"')
            results = fit_all(Z.embedding, self.C)
            tfidf = fit_all(Z.tfidf, self.C)
            self.tfidf_models_ = [r[0] for r in tfidf]
            results = self._blend(results, tfidf, Y, W, trusted_rows, targets)
        else:
            results = fit_all(Z, self.C)
        if self.stack and self.multilabel_ and k >= 2:
            scores = np.column_stack([r[4] for r in results])
            self.stack_mean_ = scores.mean(axis=0)
            self.stack_scale_ = scores.std(axis=0) + 1e-9
            F = (scores - self.stack_mean_) / self.stack_scale_
            self.base_models_ = [r[0] for r in results]
            results = fit_all(F, self.stack_C)
        self.models_ = [r[0] for r in results]
        self.thresholds_ = np.array([r[1] for r in results], dtype=float)
        self.oof_proba_ = np.column_stack([r[2] for r in results]) if k else np.zeros((n, 0))
        self.threshold_tuned_ = np.array([r[3] for r in results], dtype=bool)
        self.calibration_methods_ = [m.method for m in self.models_]
        self.n_positives_ = Y.sum(axis=0).astype(int)
        self.oof_ece_ = expected_calibration_error(Y[trusted_rows], self.oof_proba_[trusted_rows])
        self._keep_examples(dense, texts, Y, trusted_rows, example_ids)
        return self

    def _fit_one(
        self,
        Z: sp.csr_matrix | np.ndarray,
        y: np.ndarray,
        w: np.ndarray,
        trusted: np.ndarray,
        target_precision: float | None,
        column: int,
        C: float,
    ) -> tuple[_BinaryModel, float, np.ndarray, bool, np.ndarray]:
        """One cluster: (model, threshold, OOF probabilities, tuned?, OOF raw scores)."""
        active = w > 0
        n_pos = int((y[active] == 1).sum())
        n_neg = int((y[active] == 0).sum())
        if n_pos == 0 or n_neg == 0:
            constant = 0.0 if n_pos == 0 else 1.0
            logger.debug("label column %d has %d positives, %d negatives", column, n_pos, n_neg)
            model = _BinaryModel(None, None, constant=constant, method="constant")
            return model, self.default_threshold, np.full(len(y), constant), False, np.zeros(len(y))

        lr = self._new_lr(C)
        n_splits = min(self.cv, n_pos, n_neg)
        oof_scores = np.zeros(len(y))
        if n_splits >= 2:
            folds = StratifiedKFold(n_splits, shuffle=True, random_state=self.random_state)
            rows = np.flatnonzero(active)
            for train_idx, test_idx in folds.split(rows, y[rows]):
                tr, te = rows[train_idx], rows[test_idx]
                fold_lr = self._new_lr(C).fit(Z[tr], y[tr], sample_weight=w[tr])
                oof_scores[te] = fold_lr.decision_function(Z[te])
        lr.fit(Z[active], y[active], sample_weight=w[active])
        if n_splits < 2:
            scores = lr.decision_function(Z)
            model = _BinaryModel(lr, None, method="uncalibrated")
            return model, self.default_threshold, _calibrate(None, scores, lr), False, scores

        method = self.calibration
        if method == "auto":
            method = "isotonic" if min(n_pos, n_neg) >= self.isotonic_min else "sigmoid"
        fit_rows = active
        if method == "isotonic":
            calibrator = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            calibrator.fit(oof_scores[fit_rows], y[fit_rows], sample_weight=w[fit_rows])
        else:
            calibrator = LogisticRegression(C=1e4)
            calibrator.fit(
                oof_scores[fit_rows].reshape(-1, 1), y[fit_rows], sample_weight=w[fit_rows]
            )
        if (~active).any():  # rows with zero weight were in no fold: score them with the refit
            oof_scores[~active] = lr.decision_function(Z[~active])
        oof = _calibrate(calibrator, oof_scores, lr)
        model = _BinaryModel(lr, calibrator, method=method)

        threshold, tuned = self._threshold(y, oof, w, trusted, target_precision, column)
        return model, threshold, oof, tuned, oof_scores

    def _threshold(
        self,
        y: np.ndarray,
        oof: np.ndarray,
        w: np.ndarray,
        trusted: np.ndarray,
        target_precision: float | None,
        column: int,
    ) -> tuple[float, bool]:
        """A cluster's threshold from its OOF probabilities (trusted rows when they hold
        enough positives), and whether it was tuned (else ``default_threshold``)."""
        active = w > 0
        tune_rows = trusted & active
        if int(y[tune_rows].sum()) < self.min_positives:
            tune_rows = active
        if int(y[tune_rows].sum()) < self.min_positives:
            return float(self.default_threshold), False
        threshold, reached = best_threshold(
            y[tune_rows], oof[tune_rows], w[tune_rows], target_precision
        )
        if not reached:
            logger.warning(
                "label column %d: target precision %.2f not reachable", column, target_precision
            )
        return float(threshold), True

    def _blend(
        self,
        embedding: list,
        tfidf: list,
        Y: np.ndarray,
        W: np.ndarray,
        trusted: np.ndarray,
        targets: list[float | None],
    ) -> list:
        """``features="blend"``: average the two blocks' OOF probabilities with the chosen
        weight (:attr:`blend_weight_`) and tune each cluster's threshold on the average.
        Returns ``_fit_one``-shaped results for the embedding block's models."""
        k = Y.shape[1]
        learned = [embedding[j][0].constant is None for j in range(k)]

        def blended(weight: float) -> tuple[np.ndarray, list[tuple[float, bool]]]:
            oof = np.column_stack(
                [weight * embedding[j][2] + (1 - weight) * tfidf[j][2] for j in range(k)]
            )
            cuts = [
                self._threshold(Y[:, j], oof[:, j], W[:, j], trusted, targets[j], j)
                if learned[j]
                else (float(self.default_threshold), False)
                for j in range(k)
            ]
            return oof, cuts

        candidates = BLEND_WEIGHTS if self.blend_weight == "auto" else (self.blend_weight,)
        if not all(isinstance(c, int | float) and 0.0 <= c <= 1.0 for c in candidates):
            raise ValueError(f'blend_weight must be "auto" or in [0, 1], not {self.blend_weight!r}')
        scored = []
        for weight in candidates:
            oof, cuts = blended(float(weight))
            rows = trusted & (W > 0).all(axis=1)
            predicted = oof[rows] >= np.array([c[0] for c in cuts])
            scored.append((_mean_f1(Y[rows], predicted), float(weight), oof, cuts))
        _, self.blend_weight_, oof, cuts = max(scored, key=lambda item: item[:2])
        return [
            (embedding[j][0], cuts[j][0], oof[:, j], cuts[j][1], embedding[j][4]) for j in range(k)
        ]

    def _new_lr(self, C: float) -> LogisticRegression:
        class_weight = self.class_weight if isinstance(self.class_weight, str) else None
        return LogisticRegression(C=C, class_weight=class_weight, max_iter=2000, solver="liblinear")

    def _keep_examples(
        self,
        dense: np.ndarray,
        texts: list[str] | None,
        Y: np.ndarray,
        trusted: np.ndarray,
        example_ids: Sequence[str] | None,
    ) -> None:
        """Keep up to ``max_examples`` trusted positives per label for explanations."""
        rng = np.random.default_rng(self.random_state)
        keep: set[int] = set()
        for j in range(Y.shape[1]):
            rows = np.flatnonzero((Y[:, j] == 1) & trusted)
            if rows.size > self.max_examples:
                rows = rng.choice(rows, self.max_examples, replace=False)
            keep.update(rows.tolist())
        idx = np.array(sorted(keep), dtype=int)
        kept = np.asarray(dense)[idx]
        usable = kept.shape[0] > 0 and kept.shape[1] > 0
        self.example_embeddings_ = (normalize(kept) if usable else kept).astype(np.float16)
        self.example_labels_ = Y[idx]
        self.example_texts_ = [texts[i][:500] for i in idx] if texts is not None else None
        self.example_ids_ = [str(example_ids[i]) for i in idx] if example_ids is not None else None

    # --- prediction ------------------------------------------------------------------------

    def predict_proba(self, X: object) -> np.ndarray:
        """Calibrated probabilities: (n, k) per cluster (multi-label), or (n, n_classes)."""
        check_is_fitted(self, "models_")
        Z, dense, _ = self._features(X)
        n = dense.shape[0]
        if getattr(self, "base_models_", None) is not None:
            scores = np.column_stack(all_scores(self.base_models_, Z))
            Z = (scores - self.stack_mean_) / self.stack_scale_
        if isinstance(Z, _Blocks):
            w = self.blend_weight_
            P = w * _proba(self.models_, Z.embedding, n) + (1 - w) * _proba(
                self.tfidf_models_, Z.tfidf, n
            )
        else:
            P = _proba(self.models_, Z, n)
        P = np.clip(P, 0.0, 1.0)
        if self.multilabel_:
            return P
        if P.shape[1] == 1:
            return np.column_stack([1.0 - P[:, 0], P[:, 0]])
        total = P.sum(axis=1, keepdims=True)
        uniform = np.full_like(P, 1.0 / P.shape[1])
        return np.where(total > 0, P / np.where(total > 0, total, 1.0), uniform)

    def predict(self, X: object) -> np.ndarray:
        """Indicator matrix above per-cluster thresholds (multi-label), or class labels."""
        P = self.predict_proba(X)
        if self.multilabel_:
            return (self.thresholds_ <= P).astype(int)
        return self.classes_[np.argmax(P, axis=1)]

    def confidence(self, X: object) -> np.ndarray:
        """Per-row confidence (see :func:`confidence_from_proba`)."""
        return confidence_from_proba(self.predict_proba(X), self.thresholds_)

    def nearest_examples(
        self, embeddings: np.ndarray, column: int, k: int = 3
    ) -> list[list[tuple[int, float]]]:
        """For each row, the ``k`` most similar kept examples of label ``column``.

        Returns lists of ``(example_index, cosine)``; index into ``example_ids_`` /
        ``example_texts_``.
        """
        check_is_fitted(self, "example_embeddings_")
        rows = np.flatnonzero(self.example_labels_[:, column] == 1)
        if rows.size == 0:
            return [[] for _ in range(len(embeddings))]
        sims = (
            normalize(np.asarray(embeddings, dtype=np.float32))
            @ self.example_embeddings_[rows].astype(np.float32).T
        )
        top = np.argsort(-sims, axis=1)[:, :k]
        return [[(int(rows[j]), float(sims[i, j])) for j in top[i]] for i in range(len(sims))]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        tags.input_tags.string = True
        return tags


def _proba(models: Sequence[_BinaryModel], Z: sp.csr_matrix | np.ndarray, n: int) -> np.ndarray:
    """(n, k) calibrated probabilities of ``models`` over the features ``Z``."""
    if not models:
        return np.zeros((n, 0))
    return np.column_stack(
        [m.proba_of_scores(scores) for m, scores in zip(models, all_scores(models, Z), strict=True)]
    )


def _mean_f1(Y: np.ndarray, predicted: np.ndarray) -> float:
    """Mean of micro- and macro-F1 of a 0/1 prediction matrix (clusters with no positives
    and no predictions count as 1 in the macro mean)."""
    tp = (predicted & (Y == 1)).sum(axis=0).astype(float)
    fp = (predicted & (Y == 0)).sum(axis=0).astype(float)
    fn = (~predicted & (Y == 1)).sum(axis=0).astype(float)
    micro = 2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1e-12)
    denominator = 2 * tp + fp + fn
    per_cluster = np.where(denominator > 0, 2 * tp / np.where(denominator > 0, denominator, 1), 1)
    return float((micro + per_cluster.mean()) / 2) if len(per_cluster) else 0.0


def _weights(sample_weight: np.ndarray | None, n: int, k: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones((n, k))
    w = np.asarray(sample_weight, dtype=float)
    if w.ndim == 1:
        if w.shape[0] != n:
            raise ValueError(f"sample_weight has {w.shape[0]} rows, X has {n}")
        w = np.repeat(w[:, None], k, axis=1)
    if w.shape != (n, k):
        raise ValueError(f"sample_weight must be (n,) or (n, k) = ({n}, {k}), got {w.shape}")
    if (w < 0).any():
        raise ValueError("sample_weight must be non-negative")
    if not (w > 0).any():
        raise ValueError("sample_weight is zero for every row: nothing to learn from")
    return w


def _is_text_sequence(X: object) -> bool:
    if isinstance(X, np.ndarray):
        return X.dtype.kind in {"U", "O"} and X.ndim == 1
    if isinstance(X, list | tuple):
        return len(X) > 0 and all(isinstance(x, str) or x is None for x in X)
    try:
        import pandas as pd

        if isinstance(X, pd.Series):
            return X.dtype == object or pd.api.types.is_string_dtype(X)
    except ImportError:  # pragma: no cover
        pass
    return False
