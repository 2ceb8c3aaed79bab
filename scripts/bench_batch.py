"""Benchmark the batch engine (``clusters classify``) against the issue's targets.

All figures come from one run on one machine, so they compare:

1. **overhead**: job rows/s with each embedder vs the bare embedder's ``encode`` texts/s on
   the same (prepared) texts; target: the job's own overhead <= 10% for the default (MiniLM);
2. **warm rerun**: a new job over the base after 5% of the company website texts changed,
   sharing the cache the cold run filled, vs the cold run; target >= 15x faster (for the
   default embedder). The cache holds the vectors and, since the cold run stored them, each
   text's probabilities under the model's identity and each company's prepared-text hash
   (``batch.cache_predictions``, :mod:`clusters.batch.reuse`): the rerun prepares, embeds and
   scores only the changed companies, and still reads, screens and writes every row. The
   static tier runs without the cache by default (``batch.cache: auto``), so its rerun
   costs what its first run did;
3. **static tier** end to end rows/s on the largest base, with the worker processes the
   default settings give (``batch.workers: auto``, one per core); target >= 5,000 companies/s;
4. **scaling** 10k -> 100k rows with the static embedder in one process (time per row should
   stay constant), peak RSS;
5. a **projection** of wall time and memory for 5.5 million companies per embedder.

Every job runs as its own ``clusters classify`` process (so its peak RSS is its own) on a
synthetic company base derived from the bundled synthetic demo base
(``data/demo/companies.csv``: names, texts and places are perturbed so every text is new);
no third-party data. Models are trained on the demo labels in a throwaway MLflow store.
Times are the job's processing time from its manifest (reading, text preparation, embedding,
prediction, commits); process start and model load are shown apart. Jobs run with the
default settings (``batch.chunk_rows``, ``batch.cache``).

The machine is usually shared: compare figures from one run only, and expect MiniLM's
throughput (and with it the warm-rerun ratio, whose 5% of changed texts are embedded in a
couple of partly filled batches) to move with the load.

Usage::

    python scripts/bench_batch.py                          # ~10-15 min on 2 cores
    python scripts/bench_batch.py --rows 1000 --static-rows 10000 50000 --embedders static
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from clusters.config import BatchSettings

ROOT = Path(__file__).resolve().parent.parent
UK_COMPANIES = 5_500_000
logger = logging.getLogger("bench_batch")


# --- data --------------------------------------------------------------------------------------


def synthesise(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` companies resampled from the demo base with perturbed names and texts."""
    demo = pd.read_csv(ROOT / "data/demo/companies.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    rows = demo.iloc[rng.integers(0, len(demo), size=n)].reset_index(drop=True)
    words = sorted({w for t in demo["website_text"] for w in re.findall(r"[a-z]{5,}", t)})
    places = sorted(set(demo["lad_name"]) - {""})
    pick = rng.integers(0, len(words), size=(n, 3))
    where = rng.integers(0, len(places), size=n)
    sentences = [
        f" We also work on {words[a]} {words[b]} and {words[c]} from our site in {places[p]}."
        for (a, b, c), p in zip(pick, where, strict=True)
    ]
    out = pd.DataFrame(
        {
            "company_id": [f"{i + 1:08d}" for i in range(n)],
            "name": rows["name"] + " " + pd.Series([f"{i:x}".upper() for i in range(n)]),
            "postcode": rows["postcode"],
            "region_name": rows["region_name"],
            "sic_codes": rows["sic_codes"].map(lambda v: [c for c in v.split(";") if c]),
            "website_text": rows["website_text"] + pd.Series(sentences),
            "filing_text": rows["filing_text"],
            "employees": pd.to_numeric(rows["employees"], errors="coerce"),
            "turnover": pd.to_numeric(rows["turnover"], errors="coerce"),
        }
    )
    return out


def edit(base: pd.DataFrame, share: float, seed: int = 1) -> pd.DataFrame:
    """A copy with the website text of ``share`` of the companies changed."""
    rng = np.random.default_rng(seed)
    changed = rng.choice(len(base), size=max(1, int(share * len(base))), replace=False)
    out = base.copy()
    out.loc[changed, "website_text"] = out.loc[changed, "website_text"] + " Now exporting too."
    return out


def write_parts(frame: pd.DataFrame, folder: Path, parts: int = 4) -> Path:
    """The base as a directory of Parquet parts."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, piece in enumerate(np.array_split(np.arange(len(frame)), parts)):
        frame.iloc[piece].to_parquet(folder / f"part-{i:03d}.parquet", index=False)
    return folder


# --- runs --------------------------------------------------------------------------------------


def environment(work: Path, cache: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MLFLOW_TRACKING_URI=f"sqlite:///{work / 'mlflow.db'}",
        CLUSTERS_PATHS__CACHE_DIR=str(work / cache),
        CLUSTERS_PATHS__OUTPUT_DIR=str(work / "outputs"),
        MLFLOW_DISABLE_TELEMETRY="true",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    return env


def train_model(work: Path, embedder: str) -> str:
    """Train a model on the demo labels with ``embedder``; returns its URI."""
    name = f"bench-{embedder}"
    code = (
        "from clusters.config import get_settings; from training.train import train; "
        "s = get_settings(); "
        f"train(s.paths.taxonomy, [s.paths.demo_labels], model_name={name!r}, "
        f"embedder_name={embedder!r})"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=environment(work, "train-cache"),
        capture_output=True,
        text=True,
        cwd=work,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return f"models:/{name}@champion"


def classify(
    work: Path,
    source: Path,
    output: str,
    model: str,
    cache: str,
    chunk: int,
    settings: dict[str, str] | None = None,
) -> dict:
    """One ``clusters classify`` process (``settings``: extra ``CLUSTERS_*`` variables);
    returns its manifest plus the process wall time."""
    start = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "clusters.cli",
            "classify",
            "--input",
            str(source),
            "--output",
            str(work / output),
            "--model",
            model,
            "--chunk-rows",
            str(chunk),
            "--no-progress",
        ],
        env={**environment(work, cache), **(settings or {})},
        capture_output=True,
        text=True,
        cwd=work,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    manifest = json.loads((work / output / "manifest.json").read_text())
    manifest["process_seconds"] = time.perf_counter() - start
    return manifest


OVERHEAD_CHILD = r"""
import json, sys, time
import pandas as pd
from classifier.classify import resolve_model
from classifier.text import prepare_texts
from clusters.batch import BatchOptions, run_batch
from clusters.sic import default_reference
source, model_uri, out = sys.argv[1:4]
model = resolve_model(model_uri)
base = pd.read_parquet(source)
texts = prepare_texts(base, default_reference().titles)["text"].drop_duplicates().tolist()
model.embedder.encode(texts[:32])

def bare():
    start = time.perf_counter()
    model.embedder.encode(texts, batch_size=64)
    return len(texts) / (time.perf_counter() - start)

first = bare()
job = run_batch(source, out, model_uri, model=model,
                options=BatchOptions(progress=False, log_to_mlflow=False))
second = bare()
print(json.dumps({"texts": len(texts), "encode_texts_per_s": [first, second],
                  "job_rows_per_s": job.manifest["timing"]["rows_per_second"]}))
"""


def overhead(work: Path, source: Path, model: str, name: str) -> dict:
    """Bare ``encode`` texts/s, then the job (cold cache: it embeds every text), then ``encode``
    again, all in one process on the same texts, so a shared machine's load hits all three
    alike. Returns the job's rows/s over the mean encode texts/s."""
    done = subprocess.run(
        [sys.executable, "-c", OVERHEAD_CHILD, str(source), model, str(work / f"{name}-overhead")],
        env=environment(work, f"cache-overhead-{name}"),
        capture_output=True,
        text=True,
        cwd=work,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    out = json.loads(done.stdout.strip().splitlines()[-1])
    encode = sum(out["encode_texts_per_s"]) / 2
    out["job_vs_encode"] = round(out["job_rows_per_s"] / encode, 3)
    return out


def available(embedder: str) -> bool:
    from classifier.embedders import EmbedderNotAvailableError, get_embedder

    try:
        get_embedder(embedder)
    except EmbedderNotAvailableError as exc:
        print(f"skipping {embedder}: {exc}")
        return False
    return True


def summary(manifest: dict) -> dict:
    return {
        "rows": manifest["rows"]["read"],
        "seconds": manifest["timing"]["processing_seconds"],
        "rows_per_s": manifest["timing"]["rows_per_second"],
        "process_seconds": round(manifest["process_seconds"], 1),
        "texts_embedded": manifest["cache"]["texts_embedded"],
        "hit_rate": manifest["cache"]["hit_rate"],
        "prediction_hits": manifest["cache"].get("prediction_hits", 0),
        "rows_recalled": manifest["cache"].get("rows_recalled", 0),
        "peak_rss_mb": manifest["memory"]["peak_rss_mb"],
        "workers": manifest["memory"].get("workers", 1),
        "worker_peak_rss_mb": manifest["memory"].get("worker_peak_rss_mb"),
        "cache_used": manifest["cache"]["path"] is not None,
    }


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000, help="rows for overhead/warm runs")
    parser.add_argument("--static-rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--embedders", default="minilm,minilm-onnx,static")
    parser.add_argument(
        "--chunk-rows", type=int, default=BatchSettings().chunk_rows, help="rows per chunk"
    )
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-batch-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"work directory: {work}")
    results: dict = {"rows": args.rows, "cpus": os.cpu_count(), "embedders": {}}

    base = synthesise(args.rows)
    cold_input = write_parts(base, work / "input-cold")
    warm_input = write_parts(edit(base, 0.05), work / "input-warm")
    for embedder in args.embedders.split(","):
        if not available(embedder):
            continue
        logger.info("%s: training on the demo labels", embedder)
        model = train_model(work, embedder)
        logger.info("%s: bare encode, job, bare encode", embedder)
        bare = overhead(work, cold_input, model, embedder)
        logger.info("%s: cold job", embedder)
        cold = summary(
            classify(
                work, cold_input, f"{embedder}-cold", model, f"cache-{embedder}", args.chunk_rows
            )
        )
        logger.info("%s: warm rerun, 5%% of texts changed", embedder)
        warm = summary(
            classify(
                work, warm_input, f"{embedder}-warm", model, f"cache-{embedder}", args.chunk_rows
            )
        )
        results["embedders"][embedder] = {
            "overhead": bare,
            "cold": cold,
            "warm_5pct": warm,
            "job_vs_encode": bare["job_vs_encode"],
            "warm_speedup": round(cold["seconds"] / warm["seconds"], 1),
        }
        print(json.dumps(results["embedders"][embedder], indent=2))

    if "static" in results["embedders"]:
        model = "models:/bench-static@champion"
        one_process = {"CLUSTERS_BATCH__WORKERS": "1"}
        scaling = []  # one process at each size: is the time per row constant?
        for n in args.static_rows:
            source = write_parts(synthesise(n, seed=n), work / f"input-{n}")
            logger.info("static: %d rows, one process", n)
            scaling.append(
                summary(
                    classify(
                        work,
                        source,
                        f"static-{n}-w1",
                        model,
                        f"cache-s{n}",
                        args.chunk_rows,
                        one_process,
                    )
                )
            )
            print(json.dumps(scaling[-1]))
        results["static_scaling"] = scaling
        n = args.static_rows[-1]
        logger.info("static: %d rows, worker processes as batch.workers says (auto)", n)
        parallel = summary(
            classify(
                work, work / f"input-{n}", f"static-{n}", model, f"cache-s{n}", args.chunk_rows
            )
        )
        results["static_parallel"] = parallel
        print(json.dumps(parallel))
    results["projection_5_5m"] = project(results, work)
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return results


