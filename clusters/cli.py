"""The ``clusters`` command line: one subcommand per pipeline stage.

Each command is a thin shell: it parses options, calls one stage function, prints a short
report and maps known errors to a clear message and a non-zero exit code.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
from pathlib import Path
from typing import Annotated

import typer

from clusters import __version__
from clusters.cli_errors import fail
from clusters.config import ConfigError, get_settings, load_settings, set_settings
from clusters.contracts import ContractError
from clusters.ingest.stage import InputFormat, ingest_companies
from clusters.taxonomy import Taxonomy, TaxonomyError, load_taxonomy

app = typer.Typer(
    name="clusters",
    help="Classify companies into emerging industrial clusters and score clusters by place.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
ingest_app = typer.Typer(help="Bring source data into the company base.", no_args_is_help=True)
taxonomy_app = typer.Typer(help="Inspect and validate cluster taxonomies.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(taxonomy_app, name="taxonomy")

KNOWN_ERRORS = (ConfigError, ContractError, TaxonomyError, FileNotFoundError)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"clusters {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="YAML settings file (overrides the defaults)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Company-cluster classification for regional economic intelligence."""
    # MLflow draws a progress bar for every model it fetches (each train, evaluate and
    # classify fetches some); in a job's log that is noise. =true brings them back.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        set_settings(load_settings(config))
    except ConfigError as exc:
        raise fail(str(exc)) from exc
    ctx.obj = {"config_file": config}


@ingest_app.command("companies")
def ingest_companies_command(
    inputs: Annotated[
        list[Path],
        typer.Option(
            "--input",
            "-i",
            metavar="FILE",
            help="Companies House CSV (plain or .zip), company list (CSV or Parquet), "
            "directory or glob; repeat for several files.",
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Company-base Parquet to write.")],
    more: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="FILE",
            help="More input files (so `--input parts/*.csv` works).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        InputFormat, typer.Option("--format", "-f", help="Input format; auto = by header.")
    ] = InputFormat.AUTO,
    quarantine: Annotated[
        Path | None,
        typer.Option(
            "--quarantine", "-q", help="CSV of rejected rows (default: OUTPUT_STEM.quarantine.csv)."
        ),
    ] = None,
) -> None:
    """Build the company base from Companies House bulk data or a company list."""
    try:
        report = ingest_companies([*inputs, *(more or [])], output, fmt=fmt, quarantine=quarantine)
    except ContractError as exc:
        raise fail(str(exc)) from exc
    except OSError as exc:
        raise fail(f"{exc.filename or output}: {exc.strerror or exc}") from exc
    for line in report.summary():
        typer.echo(line)


@app.command("doctor")
def doctor_command(
    as_json: Annotated[bool, typer.Option("--json", help="The checks as JSON.")] = False,
) -> None:
    """Check that this machine can run the product: data, taxonomy, embedding model (loaded
    offline), folders, model store and champion, and the optional Spark, PDF and PostgreSQL
    parts.

    Exits with 1 when a check fails; `warn` marks an optional part missing or something to
    do (e.g. retrain after a taxonomy change). Reads only: creates and downloads nothing.
    """
    import json

    from clusters.doctor import run_checks

    root = logging.getLogger()
    if root.level > logging.DEBUG:  # the checks' own INFO logs would bury the report (not -v)
        root.setLevel(logging.WARNING)
    checks = run_checks(get_settings())
    if as_json:
        typer.echo(json.dumps([c.to_json() for c in checks], indent=2))
    else:
        width = max(len(c.name) for c in checks)
        colours = {"ok": typer.colors.GREEN, "warn": typer.colors.YELLOW, "fail": typer.colors.RED}
        for check in checks:
            mark = typer.style(f"{check.status:4s}", fg=colours[check.status])
            typer.echo(f"{mark}  {check.name:{width}s}  {check.detail}")
    if any(c.status == "fail" for c in checks):
        raise typer.Exit(1)


@app.command("settings")
def settings_command(
    ctx: typer.Context,
    changed: Annotated[
        bool, typer.Option("--changed", help="Only the settings not left at their default.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Settings and sources as JSON.")] = False,
) -> None:
    """Show the settings every command would use now, and where each override comes from.

    Layers: the defaults, then the --config file (or $CLUSTERS_CONFIG), then CLUSTERS_*
    variables and MLFLOW_TRACKING_URI. Passwords in URLs are shown as ***.
    """
    import json

    import yaml

    from clusters.config import flatten, setting_sources, settings_tree

    config_file = (ctx.obj or {}).get("config_file")
    tree = settings_tree(get_settings())
    sources = setting_sources(config_file)
    if as_json:
        typer.echo(json.dumps({"settings": tree, "sources": sources}, indent=2))
        return
    if changed:
        flat = flatten(tree)
        if not sources:
            typer.echo("every setting is at its default")
        for key, source in sources.items():
            typer.echo(f"{key} = {flat.get(key, '?')!s}    # {source}")
        return
    typer.echo(yaml.safe_dump(tree, sort_keys=False, allow_unicode=True).rstrip())
    if sources:
        typer.echo("# overridden:")
        for key, source in sources.items():
            typer.echo(f"#   {key}: {source}")


TaxonomyPath = Annotated[
    Path | None, typer.Argument(help="Taxonomy YAML (default: the configured taxonomy).")
]


def _taxonomy_or_fail(path: Path | None) -> tuple[Path, Taxonomy]:
    """The taxonomy at ``path`` (default: the configured one), or a clear CLI error."""
    path = path or get_settings().paths.taxonomy
    try:
        return path, load_taxonomy(path)
    except TaxonomyError as exc:
        raise fail(str(exc)) from exc


@taxonomy_app.command("validate")
def taxonomy_validate(
    path: TaxonomyPath = None,
) -> None:
    """Check a taxonomy file: unique ids, existing parents, no cycles, valid SIC codes."""
    path, taxonomy = _taxonomy_or_fail(path)
    tiers = {tier.value: len(c) for tier, c in taxonomy.by_tier().items()}
    typer.echo(
        f"{path}: {taxonomy.name} v{taxonomy.version}, {len(taxonomy.clusters)} clusters "
        f"({', '.join(f'{n} {t}' for t, n in tiers.items())}), hash {taxonomy.content_hash}"
    )


@taxonomy_app.command("diff")
def taxonomy_diff(
    old: Annotated[Path, typer.Argument(help="The earlier taxonomy YAML.")],
    new: Annotated[
        Path | None, typer.Argument(help="The later one (default: the configured taxonomy).")
    ] = None,
    labels: Annotated[
        list[Path] | None,
        typer.Option("--labels", help="Label file to check against the new version; repeatable."),
    ] = None,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit with 1 when the taxonomies differ.")
    ] = False,
) -> None:
    """What changed between two taxonomy versions, and which label rows name retired clusters.

    Lists clusters added, removed (with a hint when one kept its name under a new id) and
    changed: name, tier, parent, target precision, description, keywords and SIC codes
    gained or lost. Label rows naming a removed cluster make `clusters train` stop: map or
    drop them first.
    """
    from clusters.taxonomy_diff import diff_taxonomies, labels_naming
    from training.labels import read_table

    _, before = _taxonomy_or_fail(old)
    _, after = _taxonomy_or_fail(new)
    result = diff_taxonomies(before, after)
    for line in result.lines():
        typer.echo(line)
    for path in labels or []:
        try:
            table = read_table(path)
        except (ContractError, FileNotFoundError) as exc:
            raise fail(str(exc)) from exc
        if "labels" not in table.columns:
            raise fail(f"{path}: no 'labels' column (columns: {', '.join(table.columns)})")
        rows, gone = labels_naming(table["labels"], result.removed)
        if not rows:
            typer.echo(f"labels {path}: no row names a removed cluster")
            continue
        detail = ", ".join(f"{cid} {n}" for cid, n in gone.most_common())
        typer.echo(
            f"labels {path}: {rows} rows name removed clusters ({detail}); "
            "map or drop them before `clusters train`"
        )
    if exit_code and not result.identical:
        raise typer.Exit(1)


