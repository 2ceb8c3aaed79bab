"""Diagnostic plots logged with every training run (PNG files)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402


def reliability_diagram(Y: np.ndarray, proba: np.ndarray, path: Path, n_bins: int = 10) -> Path:
    """Observed frequency against predicted probability over all (company, cluster) pairs."""
    y, p = np.asarray(Y, float).ravel(), np.asarray(proba, float).ravel()
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    centres, freqs, counts = [], [], []
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            centres.append(p[mask].mean())
            freqs.append(y[mask].mean())
            counts.append(int(mask.sum()))
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfectly calibrated")
    ax.plot(centres, freqs, "o-", label="model")
    for c, f, n in zip(centres, freqs, counts, strict=True):
        ax.annotate(str(n), (c, f), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set(xlabel="predicted probability", ylabel="observed frequency", xlim=(0, 1), ylim=(0, 1))
    ax.set_title("Reliability (all clusters)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def pr_curves(
    Y: np.ndarray, proba: np.ndarray, cluster_ids: Sequence[str], path: Path, max_clusters: int = 30
) -> Path:
    """Precision-recall curve per cluster (clusters with support), in a grid."""
    present = [j for j in range(len(cluster_ids)) if Y[:, j].sum() > 0][:max_clusters]
    cols = 5
    rows = max(1, int(np.ceil(len(present) / cols)))
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 2.6 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, j in zip(axes.ravel(), present, strict=False):
        precision, recall, _ = precision_recall_curve(Y[:, j], proba[:, j])
        ax.axis("on")
        ax.plot(recall, precision)
        ax.set_title(f"{cluster_ids[j]} (n={int(Y[:, j].sum())})", fontsize=8)
        ax.set(xlim=(0, 1), ylim=(0, 1.02))
        ax.tick_params(labelsize=7)
    fig.suptitle("Precision (y) against recall (x) per cluster")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return Path(path)
