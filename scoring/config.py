"""Settings of the scoring stage: geography, years, weights and sensitivity analysis.

Defaults live in ``scoring/weights.yaml`` (loaded by :func:`load_scoring_config`); a user
file passed with ``--weights`` overrides any of its keys. GVA-to-turnover ratios live in
``scoring/gva_ratios.yaml`` (placeholders: replace them, or point ``gva_ratios_file`` at your
own table, or override single sections under ``gva_ratios``).

Example:
    >>> cfg = load_scoring_config()
    >>> cfg.area.name, cfg.min_businesses
    ('Midlands', 3)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from scoring.catalogue import METRIC_NAMES, Pillar, by_name

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent
DEFAULT_WEIGHTS = HERE / "weights.yaml"
DEFAULT_GVA_RATIOS = HERE / "gva_ratios.yaml"


class ScoringConfigError(ValueError):
    """A scoring settings file is malformed."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Area(_Section):
    """The focus area (the sum of some regions), e.g. the Midlands."""

    name: str = "Midlands"
    regions: list[str] = Field(default_factory=lambda: ["E12000004", "E12000005"])


class Sensitivity(_Section):
    """Monte Carlo sensitivity analysis of the ranking."""

    draws: int = Field(300, ge=1)
    seed: int = 42
    weight_jitter: float = Field(0.5, ge=0.0, lt=1.0)
    normalisations: list[str] = Field(default_factory=lambda: ["minmax", "zscore", "rank"])
    winsorise: list[bool] = Field(default_factory=lambda: [True, False])
    log_transform: list[bool] = Field(default_factory=lambda: [True, False])
    robust_width_share: float = Field(0.1, gt=0.0, le=1.0)


class ReportSettings(_Section):
    """How ``clusters report`` (and the main job's report) is built."""

    pdf: bool = True
    """Also write ``report.pdf`` (WeasyPrint; about 10 s on the demo)."""
    dpi: int = Field(110, ge=30, le=400)
    cluster_maps: bool = True
    """An LQ map on every cluster page (False: only the detailed clusters get maps)."""


class ScoringConfig(_Section):
    """All scoring settings."""

    benchmark_name: str = "Benchmark (whole input base)"
    area: Area = Field(default_factory=Area)
    base_year: int = 2013
    latest_year: int | None = None
    evidence_window_years: int = Field(5, ge=1)
    growth_window_years: int = Field(3, ge=1)
    young_firm_years: int = Field(5, ge=1)
    min_businesses: int = Field(3, ge=0)
    score_level: str = Field("lad", pattern="^(lad|region)$")
    pillars: dict[str, float] = Field(default_factory=lambda: {p.value: 1.0 for p in Pillar})
    metrics: dict[str, dict[str, float]] = Field(default_factory=dict)
    sensitivity: Sensitivity = Field(default_factory=Sensitivity)
    gva_ratios_file: str | None = None
    """YAML of GVA-to-turnover ratios (default ``scoring/gva_ratios.yaml``)."""
    gva_ratios: dict[str, float] = Field(default_factory=dict)
    """Ratio by SIC section: the file's ``sections``, overridden key by key by this mapping."""
    gva_default_ratio: float = Field(0.35, gt=0.0, le=1.0)
    gva_provenance: str = ""
    """Where the ratios come from (the file's ``provenance``), shown in the report."""
    report: ReportSettings = Field(default_factory=ReportSettings)

    @model_validator(mode="after")
    def _check_weights(self) -> ScoringConfig:
        pillars = {p.value for p in Pillar}
        problems = [f"unknown pillar {p!r}" for p in self.pillars if p not in pillars]
        for pillar, weights in self.metrics.items():
            if pillar not in pillars:
                problems.append(f"unknown pillar {pillar!r} in metrics")
                continue
            for name in weights:
                if name not in METRIC_NAMES:
                    problems.append(f"unknown metric {name!r} in pillar {pillar!r}")
                elif by_name(name).pillar.value != pillar:
                    problems.append(
                        f"metric {name!r} belongs to pillar {by_name(name).pillar.value!r}, "
                        f"not {pillar!r}"
                    )
        bad_ratios = [k for k, v in self.gva_ratios.items() if not 0 < v <= 1]
        if bad_ratios:
            problems.append(f"GVA ratios must be in (0, 1]: {', '.join(sorted(bad_ratios))}")
        if any(w < 0 for w in self.pillars.values()) or any(
            w < 0 for ws in self.metrics.values() for w in ws.values()
        ):
            problems.append("weights must not be negative")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def metric_weights(self) -> dict[str, dict[str, float]]:
        """Scored metrics by pillar (pillars with weight 0 or no metrics are left out)."""
        return {
            p: dict(ws)
            for p, ws in self.metrics.items()
            if ws and self.pillars.get(p, 0.0) > 0 and sum(ws.values()) > 0
        }


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ScoringConfigError(f"{path}: cannot read scoring settings: {exc}") from exc
    if not isinstance(data, dict):
        raise ScoringConfigError(f"{path}: scoring settings must be a mapping")
    return data


def _gva_settings(data: dict[str, Any]) -> dict[str, Any]:
    """GVA ratios: the ratios file (``gva_ratios_file`` or the default), then ``gva_ratios``
    keys of the settings on top."""
    path = Path(data.get("gva_ratios_file") or DEFAULT_GVA_RATIOS)
    if not path.is_absolute() and not path.exists():
        path = PROJECT_ROOT / path
    gva = _read_yaml(path)
    own = data.get("gva_ratios") or {}
    provenance = data.get("gva_provenance") or " ".join(
        str(gva.get("provenance", f"Ratios from {path}.")).split()
    )
    if own and not data.get("gva_provenance"):
        provenance += f" Overridden in the scoring settings: {', '.join(sorted(own))}."
    return {
        "gva_ratios": {**gva.get("sections", {}), **own},
        "gva_default_ratio": data.get("gva_default_ratio", gva.get("default", 0.35)),
        "gva_provenance": provenance,
    }


def load_scoring_config(path: Path | None = None, **overrides: Any) -> ScoringConfig:
    """Scoring settings: the bundled defaults, then ``path``'s keys, then ``overrides``.

    Raises:
        ScoringConfigError: a file is unreadable or a value is invalid.
    """
    data = _read_yaml(DEFAULT_WEIGHTS)
    if path is not None:
        user = _read_yaml(Path(path))
        if "metrics" in user:  # a user's metric table replaces the default one whole
            data["metrics"] = {}
        data.update(user)
    data.update(overrides)
    data.update(_gva_settings(data))
    try:
        return ScoringConfig.model_validate(data)
    except ValidationError as exc:
        raise ScoringConfigError(f"{path or DEFAULT_WEIGHTS}: {exc}") from exc
