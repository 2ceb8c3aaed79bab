"""The one typed configuration object of the product.

Settings come from three layers, later ones winning:

1. the defaults below (paths relative to the project home);
2. a YAML file: ``--config FILE`` on the command line, or ``$CLUSTERS_CONFIG``;
3. environment variables: ``CLUSTERS_<SECTION>__<KEY>`` (for example
   ``CLUSTERS_THRESHOLDS__REVIEW_CONFIDENCE=0.7``), ``CLUSTERS_HOME``, and the standard
   ``MLFLOW_TRACKING_URI``.

No other module holds a hard-coded path: they all ask :func:`get_settings`.

Example:
    >>> from clusters.config import load_settings
    >>> s = load_settings(env={})
    >>> s.model_name
    'company-clusters'
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from clusters.acquire.settings import AccountsSettings, CrawlSettings
from clusters.discovery.settings import DiscoverySettings
from clusters.review.settings import ReviewSettings
from clusters.serve.settings import ServeSettings

ENV_PREFIX = "CLUSTERS_"
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A configuration file or variable is malformed."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Paths(_Section):
    """Where the product reads bundled data and writes its outputs.

    Relative paths are resolved against ``home`` (the project root by default).
    """

    home: Path = PACKAGE_ROOT
    data_dir: Path = Path("data")
    taxonomy: Path = Path("data/taxonomy/midlands.yaml")
    demo_companies: Path = Path("data/demo/companies.csv")
    demo_labels: Path = Path("data/demo/labels.csv")
    sic_dir: Path = Path("data/sic")
    geo_dir: Path = Path("data/geo")
    output_dir: Path = Path("outputs")
    cache_dir: Path = Path("cache")
    models_dir: Path = Path("models")

    @model_validator(mode="after")
    def _resolve_against_home(self) -> Paths:
        home = Path(self.home).expanduser().resolve()
        object.__setattr__(self, "home", home)
        for name in type(self).model_fields:
            value = Path(getattr(self, name)).expanduser()
            if not value.is_absolute():
                object.__setattr__(self, name, (home / value).resolve())
        return self


class Thresholds(_Section):
    """Decision thresholds used by classification and review routing."""

    review_confidence: float = Field(0.6, ge=0.0, le=1.0)
    """Assignments with confidence below this go to the analyst review queue."""
    review_margin: float = Field(0.25, ge=0.0, le=5.0)
    """A probability within this distance of a cluster's threshold, in log-odds, also goes to
    review (0.25 is about +-6% of the odds: 0.05 vs 0.04-0.06, 0.5 vs 0.44-0.56)."""
    default_threshold: float = Field(0.5, gt=0.0, lt=1.0)
    """Threshold used for a cluster whose threshold could not be tuned (too few labels)."""
    min_positives_to_tune: int = Field(5, ge=1)
    """A cluster needs at least this many positive labels to get a tuned threshold."""


class Ingest(_Section):
    """Company-base ingestion."""

    chunk_rows: int = Field(50_000, ge=100)
    """Rows read and written per chunk: bounds memory whatever the input size."""


class Training(_Section):
    """Model training and promotion."""

    cv_folds: int = Field(5, ge=2)
    primary_metric: str = "micro_f1"
    """Metric on which a challenger must beat the champion to be promoted."""
    test_size: float = Field(0.2, gt=0.0, lt=1.0)
    random_state: int = 0
    weak_label_weight: float = Field(0.3, ge=0.0, le=1.0)
    """Sample weight of rule-based (taxonomy, keyword, SIC) labels relative to trusted ones."""
    weak_label_fade_at: int = Field(50, ge=1)
    """Rule-based labels of a cluster fade to zero weight once it has this many trusted
    positives."""
    weak_pool_max: int = Field(20_000, ge=0)
    """At most this many unlabelled companies are sampled for weak labels."""
    features: str = Field("blend", pattern="^(hybrid|blend|embedding|tfidf)$")
    """``blend``: per cluster one model over the embeddings and one over TF-IDF, probabilities
    averaged; ``hybrid``: one model over embeddings + TF-IDF (README, model quality)."""
    blend_weight: float | None = Field(None, ge=0.0, le=1.0)
    """``features: blend``: the embedding model's share; unset: chosen on out-of-fold F1."""
    C: float = Field(4.0, gt=0.0)
    bootstrap_samples: int = Field(1000, ge=0)
    """Resamples of the held-out companies behind the 95% interval of each gain over a
    baseline (``training.metrics.paired_difference``); 0: no interval."""
    stack: bool = False
    """Add the second level that reads all clusters' scores (see ClusterClassifier)."""
    n_jobs: int = Field(1, ge=-1)
    fine_tune: str = Field("auto", pattern="^(auto|always|never)$")
    """Fine-tune the embedder's top layers on the trusted labels (training/fine_tune.py):
    ``auto`` when there are at least ``fine_tune_min_labels`` of them."""
    fine_tune_min_labels: int = Field(2000, ge=1)
    fine_tune_layers: int | None = Field(None, ge=1, le=6)
    """Transformer layers tuned (from the top); unset: 2 on a CPU, all 6 on a GPU."""
    fine_tune_epochs: float | None = Field(None, gt=0.0)
    """Unset: 1 on a CPU, 3 on a GPU."""
    fine_tune_max_tokens: int | None = Field(None, ge=16, le=512)
    """Window tuned on and kept by the tuned model; unset: 128 on a CPU, 256 on a GPU."""
    fine_tune_device: str = Field("auto", pattern=r"^(auto|cpu|cuda(:\d+)?)$")
    """Where to fine-tune: ``auto`` uses a CUDA GPU when torch sees one (the unset
    ``fine_tune_*`` values then follow the GPU preset: ~1 minute for 30,000 companies on one
    H200, and a higher score; README, model quality)."""


