"""Benchmark the classification API (``clusters serve``): latency, throughput, memory.

For each embedder, a small model is trained on the demo labels in a throwaway MLflow store
(or ``--model URI`` is served), the API runs as its own ``clusters serve`` process on
127.0.0.1 (auth on, one API key, rate limit off, default micro-batching), and an asyncio +
httpx load generator sends single-company requests (a demo label text each, explanation on)
at 1, 4 and 16 concurrent clients. Each level is bounded by ``--seconds`` and
``--max-requests``; it reports p50/p99 latency and requests/s, and the mean micro-batch
size from the server's metrics. The "batch rate" printed beside it is the same model's
``predict_frame`` over 256 texts in one call in this process (before the server starts):
what micro-batching at 16 clients should approach.

``--soak SECONDS`` then keeps 4 clients busy for that long and samples the server's RSS
(psutil, else /proc) every 5 s: start, end and max.

The load generator runs on the same machine as the server, so on 2 cores it takes CPU from
it: the figures are a lower bound of what the server alone could do.

Usage::

    python scripts/bench_serve.py                           # both embedders, 20 s a level
    python scripts/bench_serve.py --embedders minilm --seconds 10 --soak 120
    python scripts/bench_serve.py --model models:/company-clusters@champion --embedders default
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def environment(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}",
        "CLUSTERS_PATHS__OUTPUT_DIR": str(work / "outputs"),
        "CLUSTERS_PATHS__CACHE_DIR": str(work / "cache"),
        "CLUSTERS_SERVE__RELOAD_POLL_SECONDS": "0",
        "CLUSTERS_SERVE__RATE_LIMIT_PER_MINUTE": "0",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }


def run_python(work: Path, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment(work), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return done.stdout


def train_model(work: Path, embedder: str) -> str:
    """Train on the demo labels with ``embedder``; returns the model URI."""
    name = f"bench-serve-{embedder}"
    run_python(
        work,
        "from clusters.config import get_settings; from training.train import train; "
        f"s = get_settings(); train(s.paths.taxonomy, [s.paths.demo_labels], "
        f"model_name={name!r}, embedder_name={embedder!r})",
    )
    return f"models:/{name}@champion"


def batch_rate(work: Path, uri: str, texts: list[str]) -> float:
    """Companies/s of one ``predict_frame`` call over the texts (the batch path)."""
    source = work / "batch_texts.json"
    source.write_text(json.dumps(texts))
    out = run_python(
        work,
        "import json, time, pandas as pd; from classifier.classify import resolve_model; "
        f"m = resolve_model({uri!r}); texts = json.load(open({str(source)!r})); "
        "f = pd.DataFrame({'company_id': [str(i) for i in range(len(texts))], 'text': texts}); "
        "m.predict_frame(f.head(8)); t = time.perf_counter(); m.predict_frame(f); "
        "print(len(texts) / (time.perf_counter() - t))",
    )
    return float(out.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss / 2**20
    except ImportError:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def start_server(work: Path, uri: str) -> tuple[subprocess.Popen, str, str]:
    keys_db = work / "keys.sqlite"
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "clusters.cli",
            "serve",
            "keys",
            "add",
            f"bench{time.time_ns()}",
            "--keys-db",
            str(keys_db),
        ],
        env=environment(work),
        capture_output=True,
        text=True,
        check=True,
    )
    key = added.stdout.strip().splitlines()[0]
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clusters.cli",
            "serve",
            "--model",
            uri,
            "--port",
            str(port),
            "--keys-db",
            str(keys_db),
            "--log-level",
            "warning",
        ],
        env=environment(work),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/v1/ready", timeout=1).status_code == 200:
                return process, base, key
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError("server not ready after 180 s")


async def load(
    base: str, key: str, texts: list[str], clients: int, seconds: float, max_requests: int
) -> dict:
    """``clients`` concurrent loops of single-company requests; latency and throughput."""
    latencies: list[float] = []
    failures = 0
    sent = 0
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60, limits=limits) as http:

        async def one_client(k: int) -> None:
            nonlocal failures, sent
            while time.perf_counter() < deadline and sent < max_requests:
                text = texts[(sent + k) % len(texts)]
                sent += 1
                started = time.perf_counter()
                r = await http.post(
                    "/v1/classify", json={"company": {"company_id": str(k), "text": text}}
                )
                if r.status_code == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(one_client(k) for k in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "clients": clients,
        "requests": len(latencies),
        "failures": failures,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
        if latencies
        else float("nan"),
        "rps": len(latencies) / elapsed,
    }


def batch_sizes(base: str) -> tuple[float, float]:
    text = httpx.get(f"{base}/metrics", timeout=5).text
    total = float(re.search(r"^clusters_serve_batch_size_sum (\S+)", text, re.M).group(1))
    count = float(re.search(r"^clusters_serve_batch_size_count (\S+)", text, re.M).group(1))
    return total, count


def soak(process: subprocess.Popen, base: str, key: str, texts: list[str], seconds: float) -> None:
    samples = [rss_mb(process.pid)]

    async def run() -> dict:
        task = asyncio.create_task(load(base, key, texts, 4, seconds, 10**9))
        while not task.done():
            await asyncio.sleep(5)
            samples.append(rss_mb(process.pid))
        return await task

    result = asyncio.run(run())
    samples.append(rss_mb(process.pid))
    print(
        f"  soak {seconds:.0f}s at 4 clients: {result['requests']} requests, "
        f"{result['failures']} failed; RSS start {samples[0]:.0f} MB, end {samples[-1]:.0f} MB, "
        f"max {max(samples):.0f} MB ({len(samples)} samples)"
    )
    tenths = [samples[round(k * (len(samples) - 1) / 10)] for k in range(11)]
    print("  RSS at each tenth of the soak (MB): " + " ".join(f"{v:.0f}" for v in tenths))
    half = samples[len(samples) // 2 :]
    print(f"  second half: {half[0]:.0f} -> {half[-1]:.0f} MB (max {max(half):.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedders", nargs="+", default=["minilm", "static"])
    parser.add_argument("--model", help="Serve this model URI instead of training one.")
    parser.add_argument("--levels", nargs="+", type=int, default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=20.0, help="Per level.")
    parser.add_argument("--max-requests", type=int, default=5000, help="Per level.")
    parser.add_argument("--soak", type=float, default=0.0, help="Soak seconds (0: none).")
    args = parser.parse_args()

    labels = pd.read_csv(ROOT / "data/demo/labels.csv")
    texts = labels["text"].astype(str).tolist()
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f} at start")
    with tempfile.TemporaryDirectory(prefix="bench_serve_") as tmp:
        work = Path(tmp)
        for embedder in args.embedders:
            started = time.perf_counter()
            uri = args.model or train_model(work, embedder)
            print(f"\n== {embedder}: {uri} (ready in {time.perf_counter() - started:.0f}s)")
            print(
                f"  batch rate (predict_frame, 256 texts): {batch_rate(work, uri, texts[:256]):.0f}/s"
            )
            process, base, key = start_server(work, uri)
            try:
                for clients in args.levels:
                    before = batch_sizes(base)
                    r = asyncio.run(
                        load(base, key, texts, clients, args.seconds, args.max_requests)
                    )
                    after = batch_sizes(base)
                    mean_batch = (after[0] - before[0]) / max(1.0, after[1] - before[1])
                    print(
                        f"  {clients:3d} clients: {r['requests']:5d} ok {r['failures']} failed  "
                        f"p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  "
                        f"{r['rps']:6.1f} req/s  mean batch {mean_batch:.1f}"
                    )
                if args.soak:
                    soak(process, base, key, texts, args.soak)
            finally:
                process.terminate()
                process.wait(timeout=30)
    print(f"\nload average {os.getloadavg()[0]:.2f} at end")


if __name__ == "__main__":
    main()
