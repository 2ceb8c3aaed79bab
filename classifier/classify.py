"""``clusters classify``: load a registered model and write predictions for a company table.

Input: CSV or Parquet with ``company_id`` and ``text``, or a company base (text is then
prepared from name, filing description, website text and SIC titles). Output: CSV or Parquet
(by suffix) following the PREDICTIONS contract, one row per input company, in input order.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd
import pyarrow.parquet as pq
from mlflow.tracking import MlflowClient

from classifier.cache import EmbeddingCache
from classifier.model import ClusterModel
from classifier.pyfunc import unwrap
from clusters.config import Settings, get_settings
from clusters.contracts import PREDICTIONS, ContractError, to_arrow

logger = logging.getLogger(__name__)


@dataclass
class ClassifyReport:
    """Counts and locations of one classification run."""

    rows: int
    assigned: int
    needs_review: int
    model_version: str
    output: Path
    seconds: float


def resolve_model(model_uri: str | None, settings: Settings | None = None) -> ClusterModel:
    """Load ``model_uri`` (default ``models:/<model_name>@champion``) as a ClusterModel whose
    ``meta.model_version`` names the registered version (``name/vN``)."""
    settings = settings or get_settings()
    mlflow.set_tracking_uri(settings.mlflow_uri)
    model_uri = model_uri or f"models:/{settings.model_name}@champion"
    try:
        model = unwrap(mlflow.pyfunc.load_model(model_uri))
    except mlflow.exceptions.MlflowException as exc:
        raise ContractError(
            f"cannot load model {model_uri} from {settings.mlflow_uri}: {exc.message}. "
            "Train one first with `clusters train`."
        ) from exc
    if model_uri.startswith("models:/"):
        model.meta.model_version = _registered_version(model_uri)
    return model


def _registered_version(model_uri: str) -> str:
    ref = model_uri[len("models:/") :]
    client = MlflowClient()
    if "@" in ref:
        name, alias = ref.split("@", 1)
        return f"{name}/v{client.get_model_version_by_alias(name, alias).version}"
    return ref.replace("/", "/v", 1) if "/" in ref else ref


def read_input(path: Path) -> pd.DataFrame:
    """Input table for classification (CSV or Parquet)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.suffix.lower() in {".parquet", ".pq"}:
        frame = pd.read_parquet(path)
        if "text" not in frame.columns and "sic_codes" in frame.columns:
            frame["sic_codes"] = frame["sic_codes"].map(lambda v: list(v) if v is not None else [])
        return frame
    from clusters.company_base import load_company_base

    header = pd.read_csv(path, nrows=0, dtype=str).columns.str.strip()
    if "text" in header:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    return load_company_base(path)


def write_predictions(frame: pd.DataFrame, path: Path) -> Path:
    """Validate against the PREDICTIONS contract and write atomically (CSV or Parquet)."""
    valid, rejects = PREDICTIONS.validate(frame, source=str(path))
    if len(rejects):
        raise ContractError(
            f"{len(rejects)} predictions break the contract: {rejects.iloc[0]['reason']}"
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix.lower() in {".parquet", ".pq"}:
        pq.write_table(to_arrow(valid, PREDICTIONS), tmp)
    else:
        valid.to_csv(tmp, index=False)
    os.replace(tmp, path)
    return path


def classify_file(
    input_path: Path,
    output_path: Path,
    model_uri: str | None = None,
    settings: Settings | None = None,
) -> ClassifyReport:
    """Classify every company of ``input_path`` into ``output_path``."""
    settings = settings or get_settings()
    started = time.time()
    frame = read_input(input_path)
    model = resolve_model(model_uri, settings)
    cache = EmbeddingCache(settings.paths.cache_dir / "embeddings.sqlite")
    try:
        predictions = model.predict_frame(frame.reset_index(drop=True), cache=cache)
    finally:
        cache.close()
    write_predictions(predictions, output_path)
    return ClassifyReport(
        rows=len(predictions),
        assigned=int((predictions["labels"] != "").sum()),
        needs_review=int(predictions["needs_review"].sum()),
        model_version=model.meta.model_version,
        output=Path(output_path),
        seconds=time.time() - started,
    )
