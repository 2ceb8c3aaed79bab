"""The job's identity and progress journal (``_state/progress.json``).

The identity is everything that decides the output: the input fingerprint, the chunk size,
the input mode, the resolved model version (and URI when the model is not registered), the
embedder id and the taxonomy hash. A job resumes only when all of these are unchanged;
otherwise it refuses with the list of differences (``--force`` starts it afresh).

The journal records each committed chunk with its row counts, cache counts, per-cluster
counts and a digest of its input ids. It is rewritten atomically after every chunk commit,
so after a kill it names exactly the chunks whose files are complete.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from clusters.batch.commit import BatchStateError, atomic_write_json
from clusters.batch.layout import JobLayout

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
"""Bumped when the layout or the meaning of the journal changes (old jobs must --force)."""


def now() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class JobIdentity:
    """What must not change between a job's attempts."""

    input_fingerprint: str
    chunk_rows: int
    mode: str
    model_version: str
    model_uri: str
    embedder_id: str | None = None
    taxonomy_hash: str | None = None
    format_version: int = FORMAT_VERSION

    def differences(self, other: JobIdentity) -> list[str]:
        """Human-readable differences from ``other`` (``None`` fields are not compared)."""
        names = [
            "format_version",
            "input_fingerprint",
            "chunk_rows",
            "mode",
            "model_version",
            "embedder_id",
            "taxonomy_hash",
        ]
        if "unregistered" in (self.model_version, other.model_version):
            names.append("model_uri")
        out = []
        for name in names:
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine is not None and theirs is not None and mine != theirs:
                out.append(f"{name} {theirs} -> {mine}")
        return out


@dataclass
class ChunkRecord:
    """One committed chunk."""

    index: int
    rows_read: int
    rows_written: int
    rows_rejected: int
    needs_review: int
    assigned: int
    clusters: dict[str, int]
    cache: dict[str, int]
    """requested, unique, hits, computed, prediction_hits (see
    :class:`classifier.cache.CacheStats`)."""
    reject_reasons: dict[str, int]
    seconds: float
    ids_digest: str
    committed_at: str = field(default_factory=now)


@dataclass
class JobState:
    """The journal of one job."""

    identity: JobIdentity
    input: dict[str, Any]
    started_at: str = field(default_factory=now)
    attempts: int = 0
    chunks: dict[int, ChunkRecord] = field(default_factory=dict)
    n_chunks: int | None = None
    finished: bool = False
    finished_at: str | None = None
    mlflow_run_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["chunks"] = [asdict(c) for _, c in sorted(self.chunks.items())]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobState:
        chunks = {int(c["index"]): ChunkRecord(**c) for c in data.pop("chunks", [])}
        identity = JobIdentity(**data.pop("identity"))
        return cls(identity=identity, chunks=chunks, **data)


def load_state(layout: JobLayout) -> JobState | None:
    """The job's journal, or ``None`` when there is none.

    Raises:
        BatchStateError: the journal cannot be read (a job from another version).
    """
    if not layout.progress.is_file():
        return None
    try:
        return JobState.from_json(json.loads(layout.progress.read_text(encoding="utf-8")))
    except (ValueError, TypeError, KeyError) as exc:
        raise BatchStateError(
            f"{layout.progress} cannot be read ({exc}); restart the job with --force"
        ) from exc


def save_state(layout: JobLayout, state: JobState) -> None:
    """Commit the journal atomically."""
    atomic_write_json(layout.progress, state.to_json())
