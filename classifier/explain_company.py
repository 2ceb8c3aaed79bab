"""One company or text explained by a model: the text it saw, its top clusters, and why.

Used by ``clusters explain``: data scientists and analysts ask why a company sits in (or
outside) a cluster without starting the review app or the API. The company's text is
prepared from its company-base record exactly as ``clusters classify`` would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.model import ClusterModel
from clusters.contracts import ContractError, normalise_company_id_or_raw
from clusters.tables import shorten


@dataclass(frozen=True)
class Explanation:
    """What the model made of one text."""

    model_version: str
    text: str
    clusters: list[dict[str, Any]]
    """Per top cluster: cluster_id, probability, threshold, assigned, keywords, examples."""
    company_id: str | None = None
    name: str | None = None
    fallback: bool = False
    """The record had no description, so the text is its name and SIC titles only."""

    def lines(self, text_chars: int = 300) -> list[str]:
        """The human-readable report."""
        who = (
            f"company {self.company_id}" + (f" ({self.name})" if self.name else "")
            if self.company_id
            else "text"
        )
        out = [f"{who}, model {self.model_version}", f"  text: {shorten(self.text, text_chars)!r}"]
        if self.fallback:
            out.append("  (no description: the text is the name and SIC titles only)")
        assigned = [c["cluster_id"] for c in self.clusters if c["assigned"]]
        out.append(f"  assigned: {', '.join(assigned) if assigned else 'none (unassigned)'}")
        for rank, c in enumerate(self.clusters, 1):
            verdict = "assigned" if c["assigned"] else "below threshold"
            out.append(
                f"{rank}. {c['cluster_id']}: p={c['probability']:.3f} "
                f"(threshold {c['threshold']:.3f}, {verdict})"
            )
            keywords = ", ".join(c["keywords"]) if c["keywords"] else "none"
            out.append(f"   keywords found: {keywords}")
            for ex in c["examples"]:
                label = ex["company_id"] or "taxonomy text"
                out.append(
                    f"   like {label} (similarity {ex['similarity']:.2f}): {ex['text'][:90]!r}"
                )
        return out


def explain_text(model: ClusterModel, text: str, top: int = 3, examples: int = 3) -> Explanation:
    """Explain a free text."""
    if not text.strip():
        raise ValueError("the text is empty")
    return Explanation(model.meta.model_version, text, model.explain(text, top, examples))


def explain_company(
    model: ClusterModel, company_id: str, base_path: Path, top: int = 3, examples: int = 3
) -> Explanation:
    """Explain a company of the base at ``base_path`` from its prepared text.

    Raises:
        ContractError: the company is not in the base (the message names the base).
    """
    from classifier.text import prepare_texts
    from clusters.company_base import load_company_base
    from clusters.sic import default_reference

    base = load_company_base(base_path)
    wanted = normalise_company_id_or_raw(company_id)
    rows = base[base["company_id"] == wanted]
    if rows.empty:
        raise ContractError(
            f"company {company_id} is not in the company base", source=str(base_path)
        )
    record = rows.iloc[[0]]
    prepared = prepare_texts(record, default_reference().titles).iloc[0]
    name = record["name"].iloc[0] if "name" in record.columns else None
    return Explanation(
        model.meta.model_version,
        prepared["text"],
        model.explain(prepared["text"], top, examples),
        company_id=str(wanted),
        name=name if isinstance(name, str) and name else None,
        fallback=bool(prepared["fallback"]),
    )