def queue_bytes_per_row(job: Path) -> float:
    """Memory of one review-queue row in pandas (the queue is the job's only per-row state
    besides 8 bytes per company id; it is capped at ``--review-limit`` rows)."""
    queue = pd.read_csv(job / "review_queue.csv", dtype={"company_id": str})
    return float(queue.memory_usage(deep=True).sum() / max(len(queue), 1))


def project(results: dict, work: Path) -> dict:
    """Wall time and peak memory for 5.5 million companies, per embedder (cold cache).

    Time: 5.5M / the measured rows/s (the largest static run for the static tier). Memory:
    the measured peak plus what grows with the input: 8 bytes per company id (duplicate
    detection) and the review queue, ``min(share needing review x 5.5M, 100,000)`` rows,
    counted twice (a sort copy).
    """
    scaling = results.get("static_scaling") or []
    out = {}
    for name, r in results["embedders"].items():
        job = work / f"{name}-cold"
        manifest = json.loads((job / "manifest.json").read_text())
        rate, peak = r["cold"]["rows_per_s"], r["cold"]["peak_rss_mb"]
        if name == "static" and scaling:
            parallel = results.get("static_parallel") or scaling[-1]
            rate = parallel["rows_per_s"]
            # with workers: the job process plus each worker (shared pages counted again)
            workers_mb = (parallel.get("worker_peak_rss_mb") or 0) * (parallel["workers"] > 1)
            peak = max(
                peak,
                *(s["peak_rss_mb"] for s in scaling),
                parallel["peak_rss_mb"] + parallel["workers"] * workers_mb,
            )
        share = manifest["review"]["share"]
        limit = manifest["review"].get("queue_limit") or UK_COMPANIES
        queue_rows = min(share * UK_COMPANIES, limit)
        grow_mb = (8 * UK_COMPANIES + 2 * queue_rows * queue_bytes_per_row(job)) / 2**20
        out[name] = {
            "rows_per_s": rate,
            "hours": round(UK_COMPANIES / rate / 3600, 1),
            "measured_peak_rss_mb": peak,
            "peak_rss_mb": round(peak + grow_mb),
        }
    if len(scaling) >= 2:
        out["static_measured_growth_mb"] = round(
            scaling[-1]["peak_rss_mb"] - scaling[0]["peak_rss_mb"], 1
        )
    return out


