"""``clusters serve``: the online classification API and its API keys.

Registered on the ``clusters`` app by :mod:`clusters.cli`::

    clusters serve keys add crm                 # prints the key once
    clusters serve keys add ops --role admin
    clusters serve                              # http://127.0.0.1:8100/docs
    clusters serve --model models:/company-clusters/3 --port 9000
    clusters serve --no-auth                    # local use only (loopback)
    clusters serve keys list
    clusters serve keys revoke crm
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from clusters.cli_errors import fail
from clusters.config import get_settings
from clusters.contracts import ContractError

logger = logging.getLogger(__name__)

serve_app = typer.Typer(
    help="The online classification API (run with no command) and its API keys.",
    invoke_without_command=True,
)
keys_app = typer.Typer(help="Manage the API keys of `clusters serve`.", no_args_is_help=True)
serve_app.add_typer(keys_app, name="keys")

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
KeysOption = Annotated[
    Path | None,
    typer.Option(
        "--keys-db",
        help="API-key store \\[default: serve.keys_db, else <output_dir>/serve_keys.sqlite].",
    ),
]


def _keys(path: Path | None):
    from clusters.serve.keys import KeyStore

    settings = get_settings()
    return KeyStore(path or settings.serve.resolved_keys_db(settings.paths.output_dir))


@serve_app.callback()
def serve_command(
    ctx: typer.Context,
    model: Annotated[
        str | None,
        typer.Option(
            help="Model URI \\[default: serve.model_uri, else models:/<model_name>@champion]."
        ),
    ] = None,
    host: Annotated[str | None, typer.Option(help="Interface \\[default: serve.host].")] = None,
    port: Annotated[int | None, typer.Option(help="Port \\[default: serve.port].")] = None,
    no_auth: Annotated[
        bool,
        typer.Option("--no-auth", help="Serve without API keys (local use; refused off loopback)."),
    ] = False,
    force_no_auth: Annotated[
        bool,
        typer.Option(
            "--force-no-auth", help="Allow --no-auth on a non-loopback interface (dangerous)."
        ),
    ] = False,
    workers_log_level: Annotated[
        str, typer.Option("--log-level", help="uvicorn log level.")
    ] = "info",
    keys_db: KeysOption = None,
) -> None:
    """Run the classification API (on 127.0.0.1 unless told otherwise)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from classifier.classify import registered_version
    from clusters.serve.app import create_app

    settings = get_settings()
    cfg = settings.serve
    host, port = host or cfg.host, port or cfg.port
    auth = cfg.auth and not no_auth
    if not auth and host not in LOOPBACK:
        if not force_no_auth:
            raise fail(
                f"refusing to serve without API keys on {host}: anyone who reaches it could "
                "use it. Serve on 127.0.0.1, or add --force-no-auth."
            )
        logger.warning("SERVING WITHOUT API KEYS ON %s: anyone who reaches it can use it", host)
    uri = model or cfg.model_uri or f"models:/{settings.model_name}@champion"
    try:
        version = registered_version(uri, settings)  # a clear error now, not a 503 later
    except ContractError as exc:
        raise fail(str(exc)) from exc
    keys = _keys(keys_db) if auth else None
    if keys is not None and not [k for k in keys.list() if k.revoked_at is None]:
        logger.warning("no API keys yet: add one with `clusters serve keys add NAME`")
    app = create_app(settings, model_uri=uri, auth=auth, keys=keys)
    typer.echo(
        f"classification API for {uri} ({version}) on http://{host}:{port}/ "
        f"(docs: /docs; auth {'on' if auth else 'OFF'}; Ctrl+C stops it)"
    )
    uvicorn.run(app, host=host, port=port, log_level=workers_log_level)


@keys_app.command("add")
def keys_add(
    name: Annotated[str, typer.Argument(help="Key name (who uses it), e.g. crm.")],
    role: Annotated[str, typer.Option(help="client (classify) or admin (also reload).")] = "client",
    keys_db: KeysOption = None,
) -> None:
    """Create an API key and print it (once: only its hash is stored)."""
    from clusters.serve.keys import KeyStoreError

    try:
        key = _keys(keys_db).add(name, role)
    except KeyStoreError as exc:
        raise fail(str(exc)) from exc
    typer.echo(key)
    typer.echo(f"({role} key {name!r}: shown once, store it now)", err=True)


@keys_app.command("revoke")
def keys_revoke(
    name: Annotated[str, typer.Argument(help="Key name.")], keys_db: KeysOption = None
) -> None:
    """Revoke a key by name (effective on the next request, in running servers too)."""
    from clusters.serve.keys import KeyStoreError

    try:
        _keys(keys_db).revoke(name)
    except KeyStoreError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"key {name!r} revoked")


@keys_app.command("list")
def keys_list(keys_db: KeysOption = None) -> None:
    """List the keys (names, roles, dates; never the keys)."""
    keys = _keys(keys_db).list()
    if not keys:
        typer.echo("no API keys")
    for key in keys:
        state = f"revoked {key.revoked_at}" if key.revoked_at else "live"
        typer.echo(f"{key.name:24s} {key.role:7s} created {key.created_at}  {state}")
