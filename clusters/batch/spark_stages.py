"""The Python stages of the Spark engine: what runs on the executors, batch by batch.

Both run under ``mapInArrow`` and reuse the in-process engine's functions, so a row gets
the same decoding, the same verdict and the same prediction on either engine:

* :class:`IdStage` decodes and normalises ``company_id`` (usable ids only, with where each
  row sits in the input), for the duplicate check done in Spark;
* :class:`ClassifyStage` decodes a batch exactly as :func:`clusters.batch.inputs.batch_frame`
  does, screens each row (:func:`clusters.batch.screen.row_problem`, given whether Spark found
  the id earlier in the input), prepares texts from a company base with the SIC titles the
  driver sent, classifies the accepted rows with :func:`clusters.batch.chunks.classify_frame`
  and returns, in one table of :func:`scored_schema`, their PREDICTIONS rows (plus the review
  priority) and the rejected rows (with reason and record).

Rows keep their place in the input as ``__part`` (the file's index in the local engine's
reading order) and ``__row`` (1-based row in that file), so Spark can write the predictions
and rejects in input order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd
import pyarrow as pa

from classifier.cache import EmbeddingCache
from classifier.model import ClusterModel
from clusters.batch.chunks import classify_frame, review_candidates
from clusters.batch.inputs import BAD_COLUMN, PART_COLUMN, RAW_COLUMN, ROW_COLUMN, batch_frame
from clusters.batch.screen import id_problem, reject_frame, row_problem
from clusters.batch.spark_model import ShippedModel
from clusters.contracts import PREDICTIONS, PROBABILITY_PREFIX, REJECT_COLUMNS, normalise_company_id
from clusters.review_queue import build_review_queue

logger = logging.getLogger(__name__)

FILE, ROW_INDEX, DUPLICATE, NORMALISED = "__file", "__row_index", "__dup", "__norm"
"""Columns Spark adds: the file a row came from, its 0-based index in it, whether an
earlier input row has its id; and the normalised id (:class:`IdStage`)."""
PRIORITY = "priority"
REVIEW_NAMES = ("name", "region_name")
"""Who the company is, kept with each prediction for the review queue."""
REJECT_PREFIX = "__reject_"
KIND = REJECT_PREFIX + "kind"
"""Set (to the reject kind) on rejected rows only."""
STATS = ("__unique", "__hits", "__computed")
"""Embedding counts of a batch, on its first output row (zero on the others)."""

_CACHES: dict[str, EmbeddingCache] = {}


def path_key(uri: str) -> str:
    """A file's URI or path in one spelling (``file:/a%20b`` and ``file:///a b`` agree).

    >>> path_key("file:///data/a%20b.parquet") == path_key("file:/data/a b.parquet")
    True
    """
    parsed = urlparse(uri)
    scheme = parsed.scheme or "file"
    netloc = "" if scheme == "file" else parsed.netloc
    return f"{scheme}://{netloc}{unquote(parsed.path)}"


def scored_schema(cluster_ids: Sequence[str]) -> pa.Schema:
    """What :class:`ClassifyStage` returns (every column nullable: a row is either a
    prediction or a reject)."""
    contract = PREDICTIONS.arrow_schema([PROBABILITY_PREFIX + c for c in cluster_ids])
    fields = [field.with_nullable(True) for field in contract]
    fields += [pa.field(PRIORITY, pa.float64())]
    fields += [pa.field(name, pa.string()) for name in REVIEW_NAMES]
    fields += [pa.field(PART_COLUMN, pa.int32()), pa.field(ROW_COLUMN, pa.int64())]
    fields += [
        pa.field(REJECT_PREFIX + name, pa.string()) for name in REJECT_COLUMNS if name != "row"
    ]
    fields += [pa.field(KIND, pa.string())]
    fields += [pa.field(name, pa.int64()) for name in STATS]
    return pa.schema(fields)


def id_schema() -> pa.Schema:
    """What :class:`IdStage` returns."""
    return pa.schema(
        [
            pa.field(NORMALISED, pa.string()),
            pa.field(PART_COLUMN, pa.int32()),
            pa.field(FILE, pa.string()),
            pa.field(ROW_INDEX, pa.int64()),
        ]
    )


def _part_indices(files: pa.Array, parts: dict[str, int]) -> np.ndarray:
    keys = [path_key(f) for f in files.to_pylist()]
    unknown = next((k for k in keys if k not in parts), None)
    if unknown is not None:
        raise RuntimeError(f"Spark read {unknown}, which is not among the input's parts")
    return np.array([parts[k] for k in keys], dtype=np.int32)


@dataclass(frozen=True)
class IdStage:
    """Usable company ids (normalised) and where their rows are."""

    parts: dict[str, int]
    """:func:`path_key` of each input file → its index in reading order."""

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        schema = id_schema()
        for batch in batches:
            raw = batch_frame(batch.select(["company_id"]), ["company_id"], 0, 1)["company_id"]
            normalised = pa.array([normalise_company_id(v) for v in raw], pa.string())
            table = pa.table(
                [
                    normalised,
                    pa.array(_part_indices(batch.column(FILE), self.parts)),
                    batch.column(FILE).cast(pa.string()),
                    batch.column(ROW_INDEX),
                ],
                schema=schema,
            ).filter(normalised.is_valid())
            yield from table.to_batches()


def _open_cache(path: str | None) -> EmbeddingCache | None:
    """This process's handle on the embedding cache (SQLite, safe for several processes
    of one machine)."""
    if path is None:
        return None
    if path not in _CACHES:
        _CACHES[path] = EmbeddingCache(path)
    return _CACHES[path]


def _table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """``frame`` in ``schema`` (absent columns null)."""
    arrays = [
        pa.Array.from_pandas(frame[f.name], type=f.type)
        if f.name in frame
        else pa.nulls(len(frame), f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


@dataclass(frozen=True)
class ClassifyStage:
    """Screen, classify and return the rows of each batch (see the module docstring)."""

    model: ShippedModel
    columns: list[str]
    """The input columns in the local engine's order (:attr:`InputSource.columns`)."""
    parts: dict[str, int]
    part_names: list[str]
    cluster_ids: list[str]
    sic_titles: dict[str, str] | None = None
    """SIC code → title, for text preparation from a company base (``None``: text input)."""
    cache_path: str | None = None
    """The persistent embedding cache, where executors share the driver's disk."""
    batch_size: int = 64

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        model = self.model.load()
        cache = _open_cache(self.cache_path)
        schema = scored_schema(self.cluster_ids)
        for batch in batches:
            yield from self.classify(batch, model, cache, schema).to_batches()

    def decode(self, batch: pa.RecordBatch) -> pd.DataFrame:
        """The batch as the local engine's chunk frame (decoded, ``__part``/``__row``)."""
        present = [c for c in self.columns if c in batch.schema.names]
        frame = batch_frame(batch.select(present), self.columns, 0, 1)
        frame[PART_COLUMN] = _part_indices(batch.column(FILE), self.parts)
        rows = batch.column(ROW_INDEX).to_numpy(zero_copy_only=False) + 1
        frame[ROW_COLUMN] = pd.array(rows, dtype="Int64")
        return frame

    def classify(
        self,
        batch: pa.RecordBatch,
        model: ClusterModel,
        cache: EmbeddingCache | None,
        schema: pa.Schema,
    ) -> pa.Table:
        """One batch → prediction rows and reject rows (see :func:`scored_schema`)."""
        frame = self.decode(batch)
        duplicate = batch.column(DUPLICATE).fill_null(False).to_pylist()
        raw = frame["company_id"].tolist()
        normalised = [normalise_company_id(v) for v in raw]
        bad = frame[BAD_COLUMN].tolist()
        problems = [
            row_problem(id_problem(v, n, b), n, b, d)
            for v, n, b, d in zip(raw, normalised, bad, duplicate, strict=True)
        ]
        ok = np.array([p is None for p in problems], dtype=bool)

        valid = frame.loc[ok].drop(columns=[BAD_COLUMN, RAW_COLUMN]).reset_index(drop=True)
        valid["company_id"] = [normalised[i] for i in np.flatnonzero(ok)]
        predictions, stats = classify_frame(model, self._texts(valid), cache, self.batch_size)
        queue = build_review_queue(review_candidates(predictions, valid), None)
        extra = queue.set_index("company_id")[[PRIORITY, *REVIEW_NAMES]]
        predictions = predictions.join(extra, on="company_id")
        predictions[PART_COLUMN] = valid[PART_COLUMN].to_numpy()
        predictions[ROW_COLUMN] = valid[ROW_COLUMN].to_numpy()
        for name, value in zip(STATS, (stats.unique, stats.hits, stats.computed), strict=True):
            predictions[name] = [value] + [0] * (len(predictions) - 1) if len(predictions) else []

        bad_rows = np.flatnonzero(~ok)
        rejects = reject_frame(frame, bad_rows, self.part_names, normalised, problems)
        rejects = rejects.rename(columns={c: REJECT_PREFIX + c for c in REJECT_COLUMNS})
        rejects = rejects.rename(columns={REJECT_PREFIX + "row": ROW_COLUMN})
        rejects[PART_COLUMN] = frame[PART_COLUMN].to_numpy()[bad_rows]
        rejects[KIND] = [problems[i][2] for i in bad_rows]
        return pa.concat_tables([_table(predictions, schema), _table(rejects, schema)])

    def _texts(self, valid: pd.DataFrame) -> pd.DataFrame:
        """``company_id`` + ``text``: given, or prepared from a company base as
        :meth:`ClusterModel.texts_of` does (with the driver's SIC titles)."""
        if self.sic_titles is None:
            return valid
        from classifier.text import prepare_texts

        texts = prepare_texts(valid, self.sic_titles)["text"]
        return pd.DataFrame({"company_id": valid["company_id"], "text": texts})


__all__ = [
    "DUPLICATE",
    "FILE",
    "KIND",
    "PRIORITY",
    "REVIEW_NAMES",
    "ROW_INDEX",
    "STATS",
    "ClassifyStage",
    "IdStage",
    "id_schema",
    "path_key",
    "scored_schema",
]
