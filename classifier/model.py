"""The deployable model: estimator + embedder + taxonomy, saved as one self-contained folder.

A :class:`ClusterModel` turns companies (a ``company_id`` + ``text`` table, or a company
base from which text is prepared) into rows of the PREDICTIONS contract, and explains any
prediction with the keywords found and the nearest labelled examples.

Bundle layout (what the MLflow pyfunc carries)::

    bundle/
      estimator.joblib   the fitted ClusterClassifier (no embedder object inside)
      taxonomy.yaml      the taxonomy it was trained on
      meta.json          embedder name and id, thresholds for review routing, versions
      embedder/          a copy of the embedding model's files
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sys
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from classifier.cache import EmbeddingCache, embed_cached
from classifier.estimator import ClusterClassifier, EmbeddedTexts, confidence_from_proba
from classifier.keywords import KeywordMatcher
from clusters.contracts import PREDICTIONS, PROBABILITY_PREFIX, ContractError, join_labels
from clusters.taxonomy import Taxonomy, dump_taxonomy, load_taxonomy

logger = logging.getLogger(__name__)


@dataclass
class ModelMeta:
    """Facts about a model that travel with it."""

    embedder_name: str
    embedder_id: str
    taxonomy_name: str
    taxonomy_version: str
    taxonomy_hash: str
    review_confidence: float
    review_margin: float
    model_version: str = "unregistered"


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def predictions_frame(
    company_ids: list[str],
    proba: np.ndarray,
    thresholds: np.ndarray,
    cluster_ids: list[str],
    text_hashes: list[str],
    model_version: str,
    review_confidence: float,
    review_margin: float,
) -> pd.DataFrame:
    """Rows of the PREDICTIONS contract from probabilities (a pure function).

    ``needs_review`` is set when the confidence is below ``review_confidence`` or any
    probability is within ``review_margin`` (log-odds) of its cluster's threshold.
    """
    assigned = proba >= thresholds
    confidence = confidence_from_proba(proba, thresholds)
    near_threshold = (np.abs(_logit(proba) - _logit(thresholds)) < review_margin).any(axis=1)
    ids = np.asarray(cluster_ids, dtype=object)
    frame = pd.DataFrame(
        {
            "company_id": company_ids,
            "labels": [join_labels(ids[row]) for row in assigned],
            "top_label": ids[proba.argmax(axis=1)] if len(ids) else None,
            "confidence": confidence.astype(float),
            "needs_review": (confidence < review_confidence) | near_threshold,
            "model_version": model_version,
            "text_hash": text_hashes,
        }
    )
    probs = pd.DataFrame(proba, columns=[PROBABILITY_PREFIX + c for c in cluster_ids])
    return pd.concat([frame, probs], axis=1)


BUNDLE_FILES = ("estimator.joblib", "taxonomy.yaml", "meta.json")
"""The bundle files whose bytes :func:`bundle_digest` hashes (the embedder's weights are
named by the embedder id)."""


def bundle_digest(folder: Path) -> str:
    """sha256 over the bundle's estimator, taxonomy and meta files: what identifies the model
    itself, whatever store or version name it is registered under."""
    digest = hashlib.sha256()
    for name in BUNDLE_FILES:
        data = (Path(folder) / name).read_bytes()
        digest.update(f"{name}:{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()


@lru_cache(maxsize=8)
def scoring_code_digest(module_name: str) -> str:
    """A short digest of what computes probabilities besides the model's data: the source
    of the estimator's module and the versions of Python, numpy, scipy and scikit-learn."""
    import numpy
    import scipy
    import sklearn

    source = Path(sys.modules[module_name].__file__).read_bytes()
    versions = (
        f"{sys.version_info[:2]}|{numpy.__version__}|{scipy.__version__}|{sklearn.__version__}"
    )
    return hashlib.sha256(source + versions.encode()).hexdigest()[:16]


def scores_rows_alone(estimator: ClusterClassifier) -> bool:
    """Whether each row's probabilities are the same bits whatever rows it is scored with:
    true for sparse features (TF-IDF, alone, joined to the embeddings or blended with them:
    a sparse product sums each row on its own) without a stacked second level; false where
    dense BLAS products score the rows (embedding-only features, stacking), whose last bits
    depend on the block."""
    return (
        bool(getattr(estimator, "uses_tfidf_", False))
        and getattr(estimator, "features", None) in ("hybrid", "blend", "tfidf")
        and getattr(estimator, "base_models_", None) is None
    )


