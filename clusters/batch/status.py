"""Where a batch job stands, read from its directory (``clusters status``).

A job of millions of companies runs for hours, often under a scheduler whose log is
elsewhere. Its directory says everything: the journal (``_state/progress.json``) lists the
committed chunks with their rows and seconds, the lock file names the process running it,
and ``manifest.json`` exists once it finished. Reading them changes nothing.

States:

- ``running``: a process holds the job's lock (its pid is given);
- ``stopped``: chunks are missing and no process holds the lock: the job was killed or
  failed; the same ``clusters classify`` command resumes it;
- ``finished``: every chunk is committed and the outputs are written.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from clusters.batch.commit import lock_holder
from clusters.batch.layout import layout_for
from clusters.batch.manifest import totals
from clusters.batch.progress import format_eta, format_rate
from clusters.batch.state import load_state


@dataclass(frozen=True)
class JobStatus:
    """A job's state and progress (see the module docstring for ``state``)."""

    job: str
    state: str
    pid: int | None
    attempts: int
    chunk_rows: int
    chunks_done: int
    chunks_total: int | None
    rows_total: int | None
    rows_read: int
    rows_written: int
    rows_rejected: int
    needs_review: int
    rows_per_second: float | None
    eta_seconds: float | None
    model_version: str
    input_path: str | None
    started_at: str
    last_commit_at: str | None
    finished_at: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """The human-readable report, one fact per line."""
        head = {
            "running": f"running (pid {self.pid})" if self.pid and self.pid > 0 else "running",
            "stopped": "stopped before the end (stopped, killed or failed): run the same "
            "`clusters classify` command again to resume",
            "finished": f"finished {self.finished_at}",
        }[self.state]
        of_chunks = f" of {self.chunks_total}" if self.chunks_total is not None else ""
        share = (
            f" ({self.rows_read / self.rows_total:.0%})"
            if self.rows_total and self.state != "finished"
            else ""
        )
        of_rows = f" of {self.rows_total:,}" if self.rows_total is not None else ""
        speed = f"{format_rate(self.rows_per_second)} rows/s over the committed chunks"
        if self.state == "running" and self.eta_seconds is not None:
            speed += f"; about {format_eta(self.eta_seconds)} left"
        return [
            f"{self.job}: {head}",
            f"  chunks    {self.chunks_done}{of_chunks} committed "
            f"({self.chunk_rows:,} rows each), attempt {self.attempts}",
            f"  rows      {self.rows_read:,}{of_rows} read{share}; {self.rows_written:,} "
            f"written, {self.rows_rejected:,} rejected, {self.needs_review:,} need review",
            f"  speed     {speed}",
            f"  model     {self.model_version}",
            f"  input     {self.input_path or '?'}",
            f"  started   {self.started_at}; last chunk committed {self.last_commit_at or '-'}",
        ]


def job_status(output: Path) -> JobStatus:
    """The state and progress of the job written to ``output`` (read only).

    Raises:
        FileNotFoundError: ``output`` holds no batch job.
        BatchStateError: its journal cannot be read.
    """
    layout = layout_for(output)  # a single output file's job is in <file>.batch/
    state = load_state(layout)
    if state is None:
        raise FileNotFoundError(
            f"{output}: no batch job here (no _state/progress.json); "
            "give the --output of a `clusters classify` job"
        )
    pid = lock_holder(layout.lock)
    sums = totals(state)
    rows = sums["rows"]
    read = int(rows.get("read", 0))
    seconds = float(sums["seconds"])
    rate = read / seconds if seconds > 0 else None
    total_rows = state.input.get("rows")
    chunk_rows = state.identity.chunk_rows
    chunks_total = state.n_chunks
    if chunks_total is None and total_rows is not None:
        chunks_total = max(1, math.ceil(total_rows / chunk_rows))
    if state.finished:
        name = "finished"
    elif pid is not None:
        name = "running"
    else:
        name = "stopped"
    eta = None
    if name == "running" and rate and total_rows is not None:
        eta = max(0.0, (total_rows - read) / rate)
    commits = [c.committed_at for c in state.chunks.values()]
    return JobStatus(
        job=str(layout.root),
        state=name,
        pid=pid if name == "running" else None,
        attempts=state.attempts,
        chunk_rows=chunk_rows,
        chunks_done=len(state.chunks),
        chunks_total=chunks_total,
        rows_total=total_rows,
        rows_read=read,
        rows_written=int(rows.get("written", 0)),
        rows_rejected=int(rows.get("rejected", 0)),
        needs_review=int(rows.get("needs_review", 0)),
        rows_per_second=round(rate, 1) if rate else None,
        eta_seconds=round(eta, 1) if eta is not None else None,
        model_version=state.identity.model_version,
        input_path=state.input.get("path"),
        started_at=state.started_at,
        last_commit_at=max(commits, key=datetime.fromisoformat) if commits else None,
        finished_at=state.finished_at,
    )
