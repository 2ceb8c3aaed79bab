"""The scoring stage end to end: inputs → metrics → scores (+ sensitivity) → connections.

:func:`score` is pure (frames in, frames out); :func:`run_scoring` adds the I/O edges and is
what ``clusters score`` calls; :func:`score_and_report` adds the report (HTML, and PDF when the
``report.pdf`` setting is on) for the main job. Outputs written to the output folder:

=======================  ========================================================================
``metrics.parquet/.csv``  tidy metrics (``scoring.metrics.METRIC_COLUMNS``)
``scores.parquet/.csv``   tidy scores: unit x component (pillars, ``investment_potential``) with
                          rank, median rank, 90 % rank interval and ``robust`` on the composite
``connections.csv``       cluster pairs: shared companies, Jaccard, LQ correlation, SIC similarity
``coverage.csv``          per metric: share of values present and mean coverage (latest year)
``catalogue.csv``         the metrics catalogue
``scoring.yaml``          the settings used
=======================  ========================================================================
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import yaml

from clusters.taxonomy import Taxonomy, load_taxonomy
from scoring.catalogue import catalogue_frame
from scoring.composite import COMPOSITE, nominal_scores, score_inputs, tidy_scores
from scoring.config import ScoringConfig, load_scoring_config
from scoring.connections import connections
from scoring.inputs import Evidence, load_companies, load_evidence, load_predictions, membership
from scoring.metrics import compute_metrics, coverage_summary
from scoring.sensitivity import rank_intervals

if TYPE_CHECKING:
    from scoring.report import Report

logger = logging.getLogger(__name__)


@dataclass
class ScoringResult:
    """Everything the scoring stage produces (frames), and where it was written."""

    metrics: pd.DataFrame
    scores: pd.DataFrame
    ranking: pd.DataFrame
    """One row per scored unit: pillars, composite, rank and sensitivity (wide)."""
    connections: pd.DataFrame
    coverage: pd.DataFrame
    config: ScoringConfig
    evidence_sources: dict[str, str] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)

    def summary(self, n: int = 5) -> list[str]:
        """Short lines for the command line."""
        lines = [f"{name}: {path}" for name, path in self.paths.items()]
        top = self.ranking.sort_values("rank").head(n)
        lines.append(f"top {len(top)} cluster-places by investment potential:")
        for row in top.itertuples():
            flag = "" if row.robust else "  (rank not robust)"
            lines.append(
                f"  {int(row.rank):>3}. {row.cluster_id} in {row.geo_name}: "
                f"{getattr(row, COMPOSITE):.1f} (90% rank interval {row.rank_p05:.0f}-"
                f"{row.rank_p95:.0f}){flag}"
            )
        return lines


def score(
    base: pd.DataFrame,
    members: pd.DataFrame,
    evidence: Evidence,
    cfg: ScoringConfig,
    taxonomy: Taxonomy | None = None,
) -> ScoringResult:
    """Metrics, the composite score with sensitivity, and cluster connections (pure)."""
    metrics = compute_metrics(base, members, evidence, cfg)
    inputs = score_inputs(metrics, cfg)
    ranking = nominal_scores(inputs)
    intervals = rank_intervals(inputs, cfg.sensitivity)
    ranking = pd.concat([ranking, intervals.reset_index(drop=True)], axis=1)
    scores = tidy_scores(ranking, inputs.pillars)
    links = connections(base, members, metrics, taxonomy)
    return ScoringResult(
        metrics=metrics,
        scores=scores,
        ranking=ranking.sort_values("rank").reset_index(drop=True),
        connections=links,
        coverage=coverage_summary(metrics),
        config=cfg,
        evidence_sources=dict(evidence.sources),
    )


def write_result(result: ScoringResult, output_dir: Path) -> dict[str, Path]:
    """Write the tables of ``result`` to ``output_dir``; returns the paths by name."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, frame in (("metrics", result.metrics), ("scores", result.scores)):
        frame.to_parquet(output_dir / f"{name}.parquet", index=False)
        frame.to_csv(output_dir / f"{name}.csv", index=False)
        paths[name] = output_dir / f"{name}.parquet"
    for name, frame in (
        ("connections", result.connections),
        ("coverage", result.coverage),
        ("catalogue", pd.DataFrame(catalogue_frame())),
    ):
        frame.to_csv(output_dir / f"{name}.csv", index=False)
        paths[name] = output_dir / f"{name}.csv"
    settings = result.config.model_dump(mode="json")
    settings["evidence_sources"] = result.evidence_sources
    (output_dir / "scoring.yaml").write_text(yaml.safe_dump(settings, sort_keys=False), "utf-8")
    paths["settings"] = output_dir / "scoring.yaml"
    result.paths = paths
    return paths


def run_scoring(
    companies: Path,
    predictions: Path,
    output_dir: Path,
    evidence_dir: Path | None = None,
    weights: Path | None = None,
    taxonomy: Path | Taxonomy | None = None,
    year: int | None = None,
) -> ScoringResult:
    """Score cluster-places from files and write the outputs (the ``clusters score`` stage).

    Args:
        companies: company base (Parquet or CSV, COMPANY_BASE contract).
        predictions: predictions (Parquet file, folder of Parquet parts, or CSV) with
            ``company_id`` and ``labels``.
        output_dir: folder for the tables (created).
        evidence_dir: folder of optional evidence files (see :mod:`scoring.inputs`).
        weights: YAML overriding ``scoring/weights.yaml``.
        taxonomy: taxonomy (path or object); parents are implied from children. Default:
            the configured taxonomy.
        year: the snapshot year the metrics describe (overrides ``latest_year`` of the
            weights; default: the year of the latest date in the base).
    """
    from clusters.config import get_settings

    cfg = load_scoring_config(weights, **({} if year is None else {"latest_year": year}))
    if taxonomy is None:
        taxonomy = get_settings().paths.taxonomy
    tax = taxonomy if isinstance(taxonomy, Taxonomy) else load_taxonomy(Path(taxonomy))
    base = load_companies(companies)
    members = membership(load_predictions(predictions), tax)
    logger.info("%d companies, %d cluster memberships", len(base), len(members))
    result = score(base, members, load_evidence(evidence_dir), cfg, tax)
    write_result(result, output_dir)
    return result


def score_and_report(
    companies: Path,
    predictions: Path,
    output_dir: Path,
    report_dir: Path,
    evidence_dir: Path | None = None,
    designations: Path | None = None,
    weights: Path | None = None,
    taxonomy: Path | Taxonomy | None = None,
) -> tuple[ScoringResult, Report]:
    """:func:`run_scoring`, then :func:`scoring.report.build_report` on its outputs (the main
    job's last step). The report follows the ``report`` settings (PDF, resolution, maps)."""
    from scoring.report import build_report

    tax = taxonomy if isinstance(taxonomy, Taxonomy | None) else load_taxonomy(Path(taxonomy))
    result = run_scoring(companies, predictions, output_dir, evidence_dir, weights, tax)
    report = build_report(
        output_dir,
        report_dir,
        companies=companies,
        predictions=predictions,
        taxonomy=tax,
        designations=designations,
    )
    return result, report
