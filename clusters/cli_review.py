"""``clusters review``: the analyst review app and its store.

Registered on the ``clusters`` app by :mod:`clusters.cli`::

    clusters review init                      # create / upgrade the store
    clusters review users add alice --role admin
    clusters review import --queue outputs/review_queue.csv --companies outputs/companies.parquet
    clusters review serve                     # http://127.0.0.1:8000
    clusters review export --output labels.csv
    clusters train --reviewed labels.csv
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from clusters.cli_errors import fail
from clusters.config import get_settings
from clusters.contracts import ContractError

logger = logging.getLogger(__name__)

review_app = typer.Typer(
    help="The analyst review app: queue, decisions, users, export.", no_args_is_help=True
)
users_app = typer.Typer(help="Manage the review app's users.", no_args_is_help=True)
review_app.add_typer(users_app, name="users")

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="SQLAlchemy URL of the review store \\[default: review.database_url, else "
        "sqlite:///<home>/review.db].",
    ),
]


def _database(url: str | None):
    from clusters.review.auth import configure_hashing
    from clusters.review.db import Database

    settings = get_settings()
    cfg = settings.review
    configure_hashing(cfg.password_time_cost, cfg.password_memory_kib, cfg.password_parallelism)
    return Database.connect(url or settings.review.resolved_database_url(settings.paths.home))


@review_app.command("init")
def init_command(database: DatabaseOption = None) -> None:
    """Create the review store, or upgrade its schema to the latest version."""
    db = _database(database)
    typer.echo(f"review store ready: {db.engine.url.render_as_string(hide_password=True)}")


@review_app.command("import")
def import_command(
    queue_file: Annotated[
        Path, typer.Option("--queue", "-q", help="review_queue.csv written by `clusters classify`.")
    ],
    companies: Annotated[
        Path | None,
        typer.Option(
            help="Company base (or a company_id,text table) for the text, SIC titles and "
            "website shown to analysts."
        ),
    ] = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain/--no-explain",
            help="Store thresholds and nearest labelled examples from the model that "
            "produced the queue (needs --companies).",
        ),
    ] = True,
    model: Annotated[
        str | None,
        typer.Option(help="Model URI for the explanations \\[default: the queue's model version]."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Import only the first N queue rows.")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Add the batch job's review queue to the store (already queued items are kept)."""
    from clusters.company_base import load_company_base
    from clusters.review.items import build_items, company_evidence, read_queue
    from clusters.review.queue import import_items
    from clusters.sic import default_reference
    from training.labels import read_table

    settings = get_settings()
    try:
        queued = read_queue(queue_file)
        if limit:
            queued = queued.head(limit)
        evidence = explanations = None
        if companies is not None:
            table = read_table(companies)
            frame = table if "text" in table.columns else load_company_base(companies)
            evidence = company_evidence(frame, default_reference().titles)
            if explain:
                from clusters.review.explain import explain_queue

                explanations = explain_queue(queued, evidence, settings, model)
    except (ContractError, FileNotFoundError) as exc:
        raise fail(str(exc)) from exc
    items = build_items(
        queued, evidence, explanations, settings.review.double_review_share, str(queue_file)
    )
    report = import_items(_database(database), items)
    typer.echo(report.summary())


@review_app.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="Interface \\[default: review.host].")] = None,
    port: Annotated[int | None, typer.Option(help="Port \\[default: review.port].")] = None,
    ssl_certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM).")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    database: DatabaseOption = None,
) -> None:
    """Run the review web app (on 127.0.0.1 unless told otherwise)."""
    import uvicorn

    from clusters.review.app import create_app

    settings = get_settings()
    cfg = settings.review
    host, port = host or cfg.host, port or cfg.port
    if host not in {"127.0.0.1", "localhost", "::1"} and ssl_certfile is None:
        logger.warning(
            "serving on %s without TLS: put the app behind a TLS proxy and set "
            "review.secure_cookies=true",
            host,
        )
    app = create_app(settings, db=_database(database))
    scheme = "https" if ssl_certfile else "http"
    typer.echo(f"review app on {scheme}://{host}:{port}/ (Ctrl+C stops it)")
    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
        ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        log_level="info",
    )


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="analyst or admin.")] = "analyst",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Add a user (the password is asked for, or read from stdin)."""
    from clusters.review.auth import AuthError, add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        add_user(_database(database), username, password, role)
    except AuthError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"added {role} {username}")


@users_app.command("disable")
def users_disable(
    username: Annotated[str, typer.Argument(help="Login name.")],
    database: DatabaseOption = None,
) -> None:
    """Disable a user: their sessions end, their decisions stay."""
    from clusters.review.auth import AuthError, disable_user

    try:
        disable_user(_database(database), username)
    except AuthError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"disabled {username}")


@users_app.command("list")
def users_list(database: DatabaseOption = None) -> None:
    """List users with role and state."""
    from clusters.review.auth import list_users

    for user in list_users(_database(database)):
        state = "active" if user.active else f"disabled {user.disabled_at:%Y-%m-%d}"
        flag = " (simulated)" if user.simulated else ""
        typer.echo(f"{user.username:24s} {user.role:8s} {state}{flag}")


@review_app.command("export")
def export_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="Labels CSV to write.")],
    include_simulated: Annotated[
        bool,
        typer.Option(
            "--include-simulated/--exclude-simulated",
            help="Keep decisions of simulated rounds.",
        ),
    ] = True,
    database: DatabaseOption = None,
) -> None:
    """Write the current decisions as training labels (company_id, text, labels)."""
    from clusters.review.export import export_labels

    report = export_labels(_database(database), output, include_simulated)
    typer.echo(report.summary())
    typer.echo(f"train with them: clusters train --reviewed {output}")


@review_app.command("stats")
def stats_command(database: DatabaseOption = None) -> None:
    """Agreement (Cohen's kappa per cluster), throughput per analyst, model accuracy."""
    from clusters.review.stats import compute_stats
    from clusters.taxonomy import load_taxonomy

    stats = compute_stats(_database(database), load_taxonomy(get_settings().paths.taxonomy).ids)
    typer.echo(
        f"{stats.decisions} decisions; {stats.resolved} companies with reviewed labels; "
        f"{stats.conflicts} disagreements to adjudicate"
    )
    summary = stats.model_summary
    typer.echo(
        f"model exactly right on {summary['exact']:.0%} of {int(summary['items'])} reviewed "
        f"items; {summary['confirmed']:.0%} of decisions confirmed it"
        if summary["items"]
        else "no reviewed items yet"
    )
    for title, table in (
        ("throughput per analyst", stats.analysts),
        ("agreement (double-reviewed items)", stats.agreement),
        ("model vs reviewed labels", stats.model_per_cluster),
    ):
        typer.echo(f"\n{title}:")
        typer.echo(table.round(3).to_string(index=False) if len(table) else "  (none)")
