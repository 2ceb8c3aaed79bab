"""Quality benchmark on real company descriptions (Crunchbase development file).

Reads ``../shared/data/crunchbase_dev.csv.gz`` (development use only: never copied into the
repo), makes a fixed seeded 80/20 split, and prints, side by side and in one run:

* TF-IDF + logistic regression (the baseline),
* MiniLM embeddings + logistic regression,
* the hybrid (``features="hybrid"``: embeddings + TF-IDF, one model over both),
* the product's default, the blend (``features="blend"``: one model over each, probabilities
  averaged),

each with per-cluster thresholds from out-of-fold predictions: micro/macro F1, precision,
recall and expected calibration error on the test split, and each model's gain over the
baseline with a 95% paired-bootstrap interval over the test companies.

Usage::

    python scripts/bench_quality.py [--data PATH] [--train N] [--test N] [--embedder minilm]

Embeddings are cached in ``cache/embeddings.sqlite``, so reruns are fast.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.cache import EmbeddingCache, embed_cached
from classifier.embedders import get_embedder
from classifier.estimator import ClusterClassifier, EmbeddedTexts
from clusters.config import get_settings
from training.metrics import evaluate, paired_difference

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crunchbase import DEFAULT_DATA, dequantise, load, split  # noqa: E402


def log_to_mlflow(table: pd.DataFrame, args, embedder_id: str, n_train: int, n_test: int) -> None:
    """Log every variant's numbers, side by side, as one run of the 'benchmarks' experiment."""
    import mlflow

    from training.tracking import use_experiment

    use_experiment(get_settings(), "benchmarks")
    with mlflow.start_run(run_name="crunchbase quality"):
        mlflow.log_params(
            {
                "data": str(args.data),
                "n_train": n_train,
                "n_test": n_test,
                "seed": args.seed,
                "embedder_id": embedder_id,
            }
        )
        for _, row in table.iterrows():
            prefix = re.sub(r"[^a-z0-9]+", "_", row["model"].lower()).strip("_")
            mlflow.log_metrics(
                {
                    f"{prefix}_{k}": float(v)
                    for k, v in row.items()
                    if k != "model" and np.isfinite(float(v))
                }
            )
        mlflow.log_text(table.to_csv(index=False), "benchmark.csv")


