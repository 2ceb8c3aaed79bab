"""The job manifest (``manifest.json``): what ran, on what, and with what result.

Built from the progress journal, so a job finished over several attempts (killed and
resumed) reports totals over all of them. Sections: ``input`` (path, mode, parts, bytes,
fingerprint), ``model`` (URI, resolved version, embedder id, taxonomy hash), ``chunking``,
``rows`` (read, written, rejected by kind), ``timing`` (start and end, attempts, rows/s),
``cache`` (lookups, hits, hit rate, texts embedded, probabilities reused, rows recalled
without text preparation, entries, bytes), ``review`` (share needing review), ``clusters``
(companies per cluster), ``outputs`` and ``memory``.
"""

from __future__ import annotations

import json
import resource
from collections import Counter
from pathlib import Path
from typing import Any

from clusters.batch.layout import JobLayout
from clusters.batch.state import FORMAT_VERSION, JobState, now


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident memory of this process so far (``RUSAGE_CHILDREN``: of its largest
    finished child process), in MB (Linux reports kilobytes)."""
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def memory_facts(workers: int) -> dict[str, Any]:
    """The manifest's ``memory``: the job process's peak RSS and, with worker processes, the
    largest worker's (pages shared with the job process count in both)."""
    facts: dict[str, Any] = {"peak_rss_mb": peak_rss_mb(), "workers": workers}
    if workers > 1:
        facts["worker_peak_rss_mb"] = peak_rss_mb(resource.RUSAGE_CHILDREN)
    return facts


def totals(state: JobState) -> dict[str, Any]:
    """Sums over the committed chunks of a job."""
    rows = Counter()
    cache = Counter()
    clusters: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    seconds = 0.0
    for record in state.chunks.values():
        rows.update(
            read=record.rows_read,
            written=record.rows_written,
            rejected=record.rows_rejected,
            needs_review=record.needs_review,
            assigned=record.assigned,
        )
        cache.update(record.cache)
        clusters.update(record.clusters)
        kinds.update(record.reject_reasons)
        seconds += record.seconds
    return {
        "rows": dict(rows),
        "cache": dict(cache),
        "clusters": dict(clusters),
        "reject_kinds": dict(kinds),
        "seconds": seconds,
    }


def build_manifest(
    state: JobState,
    layout: JobLayout,
    *,
    model: dict[str, Any],
    cluster_ids: list[str],
    cache: dict[str, Any],
    outputs: dict[str, str],
    attempt_seconds: float,
    status: str = "finished",
    workers: int = 1,
) -> dict[str, Any]:
    """The manifest of a job from its journal and what the final attempt knows."""
    sums = totals(state)
    rows = sums["rows"]
    read, written = rows.get("read", 0), rows.get("written", 0)
    lookups = sums["cache"].get("unique", 0)
    hits = sums["cache"].get("hits", 0)
    seconds = sums["seconds"]
    return {
        "format_version": FORMAT_VERSION,
        "status": status,
        "job": str(layout.root),
        "input": state.input,
        "model": model,
        "chunking": {
            "chunk_rows": state.identity.chunk_rows,
            "chunks": state.n_chunks,
            "chunks_done": sorted(state.chunks),
        },
        "rows": {
            "read": read,
            "written": written,
            "rejected": rows.get("rejected", 0),
            "rejected_by_kind": sums["reject_kinds"],
        },
        "timing": {
            "started_at": state.started_at,
            "finished_at": now(),
            "attempts": state.attempts,
            "processing_seconds": round(seconds, 3),
            "rows_per_second": round(read / seconds, 1) if seconds > 0 else None,
            "last_attempt_seconds": round(attempt_seconds, 3),
        },
        "cache": {
            **cache,
            "requested": sums["cache"].get("requested", 0),
            "lookups": lookups,
            "hits": hits,
            "texts_embedded": sums["cache"].get("computed", 0),
            "hit_rate": round(hits / lookups, 4) if lookups else 0.0,
            "prediction_hits": sums["cache"].get("prediction_hits", 0),
            "rows_recalled": sums["cache"].get("recalled", 0),
        },
        "review": {
            "needs_review": rows.get("needs_review", 0),
            "share": round(rows.get("needs_review", 0) / written, 4) if written else 0.0,
        },
        "clusters": {
            "assigned": rows.get("assigned", 0),
            "assigned_share": round(rows.get("assigned", 0) / written, 4) if written else 0.0,
            "counts": {cid: sums["clusters"].get(cid, 0) for cid in cluster_ids},
        },
        "outputs": outputs,
        "memory": memory_facts(workers),
        "mlflow_run_id": state.mlflow_run_id,
    }


def read_manifest(path: Path) -> dict[str, Any]:
    """A manifest written by a finished job."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
