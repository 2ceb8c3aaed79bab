"""``clusters doctor``: can this machine run the product, and what is missing?

Each check says ``ok``, ``warn`` (an optional part is missing, or something will need
doing) or ``fail`` (a command will not work), with what to do. The checks only read: the
MLflow store is not created when it does not exist yet, and nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from clusters.config import Settings, redact

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    """The outcome of one check."""

    name: str
    status: Status
    detail: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _guarded(name: str, check: Callable[[], Check]) -> Check:
    """Run ``check``; an unexpected error is a failed check, not a crashed doctor."""
    try:
        result = check()
    except Exception as exc:  # noqa: BLE001  (the doctor reports every failure)
        result = Check(name, "fail", f"{type(exc).__name__}: {exc}")
    return Check(result.name, result.status, " ".join(result.detail.split()))  # one line


def check_runtime() -> Check:
    """Python, torch and whether a GPU is visible."""
    import torch

    device = "CUDA GPU available" if torch.cuda.is_available() else "CPU only"
    version = ".".join(map(str, sys.version_info[:3]))
    return Check("runtime", "ok", f"Python {version}, torch {torch.__version__}, {device}")


def check_bundled_data(settings: Settings) -> Check:
    """The data files the product ships with (taxonomy, demo base, SIC and geography)."""
    paths = settings.paths
    needed = {
        "taxonomy": paths.taxonomy,
        "demo companies": paths.demo_companies,
        "demo labels": paths.demo_labels,
        "SIC reference": paths.sic_dir,
        "geography": paths.geo_dir,
    }
    missing = [f"{name} ({path})" for name, path in needed.items() if not Path(path).exists()]
    if missing:
        return Check(
            "bundled data",
            "fail",
            f"missing: {'; '.join(missing)} (check paths.* settings or CLUSTERS_HOME)",
        )
    return Check("bundled data", "ok", f"under {paths.home}")


def check_taxonomy(settings: Settings) -> Check:
    """The configured taxonomy loads and is structurally valid."""
    from clusters.taxonomy import TaxonomyError, load_taxonomy

    try:
        taxonomy = load_taxonomy(settings.paths.taxonomy)
    except TaxonomyError as exc:
        return Check("taxonomy", "fail", str(exc))
    return Check(
        "taxonomy",
        "ok",
        f"{taxonomy.name} v{taxonomy.version}, {len(taxonomy.clusters)} clusters, "
        f"hash {taxonomy.content_hash}",
    )


def check_embedder(settings: Settings) -> Check:
    """The configured embedder loads offline and encodes a text."""
    from classifier.embedders import get_embedder
    from classifier.embedders.base import EmbedderNotAvailableError

    name = f"embedder {settings.embedder}"
    started = time.perf_counter()
    try:
        embedder = get_embedder(settings.embedder)
        vector = embedder.encode(["Satellite components for small launchers."])
    except (EmbedderNotAvailableError, ValueError) as exc:
        return Check(name, "fail", str(exc))
    seconds = time.perf_counter() - started
    return Check(
        name,
        "ok",
        f"{embedder.id}, {vector.shape[1]}-d, loaded offline and encoded in {seconds:.1f}s",
    )


def check_other_embedders(settings: Settings) -> Check:
    """Whether the optional embedders' files are built (``make models``)."""
    from classifier.embedders.registry import EMBEDDERS

    missing = [
        n
        for n, spec in EMBEDDERS.items()
        if n != settings.embedder and not spec.default_dir().exists()
    ]
    if missing:
        return Check(
            "other embedders",
            "warn",
            f"not built: {', '.join(missing)} (optional; `make models` builds them offline)",
        )
    return Check("other embedders", "ok", "all built")


