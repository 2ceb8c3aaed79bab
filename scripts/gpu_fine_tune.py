"""Fine-tune MiniLM on a GPU for the quality benchmark and send the tuned vectors back.

Runs ``training/fine_tune.py`` (the product's fine-tune) with ``device="cuda"`` for each
configuration, embeds the benchmark's train and test texts with each tuned model, and writes
them as int8 codes (``vectors_<config>.npy``, rows in ``split.npz`` order: train then test)
for ``scripts/bench_quality.py --vectors NAME=FILE`` to evaluate on the CPU machine beside
the baselines. Optionally (``--quick-eval``) prints the embedding + LR scores right there.

Needs only numpy, pandas, torch, sentence-transformers and scikit-learn (no MLflow, no
pydantic), so it runs on a bare GPU image with the repository on ``PYTHONPATH``.

Usage::

    PYTHONPATH=. python scripts/gpu_fine_tune.py --data crunchbase_dev.csv.gz \\
        --base minilm/ --split split.npz --out OUT --configs L6e3t128,L6e3t256
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crunchbase import load, quantise  # noqa: E402

from training.fine_tune import FineTuneParams, fine_tune_embedder  # noqa: E402

CONFIG_RE = re.compile(r"L(\d)e(\d+(?:\.\d+)?)t(\d+)(?:lr(\d+e-\d+))?(?:b(\d+))?")


def params_of(name: str, device: str) -> FineTuneParams:
    """``L6e3t128`` = 6 layers, 3 epochs, 128 tokens (``lr3e-5``, ``b16`` optional)."""
    m = CONFIG_RE.fullmatch(name)
    if not m:
        raise SystemExit(f"bad config {name!r}: expected like L6e3t128[lr3e-5][b16]")
    layers, epochs, tokens, lr, batch = m.groups()
    return FineTuneParams(
        layers=int(layers),
        epochs=float(epochs),
        max_tokens=int(tokens),
        lr=float(lr) if lr else 5e-5,
        batch_size=int(batch) if batch else 32,
        device=device,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--base", type=Path, required=True, help="base MiniLM model folder")
    parser.add_argument("--split", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--configs", default="L6e3t128")
    parser.add_argument("--budget", type=float, default=420, help="seconds; skip what won't fit")
    parser.add_argument("--quick-eval", action="store_true")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--smoke", type=int, default=0, help="use only N train / N test rows")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.time()

    from classifier.embedders.minilm_torch import MiniLMTorchEmbedder

    texts, Y, names = load(args.data)
    parts = np.load(args.split)
    train_idx, test_idx = parts["train_idx"], parts["test_idx"]
    if args.smoke:
        train_idx, test_idx = train_idx[: args.smoke], test_idx[: args.smoke]
    needed = np.concatenate([train_idx, test_idx])
    needed_texts = [texts[i] for i in needed]
    print(f"{len(train_idx)} train / {len(test_idx)} test, {len(names)} groups", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.configs.split(","):
        if time.time() - started > args.budget:
            print(f"skipping {name}: over the {args.budget:.0f}s budget", flush=True)
            continue
        if name == "base":
            model_dir = args.base
        else:
            model_dir = Path("/tmp/tuned") / name
            report = fine_tune_embedder(
                args.base,
                [texts[i] for i in train_idx],
                Y[train_idx],
                model_dir,
                params_of(name, args.device),
            )
            print(
                f"{name}: {report.steps} steps in {report.seconds:.0f}s, "
                f"loss {report.first_loss:.4f} -> {report.last_loss:.4f}",
                flush=True,
            )
        embedder = MiniLMTorchEmbedder(model_dir, device=args.device)
        t0 = time.time()
        vectors = embedder.encode(needed_texts, batch_size=256)
        np.save(args.out / f"vectors_{name}.npy", quantise(vectors))
        print(f"{name}: embedded {len(vectors)} texts in {time.time() - t0:.0f}s", flush=True)
        if args.quick_eval:
            quick_eval(name, vectors, Y, len(train_idx), needed, names)
    print(f"done in {time.time() - started:.0f}s", flush=True)


def quick_eval(name, vectors, Y, n_train, needed, names) -> None:
    """Embedding + LR scores of one configuration (the product's estimator, 16 jobs)."""
    from classifier.estimator import ClusterClassifier, EmbeddedTexts
    from training.metrics import evaluate

    t0 = time.time()
    Yn = Y[needed]
    model = ClusterClassifier(features="embedding", multilabel=True, cv=5, n_jobs=-1)
    model.fit(EmbeddedTexts([""] * n_train, vectors[:n_train]), Yn[:n_train])
    proba = model.predict_proba(EmbeddedTexts([""] * (len(Yn) - n_train), vectors[n_train:]))
    ev = evaluate(Yn[n_train:], proba, names, thresholds=model.thresholds_)
    m = ev.metrics
    print(
        f"{name}: embedding+LR micro-F1 {m['micro_f1']:.3f} macro-F1 {m['macro_f1']:.3f} "
        f"ECE {m['ece']:.3f} ({time.time() - t0:.0f}s)",
        flush=True,
    )


if __name__ == "__main__":
    main()
