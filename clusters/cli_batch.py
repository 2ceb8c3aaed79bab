"""CLI commands of batch classification beyond ``classify``: ``status`` (where a job stands)
and ``diff`` (churn between runs).

Registered on the ``clusters`` app by :mod:`clusters.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clusters.batch.commit import BatchStateError
from clusters.cli_errors import fail
from clusters.contracts import ContractError

KNOWN_ERRORS = (ContractError, BatchStateError, FileNotFoundError, ValueError)


def diff_command(
    old: Annotated[
        Path, typer.Argument(help="Earlier predictions: a job directory, dataset dir or file.")
    ],
    new: Annotated[
        Path, typer.Argument(help="Later predictions: a job directory, dataset dir or file.")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Directory for summary.csv, changes.csv and churn.json."
        ),
    ] = None,
    tolerance: Annotated[
        float, typer.Option(help="Probabilities closer than this count as unchanged.")
    ] = 1e-6,
) -> None:
    """Which companies entered and left each cluster between two runs, and why.

    Reasons: new company, company removed, text changed, cluster added/removed, threshold
    moved, model changed, unexplained (same text and model, different result: a bug).
    """
    import pandas as pd

    from clusters.batch.diff import diff_datasets, write_diff

    try:
        result = diff_datasets(old, new, tolerance)
    except KNOWN_ERRORS as exc:
        raise fail(str(exc)) from exc
    from clusters.batch.diff import REASONS

    unused = [r for r in REASONS if r in result.summary and not result.summary[r].any()]
    summary = result.summary.drop(columns=unused)
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        typer.echo(summary.to_string(index=False) if len(summary) else "no clusters")
    typer.echo(result.headline())
    if output is not None:
        paths = write_diff(result, output)
        typer.echo(f"written: {', '.join(str(p) for p in paths.values())}")


def status_command(
    output: Annotated[
        Path, typer.Argument(help="The --output of a `clusters classify` job (directory or file).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="The status as one JSON object.")] = False,
) -> None:
    """Where a `clusters classify` job stands: running, stopped (to resume) or finished.

    Chunks and rows done, rejects, companies needing review, speed and, while it runs, the
    time left. Reads the job directory only: safe while the job runs, from any shell.
    """
    import json

    from clusters.batch.status import job_status

    try:
        status = job_status(output)
    except KNOWN_ERRORS as exc:
        raise fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(status.to_json()))
        return
    for line in status.lines():
        typer.echo(line)