def fine_tuned_vectors(args, texts, Y, train_idx, needed, cache) -> np.ndarray:
    """Fine-tune MiniLM's top layers on the training split; embed every needed text with it."""
    import tempfile

    from classifier.embedders.minilm_torch import default_minilm_dir
    from training.fine_tune import FineTuneParams, fine_tune_embedder

    if args.tuned_dir:
        out = args.tuned_dir
        print(f"reusing the tuned model in {out}")
    else:
        out = Path(tempfile.mkdtemp(prefix="bench-fine-tune-"))
        report = fine_tune_embedder(
            default_minilm_dir(),
            [texts[i] for i in train_idx],
            Y[train_idx],
            out,
            FineTuneParams(epochs=args.fine_tune),
        )
        print(
            f"fine-tuned on {report.texts} texts: {report.steps} steps in {report.seconds:.0f}s, "
            f"loss {report.first_loss:.4f} -> {report.last_loss:.4f} (model in {out})"
        )
    tuned = get_embedder("minilm", model_dir=out)
    started = time.time()
    emb = np.zeros((len(texts), tuned.dim), dtype=np.float32)
    emb[needed], stats = embed_cached(tuned, [texts[i] for i in needed], cache, show_progress=True)
    print(f"embedded with {tuned.id}: {stats.computed} computed, {time.time() - started:.0f}s")
    return emb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--train", type=int, default=0, help="cap on training rows (0 = all)")
    parser.add_argument("--test", type=int, default=0, help="cap on test rows (0 = all)")
    parser.add_argument("--embedder", default="minilm")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--mlflow", action="store_true", help="log the table as an MLflow run")
    parser.add_argument(
        "--fine-tune",
        type=float,
        default=0,
        metavar="EPOCHS",
        help="also fine-tune MiniLM's top layers on the training split for EPOCHS epochs "
        "(training/fine_tune.py) and run the embedding and blend variants on tuned vectors",
    )
    parser.add_argument(
        "--tuned-dir",
        type=Path,
        help="with --fine-tune: reuse the tuned model saved in this folder by an earlier run",
    )
    parser.add_argument(
        "--vectors",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="also evaluate vectors made elsewhere (scripts/gpu_fine_tune.py: int8 codes, rows "
        "in split order, train then test), alone, in the hybrid and in the blend; repeatable",
    )
    parser.add_argument(
        "--no-base",
        action="store_true",
        help="skip the base embedder's variants (TF-IDF and --vectors only: no embedding here)",
    )
    parser.add_argument("--save-split", type=Path, help="write the split (npz) and stop")
    parser.add_argument(
        "--variants",
        default="tfidf,embedding,hybrid,blend,stacked",
        help="comma-separated subset of tfidf,embedding,hybrid,blend,stacked to run (the "
        "embedding, hybrid and blend variants also choose what runs on --vectors)",
    )
    args = parser.parse_args()

    texts, Y, names = load(args.data)
    train_idx, test_idx = split(len(texts), args.seed, args.train, args.test)
    if args.save_split:
        np.savez(args.save_split, train_idx=train_idx, test_idx=test_idx)
        print(f"split saved to {args.save_split}")
        return
    print(f"{len(train_idx)} train / {len(test_idx)} test companies, {len(names)} groups")

    embedder = get_embedder(args.embedder)
    cache = EmbeddingCache(get_settings().paths.cache_dir / "embeddings.sqlite")
    needed = np.concatenate([train_idx, test_idx])
    emb = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    wanted = set(args.variants.split(","))
    if args.no_base:
        print(f"not embedding with {embedder.id}: --no-base")
    else:
        started = time.time()
        emb[needed], stats = embed_cached(
            embedder, [texts[i] for i in needed], cache, show_progress=True
        )
        print(
            f"embedded with {embedder.id}: {stats.computed} computed, {stats.hits} cached, "
            f"{time.time() - started:.0f}s"
        )

    tr_text = [texts[i] for i in train_idx]
    te_text = [texts[i] for i in test_idx]
    variants = [
        (label, features, stack, emb)
        for key, label, features, stack in (
            ("tfidf", "TF-IDF + LR (baseline)", "tfidf", False),
            ("embedding", f"{args.embedder} + LR", "embedding", False),
            ("hybrid", f"hybrid {args.embedder} + TF-IDF", "hybrid", False),
            ("blend", f"blend {args.embedder} | TF-IDF (product default)", "blend", False),
            ("stacked", f"hybrid {args.embedder} + TF-IDF, stacked", "hybrid", True),
        )
        if key in wanted and (key == "tfidf" or not args.no_base)
    ]
    if args.fine_tune:
        tuned = fine_tuned_vectors(args, texts, Y, train_idx, needed, cache)
        variants += [
            (f"fine-tuned {args.embedder} + LR", "embedding", False, tuned),
            (
                f"blend fine-tuned {args.embedder} | TF-IDF (product, fine_tune)",
                "blend",
                False,
                tuned,
            ),
        ]
    for spec in args.vectors:
        name, _, path = spec.partition("=")
        codes = np.load(path)
        if len(codes) != len(needed):
            raise SystemExit(f"{path}: {len(codes)} rows, the split has {len(needed)}")
        outside = np.zeros((len(texts), codes.shape[1]), dtype=np.float32)
        outside[needed] = dequantise(codes)
        variants += [
            (label, features, False, outside)
            for label, features in (
                (f"{name} + LR", "embedding"),
                (f"hybrid {name} + TF-IDF", "hybrid"),
                (f"blend {name} | TF-IDF", "blend"),
            )
            if features in wanted
        ]
    rows = []
    predictions: dict[str, np.ndarray] = {}
    for label, features, stack, emb in variants:
        t0 = time.time()
        model = ClusterClassifier(
            features=features, multilabel=True, cv=5, n_jobs=args.jobs, stack=stack
        )
        X_train = tr_text if features == "tfidf" else EmbeddedTexts(tr_text, emb[train_idx])
        X_test = te_text if features == "tfidf" else EmbeddedTexts(te_text, emb[test_idx])
        model.fit(X_train, Y[train_idx])
        proba = model.predict_proba(X_test)
        ev = evaluate(Y[test_idx], proba, names, thresholds=model.thresholds_)
        predictions[label] = ev.Y_pred
        rows.append(
            {
                "model": label,
                **{
                    k: ev.metrics[k]
                    for k in ("micro_f1", "macro_f1", "micro_precision", "micro_recall", "ece")
                },
                "fit_s": time.time() - t0,
            }
        )
        print(pd.DataFrame(rows[-1:]).round(3).to_string(index=False, header=len(rows) == 1))
    table = pd.DataFrame(rows)
    print(table.round(3).to_string(index=False))
    baseline = table[table["model"].str.startswith("TF-IDF")]
    base = baseline.iloc[0] if len(baseline) else None
    for i, row in enumerate(table.itertuples()) if base is not None else ():
        if row.model == base.model:
            continue
        gains = paired_difference(Y[test_idx], predictions[row.model], predictions[base.model])
        print(f"{row.model} vs baseline: " + ", ".join(g.describe() for g in gains))
        for g in gains:
            for suffix, value in (("", g.difference), ("_ci_low", g.low), ("_ci_high", g.high)):
                table.loc[i, f"gain_{g.metric}{suffix}"] = value
    if args.mlflow:
        log_to_mlflow(table, args, embedder.id, len(train_idx), len(test_idx))
    print("targets: micro-F1 >= 0.66, macro-F1 >= 0.60, +0.04 over TF-IDF on both, ECE <= 0.05")


if __name__ == "__main__":
    main()