class BatchSettings(_Section):
    """The in-process batch engine (``clusters classify``, :mod:`clusters.batch.engine`)."""

    chunk_rows: int = Field(10_000, ge=1)
    """Rows per chunk and part file, the unit of commit and resume (a killed job redoes at
    most one): ~7 minutes of MiniLM work on 2 shared cores, ~5 s of the static tier. Part
    of a job's identity, so changing it restarts a job only with ``--force``."""
    cache: str = Field("auto", pattern="^(auto|always|never)$")
    """The persistent embedding cache (``paths.cache_dir``): ``auto`` keeps the vectors of
    embedders worth caching (``cache_worthwhile``: MiniLM, whose vector costs 20-40 ms on 2
    cores, not the static tier, whose vector costs ~0.3 ms while storing it costs 15-90 us,
    more as the cache grows, and 1.1 KB of disk), ``always`` of every embedder (static
    reruns then embed only changed texts: ~2x faster), ``never`` none.
    ``clusters classify --no-cache`` turns it off for one run."""
    cache_predictions: bool = True
    """Where the cache is used, also keep each text's probabilities under the model's
    identity (version, bundle digest, embedder, scoring code), so a rerun with the same
    model skips vector lookup and scoring for unchanged texts (same bytes out)."""
    workers: int = Field(0, ge=0)
    """Processes classifying chunks side by side (:mod:`clusters.batch.workers`): ``0`` =
    auto, one per usable core for the static tier (single-threaded work), 1 for MiniLM and
    ONNX (they use every core already). Predictions do not depend on it."""


class SparkSettings(_Section):
    """How the Spark engine runs (``clusters classify --engine spark``).

    Meant as the ``spark`` section of :class:`clusters.config.Settings`.
    """

    master: str = "local[2,3]"
    """Spark master for a session started here: ``local[N,F]`` (N cores, F tries per
    task), ``yarn``, ``k8s://...``, ``spark://...``. Not used when a session is running
    (a notebook's) or under ``spark-submit`` (its ``--master`` is)."""
    remote: str | None = None
    """Spark Connect URL (``sc://host:port``); when set, ``master`` is not used."""
    app_name: str = "clusters-classify"
    driver_memory: str = "2g"
    """Driver JVM memory of a session started here (in local mode it holds the executors)."""
    partitions: int | None = Field(None, ge=1)
    """Partitions the classification is spread over; ``None``: 2 per core in local mode
    (a small input file is one partition, which would use one core), the input's own
    split elsewhere."""
    arrow_batch_rows: int = Field(2_000, ge=1)
    """Rows per Arrow batch handed to the Python workers (the unit of embedding work)."""
    conf: dict[str, str] = Field(default_factory=dict)
    """Extra Spark settings for a session started here (win over the defaults)."""

    @field_validator("remote")
    @classmethod
    def _connect_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("sc://"):
            raise ValueError(f"a Spark Connect URL starts with sc://, not {value!r}")
        return value or None