def report(results: dict) -> None:
    print("\n=== batch engine benchmark ===")
    for name, r in results["embedders"].items():
        cache = "" if r["warm_5pct"]["cache_used"] else ", no cache: batch.cache auto"
        print(
            f"{name:12s} encode {np.mean(r['overhead']['encode_texts_per_s']):8.0f} texts/s | job "
            f"{r['overhead']['job_rows_per_s']:8.0f} rows/s ({r['job_vs_encode']:.0%} of encode; "
            f"target >= 90%) | warm 5% rerun {r['warm_speedup']:5.1f}x (target >= 15x{cache}) | "
            f"peak RSS {r['cold']['peak_rss_mb']:.0f} MB"
        )
    for s in results.get("static_scaling", []):
        print(
            f"static {s['rows']:>8,} rows, one process: {s['seconds']:7.1f} s, "
            f"{s['rows_per_s']:7.0f} rows/s, peak RSS {s['peak_rss_mb']:.0f} MB"
        )
    par = results.get("static_parallel")
    if par:
        print(
            f"static {par['rows']:>8,} rows, {par['workers']} worker processes: "
            f"{par['seconds']:7.1f} s, {par['rows_per_s']:7.0f} rows/s (target >= 5,000), "
            f"peak RSS {par['peak_rss_mb']:.0f} MB + {par['worker_peak_rss_mb'] or 0:.0f} MB "
            "per worker"
        )
    scaling = results.get("static_scaling", [])
    if len(scaling) >= 2:
        ratio = (scaling[-1]["seconds"] / scaling[0]["seconds"]) / (
            scaling[-1]["rows"] / scaling[0]["rows"]
        )
        print(
            f"scaling {scaling[0]['rows']:,} -> {scaling[-1]['rows']:,}: time per row x{ratio:.2f}"
        )
    for name, p in results["projection_5_5m"].items():
        if isinstance(p, dict):
            print(
                f"5.5M companies with {name:12s}: {p['hours']:7.1f} h at {p['rows_per_s']:.0f} "
                f"rows/s, peak RSS ~{p['peak_rss_mb']:,} MB (measured {p['measured_peak_rss_mb']:.0f})"
            )
    growth = results["projection_5_5m"].get("static_measured_growth_mb")
    if growth is not None:
        first, last = scaling[0]["rows"], scaling[-1]["rows"]
        print(f"static peak RSS growth {first:,} -> {last:,} rows (measured): {growth:+.0f} MB")


if __name__ == "__main__":
    main()
