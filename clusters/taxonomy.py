"""The versioned cluster taxonomy: loading, validation and a content hash.

A taxonomy is a YAML file::

    name: Midlands clusters
    version: "2026.1"
    clusters:
      - id: medtech
        name: Medical Technologies
        description: Companies that design or make medical devices ...
        parent: health-life-sciences     # optional: a super-cluster
        tier: established                # super | established | new-economy
        keywords: ["medical device", "diagnostic"]
        sic_codes: ["32500"]             # weak evidence only, never the answer
        target_precision: 0.8            # optional: threshold tuned to reach this precision

Validation checks unique ids, that parents exist and that parent links have no cycles, and
reports every problem at once with the cluster it concerns. :attr:`Taxonomy.content_hash`
identifies a taxonomy version by its content (not its formatting).
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from clusters.contracts import CLUSTER_ID_RE, SIC_CODE_RE


class TaxonomyError(ValueError):
    """A taxonomy file is unreadable or invalid."""


class Tier(StrEnum):
    SUPER = "super"
    ESTABLISHED = "established"
    NEW_ECONOMY = "new-economy"


class Cluster(BaseModel):
    """One cluster of the taxonomy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    parent: str | None = None
    tier: Tier
    keywords: tuple[str, ...] = ()
    sic_codes: tuple[str, ...] = ()
    target_precision: float | None = Field(None, gt=0.0, le=1.0)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not CLUSTER_ID_RE.match(value):
            raise ValueError(f"id {value!r} must be a lower-case slug (letters, digits, - or _)")
        return value

    @field_validator("sic_codes", mode="before")
    @classmethod
    def _sic(cls, value: object) -> object:
        codes = [str(v).strip() for v in (value or [])]
        bad = [c for c in codes if not SIC_CODE_RE.match(c)]
        if bad:
            raise ValueError(f"sic_codes must be 5-digit SIC 2007 codes, got {bad}")
        return tuple(codes)

    @field_validator("keywords", mode="before")
    @classmethod
    def _keywords(cls, value: object) -> object:
        words = [str(v).strip() for v in (value or [])]
        if any(not w for w in words):
            raise ValueError("keywords must not be empty strings")
        return tuple(words)


class Taxonomy(BaseModel):
    """A named, versioned set of clusters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    description: str = ""
    clusters: tuple[Cluster, ...] = Field(min_length=1)

    @property
    def ids(self) -> list[str]:
        """Cluster ids in file order (the column order of every probability table)."""
        return [c.id for c in self.clusters]

    def __getitem__(self, cluster_id: str) -> Cluster:
        for cluster in self.clusters:
            if cluster.id == cluster_id:
                return cluster
        raise KeyError(f"cluster {cluster_id!r} is not in taxonomy {self.name!r}")

    def __contains__(self, cluster_id: object) -> bool:
        return cluster_id in self.ids

    def children(self, cluster_id: str) -> list[Cluster]:
        return [c for c in self.clusters if c.parent == cluster_id]

    def by_tier(self) -> dict[Tier, list[Cluster]]:
        return {tier: [c for c in self.clusters if c.tier == tier] for tier in Tier}

    @property
    def content_hash(self) -> str:
        """SHA-256 (first 16 hex digits) of the canonical JSON of the content."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    def unknown_ids(self, ids: set[str]) -> set[str]:
        """The members of ``ids`` that are not clusters of this taxonomy."""
        return set(ids) - set(self.ids)


def validate_structure(taxonomy: Taxonomy) -> list[str]:
    """Every structural problem: duplicate ids, missing parents, parent cycles."""
    problems: list[str] = []
    seen: set[str] = set()
    for cluster in taxonomy.clusters:
        if cluster.id in seen:
            problems.append(f"cluster id {cluster.id!r} appears more than once")
        seen.add(cluster.id)
    parents = {c.id: c.parent for c in taxonomy.clusters}
    for cluster in taxonomy.clusters:
        if cluster.parent is not None and cluster.parent not in parents:
            problems.append(f"cluster {cluster.id!r}: parent {cluster.parent!r} does not exist")
    reported: set[str] = set()
    for start in parents:
        path, node = [], start
        while node is not None and node in parents and node not in path:
            path.append(node)
            node = parents[node]
        if node is not None and node in path:
            cycle = path[path.index(node) :]
            if not reported.intersection(cycle):
                problems.append("parent cycle: " + " -> ".join([*cycle, node]))
                reported.update(cycle)
    return problems


def parse_taxonomy(data: object, source: str = "<taxonomy>") -> Taxonomy:
    """Build and validate a taxonomy from parsed YAML.

    Raises:
        TaxonomyError: listing every problem, each with the cluster it concerns.
    """
    if not isinstance(data, dict):
        raise TaxonomyError(f"{source}: a taxonomy must be a mapping with name, version, clusters")
    try:
        taxonomy = Taxonomy.model_validate(data)
    except ValidationError as exc:
        raise TaxonomyError(f"{source}: invalid taxonomy:\n" + _describe(exc, data)) from exc
    problems = validate_structure(taxonomy)
    if problems:
        raise TaxonomyError(f"{source}: invalid taxonomy:\n  " + "\n  ".join(problems))
    return taxonomy


def load_taxonomy(path: Path | str) -> Taxonomy:
    """Read and validate a taxonomy YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyError(f"cannot read taxonomy {path}: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{path}: not valid YAML: {exc}") from exc
    return parse_taxonomy(data, source=str(path))


def dump_taxonomy(taxonomy: Taxonomy) -> str:
    """YAML text of a taxonomy (round-trips through :func:`parse_taxonomy`)."""
    return yaml.safe_dump(
        taxonomy.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True
    )


def _describe(exc: ValidationError, data: dict) -> str:
    clusters = data.get("clusters") if isinstance(data.get("clusters"), list) else []
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and loc[0] == "clusters" and isinstance(loc[1], int):
            item = clusters[loc[1]] if loc[1] < len(clusters) else None
            cid = item.get("id") if isinstance(item, dict) else None
            where = f"cluster #{loc[1] + 1}" + (f" ({cid!r})" if cid else "")
            if len(loc) > 2:
                where += " field " + ".".join(str(p) for p in loc[2:])
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)
