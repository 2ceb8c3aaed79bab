"""``clusters models``: the registered model versions, and promotion by hand.

Registered on the ``clusters`` app by :mod:`clusters.cli`::

    clusters models list                        # versions, aliases, scores, promotion notes
    clusters models list --json
    clusters models promote 3 --reason "v4 mislabels agri-tech on the 2026 base"
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from clusters.cli_errors import fail
from clusters.config import get_settings, redact

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
    typer.echo(version_table(versions))


def version_table(versions: list[VersionSummary]) -> str:
    """The text table of :func:`list_command` (one line per version, left-aligned)."""

    def score(v: VersionSummary, key: str) -> str:
        return f"{v.metrics[key]:.3f}" if key in v.metrics else "-"

    rows = [
        {
            "version": f"v{v.version}",
            "aliases": ",".join(v.aliases) or "-",
            "created (UTC)": v.created.strftime("%Y-%m-%d %H:%M"),
            "micro_f1": score(v, "micro_f1"),
            "macro_f1": score(v, "macro_f1"),
            "ece": score(v, "ece"),
            "taxonomy": v.params.get("taxonomy_version", "-"),
            "embedder": v.params.get("embedder", "-")
            + (" (fine-tuned)" if v.params.get("fine_tuned") == "yes" else ""),
            "promotion": _clip(v.promotion or "-", 72),
        }
        for v in versions
    ]
    columns = list(rows[0]) if rows else []
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    lines = [dict(zip(columns, columns, strict=True)), *rows]
    return "\n".join(
        "  ".join(line[c].ljust(widths[c]) for c in columns).rstrip() for line in lines
    )


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


def _clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters with an ellipsis (the full text is in --json).

    >>> _clip("promoted manually by ops at 2026-11-26 14:00 UTC: v4 drifts", 30)
    'promoted manually by ops at 2…'
    """
    return text if len(text) <= width else text[: width - 1] + "…"
