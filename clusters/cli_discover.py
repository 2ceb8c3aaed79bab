"""CLI command of emerging-cluster discovery: ``clusters discover``.

Registered on the ``clusters`` app by :mod:`clusters.cli`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from clusters.cli_errors import fail
from clusters.config import ConfigError, get_settings
from clusters.contracts import ContractError
from clusters.taxonomy import TaxonomyError

KNOWN_ERRORS = (ConfigError, ContractError, TaxonomyError, FileNotFoundError, ValueError)


def discover_command(
    companies: Annotated[
        Path | None,
        typer.Option(help="Company base (default: companies.parquet of `clusters run`)."),
    ] = None,
    predictions: Annotated[
        Path | None,
        typer.Option(
            help="Predictions of that base (default: predictions.parquet of `clusters run`)."
        ),
    ] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "--output-dir", "-o", help="Folder for the outputs (default: OUTPUT_DIR/discovery)."
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="Model whose embedder to use (default: the one that wrote the predictions)."
        ),
    ] = None,
    embedder: Annotated[
        str | None,
        typer.Option(help="Embedder by name instead (minilm, minilm-onnx, static)."),
    ] = None,
    region: Annotated[
        list[str] | None,
        typer.Option(
            help="Take candidates only from this region (name or code); repeatable. "
            "Also the focus of specialisation."
        ),
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Take candidates only from companies incorporated on or after this date.",
        ),
    ] = None,
    min_group_size: Annotated[
        int | None, typer.Option(min=3, help="Smallest group worth proposing.")
    ] = None,
    stability_runs: Annotated[
        int | None, typer.Option(min=0, help="Re-clusterings for the stability filter (0 = off).")
    ] = None,
    reducer: Annotated[
        str | None, typer.Option(help="umap (default) or pca (fast, coarser).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed.")] = None,
) -> None:
    """Find groups of companies that no cluster describes well and draft taxonomy entries."""
    from clusters.discovery.run import run_discovery

    settings = get_settings()
    overrides = {
        "min_group_size": min_group_size,
        "stability_runs": stability_runs,
        "reducer": reducer,
        "seed": seed,
    }
    try:
        discovery = settings.discovery.model_validate(
            {
                **settings.discovery.model_dump(),
                **{k: v for k, v in overrides.items() if v is not None},
            }
        )
        result = run_discovery(
            companies,
            predictions,
            output_dir,
            model_uri=model,
            embedder=embedder,
            regions=region or (),
            since=since.date() if since else None,
            settings=settings,
            discovery=discovery,
        )
    except KNOWN_ERRORS as exc:
        raise fail(str(exc)) from exc
    for line in result.summary():
        typer.echo(line)
