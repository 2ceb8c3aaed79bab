"""The in-process batch engine behind ``clusters classify``: chunked, cached, resumable.

One job = one input (see :mod:`clusters.batch.inputs`), one model, one output directory
(see :mod:`clusters.batch.layout`). The loop, for chunk ``k`` of ``chunk_rows`` input rows
(``settings.batch.chunk_rows`` unless the options say otherwise):

1. **screen** the rows (missing, invalid or duplicate id, unreadable text → rejects);
2. **skip** the chunk if the journal says it is committed and its part file exists (the
   chunk's id digest must match, or the input changed under the job: refused);
3. **prepare** the texts (from a company base) and **embed** them, each distinct text once,
   through the persistent embedding cache in slices (:data:`clusters.batch.chunks.EMBED_SLICE`
   texts, each committed to the cache, so a kill loses at most one slice of embedding
   work; by default not for the static tier, see :func:`cache_enabled`), then **predict**;
   with the cache, a company whose record, or a text whose probabilities, the same model
   has seen is recalled instead (:mod:`clusters.batch.reuse`: same bytes out);
4. **commit**: the chunk's rejects and review candidates, then ``predictions/part-k``, each
   written to a temporary file, fsync-ed and renamed into place; last, the journal entry.

Where the time goes (``scripts/bench_batch.py``, 2 shared cores): with MiniLM, embedding is
~99% of a cold run, and ~95% of a rerun after 5% of the texts changed (its changed texts;
the rest is reading, screening and writing every row, and preparing and scoring the
changed ones). With the static tier (no cache by
default), embedding is ~40% of a run (mostly wordpiece tokenising), text preparation ~33%,
TF-IDF features and scoring ~16%, reading, screening, validation and commits ~10%.

So a job killed at any instant and restarted with the same arguments redoes at most the
chunk in flight, and ends with exactly one row per accepted input company. After the last
chunk the job writes ``rejects.csv``, ``review_queue.csv`` (and the single output file when
``--output`` names one), logs an MLflow run, writes ``manifest.json`` and marks the journal
finished. A rerun of a finished job is a no-op; ``force=True`` starts it afresh; a rerun
with another input, chunk size or model is refused with the list of differences.

Bit-for-bit equality with an uninterrupted run holds for everything but the last float
bits of probabilities: a transformer's vector for a text can differ by ~1e-7 depending on
which texts share its forward batch, and a resumed chunk may batch its texts differently.

Example:
    >>> result = run_batch("companies.parquet", "out/", "models:/company-clusters@champion")  # doctest: +SKIP
    >>> result.manifest["rows"]  # doctest: +SKIP
    {'read': 3200, 'written': 3198, 'rejected': 2, 'rejected_by_kind': {'duplicate_id': 2}}
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from classifier.cache import EmbeddingCache
from classifier.model import ClusterModel
from clusters.batch.chunks import ChunkSettings
from clusters.batch.commit import BatchStateError, atomic_write_json, job_lock, remove_temporaries
from clusters.batch.inputs import BASE_MODE, InputSource, iter_chunks, open_input
from clusters.batch.layout import JobLayout, is_single_file, layout_for, unwritable_output
from clusters.batch.manifest import build_manifest, read_manifest
from clusters.batch.outputs import write_rejects, write_review_queue, write_single_file
from clusters.batch.progress import Progress, format_rate
from clusters.batch.reuse import Reuse, recipe_key
from clusters.batch.screen import Screened, SeenIds, screen_chunk
from clusters.batch.state import ChunkRecord, JobIdentity, JobState, load_state, now, save_state
from clusters.batch.workers import can_fork, chunk_runner, workers_for
from clusters.config import BatchSettings, Settings, get_settings

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_ROWS: int = BatchSettings.model_fields["chunk_rows"].default
"""The default of ``batch.chunk_rows`` in :class:`~clusters.config.Settings` (where the
value lives): rows per chunk and part file."""


@dataclass
class BatchOptions:
    """How to run a batch job (none of these change the predictions)."""

    chunk_rows: int | None = None
    """Rows per chunk [default ``settings.batch.chunk_rows``]; part of the job's identity
    (chunk boundaries depend on it)."""
    force: bool = False
    """Discard any earlier state of the job and start afresh."""
    restart_changed: bool = False
    """When the output holds a job with other arguments or model, start afresh instead of
    refusing (for pipelines that always want the current model's predictions)."""
    rejects: Path | None = None
    """Where to write the rejects CSV (default: ``rejects.csv`` in the job directory)."""
    progress: bool | None = None
    """Progress bar: ``None`` = when stderr is a terminal (else periodic log lines)."""
    review_limit: int | None = 100_000
    """Most companies in ``review_queue.csv`` (the highest priorities); ``None`` = all."""
    embed_batch_size: int = 64
    use_cache: bool = True
    """Reuse and fill the persistent embedding cache as ``settings.batch.cache`` says (see
    :func:`cache_enabled`; it also dedupes texts across chunks; without it texts are
    deduplicated within a chunk only); ``False``: not at all."""
    log_to_mlflow: bool = True
    workers: int | None = None
    """Worker processes [default ``settings.batch.workers``; 0 = auto]: see
    :mod:`clusters.batch.workers`."""


@dataclass
class BatchResult:
    """What a call of :func:`run_batch` did."""

    layout: JobLayout
    output: Path
    """The job directory, or the single predictions file when ``--output`` named one."""
    manifest: dict[str, Any]
    skipped: bool = False
    """The job was already finished: nothing was done."""
    resumed: bool = False
    chunks_processed: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return int(self.manifest["rows"]["written"])

    @property
    def rejected(self) -> int:
        return int(self.manifest["rows"]["rejected"])


def model_version_for(model_uri: str, settings: Settings) -> str:
    """The registered version a model URI resolves to now (``unregistered`` otherwise),
    without loading the model."""
    from classifier.classify import registered_version

    return registered_version(model_uri, settings)


def check_output(layout: JobLayout, single: Path | None) -> None:
    """Refuse an output that is a file, a file type the job cannot write, or a non-empty
    folder that holds no job."""
    root = layout.root
    problem = unwritable_output(root)
    if problem and not layout.is_job():  # a job directory so named earlier keeps working
        raise BatchStateError(problem)
    if root.exists() and not root.is_dir():
        raise BatchStateError(f"{root} exists and is not a directory")
    if root.is_dir() and any(root.iterdir()) and not layout.is_job():
        raise BatchStateError(
            f"{root} exists, is not empty and is not a batch job directory; "
            "choose an empty or new --output directory"
        )
    if single is not None and single.is_dir():
        raise BatchStateError(f"{single} is a directory; give a file name or drop the suffix")


def clear_job(layout: JobLayout) -> None:
    """Remove every file a job wrote in its directory (the lock file stays)."""
    shutil.rmtree(layout.predictions_dir, ignore_errors=True)
    for sub in ("review", "rejects"):
        shutil.rmtree(layout.state_dir / sub, ignore_errors=True)
    for path in (layout.progress, layout.manifest, layout.rejects, layout.review_queue):
        path.unlink(missing_ok=True)


def input_facts(source: InputSource) -> dict[str, Any]:
    """The manifest's ``input`` section."""
    return {
        "path": str(source.root.resolve()),
        "mode": source.mode,
        "parts": len(source.parts),
        "part_names": [p.name for p in source.parts[:50]],
        "bytes": source.total_bytes,
        "rows": source.total_rows,
        "fingerprint": source.fingerprint,
        "fingerprint_method": source.fingerprint_method,
    }


def model_facts(model: ClusterModel, model_uri: str) -> dict[str, Any]:
    """The manifest's ``model`` section."""
    meta = model.meta
    return {
        "uri": model_uri,
        "version": meta.model_version,
        "embedder": meta.embedder_name,
        "embedder_id": model.embedder.id,
        "bundle_digest": model.bundle_digest,
        "taxonomy": meta.taxonomy_name,
        "taxonomy_version": meta.taxonomy_version,
        "taxonomy_hash": meta.taxonomy_hash,
        "review_confidence": meta.review_confidence,
        "review_margin": meta.review_margin,
        "clusters": model.cluster_ids,
    }


def run_batch(
    input_path: Path | str,
    output: Path | str,
    model_uri: str | None = None,
    *,
    options: BatchOptions | None = None,
    settings: Settings | None = None,
    model: ClusterModel | None = None,
) -> BatchResult:
    """Classify every company of ``input_path`` into the job at ``output``.

    Args:
        input_path: Parquet or CSV file, or a directory of parts (see :mod:`.inputs`).
        output: a job directory, or a ``.parquet``/``.csv`` file (the job then runs in
            ``<file>.batch/`` and the predictions are also written as that file).
        model_uri: MLflow model URI [default ``models:/<model_name>@champion``].
        options: chunk size, ``force``, progress display, ...
        settings: product settings (default: the process-wide ones).
        model: an already loaded model to use instead of loading ``model_uri`` (tests,
            benchmarks); ``model_uri`` then only names it.

    Raises:
        FileNotFoundError: no input.
        ContractError: the input lacks the columns needed, or the model cannot be loaded.
        BatchStateError: the output holds a job with other arguments, or one is running.
    """
    settings = settings or get_settings()
    options = options or BatchOptions()
    options = replace(options, chunk_rows=options.chunk_rows or settings.batch.chunk_rows)
    wall = time.monotonic()
    output = Path(output)
    single = output if is_single_file(output) else None
    layout = layout_for(output)
    check_output(layout, single)
    source = open_input(Path(input_path))
    model_uri = model_uri or (
        "in-process" if model is not None else f"models:/{settings.model_name}@champion"
    )
    version = model.meta.model_version if model else model_version_for(model_uri, settings)
    identity = JobIdentity(
        input_fingerprint=source.fingerprint,
        chunk_rows=options.chunk_rows,
        mode=source.mode,
        model_version=version,
        model_uri=model_uri,
    )
    layout.root.mkdir(parents=True, exist_ok=True)
    with job_lock(layout.lock):
        state, done = settle_job(layout, identity, options, single, output, wall)
        if done is not None:
            return done
        if model is None:
            from classifier.classify import resolve_model

            model = resolve_model(model_uri, settings)
        identity = replace(
            identity, embedder_id=model.embedder.id, taxonomy_hash=model.meta.taxonomy_hash
        )
        state = compatible_state(layout, state, identity, options)
        resumed = state is not None
        if state is None:
            state = JobState(identity=identity, input=input_facts(source))
        else:
            logger.info("%s: resuming, %d chunk(s) committed", layout.root, len(state.chunks))
        state.attempts += 1
        state.finished = False
        save_state(layout, state)
        remove_temporaries(layout.root)
        job = _Job(model, source, layout, single, state, options, settings, model_uri, wall)
        result = job.run()
        result.resumed = resumed
        return result


def settle_job(
    layout: JobLayout,
    identity: JobIdentity,
    options: BatchOptions,
    single: Path | None,
    output: Path | str,
    wall: float,
) -> tuple[JobState | None, BatchResult | None]:
    """The job's state before it runs (discarded under ``--force``, refused when
    incompatible), and the result to return at once when the job is finished already."""
    state = load_state(layout)
    if options.force and (state is not None or layout.is_job()):
        logger.info("--force: discarding the earlier job in %s", layout.root)
        clear_job(layout)
        state = None
    state = compatible_state(layout, state, identity, options)
    if is_finished(layout, state, single):
        logger.info("%s: job already finished; nothing to do (--force redoes it)", output)
        done = BatchResult(
            layout,
            single or layout.root,
            read_manifest(layout.manifest),
            skipped=True,
            seconds=time.monotonic() - wall,
        )
        return state, done
    return state, None


def is_finished(layout: JobLayout, state: JobState | None, single: Path | None) -> bool:
    """Whether the job is done and all its outputs are there."""
    done = state is not None and state.finished and layout.manifest.is_file()
    return done and (single is None or single.is_file())


def compatible_state(
    layout: JobLayout, state: JobState | None, identity: JobIdentity, options: BatchOptions
) -> JobState | None:
    """``state`` if the job it records is the one asked for; ``None`` (after clearing the
    job) when it differs and ``restart_changed`` is set.

    Raises:
        BatchStateError: it differs, listing the differences.
    """
    if state is None:
        return None
    differences = identity.differences(state.identity)
    if not differences:
        return state
    if not options.restart_changed:
        raise BatchStateError(
            f"{layout.root} holds a job started with different arguments or model "
            f"({'; '.join(differences)}); rerun with --force to restart it, or choose "
            "another --output"
        )
    logger.info("%s: starting afresh (%s)", layout.root, "; ".join(differences))
    clear_job(layout)
    return None


def cache_enabled(options: BatchOptions, settings: Settings, embedder: object) -> bool:
    """Whether a job uses the persistent embedding cache: not with ``options.use_cache`` off
    (``--no-cache``), else as ``settings.batch.cache`` says: ``always``, ``never``, or
    (``auto``) when the embedder's ``cache_worthwhile`` is true (or absent)."""
    policy = settings.batch.cache
    if not options.use_cache or policy == "never":
        return False
    return policy == "always" or bool(getattr(embedder, "cache_worthwhile", True))


def reuse_for(settings: Settings, model: ClusterModel, mode: str) -> Reuse:
    """The keys under which a job that uses the cache keeps its texts' probabilities and its
    records' prepared-text hashes (:mod:`clusters.batch.reuse`): none when
    ``batch.cache_predictions`` is off or the model's identity is unknown."""
    if not settings.batch.cache_predictions:
        return Reuse()
    key = model.prediction_key()
    if key is None:
        why = (
            "the model was built in memory (no bundle digest)"
            if model.bundle_digest is None
            else "its features are scored with dense products, whose last bits vary with the batch"
        )
        logger.info("probabilities are not cached: %s", why)
        return Reuse()
    if mode != BASE_MODE:
        return Reuse(prediction_key=key)
    from clusters.sic import default_reference

    return Reuse(prediction_key=key, recipe_key=recipe_key(default_reference().titles))


def describe_cache(
    cache: EmbeddingCache | None,
    path: Path,
    model: ClusterModel,
    prediction_key: str | None = None,
) -> dict[str, Any]:
    """Where the cache is and how big (the manifest's ``cache`` facts): ``size`` counts the
    embedder's vectors, ``predictions_size`` the model's probability rows."""
    if cache is None:
        return {
            "path": None,
            "size": None,
            "bytes": None,
            "prediction_key": None,
            "predictions_size": None,
        }
    return {
        "path": str(path),
        "size": cache.size(model.embedder.id),
        "bytes": cache.bytes_on_disk(),
        "prediction_key": prediction_key,
        "predictions_size": (
            cache.probabilities_size(prediction_key) if prediction_key is not None else None
        ),
    }


@dataclass
class _Job:
    """One attempt at a job whose identity has been checked and whose lock is held."""

    model: ClusterModel
    source: InputSource
    layout: JobLayout
    single: Path | None
    state: JobState
    options: BatchOptions
    settings: Settings
    model_uri: str
    wall: float

    def run(self) -> BatchResult:
        if self.source.mode == BASE_MODE:
            from clusters.sic import default_reference

            default_reference()  # reference data for text preparation: load it up front
        cache_path = self.settings.paths.cache_dir / "embeddings.sqlite"
        use = cache_enabled(self.options, self.settings, self.model.embedder)
        cache = EmbeddingCache(cache_path) if use else None
        reuse = reuse_for(self.settings, self.model, self.source.mode) if use else Reuse()
        try:
            processed = self._loop(cache, cache_path, reuse)
            cache_facts = describe_cache(cache, cache_path, self.model, reuse.prediction_key)
        finally:
            if cache is not None:
                cache.close()
        result = self._finalise(cache_facts)
        result.chunks_processed = processed
        return result

    @cached_property
    def workers(self) -> int:
        """Worker processes for this attempt (``--workers``, else ``batch.workers``)."""
        setting = self.options.workers
        workers = workers_for(
            self.settings.batch.workers if setting is None else setting, self.model.embedder
        )
        if workers > 1 and not can_fork():
            logger.warning("batch.workers = %d needs fork(): running in-process", workers)
            return 1
        return workers

    def _loop(self, cache: EmbeddingCache | None, cache_path: Path, reuse: Reuse) -> int:
        """Process every chunk not committed yet; returns how many were processed."""
        layout, state = self.layout, self.state
        committed = {k for k in state.chunks if layout.part(k).is_file()}
        progress = Progress(
            self.source.total_rows,
            initial=sum(state.chunks[k].rows_read for k in committed),
            enabled=self.options.progress,
        )
        seen = SeenIds()
        where = ChunkSettings(layout, cache, self.options.embed_batch_size, reuse)
        runner = chunk_runner(self.model, where, cache_path if cache else None, self.workers)
        n_chunks = 0
        tick = time.monotonic()  # a chunk's seconds: the wall time since the previous one

        def finished() -> Iterator[ChunkRecord]:
            """Journal entries of the chunks processed now, in chunk order."""
            nonlocal n_chunks, tick
            for chunk in iter_chunks(self.source, self.options.chunk_rows):
                n_chunks = chunk.index + 1
                screened = screen_chunk(chunk, self.source, seen)
                if chunk.index in committed:
                    self._check_unchanged(chunk.index, len(chunk), screened)
                    tick = time.monotonic()  # skipping a committed chunk counts for none
                    continue
                yield from runner.submit(chunk.index, len(chunk), screened)
            yield from runner.drain()

        processed = hits = lookups = 0
        try:
            with runner:
                for record in finished():
                    now_ = time.monotonic()
                    state.chunks[record.index] = replace(record, seconds=round(now_ - tick, 4))
                    tick = now_
                    save_state(layout, state)
                    processed += 1
                    hits += record.cache["hits"]
                    lookups += record.cache["unique"]
                    note = f"cache hits {hits / lookups:.0%}" if lookups else ""
                    progress.advance(record.rows_read, note)
        finally:
            progress.close()
        state.n_chunks = n_chunks
        self._drop_stale_chunks(n_chunks)
        return processed

    def _check_unchanged(self, index: int, rows_read: int, screened: Screened) -> None:
        """Refuse to go on when a committed chunk's rows are not what they were."""
        record = self.state.chunks[index]
        if record.ids_digest != screened.ids_digest or record.rows_read != rows_read:
            raise BatchStateError(
                f"the input changed since chunk {index} was committed (its rows differ); "
                f"rerun with --force to restart {self.layout.root}"
            )

    def _drop_stale_chunks(self, n_chunks: int) -> None:
        """Forget chunks past the end of the input (none unless files were tampered with)."""
        for index in [k for k in self.state.chunks if k >= n_chunks]:
            del self.state.chunks[index]
        if self.layout.predictions_dir.is_dir():
            for path in self.layout.predictions_dir.glob("part-*.parquet"):
                if int(path.stem.split("-")[1]) >= n_chunks:
                    path.unlink()

    def _manifest(
        self, cache_facts: dict[str, Any], outputs: dict[str, str], queued: int
    ) -> dict[str, Any]:
        data = build_manifest(
            self.state,
            self.layout,
            model=model_facts(self.model, self.model_uri),
            cluster_ids=self.model.cluster_ids,
            cache=cache_facts,
            outputs=outputs,
            attempt_seconds=time.monotonic() - self.wall,
            workers=self.workers,
        )
        data["review"].update(queue_rows=queued, queue_limit=self.options.review_limit)
        return data

    def _finalise(self, cache_facts: dict[str, Any]) -> BatchResult:
        """Rejects, review queue, single file, MLflow run, manifest; then mark finished."""
        layout, state, options = self.layout, self.state, self.options
        n_chunks = int(state.n_chunks or 0)
        rejects_path = Path(options.rejects) if options.rejects else layout.rejects
        write_rejects(layout, n_chunks, rejects_path)
        queued, needing = write_review_queue(
            layout, n_chunks, self.model.cluster_ids, options.review_limit
        )
        if queued < needing:
            logger.info(
                "review queue holds the %d highest priorities of %d companies needing review",
                queued,
                needing,
            )
        outputs = {
            "predictions": str(layout.predictions_dir),
            "rejects": str(rejects_path),
            "review_queue": str(layout.review_queue),
            "manifest": str(layout.manifest),
        }
        if self.single is not None:
            write_single_file(layout, n_chunks, self.single)
            outputs["file"] = str(self.single)
        if options.log_to_mlflow and state.mlflow_run_id is None:
            try:
                from clusters.batch.tracking import log_batch_run

                state.mlflow_run_id = log_batch_run(
                    self._manifest(cache_facts, outputs, queued), self.settings
                )
            except Exception as exc:  # the predictions are committed: report, do not fail
                logger.warning("could not log the batch run to MLflow: %s", exc)
        data = self._manifest(cache_facts, outputs, queued)
        atomic_write_json(layout.manifest, data)
        state.finished, state.finished_at = True, now()
        save_state(layout, state)
        logger.info(
            "%s: %d rows read, %d written, %d rejected in %d chunks; %s rows/s; "
            "cache hit rate %.0f%%",
            layout.root,
            data["rows"]["read"],
            data["rows"]["written"],
            data["rows"]["rejected"],
            n_chunks,
            format_rate(data["timing"]["rows_per_second"]),
            100 * data["cache"]["hit_rate"],
        )
        return BatchResult(
            layout, self.single or layout.root, data, seconds=time.monotonic() - self.wall
        )


__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "BatchOptions",
    "BatchResult",
    "run_batch",
]
