"""One chunk of a batch job: classify its rows, then commit its files.

:func:`classify_frame` is the computation of :meth:`ClusterModel.predict_frame` (texts →
vectors → probabilities → PREDICTIONS rows), but it embeds through the cache in slices,
scores each distinct text once, and reports what the cache saved (without a cache, see
:func:`clusters.batch.engine.cache_enabled`, each distinct text of the chunk is still
embedded and scored once). With a cache and a model whose identity is known
(:meth:`ClusterModel.prediction_key`), the probabilities of every text are stored too, and a
text whose probabilities are stored for that model is neither looked up in the vector
cache nor scored: its row is the stored one, bytes and all; a company whose record is
unchanged is not even prepared again (:mod:`clusters.batch.reuse`). A text's probabilities
do not depend on the other texts it is scored with (TF-IDF and embedding features are per
row, the sparse products sum each row in one order: tested), so this changes no bit of the
output. The text preparation (:func:`classifier.text.prepare_texts`), TF-IDF features and
scoring (:meth:`ClusterClassifier.predict_proba`) it calls have fast paths that give the
same bytes as the plain computation, so predictions do not depend on them.
:func:`commit_chunk` writes the chunk's rejects and review candidates (side files under
``_state/``) and then its part file, each atomically: the part file is the chunk's commit
point, the journal entry written after it records the chunk done.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from classifier.cache import CacheStats, EmbeddingCache, embed_cached, first_positions
from classifier.estimator import EmbeddedTexts
from classifier.model import ClusterModel, predictions_frame
from clusters.batch.commit import atomic_write_parquet
from clusters.batch.layout import JobLayout
from clusters.batch.outputs import write_csv
from clusters.batch.reuse import Reuse, recall_or_prepare, stored_probabilities
from clusters.batch.screen import Screened
from clusters.batch.state import ChunkRecord
from clusters.contracts import PREDICTIONS, ContractError, split_labels, to_arrow

logger = logging.getLogger(__name__)

EMBED_SLICE = 2_048
"""Distinct texts embedded (and committed to the cache) at a time within a chunk, so a kill
loses at most one slice of embedding work."""
REVIEW_EXTRAS = ("name", "region_name", "employees", "turnover")
"""Input columns kept with review candidates (who the company is, how big)."""


@dataclass
class ChunkSettings:
    """What :func:`process_chunk` needs besides the chunk."""

    layout: JobLayout
    cache: EmbeddingCache | None
    batch_size: int = 64
    reuse: Reuse = field(default_factory=Reuse)
    """The keys probabilities and prepared texts are kept under in ``cache`` (none: they
    are not)."""


def embed_texts(
    embedder: Any,
    texts: Sequence[str],
    hashes: Sequence[str],
    cache: EmbeddingCache | None,
    batch_size: int = 64,
    slice_size: int = EMBED_SLICE,
) -> tuple[np.ndarray, CacheStats]:
    """Vectors for ``texts`` (each distinct hash embedded once), committing to ``cache`` in
    slices of ``slice_size`` distinct texts."""
    first = first_positions(hashes)
    unique = list(first)
    stats = CacheStats(requested=len(texts), unique=len(unique))
    blocks = []
    for start in range(0, len(unique), slice_size):
        part = unique[start : start + slice_size]
        vectors, part_stats = embed_cached(
            embedder, [texts[first[h]] for h in part], cache, part, batch_size=batch_size
        )
        stats.hits += part_stats.hits
        stats.computed += part_stats.computed
        blocks.append(vectors)
    if not blocks:
        return np.zeros((0, embedder.dim), dtype=np.float32), stats
    position = {h: i for i, h in enumerate(unique)}
    return np.concatenate(blocks)[[position[h] for h in hashes]], stats


def score_texts(
    model: ClusterModel,
    texts: Sequence[str | None],
    hashes: Sequence[str],
    cache: EmbeddingCache | None,
    batch_size: int = 64,
    prediction_key: str | None = None,
    known: dict[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, CacheStats]:
    """Probabilities (one row per text, in order) and the cache counts: each distinct text
    scored once; with ``cache`` and ``prediction_key``, stored rows are reused and new ones
    stored. ``known``: probability rows found already (the texts of their hashes may be
    ``None``: they are not read)."""
    first = first_positions(hashes)
    n_clusters = len(model.cluster_ids)
    known = dict(known or {})
    if cache is not None and prediction_key is not None:
        wanted = [h for h in first if h not in known]
        known.update(stored_probabilities(cache, prediction_key, wanted, n_clusters))
    missing = [h for h in first if h not in known]
    stats = CacheStats(
        requested=len(texts), unique=len(first), prediction_hits=len(first) - len(missing)
    )
    if missing:
        todo = [texts[first[h]] for h in missing]
        vectors, embedded = embed_texts(model.embedder, todo, missing, cache, batch_size)
        fresh = np.asarray(
            model.estimator.predict_proba(EmbeddedTexts(todo, vectors)), dtype=np.float64
        )
        if cache is not None and prediction_key is not None:
            cache.put_probabilities(prediction_key, missing, fresh)
        known.update(zip(missing, fresh, strict=True))
        stats.hits, stats.computed = embedded.hits, embedded.computed
    stats.hits += stats.prediction_hits
    if not hashes:
        return np.zeros((0, n_clusters)), stats
    return np.stack([known[h] for h in hashes]), stats


def classify_frame(
    model: ClusterModel,
    frame: pd.DataFrame,
    cache: EmbeddingCache | None,
    batch_size: int = 64,
    reuse: Reuse | None = None,
) -> tuple[pd.DataFrame, CacheStats]:
    """PREDICTIONS rows for ``frame`` (one per row, in order) and the cache counts.

    The same computation as :meth:`ClusterModel.predict_frame`, but it reports what the
    cache saved, commits the cache in slices and, with ``reuse`` keys, reuses and stores
    prepared texts and probabilities (see :func:`score_texts`, :mod:`.reuse`).
    """
    reuse = reuse or Reuse()
    if len(frame):
        texts, hashes, known, recalled = recall_or_prepare(model, frame, cache, reuse)
        proba, stats = score_texts(
            model, texts, hashes, cache, batch_size, reuse.prediction_key, known
        )
        stats.recalled = recalled
    else:
        hashes, stats = [], CacheStats()
        proba = np.zeros((0, len(model.cluster_ids)))
    predictions = predictions_frame(
        frame["company_id"].astype(str).tolist(),
        proba,
        model.estimator.thresholds_,
        model.cluster_ids,
        list(hashes),
        model.meta.model_version,
        model.meta.review_confidence,
        model.meta.review_margin,
    )
    valid, rejects = PREDICTIONS.validate(predictions)
    if len(rejects):
        raise ContractError(
            f"{len(rejects)} predictions break the contract: {rejects.iloc[0]['reason']}"
        )
    return valid.reset_index(drop=True), stats


def cluster_counts(labels: pd.Series) -> dict[str, int]:
    """Companies per cluster from the ``labels`` column."""
    counts: Counter[str] = Counter()
    for value in labels:
        counts.update(split_labels(value))
    return dict(counts)


def review_candidates(predictions: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The rows needing review, with who the company is and how big (where known)."""
    mask = predictions["needs_review"].to_numpy(dtype=bool)
    review = predictions.loc[mask].reset_index(drop=True)
    for column in REVIEW_EXTRAS:
        values = rows[column].to_numpy()[mask] if column in rows else [None] * len(review)
        if column in ("employees", "turnover"):
            review[column] = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
        else:
            review[column] = pd.Series(values, dtype=object)
    return review


