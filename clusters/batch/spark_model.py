"""How the model reaches the Spark executors, and is loaded there once per process.

On the driver, :func:`download_model` fetches the logged pyfunc from MLflow (any model URI:
``models:/NAME@champion``, ``runs:/...``, a path) and loads the :class:`ClusterModel`
bundle inside it (estimator, taxonomy and the embedding model's files). :func:`ship_model`
packs that bundle folder into one zip named by its content hash and registers it with Spark
(``SparkContext.addFile``; over Spark Connect ``SparkSession.addArtifacts(file=True)``),
so Spark copies it once to every executor. On an executor,
:meth:`ShippedModel.load` unpacks the zip once (into the SparkFiles folder, atomically, so
concurrent workers do not collide) and loads the model once per Python worker process;
Python workers are reused across tasks (``spark.python.worker.reuse``), so a worker loads
the model once for all the batches it classifies.

So executors need neither the MLflow tracking server nor the artifact store: only this
package (its wheel) and its dependencies in their Python. This is what
``mlflow.pyfunc.spark_udf`` does too (it ships the downloaded model with ``addFile``), but
we ship only the bundle, and the same way in local mode, on a cluster and over Spark Connect.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifier.model import ClusterModel
from clusters.batch.spark_session import is_connect
from clusters.config import Settings, redact
from clusters.contracts import ContractError

logger = logging.getLogger(__name__)

ARCHIVE_PREFIX = "clusters-model-"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

_SHIPPED: set[tuple[str, str]] = set()
"""(session, archive name) pairs registered with Spark by this driver process."""
_ARCHIVE_DIR: Path | None = None
_LOADED: dict[tuple[str, str], ClusterModel] = {}
"""Models loaded by this (executor) process, by (archive name, model version)."""


def download_model(model_uri: str, settings: Settings, folder: Path) -> tuple[ClusterModel, Path]:
    """Download the pyfunc at ``model_uri`` into ``folder`` and load its bundle.

    Returns the model (``meta.model_version`` set to the registered version, as
    :func:`classifier.classify.resolve_model` does) and the bundle folder.

    Raises:
        ContractError: the model cannot be found or is not a ClusterModel pyfunc.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    from classifier.classify import registered_version

    mlflow.set_tracking_uri(settings.mlflow_uri)
    try:
        local = Path(
            mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=str(folder))
        )
    except (MlflowException, OSError) as exc:
        raise ContractError(
            f"cannot load model {model_uri} from {redact(settings.mlflow_uri)}: {exc}. "
            "Train one first with `clusters train`."
        ) from exc
    bundle = _bundle_folder(local)
    model = ClusterModel.load(bundle)
    model.meta.model_version = registered_version(model_uri, settings)
    return model, bundle


def _bundle_folder(model_dir: Path) -> Path:
    """The ClusterModel bundle inside a downloaded pyfunc folder."""
    from mlflow.models import Model

    from classifier.pyfunc import BUNDLE_ARTIFACT

    try:
        flavor = Model.load(str(model_dir)).flavors["python_function"]
        bundle = model_dir / flavor["artifacts"][BUNDLE_ARTIFACT]["path"]
    except Exception as exc:  # not a pyfunc, or not ours
        raise ContractError(f"{model_dir} is not a company-clusters pyfunc model: {exc}") from exc
    if not (bundle / "meta.json").is_file():
        raise ContractError(f"{model_dir} holds no model bundle (no {bundle}/meta.json)")
    return bundle


def pack_bundle(bundle: Path, folder: Path) -> Path:
    """The bundle as a zip in ``folder``, byte-identical for identical bundles (sorted
    entries, fixed times, stored uncompressed) and named by its sha256."""
    files = sorted(p for p in bundle.rglob("*") if p.is_file())
    staging = folder / f".{ARCHIVE_PREFIX}{os.getpid()}.zip"
    with zipfile.ZipFile(staging, "w", compression=zipfile.ZIP_STORED) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(bundle).as_posix(), date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            with path.open("rb") as handle:
                archive.writestr(info, handle.read())
    digest = hashlib.sha256()
    with staging.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    target = folder / f"{ARCHIVE_PREFIX}{digest.hexdigest()[:20]}.zip"
    os.replace(staging, target)
    return target


def _archive_dir() -> Path:
    """A folder for archives that lives as long as this process (Spark serves added files
    from where they are, for executors that start later)."""
    global _ARCHIVE_DIR
    if _ARCHIVE_DIR is None:
        _ARCHIVE_DIR = Path(tempfile.mkdtemp(prefix="clusters-spark-"))
        atexit.register(shutil.rmtree, _ARCHIVE_DIR, True)
    return _ARCHIVE_DIR


def _session_key(spark: Any) -> str:
    if is_connect(spark):
        return f"connect:{spark.session_id}"
    return f"classic:{spark.sparkContext.applicationId}"


@dataclass(frozen=True)
class ShippedModel:
    """A model bundle registered with Spark: what an executor needs to load it."""

    archive: str
    """The zip's file name, as ``SparkFiles.get`` knows it."""
    model_version: str

    def load(self) -> ClusterModel:
        """The model, loaded once per process (call on an executor)."""
        key = (self.archive, self.model_version)
        model = _LOADED.get(key)
        if model is None:
            from pyspark import SparkFiles

            model = ClusterModel.load(unpack(Path(SparkFiles.get(self.archive))))
            model.meta.model_version = self.model_version
            _LOADED[key] = model
        return model


def ship_model(spark: Any, bundle: Path, model_version: str) -> ShippedModel:
    """Register ``bundle`` with ``spark`` so every executor gets a copy."""
    archive = pack_bundle(bundle, _archive_dir())
    key = (_session_key(spark), archive.name)
    if key not in _SHIPPED:
        if is_connect(spark):
            spark.addArtifacts(str(archive), file=True)
        else:
            spark.sparkContext.addFile(str(archive))
        _SHIPPED.add(key)
        logger.info("model bundle shipped to the executors as %s", archive.name)
    return ShippedModel(archive.name, model_version)


def unpack(archive: Path) -> Path:
    """Unpack a shipped bundle beside the zip, once (safe when workers race)."""
    target = archive.with_suffix("")
    if (target / "meta.json").is_file():
        return target
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=archive.parent))
    try:
        with zipfile.ZipFile(archive) as handle:
            handle.extractall(staging)
        try:
            os.rename(staging, target)
        except OSError:  # another worker got there first
            if not (target / "meta.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


__all__ = ["ShippedModel", "download_model", "pack_bundle", "ship_model", "unpack"]
