"""Review items from the batch job's queue: pure functions over frames.

An item is one queued company as the analyst will see it: the queue row (priority, the model's
labels, confidence, probabilities, model version), the company's evidence (the text the model
saw, SIC titles, website) and, when a model was at hand, its thresholds and the nearest
labelled examples behind each top cluster (:mod:`clusters.review.explain`).

Evidence comes from a company base (the text is then prepared with the classifier's own
recipe, :func:`classifier.text.prepare_texts`, so it is the text the model saw) or from a
``company_id, text`` table.

Which items go to a second analyst is decided here, once, at import: a stable hash of company
and model version below ``double_review_share`` (so a re-import routes the same way).

Example:
    >>> needs_second_review("00000001", "m/v1", 0.0), needs_second_review("00000001", "m/v1", 1.0)
    (False, True)
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clusters.contracts import (
    PROBABILITY_PREFIX,
    ContractError,
    normalise_company_id,
    split_labels,
)
from clusters.sic import sic_code_list

logger = logging.getLogger(__name__)

QUEUE_REQUIRED = ["priority", "company_id", "top_label", "labels", "confidence", "model_version"]
_TEXT_COLUMNS = ["company_id", "name", "region_name", "top_label", "labels", "model_version"]


def read_queue(path: Path) -> pd.DataFrame:
    """The review queue CSV written by the batch job (``clusters classify``).

    Raises:
        ContractError: a required column is missing.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in QUEUE_REQUIRED if c not in frame.columns]
    if missing:
        raise ContractError(
            f"not a review queue: missing column(s) {', '.join(missing)}", source=str(path)
        )
    for col in ["priority", "confidence", *probability_columns(frame)]:
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    frame["company_id"] = frame["company_id"].map(lambda v: normalise_company_id(v) or v)
    return frame


def probability_columns(frame: pd.DataFrame) -> list[str]:
    """The ``p_<cluster>`` columns of a queue or predictions frame, in order."""
    return [c for c in frame.columns if c.startswith(PROBABILITY_PREFIX)]


def company_evidence(companies: pd.DataFrame, sic_titles: Mapping[str, str]) -> pd.DataFrame:
    """Per company: the text the model saw, its hash, SIC titles, website, name and region.

    ``companies`` is a company base (text prepared from name, filing and website text and
    SIC titles) or a table with a ``text`` column (used as it is). Indexed by company id.
    """
    from classifier.text import prepare_texts, text_hash

    frame = companies.copy()
    frame["company_id"] = frame["company_id"].map(lambda v: normalise_company_id(v) or str(v))
    if "text" in frame.columns:
        texts = frame["text"].fillna("").astype(str)
        prepared = pd.DataFrame({"text": texts, "text_hash": texts.map(text_hash)})
    else:
        prepared = prepare_texts(frame, sic_titles)
    codes = frame["sic_codes"] if "sic_codes" in frame.columns else pd.Series([None] * len(frame))
    out = pd.DataFrame(
        {
            "company_id": frame["company_id"].to_numpy(),
            "text": prepared["text"].to_numpy(),
            "text_hash": prepared["text_hash"].to_numpy(),
            "sic_titles": [_sic_titles(c, sic_titles) for c in codes],
            "website": _column(frame, "website"),
            "name": _column(frame, "name"),
            "region_name": _column(frame, "region_name"),
        }
    )
    return out.drop_duplicates("company_id", keep="last").set_index("company_id")


def _column(frame: pd.DataFrame, name: str) -> list[str | None]:
    if name not in frame.columns:
        return [None] * len(frame)
    return [None if _missing(v) else str(v) for v in frame[name]]


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value == ""


def _sic_titles(codes: object, titles: Mapping[str, str]) -> list[str]:
    return [f"{code} {titles.get(code, '(unknown code)')}" for code in sic_code_list(codes)]


def needs_second_review(company_id: str, model_version: str, share: float) -> bool:
    """Whether an item goes to two analysts: a stable draw with probability ``share``."""
    digest = hashlib.sha256(f"{company_id}|{model_version}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def build_items(
    queue: pd.DataFrame,
    evidence: pd.DataFrame | None = None,
    explanations: Mapping[str, dict[str, Any]] | None = None,
    double_review_share: float = 0.0,
    source: str = "",
    simulated: bool = False,
) -> list[dict[str, Any]]:
    """Rows for the ``items`` table, one per queue row, in queue order (a pure function).

    Args:
        queue: the review queue (see :func:`read_queue`).
        evidence: :func:`company_evidence` of the queued companies, if known.
        explanations: per company id, ``{"thresholds": {...}, "clusters": [...]}`` from
            :func:`clusters.review.explain.explain_queue`.
        double_review_share: share of items that two analysts must review.
        source: where the queue came from (kept on every item).
        simulated: the items belong to a simulated round.
    """
    probs = probability_columns(queue)
    explanations = explanations or {}
    items = []
    stale = 0
    for row in queue.to_dict(orient="records"):
        company_id = str(row["company_id"])
        found = (
            evidence.loc[company_id].to_dict()
            if evidence is not None and company_id in evidence.index
            else {}
        )
        if found and row.get("text_hash") and found["text_hash"] != row["text_hash"]:
            stale += 1
        explained = explanations.get(company_id, {})
        model_version = str(row["model_version"])
        items.append(
            {
                "company_id": company_id,
                "model_version": model_version,
                "priority": float(row["priority"]),
                "name": _text(row.get("name")) or _text(found.get("name")),
                "region_name": _text(row.get("region_name")) or _text(found.get("region_name")),
                "top_label": _text(row.get("top_label")),
                "labels": ";".join(split_labels(row.get("labels"))),
                "confidence": float(row["confidence"]),
                "text_hash": _text(row.get("text_hash")),
                "text": _text(found.get("text")),
                "sic_titles": list(found.get("sic_titles") or []),
                "website": found.get("website") or None,
                "probabilities": {
                    c[len(PROBABILITY_PREFIX) :]: round(float(row[c]), 6)
                    for c in probs
                    if not np.isnan(row[c])
                },
                "thresholds": explained.get("thresholds"),
                "explanations": explained.get("clusters"),
                "required_reviews": 2
                if needs_second_review(company_id, model_version, double_review_share)
                else 1,
                "source": source,
                "simulated": simulated,
            }
        )
    if stale:
        logger.warning(
            "%d queued companies have a different text now than when they were classified; "
            "the item shows the current text",
            stale,
        )
    return items


def _text(value: object) -> str:
    return "" if _missing(value) else str(value)