def _writable(path: Path) -> bool:
    """Whether ``path`` can be created or written (checks its nearest existing parent)."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return os.access(path, os.W_OK)


def check_writable(settings: Settings) -> Check:
    """The output and cache directories can be written."""
    paths = {"output_dir": settings.paths.output_dir, "cache_dir": settings.paths.cache_dir}
    blocked = [f"{name} {path}" for name, path in paths.items() if not _writable(path)]
    if blocked:
        return Check("writable folders", "fail", f"cannot write: {'; '.join(blocked)}")
    return Check("writable folders", "ok", ", ".join(str(p) for p in paths.values()))


def check_model_store(settings: Settings) -> Check:
    """The MLflow store, the champion model and whether it matches the taxonomy."""
    uri = settings.mlflow_uri
    shown = redact(uri)
    db = settings.mlflow_sqlite_path
    if db is not None and not db.exists():
        return Check(
            "model store",
            "warn",
            f"no store yet at {shown}: `clusters run` or `clusters train` creates it",
        )
    from mlflow.tracking import MlflowClient

    from clusters.taxonomy import load_taxonomy
    from training.registry import current_champion

    client = MlflowClient(uri)
    name = settings.model_name
    version = current_champion(client, name)
    if version is None:
        return Check(
            "model store",
            "warn",
            f"{shown}: no champion for {name!r} yet; `clusters train` registers one",
        )
    tags = client.get_run(version.run_id).data.tags if version.run_id else {}
    trained_on = tags.get("taxonomy_hash")
    configured = load_taxonomy(settings.paths.taxonomy).content_hash
    detail = f"{shown}: {name} v{version.version} is the champion"
    if trained_on and trained_on != configured:
        return Check(
            "model store",
            "warn",
            f"{detail}, trained on taxonomy hash {trained_on} but the configured taxonomy is "
            f"{configured}: retrain before classifying (`clusters taxonomy diff` shows the "
            "change)",
        )
    return Check("model store", "ok", f"{detail}, trained on the configured taxonomy")


def check_spark() -> Check:
    """The optional Spark engine: pyspark installed and a Java to run it."""
    from clusters.batch.spark_session import java_problem

    if importlib.util.find_spec("pyspark") is None:
        return Check(
            "spark engine",
            "warn",
            "pyspark not installed (optional, for --engine spark: pip install '.[spark]')",
        )
    problem = java_problem()
    if problem:
        return Check("spark engine", "warn", f"optional: {problem}")
    return Check("spark engine", "ok", "pyspark and Java found")


def check_pdf() -> Check:
    """The PDF output of ``clusters report``: WeasyPrint and the Pango libraries it loads."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: a system library (Pango) is missing
        return Check(
            "pdf reports", "warn", f"`clusters report` will write HTML only: weasyprint: {exc}"
        )
    return Check("pdf reports", "ok", f"weasyprint {weasyprint.__version__}")


def check_review_database(settings: Settings) -> Check:
    """The review store: SQLite by default, PostgreSQL when a URL is configured."""
    url = settings.review.database_url
    if not url or not url.startswith(("postgresql", "postgres")):
        return Check("review store", "ok", "SQLite (default)" if not url else redact(url))
    if importlib.util.find_spec("psycopg") is None:
        return Check(
            "review store",
            "fail",
            f"{redact(url)} needs psycopg: pip install '.[postgres]'",
        )
    return Check("review store", "ok", f"{redact(url)} (psycopg installed; not connected)")


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in the order a new user meets the parts."""
    checks: list[tuple[str, Callable[[], Check]]] = [
        ("runtime", check_runtime),
        ("bundled data", lambda: check_bundled_data(settings)),
        ("taxonomy", lambda: check_taxonomy(settings)),
        (f"embedder {settings.embedder}", lambda: check_embedder(settings)),
        ("other embedders", lambda: check_other_embedders(settings)),
        ("writable folders", lambda: check_writable(settings)),
        ("model store", lambda: check_model_store(settings)),
        ("spark engine", check_spark),
        ("pdf reports", check_pdf),
        ("review store", lambda: check_review_database(settings)),
    ]
    return [_guarded(name, check) for name, check in checks]
