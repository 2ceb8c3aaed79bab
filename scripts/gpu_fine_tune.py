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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crunchbase import load, quantise  # noqa: E402

from training.fine_tune import (  # noqa: E402
    FineTuneParams,
    FineTuneReport,
    fine_tune_embedder,
    resolve_device,
)

CONFIG_RE = re.compile(r"L(\d)e(\d+(?:\.\d+)?)t(\d+)(?:lr(\d+e-\d+))?(?:b(\d+))?(?:s(\d+))?")


def params_of(name: str, device: str) -> FineTuneParams:
    """``L6e3t128`` = 6 layers, 3 epochs, 128 tokens (``lr3e-5``, ``b16``, seed ``s1`` optional)."""
    m = CONFIG_RE.fullmatch(name)
    if not m:
        raise SystemExit(f"bad config {name!r}: expected like L6e3t128[lr3e-5][b16][s1]")
    layers, epochs, tokens, lr, batch, seed = m.groups()
    return FineTuneParams(
        layers=int(layers),
        epochs=float(epochs),
        max_tokens=int(tokens),
        lr=float(lr) if lr else 5e-5,
        batch_size=int(batch) if batch else 32,
        seed=int(seed) if seed else 0,
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
    parser.add_argument(
        "--soup",
        action="append",
        default=[],
        metavar="NAME=A+B",
        help="also average the weights of tuned configs A, B, ... into one model and embed it",
    )
    parser.add_argument(
        "--cross-fit",
        metavar="CONFIG[:FOLDS]",
        help="also cross-fit CONFIG: out-of-fold training vectors + the folds' weight average",
    )
    parser.add_argument("--no-embed", action="store_true", help="embed only the soups")
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

    def embed(name: str, model_dir: Path) -> None:
        embedder = MiniLMTorchEmbedder(model_dir, device=args.device)
        t0 = time.time()
        vectors = embedder.encode(needed_texts, batch_size=256)
        np.save(args.out / f"vectors_{name}.npy", quantise(vectors))
        print(f"{name}: embedded {len(vectors)} texts in {time.time() - t0:.0f}s", flush=True)
        if args.quick_eval:
            quick_eval(name, vectors, Y, len(train_idx), needed, names)

    tuned: dict[str, Path] = {"base": args.base}
    for name in args.configs.split(","):
        if time.time() - started > args.budget:
            print(f"skipping {name}: over the {args.budget:.0f}s budget", flush=True)
            continue
        if name != "base":
            tuned[name] = Path("/tmp/tuned") / name
            report = fine_tune_embedder(
                args.base,
                [texts[i] for i in train_idx],
                Y[train_idx],
                tuned[name],
                params_of(name, args.device),
            )
            print(
                f"{name}: {report.steps} steps in {report.seconds:.0f}s, "
                f"loss {report.first_loss:.4f} -> {report.last_loss:.4f}",
                flush=True,
            )
        if not args.no_embed:
            embed(name, tuned[name])
    for spec in args.soup:
        name, _, members = spec.partition("=")
        dirs = [tuned[m] for m in members.split("+") if m in tuned]
        if len(dirs) < 2 or time.time() - started > args.budget:
            print(f"skipping soup {name}: {len(dirs)} members or over budget", flush=True)
            continue
        average_weights(dirs, Path("/tmp/tuned") / name)
        embed(name, Path("/tmp/tuned") / name)
    if args.cross_fit:
        name, _, folds = args.cross_fit.partition(":")
        report = cross_fit_fine_tune(
            args.base,
            [texts[i] for i in train_idx],
            Y[train_idx],
            Path("/tmp/tuned") / f"cf-{name}",
            params_of(name, args.device),
            folds=int(folds or 5),
        )
        print(f"cross-fit {name}: {len(report.folds)} folds in {report.seconds:.0f}s", flush=True)
        soup = MiniLMTorchEmbedder(report.model_dir, device=args.device)
        test_vectors = soup.encode([texts[i] for i in test_idx], batch_size=256)
        np.save(
            args.out / f"vectors_cf-{name}.npy",
            quantise(np.vstack([report.oof_vectors, test_vectors])),
        )
        for k, fold in enumerate(report.folds):
            member = MiniLMTorchEmbedder(fold.model_dir, device=args.device)
            vectors = member.encode([texts[i] for i in test_idx], batch_size=256)
            np.save(args.out / f"test_cf-{name}-fold{k}.npy", quantise(vectors))
        embed(f"cf-{name}-soup", report.model_dir)
    print(f"done in {time.time() - started:.0f}s", flush=True)


def average_weights(model_dirs: Sequence[Path], out_dir: Path) -> Path:
    """A "model soup": the element-wise mean of the weights of models tuned from one base.

    Models fine-tuned from the same base with the same settings stay close to it, so the
    mean of their weights is a model of the same quality whose vectors live in the space
    all of them share. Files other than weights are copied from the first model.
    """
    import shutil

    from safetensors.torch import load_file, save_file

    if not model_dirs:
        raise ValueError("no models to average")
    first = Path(model_dirs[0])
    out_dir = Path(out_dir)
    shutil.copytree(first, out_dir, dirs_exist_ok=True)
    for weights in sorted(first.rglob("*.safetensors")):
        part = weights.relative_to(first)
        states = [load_file(str(Path(d) / part)) for d in model_dirs]
        mean = {
            key: (sum(s[key].double() for s in states) / len(states)).to(value.dtype)
            if value.is_floating_point()
            else value
            for key, value in states[0].items()
        }
        save_file(mean, str(out_dir / part), metadata={"format": "pt"})
    return out_dir


@dataclass(frozen=True)
class CrossFitReport:
    """A cross-fitted fine-tune: the averaged model, and out-of-fold vectors of its texts."""

    model_dir: Path
    oof_vectors: np.ndarray
    """Row ``i``: text ``i`` embedded by the fold model that did not train on it."""
    folds: list[FineTuneReport]
    fold_of: np.ndarray
    """Row ``i``: the fold text ``i`` was held out of (``folds[fold_of[i]]`` never saw it)."""

    @property
    def seconds(self) -> float:
        return float(sum(f.seconds for f in self.folds))


def cross_fit_fine_tune(
    base_dir: Path,
    texts: Sequence[str],
    Y: np.ndarray,
    out_dir: Path,
    params: FineTuneParams | None = None,
    folds: int = 5,
    sample_weight: np.ndarray | None = None,
) -> CrossFitReport:
    """Fine-tune ``folds`` models, each on all texts but one fold, and keep their average.

    A model tuned on the training texts embeds *those* texts better than any new one, so a
    classifier fitted on its training vectors learns from cleaner features than it will
    see, and its out-of-fold calibration and thresholds are tuned on them too. Here each
    training text is embedded by the fold model that never saw it (the out-of-fold vectors
    the classifier is fitted on), and the model kept for new texts is the mean of the fold
    models' weights (:func:`average_weights`), in whose space those vectors lie.
    Costs ``folds`` fine-tunes on ``(folds - 1) / folds`` of the texts: meant for a GPU.
    """
    from classifier.embedders.minilm_torch import MiniLMTorchEmbedder

    params = params or FineTuneParams()
    if folds < 2:
        raise ValueError(f"cross-fitting needs at least 2 folds, not {folds}")
    if len(texts) < folds:
        raise ValueError(f"{len(texts)} texts cannot be cut into {folds} folds")
    params = replace(params, device=resolve_device(params.device))
    out_dir = Path(out_dir)
    order = np.random.default_rng(params.seed).permutation(len(texts))
    parts = np.array_split(order, folds)
    reports: list[FineTuneReport] = []
    oof: np.ndarray | None = None
    fold_of = np.zeros(len(texts), dtype=int)
    for k, held in enumerate(parts):
        fold_of[held] = k
        keep = np.setdiff1d(order, held)
        report = fine_tune_embedder(
            base_dir,
            [texts[i] for i in keep],
            np.asarray(Y)[keep],
            out_dir / f"fold-{k}",
            params,
            None if sample_weight is None else np.asarray(sample_weight)[keep],
        )
        reports.append(report)
        vectors = MiniLMTorchEmbedder(report.model_dir, device=params.device).encode(
            [texts[i] for i in held]
        )
        if oof is None:
            oof = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
        oof[held] = vectors
        print(f"cross-fit: fold {k + 1}/{folds} done in {report.seconds:.0f}s", flush=True)
    model_dir = average_weights([r.model_dir for r in reports], out_dir / "model")
    return CrossFitReport(model_dir=model_dir, oof_vectors=oof, folds=reports, fold_of=fold_of)


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