class Settings(_Section):
    """All settings of the product."""

    paths: Paths = Field(default_factory=Paths)
    tracking_uri: str | None = None
    """MLflow tracking URI; ``None`` means ``sqlite:///<home>/mlflow.db``."""
    artifact_location: str | None = None
    """Where new MLflow experiments store artifacts; ``None`` means a ``mlruns`` folder beside
    a SQLite store (and the server's default for other stores)."""
    experiment: str = "company-clusters"
    model_name: str = "company-clusters"
    embedder: str = "minilm"
    thresholds: Thresholds = Field(default_factory=Thresholds)
    ingest: Ingest = Field(default_factory=Ingest)
    crawl: CrawlSettings = Field(default_factory=CrawlSettings)
    accounts: AccountsSettings = Field(default_factory=AccountsSettings)
    training: Training = Field(default_factory=Training)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    discovery: DiscoverySettings = Field(default_factory=DiscoverySettings)
    spark: SparkSettings = Field(default_factory=SparkSettings)
    batch: BatchSettings = Field(default_factory=BatchSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)

    @field_validator("embedder")
    @classmethod
    def _embedder_known(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("embedder name must not be empty")
        return value

    @property
    def mlflow_uri(self) -> str:
        """The effective MLflow tracking URI."""
        if self.tracking_uri:
            return self.tracking_uri
        return f"sqlite:///{self.paths.home / 'mlflow.db'}"

    @property
    def mlflow_sqlite_path(self) -> Path | None:
        """The SQLite file of the tracking store, or ``None`` for any other kind of store."""
        if self.mlflow_uri.startswith("sqlite:///"):
            return Path(self.mlflow_uri.removeprefix("sqlite:///"))
        return None

    @property
    def mlflow_artifact_location(self) -> str | None:
        """Artifact location for new experiments (see ``artifact_location``)."""
        if self.artifact_location:
            return self.artifact_location
        db = self.mlflow_sqlite_path
        return (db.parent / "mlruns").resolve().as_uri() if db is not None else None


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping, not {type(data).__name__}")
    return data


def _env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    """Nested overrides from ``CLUSTERS_SECTION__KEY`` variables and ``MLFLOW_TRACKING_URI``."""
    out: dict[str, Any] = {}
    for key, value in env.items():
        if not key.startswith(ENV_PREFIX) or key == "CLUSTERS_CONFIG":
            continue
        parts = key[len(ENV_PREFIX) :].lower().split("__")
        if parts == ["home"]:
            out.setdefault("paths", {})["home"] = value
            continue
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    if env.get("MLFLOW_TRACKING_URI"):
        out["tracking_uri"] = env["MLFLOW_TRACKING_URI"]
    return out


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def load_settings(
    config_file: Path | str | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from defaults, an optional YAML file and environment variables.

    Args:
        config_file: YAML file; defaults to ``$CLUSTERS_CONFIG`` when set.
        env: environment to read (``os.environ`` by default).

    Raises:
        ConfigError: the file is unreadable or a value fails validation.
    """
    env = os.environ if env is None else env
    layers: dict[str, Any] = {}
    config_file = config_file or env.get("CLUSTERS_CONFIG")
    if config_file:
        layers = _merge(layers, _read_yaml(Path(config_file)))
    layers = _merge(layers, _env_overrides(env))
    try:
        return Settings.model_validate(layers)
    except ValidationError as exc:
        source = f" (from {config_file} and environment)" if config_file else " (from environment)"
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings{source}: {problems}") from exc


_current: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings (loaded once, on first use)."""
    global _current
    if _current is None:
        _current = load_settings()
    return _current


def set_settings(settings: Settings | None) -> None:
    """Replace the process-wide settings (the CLI does this for ``--config``; tests too)."""
    global _current
    _current = settings


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings as ``{"section.key": value}`` (an empty mapping is one value).

    >>> flatten({"batch": {"workers": 2}, "spark": {"conf": {}}, "model_name": "m"})
    {'batch.workers': 2, 'spark.conf': {}, 'model_name': 'm'}
    """
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def setting_sources(
    config_file: Path | str | None = None, env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Where each setting not left at its default comes from, by dotted key.

    The value is ``file PATH`` or ``env VARIABLE``; the environment wins over the file, as
    in :func:`load_settings`.

    >>> setting_sources(env={"CLUSTERS_BATCH__WORKERS": "2", "MLFLOW_TRACKING_URI": "x"})
    {'batch.workers': 'env CLUSTERS_BATCH__WORKERS', 'tracking_uri': 'env MLFLOW_TRACKING_URI'}
    """
    env = os.environ if env is None else env
    sources: dict[str, str] = {}
    config_file = config_file or env.get("CLUSTERS_CONFIG")
    if config_file:
        for key in flatten(_read_yaml(Path(config_file))):
            sources[key] = f"file {config_file}"
    for variable in sorted(env):
        if not variable.startswith(ENV_PREFIX) or variable == "CLUSTERS_CONFIG":
            continue
        for key in flatten(_env_overrides({variable: env[variable]})):
            sources[key] = f"env {variable}"
    if env.get("MLFLOW_TRACKING_URI"):
        sources["tracking_uri"] = "env MLFLOW_TRACKING_URI"
    return sources


_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][\w+.-]*://[^/:@\s]+:)[^/@\s]+@")


def redact(value: str) -> str:
    """``value`` with any password in a URL hidden (safe to print or log).

    >>> redact("postgresql://review:s3cret@db:5432/review")
    'postgresql://review:***@db:5432/review'
    """
    return _CREDENTIALS.sub(r"\g<scheme>***@", value)


def settings_tree(settings: Settings) -> dict[str, Any]:
    """``settings`` as plain data (paths as strings, URL passwords hidden), for display."""

    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: clean(v) for k, v in node.items()}
        if isinstance(node, list):
            return [clean(v) for v in node]
        return redact(node) if isinstance(node, str) else node

    tree = clean(settings.model_dump(mode="json"))
    tree["effective_mlflow_uri"] = redact(settings.mlflow_uri)
    return tree