@dataclass
class ClusterModel:
    """A trained classifier ready to predict."""

    estimator: ClusterClassifier
    embedder: object
    taxonomy: Taxonomy
    meta: ModelMeta
    bundle_digest: str | None = None
    """:func:`bundle_digest` of the bundle it was loaded from (``None`` when it was built in
    memory: its identity is then unknown)."""

    @property
    def cluster_ids(self) -> list[str]:
        return self.taxonomy.ids

    def prediction_key(self) -> str | None:
        """What a text's probabilities depend on besides the text: the version name, the
        bundle's content digest, the embedder id (its weights) and the scoring code
        (:func:`scoring_code_digest`). ``None``, so that stored probabilities are never
        reused, when the bundle digest is unknown (a model built in memory) or when a row's
        probabilities may differ in the last bits with the rows scored beside it
        (:func:`scores_rows_alone` is false).

        Example: ``toy/v1|bundle:3f2a...|all-MiniLM-L6-v2/torch-fp32@989cb896|code:81c0...``.
        """
        if self.bundle_digest is None or not scores_rows_alone(self.estimator):
            return None
        code = scoring_code_digest(type(self.estimator).__module__)
        return (
            f"{self.meta.model_version}|bundle:{self.bundle_digest}|{self.embedder.id}|code:{code}"
        )

    def texts_of(self, frame: pd.DataFrame) -> tuple[list[str], list[str]]:
        """Texts and their hashes: the ``text`` column, or prepared from a company base."""
        from classifier.text import prepare_texts, text_hash
        from clusters.sic import default_reference

        if "text" in frame.columns:
            texts = frame["text"].fillna("").astype(str).tolist()
            return texts, [text_hash(t) for t in texts]
        if "name" not in frame.columns:
            raise ContractError(
                "input needs a 'text' column, or company-base columns (name, website_text, "
                f"filing_text, sic_codes) to prepare text from; found {', '.join(frame.columns)}"
            )
        prepared = prepare_texts(frame, default_reference().titles)
        return prepared["text"].tolist(), prepared["text_hash"].tolist()

    def embed(
        self, texts: list[str], hashes: list[str], cache: EmbeddingCache | None = None
    ) -> np.ndarray:
        vectors, stats = embed_cached(self.embedder, texts, cache, hashes)
        logger.debug("embedded %d texts (%d from cache)", stats.unique, stats.hits)
        return vectors

    def predict_frame(
        self, frame: pd.DataFrame, cache: EmbeddingCache | None = None
    ) -> pd.DataFrame:
        """Classify companies: one PREDICTIONS row per input row, in input order."""
        if "company_id" not in frame.columns:
            raise ContractError("input has no company_id column")
        texts, hashes = self.texts_of(frame)
        proba = self.predict_proba(texts, hashes, cache)
        return predictions_frame(
            frame["company_id"].astype(str).tolist(),
            proba,
            self.estimator.thresholds_,
            self.cluster_ids,
            hashes,
            self.meta.model_version,
            self.meta.review_confidence,
            self.meta.review_margin,
        )

    def predict_proba(
        self, texts: list[str], hashes: list[str] | None = None, cache: EmbeddingCache | None = None
    ) -> np.ndarray:
        from classifier.text import text_hash

        hashes = hashes or [text_hash(t) for t in texts]
        vectors = self.embed(texts, hashes, cache)
        return self.estimator.predict_proba(EmbeddedTexts(texts, vectors))

    def explain(self, text: str, top: int = 3, examples: int = 3) -> list[dict]:
        """Why a text got its clusters: per top cluster, probability, threshold, keywords
        found and the nearest labelled examples that support it."""
        vectors = self.embed([text], [f"explain:{hash(text)}"])
        proba = self.estimator.predict_proba(EmbeddedTexts([text], vectors))[0]
        return self.explain_vector(text, vectors[0], proba, top, examples)

    def explain_vector(
        self,
        text: str,
        vector: np.ndarray,
        proba: np.ndarray,
        top: int = 3,
        examples: int = 3,
        matcher: KeywordMatcher | None = None,
    ) -> list[dict]:
        """:meth:`explain` from an embedding and probabilities already computed (no second
        embedding pass: what the online API uses after a batch prediction)."""
        matcher = matcher or KeywordMatcher(self.taxonomy)
        vectors = np.asarray(vector)[None, :]
        out = []
        for j in np.argsort(-proba)[:top]:
            cid = self.cluster_ids[j]
            neighbours = (
                self.estimator.nearest_examples(vectors, int(j), k=examples)[0] if examples else []
            )
            out.append(
                {
                    "cluster_id": cid,
                    "probability": float(proba[j]),
                    "threshold": float(self.estimator.thresholds_[j]),
                    "assigned": bool(proba[j] >= self.estimator.thresholds_[j]),
                    "keywords": matcher.find(text, cid),
                    "examples": [
                        {
                            "company_id": (self.estimator.example_ids_ or [None] * (i + 1))[i],
                            "text": (self.estimator.example_texts_ or [""] * (i + 1))[i][:200],
                            "similarity": round(sim, 4),
                        }
                        for i, sim in neighbours
                    ],
                }
            )
        return out

    # --- persistence -----------------------------------------------------------------------

    def save(self, folder: Path) -> Path:
        """Write the bundle into ``folder`` (created; must not exist or be empty)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.estimator, folder / "estimator.joblib", compress=3)
        (folder / "taxonomy.yaml").write_text(dump_taxonomy(self.taxonomy), encoding="utf-8")
        (folder / "meta.json").write_text(json.dumps(asdict(self.meta), indent=2), encoding="utf-8")
        shutil.copytree(Path(self.embedder.model_dir), folder / "embedder", dirs_exist_ok=True)
        return folder

    @classmethod
    def load(cls, folder: Path) -> ClusterModel:
        """Load a bundle written by :meth:`save` (no network access needed)."""
        from classifier.embedders import get_embedder

        folder = Path(folder)
        meta = ModelMeta(**json.loads((folder / "meta.json").read_text(encoding="utf-8")))
        estimator = joblib.load(folder / "estimator.joblib")
        embedder = get_embedder(meta.embedder_name, model_dir=folder / "embedder")
        if embedder.id != meta.embedder_id:
            logger.warning(
                "bundled embedder id %s differs from the one trained with (%s)",
                embedder.id,
                meta.embedder_id,
            )
        taxonomy = load_taxonomy(folder / "taxonomy.yaml")
        return cls(estimator, embedder, taxonomy, meta, bundle_digest=bundle_digest(folder))

    def output_schema_columns(self) -> list[str]:
        return PREDICTIONS.names + [PROBABILITY_PREFIX + c for c in self.cluster_ids]