@taxonomy_app.command("show")
def taxonomy_show(
    path: TaxonomyPath = None,
) -> None:
    """List the clusters of a taxonomy by tier."""
    _, taxonomy = _taxonomy_or_fail(path)
    for tier, clusters in taxonomy.by_tier().items():
        typer.echo(f"{tier.value}:")
        for cluster in clusters:
            parent = f"  (in {cluster.parent})" if cluster.parent else ""
            typer.echo(f"  {cluster.id:32s} {cluster.name}{parent}")


from clusters import (  # noqa: E402  (stage commands)
    cli_acquire,
    cli_batch,
    cli_discover,
    cli_model,
    cli_registry,
    cli_review,
    cli_scoring,
    cli_serve,
)

app.command("run")(cli_model.run_command)
app.command("train")(cli_model.train_command)
app.command("evaluate")(cli_model.evaluate_command)
app.command("classify")(cli_model.classify_command)
app.command("explain")(cli_model.explain_command)
app.command("status")(cli_batch.status_command)
app.command("diff")(cli_batch.diff_command)
app.command("score")(cli_scoring.score_command)
app.command("report")(cli_scoring.report_command)
app.command("discover")(cli_discover.discover_command)
ingest_app.command("websites")(cli_acquire.websites_command)
ingest_app.command("accounts")(cli_acquire.accounts_command)

app.add_typer(cli_registry.models_app, name="models")
app.add_typer(cli_review.review_app, name="review")
app.add_typer(cli_serve.serve_app, name="serve")


def join_wrapped_lines(typer_app: typer.Typer) -> None:
    """Give every command's help one line per paragraph (list items keep their own lines).

    Typer's rich help keeps a docstring's line breaks, so a paragraph wrapped in the source
    would break mid-sentence on screen, then wrap again at the terminal's width.
    """
    for info in typer_app.registered_commands:
        doc = info.help or inspect.getdoc(info.callback) or ""
        info.help = "\n\n".join(
            re.sub(r"\n(?![-*] )", " ", paragraph) for paragraph in doc.split("\n\n")
        )
    for group in typer_app.registered_groups:
        join_wrapped_lines(group.typer_instance)


join_wrapped_lines(app)


if __name__ == "__main__":  # pragma: no cover
    app()
