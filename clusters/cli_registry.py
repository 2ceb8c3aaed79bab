"""``clusters models``: the registered model versions, and promotion by hand.

Registered on the ``clusters`` app by :mod:`clusters.cli`::

    clusters models list                        # versions, aliases, scores, promotion notes
    clusters models list --json
    clusters models compare 3 4                 # held-out scores side by side, per cluster
    clusters models promote 3 --reason "v4 mislabels agri-tech on the 2026 base"
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer

from clusters.cli_errors import fail
from clusters.config import get_settings, redact
from clusters.tables import shorten, text_table

if TYPE_CHECKING:
    from training.registry import VersionSummary

models_app = typer.Typer(
    help="The registered model versions: list them, promote one by hand (rollback).",
    no_args_is_help=True,
)

ModelNameOption = Annotated[
    str | None,
    typer.Option("--model-name", help="Registered model name \\[default: settings model_name]."),
]


def _client():
    from mlflow.tracking import MlflowClient

    return MlflowClient(get_settings().mlflow_uri)


@models_app.command("list")
def list_command(
    model_name: ModelNameOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per version.")] = False,
) -> None:
    """List every version of the model, newest first: aliases, when it was trained, its
    held-out scores, taxonomy, embedder and the promotion decision."""
    from training.registry import list_versions

    name = model_name or get_settings().model_name
    try:
        versions = list_versions(_client(), name)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        for v in versions:
            row = {
                "version": v.version,
                "aliases": list(v.aliases),
                "created": v.created.isoformat(),
                "run_id": v.run_id,
                "promotion": v.promotion,
                **v.metrics,
                **v.params,
            }
            typer.echo(json.dumps(row))
        return
    typer.echo(f"{name} in {redact(get_settings().mlflow_uri)}")
    typer.echo(version_table(versions) if versions else "no versions registered")


def version_table(versions: list[VersionSummary]) -> str:
    """The text table of :func:`list_command` (one line per version, left-aligned)."""

    rows = [
        {
            "version": f"v{v.version}",
            "aliases": ",".join(v.aliases) or "-",
            "created (UTC)": v.created.strftime("%Y-%m-%d %H:%M"),
            "micro_f1": _num(v.metrics.get("micro_f1")),
            "macro_f1": _num(v.metrics.get("macro_f1")),
            "ece": _num(v.metrics.get("ece")),
            "taxonomy": v.params.get("taxonomy_version", "-"),
            "embedder": v.params.get("embedder", "-")
            + (" (fine-tuned)" if v.params.get("fine_tuned") == "yes" else ""),
            "promotion": shorten(v.promotion or "-", 72),  # whole in --json
        }
        for v in versions
    ]
    return text_table(rows)


@models_app.command("compare")
def compare_command(
    a: Annotated[str, typer.Argument(help="One version (3 or v3).")],
    b: Annotated[str, typer.Argument(help="The other version.")],
    model_name: ModelNameOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="The comparison as JSON.")] = False,
) -> None:
    """Two versions' held-out scores side by side: overall, then F1 per cluster with the
    biggest drops first.

    Scores come from each version's training run. When the two were scored on different
    held-out labels the difference mixes model and data; `clusters evaluate --model
    models:/NAME/N --labels L.csv` scores both on the same split.
    """
    from training.registry import compare_versions

    name = model_name or get_settings().model_name
    try:
        result = compare_versions(_client(), name, a, b)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(asdict(result), indent=2))
        return
    va, vb = f"v{result.a}", f"v{result.b}"
    same = "the same held-out labels" if result.same_data else "DIFFERENT held-out labels"
    typer.echo(f"{name} {va} vs {vb}: scored on {same}")
    if not result.same_data:
        typer.echo(
            "  the difference mixes model and data: `clusters evaluate --model "
            f"models:/{name}/N --labels L.csv` scores both on the same split"
        )
    if not result.same_taxonomy:
        typer.echo("  trained on different taxonomy versions (`clusters taxonomy diff`)")
    rows = [
        {"metric": m, va: _num(x), vb: _num(y), "change": _delta(x, y)}
        for m, x, y in result.overall
    ]
    typer.echo(text_table(rows))
    typer.echo("")
    rows = [
        {
            "cluster": c,
            f"f1 {va}": _num(x),
            f"f1 {vb}": _num(y),
            "change": _delta(x, y),
            "support": _num(n, "{:.0f}"),
        }
        for c, x, y, n in result.clusters
    ]
    typer.echo(text_table(rows) if rows else "no per-cluster scores logged")


def _num(value: float | None, spec: str = "{:.3f}") -> str:
    return "-" if value is None else spec.format(value)


def _delta(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{b - a:+.3f}"


@models_app.command("promote")
def promote_command(
    version: Annotated[str, typer.Argument(help="Version to make champion (3 or v3).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded on the model version).")],
    model_name: ModelNameOption = None,
) -> None:
    """Make a version the champion by hand, bypassing the promotion gate: roll back to an
    earlier model, or promote one the gate passed over.

    Who, when and why are recorded as tags on the version (and on the replaced champion).
    `clusters classify` uses the new champion from its next job; a running `clusters serve`
    picks it up at its next reload.
    """
    from training.registry import promote_version

    name = model_name or get_settings().model_name
    try:
        result = promote_version(_client(), name, version, reason)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    if not result.changed:
        typer.echo(f"{name} v{result.version} is already the champion; nothing changed")
        return
    replaced = f" (was v{result.previous})" if result.previous else ""
    typer.echo(f"{name} v{result.version} is now the champion{replaced}")
