"""What a batch rerun reuses from the cache: prepared texts and probabilities.

A rerun over a company base where few companies changed spends its time, once their
texts are embedded, on work whose result is stored already: preparing every company's
text, looking up every vector, TF-IDF features and scoring. With the cache on
(``batch.cache``, and ``batch.cache_predictions``), a job keeps two more things beside the
vectors (:class:`classifier.cache.EmbeddingCache`):

- each text's calibrated probabilities under the model's
  :meth:`~classifier.model.ClusterModel.prediction_key` (version name, bundle content
  digest, embedder id, scoring code), so an unchanged text is not scored again by the same
  model; a model loaded from no bundle has no key and reuses nothing;
- each company record's prepared-text hash under :func:`recipe_key` (the text preparation
  code, the SIC titles, the Python and Unicode versions), keyed by :func:`record_hashes` (the
  fields text is prepared from), so an unchanged company's text is not prepared again
  when its probabilities are stored too.

So a row is either recalled whole (its text hash and probability row are the stored ones)
or prepared, embedded and scored as without the cache; the output is the same to the bit,
because a text's probabilities do not depend on the texts scored beside it (tested).

Example:
    >>> import pandas as pd
    >>> a, b = record_hashes(pd.DataFrame({"name": ["ACME LTD", "ACME LTD"],
    ...                                    "sic_codes": [["62012"], "62012"]}))
    >>> a == b  # a list and a string are different records (even if prepared alike)
    False
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from classifier import text as text_module
from classifier.cache import EmbeddingCache
from classifier.model import ClusterModel
from classifier.text import SOURCES

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reuse:
    """The keys a job stores and finds its reusable results under (``None``: not kept)."""

    prediction_key: str | None = None
    """The model's :meth:`~classifier.model.ClusterModel.prediction_key`."""
    recipe_key: str | None = None
    """:func:`recipe_key` of the text preparation (company bases only)."""


def recipe_key(sic_titles: Mapping[str, str]) -> str:
    """What a prepared text depends on besides the record: the source of
    :mod:`classifier.text` (self-contained: the recipe, its budgets and patterns), the SIC
    titles, and the Python (regular expressions, ``html``) and Unicode data versions."""
    digest = hashlib.sha256(Path(text_module.__file__).read_bytes())
    digest.update(json.dumps(sorted(sic_titles.items())).encode())
    digest.update(f"{sys.version_info[:3]}|{unicodedata.unidata_version}".encode())
    return f"recipe {text_module.TEXT_RECIPE_VERSION}|{digest.hexdigest()[:32]}"


def _encode(value: object) -> str:
    """A field value as a string that differs for any two values that differ in type or
    content (lengths prefixed, so no two sequences of fields run together alike)."""
    if isinstance(value, str):
        return f"s{len(value)}:{value}"
    if isinstance(value, list | tuple | np.ndarray):
        return f"l{len(value)}[" + "".join(_encode(v) for v in value) + "]"
    text = repr(value)
    return f"{type(value).__qualname__}{len(text)}:{text}"


def record_hashes(frame: pd.DataFrame) -> list[str]:
    """sha256 of each row's text sources (:data:`classifier.text.SOURCES`; a missing column
    counts as ``None`` in every row): equal hashes, equal records, same prepared text."""
    columns = [frame[c].tolist() if c in frame.columns else [None] * len(frame) for c in SOURCES]
    return [
        hashlib.sha256(
            "".join(_encode(v) for v in values).encode("utf-8", errors="surrogatepass")
        ).hexdigest()
        for values in zip(*columns, strict=True)
    ]


def stored_probabilities(
    cache: EmbeddingCache, prediction_key: str, hashes: list[str], n_clusters: int
) -> dict[str, np.ndarray]:
    """The stored probability rows of ``hashes`` (rows of another width are ignored)."""
    found = cache.get_probabilities(prediction_key, hashes)
    return {h: row for h, row in found.items() if row.shape == (n_clusters,)}


def recall_or_prepare(
    model: ClusterModel,
    frame: pd.DataFrame,
    cache: EmbeddingCache | None,
    reuse: Reuse,
) -> tuple[list[str | None], list[str], dict[str, np.ndarray], int]:
    """Texts and text hashes of ``frame``'s rows, the probability rows found for the
    recalled ones, and how many rows were recalled.

    A row is recalled (text ``None``, no preparation) when its record's text hash and that
    text's probabilities are stored; the others are prepared as
    :meth:`ClusterModel.texts_of` does, and their text hashes stored.
    """
    usable = (
        cache is not None
        and reuse.recipe_key is not None
        and reuse.prediction_key is not None
        and "text" not in frame.columns
        and "name" in frame.columns
    )
    if not usable:
        texts, hashes = model.texts_of(frame)
        return list(texts), list(hashes), {}, 0
    records = record_hashes(frame)
    prepared = cache.get_prepared(reuse.recipe_key, records)
    known = stored_probabilities(
        cache, reuse.prediction_key, list(set(prepared.values())), len(model.cluster_ids)
    )
    hashes: list[str | None] = [
        h if (h := prepared.get(r)) is not None and h in known else None for r in records
    ]
    texts: list[str | None] = [None] * len(frame)
    todo = [i for i, h in enumerate(hashes) if h is None]
    if todo:
        fresh_texts, fresh_hashes = model.texts_of(frame.iloc[todo])
        for i, text, hashed in zip(todo, fresh_texts, fresh_hashes, strict=True):
            texts[i], hashes[i] = text, hashed
        cache.put_prepared(reuse.recipe_key, [records[i] for i in todo], fresh_hashes)
    return texts, hashes, known, len(frame) - len(todo)