def commit_chunk(
    layout: JobLayout, index: int, predictions: pd.DataFrame, screened: Screened
) -> None:
    """Write a chunk's side files, then its part file (each atomically)."""
    side_rejects = layout.rejects_part(index)
    if len(screened.rejects):
        write_csv(side_rejects, screened.rejects)
    else:
        side_rejects.unlink(missing_ok=True)
    review = review_candidates(predictions, screened.valid)
    side_review = layout.review_part(index)
    if len(review):
        atomic_write_parquet(side_review, pa.Table.from_pandas(review, preserve_index=False))
    else:
        side_review.unlink(missing_ok=True)
    atomic_write_parquet(layout.part(index), to_arrow(predictions, PREDICTIONS))


def process_chunk(
    model: ClusterModel,
    index: int,
    rows_read: int,
    screened: Screened,
    where: ChunkSettings,
) -> ChunkRecord:
    """Classify and commit chunk ``index`` (``rows_read`` input rows, screened); returns its
    journal entry (its ``seconds`` are left at 0: the engine, which sees chunks overlap when
    workers run them side by side, records the wall time each one added)."""
    predictions, stats = classify_frame(
        model, screened.valid, where.cache, where.batch_size, where.reuse
    )
    commit_chunk(where.layout, index, predictions, screened)
    return ChunkRecord(
        index=index,
        rows_read=rows_read,
        rows_written=len(predictions),
        rows_rejected=len(screened.rejects),
        needs_review=int(predictions["needs_review"].sum()),
        assigned=int((predictions["labels"].fillna("") != "").sum()),
        clusters=cluster_counts(predictions["labels"]),
        cache={
            "requested": stats.requested,
            "unique": stats.unique,
            "hits": stats.hits,
            "computed": stats.computed,
            "prediction_hits": stats.prediction_hits,
            "recalled": stats.recalled,
        },
        reject_reasons=screened.kinds,
        seconds=0.0,
        ids_digest=screened.ids_digest,
    )
