"""The Crunchbase development file used by the quality benchmarks: texts, labels and split.

Development use only: the file is read from ``../shared/data`` and never copied into the repo.
Pure pandas/numpy, so the GPU fine-tune driver can import it on a machine without the
product's other dependencies.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/crunchbase_dev.csv.gz"


def load(path: Path) -> tuple[list[str], np.ndarray, list[str]]:
    """Texts (name + full description, else short), the label matrix and the group names."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    text = (
        frame["name"]
        + ". "
        + frame["full_description"].where(
            frame["full_description"] != "", frame["short_description"]
        )
    ).tolist()
    groups = frame["industry_groups"].map(lambda v: [g.strip() for g in v.split(",") if g.strip()])
    names = sorted({g for gs in groups for g in gs})
    index = {g: j for j, g in enumerate(names)}
    Y = np.zeros((len(frame), len(names)), dtype=np.int8)
    for i, gs in enumerate(groups):
        Y[i, [index[g] for g in gs]] = 1
    return text, Y, names


def split(n: int, seed: int = 42, train: int = 0, test: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The fixed, seeded 80/20 split (optionally capped): training and test row indices."""
    order = np.random.default_rng(seed).permutation(n)
    cut = int(0.8 * n)
    train_idx, test_idx = order[:cut], order[cut:]
    return (train_idx[:train] if train else train_idx), (test_idx[:test] if test else test_idx)


def quantise(vectors: np.ndarray) -> np.ndarray:
    """Unit vectors as int8 (x127): how tuned vectors travel back from a GPU machine."""
    return np.clip(np.rint(vectors * 127.0), -127, 127).astype(np.int8)


def dequantise(codes: np.ndarray) -> np.ndarray:
    """float32 unit vectors from :func:`quantise` codes (renormalised)."""
    vectors = codes.astype(np.float32) / 127.0
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)
