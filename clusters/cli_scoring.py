"""CLI commands of the scoring stage: ``score`` and ``report``.

Registered on the ``clusters`` app by :mod:`clusters.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clusters.cli_errors import fail
from clusters.config import ConfigError, get_settings
from clusters.contracts import ContractError
from clusters.taxonomy import TaxonomyError

KNOWN_ERRORS = (ConfigError, ContractError, TaxonomyError, FileNotFoundError, ValueError)


def score_command(
    companies: Annotated[
        Path,
        typer.Option("--companies", help="Company base (Parquet or CSV, company-base contract)."),
    ],
    predictions: Annotated[
        Path,
        typer.Option(
            "--predictions",
            help="Predictions: Parquet file, folder of Parquet parts, or CSV (company_id, labels).",
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the score tables.")],
    evidence: Annotated[
        Path | None,
        typer.Option(help="Folder of evidence files (grants, patents, deals, FDI, talent)."),
    ] = None,
    weights: Annotated[
        Path | None, typer.Option(help="YAML overriding scoring/weights.yaml (weights, years).")
    ] = None,
    taxonomy: Annotated[
        Path | None, typer.Option(help="Taxonomy YAML (default: the configured taxonomy).")
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            min=1800,
            max=2200,
            help="Snapshot year the metrics describe (default: latest_year of the weights, "
            "else the year of the latest date in the base).",
        ),
    ] = None,
) -> None:
    """Compute cluster x place metrics and the investment-potential score with sensitivity."""
    from scoring.config import ScoringConfigError
    from scoring.run import run_scoring

    try:
        result = run_scoring(
            companies,
            predictions,
            output,
            evidence_dir=evidence,
            weights=weights,
            taxonomy=taxonomy or get_settings().paths.taxonomy,
            year=year,
        )
    except (*KNOWN_ERRORS, ScoringConfigError) as exc:
        raise fail(str(exc)) from exc
    for line in result.summary():
        typer.echo(line)


def report_command(
    scores: Annotated[Path, typer.Option("--scores", help="Folder written by `clusters score`.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the report.")],
    companies: Annotated[
        Path | None, typer.Option(help="Company base, for the top companies of each cluster.")
    ] = None,
    predictions: Annotated[
        Path | None, typer.Option(help="Predictions, for the top companies of each cluster.")
    ] = None,
    cluster: Annotated[
        list[str] | None,
        typer.Option(help="Cluster(s) to map in detail (default: the top-ranked one); repeatable."),
    ] = None,
    taxonomy: Annotated[
        Path | None, typer.Option(help="Taxonomy YAML (default: the configured taxonomy).")
    ] = None,
    designations: Annotated[
        Path | None,
        typer.Option(
            help="Place designations CSV (place_code, designation, name, cluster_ids) to "
            "outline on the maps and list on the cluster pages."
        ),
    ] = None,
    pdf: Annotated[
        bool | None,
        typer.Option(
            "--pdf/--no-pdf",
            help="Also write report.pdf with WeasyPrint (default: the report.pdf setting).",
        ),
    ] = None,
    dpi: Annotated[
        int | None,
        typer.Option(help="Resolution of the PNG maps and charts (default: report.dpi setting)."),
    ] = None,
) -> None:
    """Build maps, charts, an HTML report and its PDF from `clusters score` outputs.

    The HTML report is self-contained (images inlined), so it can be handed on as one file.
    """
    from scoring.report import build_report

    try:
        report = build_report(
            scores,
            output,
            companies=companies,
            predictions=predictions,
            clusters=cluster or None,
            taxonomy=taxonomy or get_settings().paths.taxonomy,
            designations=designations,
            pdf=pdf,
            dpi=dpi,
        )
    except KNOWN_ERRORS as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"report: {report.html}")
    if report.pdf:
        typer.echo(f"PDF: {report.pdf} ({report.pdf_pages} pages)")
    elif pdf:
        typer.echo("PDF: not written (WeasyPrint is not usable here; see the log)")
    for path in report.files:
        typer.echo(f"  {path}")
