"""Benchmark the embedders: load time, texts/s, peak RSS, and agreement with torch MiniLM.

Each backend runs in its own subprocess (so peak RSS is its own). Texts are ~80-word
synthetic company descriptions (:mod:`synthetic_companies`), or with ``--source crunchbase``
the ``full_description`` column of ``../shared/data/crunchbase_dev.csv.gz`` when present
(read only). Agreement: mean/min cosine to torch MiniLM for ``minilm-onnx``; for ``static``,
whose space differs (256-d), the Pearson correlation of its pairwise similarities with
MiniLM's and the overlap of the 10 nearest neighbours.

Usage::

    python scripts/bench_embedders.py                    # 1,000 synthetic texts, all backends
    python scripts/bench_embedders.py --n 200 --backends minilm,static
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
CRUNCHBASE = ROOT.parent / "shared" / "data" / "crunchbase_dev.csv.gz"

CHILD = r"""
import json, resource, sys, time
import numpy as np
name, texts_file, out_file, batch_size = sys.argv[1:5]
texts = json.load(open(texts_file, encoding="utf-8"))
rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
from classifier.embedders import get_embedder
embedder = get_embedder(name)
load_s = time.perf_counter() - start
embedder.encode(texts[:32], batch_size=int(batch_size))  # warm-up
start = time.perf_counter()
vectors = embedder.encode(texts, batch_size=int(batch_size))
seconds = time.perf_counter() - start
np.save(out_file, vectors)
print(json.dumps({
    "id": embedder.id, "dim": embedder.dim, "load_s": load_s, "encode_s": seconds,
    "texts_per_s": len(texts) / seconds,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "python_rss_mb": rss_start,
}))
"""


def load_texts(source: str, n: int) -> list[str]:
    if source == "crunchbase":
        import pandas as pd

        if not CRUNCHBASE.is_file():
            raise SystemExit(f"{CRUNCHBASE} not found")
        frame = pd.read_csv(CRUNCHBASE, usecols=["full_description"]).dropna()
        return frame["full_description"].astype(str).head(n).tolist()
    sys.path.insert(0, str(SCRIPTS))
    from synthetic_companies import company_descriptions

    return [text for _, text in company_descriptions(n, seed=2024)]


def run_backend(name: str, texts_file: Path, out_file: Path, batch_size: int) -> dict:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, name, str(texts_file), str(out_file), str(batch_size)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        tail = result.stderr.strip().splitlines()[-1:] or ["failed"]
        return {"error": tail[0]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def agreement(vectors: np.ndarray, reference: np.ndarray) -> dict:
    if vectors.shape == reference.shape:
        cosines = (vectors * reference).sum(axis=1)
        return {"mean_cos": float(cosines.mean()), "min_cos": float(cosines.min())}
    n = min(len(vectors), 1000)
    v, r = vectors[:n], reference[:n]
    sv, sr = v @ v.T, r @ r.T
    upper = np.triu_indices(n, k=1)
    pearson = float(np.corrcoef(sv[upper], sr[upper])[0, 1])
    np.fill_diagonal(sv, -2)
    np.fill_diagonal(sr, -2)
    top_v, top_r = np.argsort(-sv, axis=1)[:, :10], np.argsort(-sr, axis=1)[:, :10]
    overlap = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(top_v, top_r, strict=True)]))
    return {"sim_pearson": pearson, "top10_overlap": overlap}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="number of texts")
    parser.add_argument("--backends", default="minilm,minilm-onnx,static")
    parser.add_argument("--source", choices=["synthetic", "crunchbase"], default="synthetic")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    texts = load_texts(args.source, args.n)
    words = np.mean([len(t.split()) for t in texts])
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "minilm" not in backends:
        backends.insert(0, "minilm")  # the reference for agreement
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(texts), encoding="utf-8")
        vectors = {}
        for name in backends:
            out_file = Path(tmp) / f"{name}.npy"
            results[name] = run_backend(name, texts_file, out_file, args.batch_size)
            if out_file.is_file():
                vectors[name] = np.load(out_file)
        for name, vecs in vectors.items():
            if name != "minilm" and "minilm" in vectors:
                results[name].update(agreement(vecs, vectors["minilm"]))

    print(
        f"\n{len(texts)} {args.source} texts, mean {words:.0f} words, batch size "
        f"{args.batch_size}, {os.cpu_count()} CPUs\n"
    )
    print("| embedder | id | dim | load s | texts/s | peak RSS MB | vs torch MiniLM |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        if "error" in r:
            print(f"| {name} | not available: {r['error'][:80]} | | | | | |")
            continue
        if "mean_cos" in r:
            agree = f"cos mean {r['mean_cos']:.4f}, min {r['min_cos']:.4f}"
        elif "sim_pearson" in r:
            agree = f"sim r {r['sim_pearson']:.3f}, top-10 overlap {r['top10_overlap']:.2f}"
        else:
            agree = "reference"
        print(
            f"| {name} | {r['id']} | {r['dim']} | {r['load_s']:.1f} | {r['texts_per_s']:,.0f} "
            f"| {r['peak_rss_mb']:,.0f} | {agree} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
