"""Companies in, results out: the synchronous, CPU-bound core of the API.

:func:`prepare_companies` turns validated request items into the text the model embeds,
exactly as ``clusters classify`` would (``text`` as given; otherwise the text prepared from
the company-base fields by :func:`classifier.text.prepare_texts`, with ``url`` read from the
crawl store as ``website_text``). :func:`classify_prepared` embeds a whole micro-batch in one
call, scores it with the estimator, builds PREDICTIONS rows with the same function as the
batch job (:func:`classifier.model.predictions_frame`), and explains each company from the
vectors already computed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from classifier.estimator import EmbeddedTexts
from classifier.keywords import KeywordMatcher
from classifier.model import predictions_frame
from classifier.text import prepare_texts, text_hash
from clusters.contracts import PROBABILITY_PREFIX
from clusters.serve.crawled import CrawledText, CrawlLookupError
from clusters.serve.holder import LoadedModel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedCompany:
    """One company ready for the model."""

    company_id: str
    text: str
    text_hash: str
    explain: bool = True
    probabilities: bool = False


class ItemError(ValueError):
    """A request item cannot be classified (e.g. its URL was never crawled)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def prepare_companies(
    items: Sequence[Any],
    sic_titles: Mapping[str, str],
    crawled: CrawledText | None = None,
    *,
    explain: bool = True,
    probabilities: bool = False,
    field: str = "companies",
) -> list[PreparedCompany]:
    """The text to classify for each validated request item (see the module docs).

    Raises:
        ItemError: an item's ``url`` has no crawled text.
    """
    ids = [item.company_id or str(i) for i, item in enumerate(items)]
    texts: dict[int, str] = {i: item.text for i, item in enumerate(items) if item.text is not None}
    base_rows: dict[int, dict[str, Any]] = {}
    for i, item in enumerate(items):
        if item.text is not None:
            continue
        website_text = item.website_text
        if item.url is not None:
            if crawled is None:
                raise ItemError(f"{field}[{i}].url", "no crawl store is configured")
            try:
                website_text = crawled.text_of(item.url)
            except CrawlLookupError as exc:
                raise ItemError(f"{field}[{i}].url", str(exc)) from exc
        base_rows[i] = {
            "name": item.name,
            "website_text": website_text,
            "filing_text": item.filing_text,
            "sic_codes": list(item.sic_codes or []),
        }
    if base_rows:
        prepared = prepare_texts(pd.DataFrame(list(base_rows.values())), sic_titles)
        texts.update(zip(base_rows, prepared["text"].tolist(), strict=True))
    return [
        PreparedCompany(ids[i], texts[i], text_hash(texts[i]), explain, probabilities)
        for i in range(len(items))
    ]


def classify_prepared(
    loaded: LoadedModel,
    companies: Sequence[PreparedCompany],
    explain_top: int = 3,
    explain_examples: int = 3,
) -> list[dict[str, Any]]:
    """Classify a micro-batch with one embedding call; one result dict per company."""
    model = loaded.model
    texts = [c.text for c in companies]
    hashes = [c.text_hash for c in companies]
    vectors = model.embed(texts, hashes)
    proba = model.estimator.predict_proba(EmbeddedTexts(texts, vectors))
    thresholds = np.asarray(model.estimator.thresholds_, dtype=float)
    frame = predictions_frame(
        [c.company_id for c in companies],
        proba,
        thresholds,
        model.cluster_ids,
        hashes,
        model.meta.model_version,
        model.meta.review_confidence,
        model.meta.review_margin,
    )
    names = {c.id: c.name for c in model.taxonomy.clusters}
    matcher = KeywordMatcher(model.taxonomy) if any(c.explain for c in companies) else None
    ids = model.cluster_ids
    results = []
    for k, company in enumerate(companies):
        row = proba[k]
        assigned = np.flatnonzero(row >= thresholds)
        assigned = assigned[np.argsort(-row[assigned])]
        result: dict[str, Any] = {
            "company_id": company.company_id,
            "clusters": [
                {
                    "cluster_id": ids[j],
                    "name": names[ids[j]],
                    "probability": float(row[j]),
                    "threshold": float(thresholds[j]),
                }
                for j in assigned
            ],
            "top_cluster": frame.at[k, "top_label"],
            "confidence": float(frame.at[k, "confidence"]),
            "needs_review": bool(frame.at[k, "needs_review"]),
            "model_version": model.meta.model_version,
            "text_hash": company.text_hash,
            "probabilities": None,
            "explanation": None,
        }
        if company.probabilities:
            result["probabilities"] = {
                cid: float(frame.at[k, PROBABILITY_PREFIX + cid]) for cid in ids
            }
        if company.explain:
            result["explanation"] = model.explain_vector(
                company.text, vectors[k], row, explain_top, explain_examples, matcher
            )
        results.append(result)
    return results
