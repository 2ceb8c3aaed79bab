"""Discovery benchmark: does ``clusters discover`` recover industry groups hidden from the
taxonomy? (Crunchbase development file; development use only, never copied into the repo.)

Some industry groups (``--hide``) play the emerging activities: they are removed from the
"taxonomy" and from every label. Two runs of :func:`clusters.discovery.run.discover`:

* **pipeline**: a classifier (one-vs-rest logistic regression on the embeddings, thresholds
  tuned for F1 on a validation split; a fast stand-in for the product classifier) is trained
  on the known groups of a training split, classifies every company, and discovery selects
  its own candidates (unassigned, weak, far). Crunchbase companies carry 4-7 groups each and
  almost none carries hidden groups only, so most hidden-group companies are (rightly)
  assigned to a known group and never become candidates: *coverage* says how many did.
* **pool**: the candidate pool is given: every company in a hidden group plus as many random
  other companies as noise (``--noise``). This measures reduction, clustering, the
  stability filter and naming on their own.

For each hidden group: *coverage* (share of its companies among the candidates), *prevalence*
(its share of the candidates: the purity of a random group), and the best-matching kept
discovered group (by F1): its purity (share of its members in the hidden group), its recall (share of the hidden
group's companies, all of them, in it) and its top terms; ``union recall`` is the recall of
all kept groups whose purity is at least 50% for that hidden group (an activity may come out
split); ``found purity/recall``: the same for the groups found before the stability filter. A
company counts as in a hidden group when the group is one of its groups.

Usage::

    python scripts/bench_discovery.py [--cache PATH] [--embedder minilm] [--hide "A,B"]
    python scripts/bench_discovery.py --timing 100000   # cost of the default path on 2 cores
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
from crunchbase import DEFAULT_DATA

from classifier.cache import EmbeddingCache, embed_cached
from classifier.embedders import get_embedder
from clusters.config import get_settings
from clusters.contracts import join_labels
from clusters.discovery.reduce_cluster import reduce_and_cluster
from clusters.discovery.run import Discovery, discover
from clusters.discovery.settings import DiscoverySettings
from clusters.discovery.stability import group_stability

HIDDEN = (
    "Gaming,Agriculture and Farming,Music and Audio,Clothing and Apparel,Navigation and Mapping"
)


def load(path: Path) -> tuple[pd.DataFrame, list[list[str]]]:
    """Companies (``company_id``, ``name``, ``text``) and their industry groups."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    description = frame["full_description"].where(
        frame["full_description"] != "", frame["short_description"]
    )
    base = pd.DataFrame(
        {
            "company_id": [f"{i + 1:08d}" for i in range(len(frame))],
            "name": frame["name"],
            "text": frame["name"] + ". " + description,
        }
    )
    groups = [[g.strip() for g in v.split(",") if g.strip()] for v in frame["industry_groups"]]
    return base, groups


def embeddings(texts: list[str], embedder_name: str, cache_path: Path) -> tuple[np.ndarray, str]:
    embedder = get_embedder(embedder_name)
    cache = EmbeddingCache(cache_path)
    started = time.time()
    vectors, stats = embed_cached(embedder, texts, cache, show_progress=True)
    cache.close()
    print(f"embeddings {embedder.id}: {stats.hits} cached, {stats.computed} computed, "
          f"{time.time() - started:.0f}s")  # fmt: skip
    return vectors, embedder.id


def classify_known(
    vectors: np.ndarray, groups: list[list[str]], known: list[str], seed: int
) -> pd.DataFrame:
    """Predictions (labels, confidence, top_label) of a one-vs-rest logistic regression
    trained on 50% of the companies, thresholds tuned for F1 on another 20%."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    from classifier.estimator import confidence_from_proba

    index = {g: j for j, g in enumerate(known)}
    Y = np.zeros((len(groups), len(known)), dtype=np.int8)
    for i, gs in enumerate(groups):
        Y[i, [index[g] for g in gs if g in index]] = 1
    order = np.random.default_rng(seed).permutation(len(groups))
    train, valid = order[: len(order) // 2], order[len(order) // 2 : int(0.7 * len(order))]
    started = time.time()
    model = OneVsRestClassifier(LogisticRegression(C=4.0, max_iter=300), n_jobs=2)
    model.fit(vectors[train], Y[train])
    proba_valid = model.predict_proba(vectors[valid])
    grid = np.linspace(0.05, 0.9, 35)
    thresholds = np.array([_best_threshold(Y[valid, j], proba_valid[:, j], grid)
                           for j in range(len(known))])  # fmt: skip
    proba = model.predict_proba(vectors)
    assigned = proba >= thresholds
    names = np.asarray(known, dtype=object)
    print(f"classifier on {len(known)} known groups: {time.time() - started:.0f}s, "
          f"{assigned.any(axis=1).mean():.0%} of companies assigned")  # fmt: skip
    frame = pd.DataFrame(
        {
            "labels": [join_labels(names[row]) for row in assigned],
            "confidence": confidence_from_proba(proba, thresholds),
            "top_label": names[proba.argmax(axis=1)],
        }
    )
    return pd.concat([frame, pd.DataFrame(proba, columns=[f"p_{g}" for g in known])], axis=1)


def _best_threshold(y: np.ndarray, p: np.ndarray, grid: np.ndarray) -> float:
    tp = np.array([((p >= t) & (y == 1)).sum() for t in grid])
    predicted = np.array([(p >= t).sum() for t in grid])
    f1 = 2 * tp / np.maximum(predicted + y.sum(), 1)
    return float(grid[f1.argmax()])


def best_match(
    members: dict[str, np.ndarray], truth: np.ndarray
) -> tuple[str, float, float, float]:
    """The group with the best F1 for ``truth`` (id, purity, recall), and the recall of all
    groups at least 50% pure."""
    n = int(truth.sum())
    best, best_f1, purity, recall = "", 0.0, 0.0, 0.0
    union = np.zeros(len(truth), dtype=bool)
    for gid, rows in members.items():
        hit = int(truth[rows].sum())
        p, r = hit / len(rows), hit / n
        f1 = 2 * p * r / (p + r) if hit else 0.0
        if p >= 0.5:
            union[rows] = True
        if f1 > best_f1:
            best, best_f1, purity, recall = gid, f1, p, r
    return best, purity, recall, (union & truth).sum() / n


def recovery(
    result: Discovery, groups: list[list[str]], hidden: list[str], company_ids: pd.Series
) -> pd.DataFrame:
    """Per hidden group: coverage by the candidates, and purity and recall of the best-matching
    kept group (and of the best group found before the stability filter)."""
    position = {cid: i for i, cid in enumerate(company_ids)}
    cands = result.candidates.assign(row=result.candidates["company_id"].map(position))
    pool = np.zeros(len(company_ids), dtype=bool)
    pool[cands["row"].to_numpy()] = True
    kept = {g: part["row"].to_numpy() for g, part in cands[cands["group"] != ""].groupby("group")}
    found = {
        str(g): part["row"].to_numpy()
        for g, part in cands[cands["cluster"] >= 0].groupby("cluster")
    }
    terms = dict(zip(result.groups["draft_id"], result.groups["top_terms"], strict=True))
    rows = []
    for h in hidden:
        truth = np.array([h in gs for gs in groups])
        best, purity, recall, union = best_match(kept, truth)
        _, found_purity, found_recall, _ = best_match(found, truth)
        rows.append(
            {
                "hidden group": h,
                "companies": int(truth.sum()),
                "coverage": truth[pool].sum() / truth.sum(),
                "prevalence": truth[pool].mean(),
                "best kept group": best,
                "size": len(kept.get(best, [])),
                "purity": purity,
                "recall": recall,
                "union recall": union,
                "found purity": found_purity,
                "found recall": found_recall,
                "top terms": "; ".join(terms.get(best, "").split("; ")[:6]),
            }
        )
    return pd.DataFrame(rows)


def run_mode(name: str, base: pd.DataFrame, predictions: pd.DataFrame, vectors: np.ndarray,
             scope: np.ndarray | None, settings: DiscoverySettings, groups: list[list[str]],
             hidden: list[str]) -> None:  # fmt: skip
    texts = base["text"]
    started = time.time()
    result = discover(base, predictions, vectors, lambda rows: texts.iloc[rows].tolist(),
                      settings, scope=scope, focus=[])  # fmt: skip
    seconds = time.time() - started
    f = result.facts
    print(f"\n== {name}: {f['n_candidates']} candidates (unassigned {f['reasons']['unassigned']}, "
          f"weak {f['reasons']['weak']}, far {f['reasons']['far']}); {f['n_found']} groups found, "
          f"{f['n_kept']} kept, {f['n_grouped']} companies grouped; {seconds:.0f}s "
          f"({', '.join(f'{k} {v:.0f}s' for k, v in result.timings.items())})")  # fmt: skip
    table = recovery(result, groups, hidden, base["company_id"])
    with pd.option_context("display.width", 250, "display.max_colwidth", 60):
        print(table.round(3).to_string(index=False))
    print(f"mean purity {table['purity'].mean():.3f}, mean recall {table['recall'].mean():.3f}, "
          f"mean union recall {table['union recall'].mean():.3f}")  # fmt: skip
    print("top kept groups:")
    for row in result.groups.head(12).itertuples():
        print(f"  {int(row.rank):2d}. {row.size:5d} stab {row.stability:.2f} sil {row.silhouette:.2f} "
              f"nov {row.novelty:.2f}  {row.top_terms[:90]}")  # fmt: skip


def timing(n: int, vectors: np.ndarray, settings: DiscoverySettings) -> None:
    """Time the default reduce + cluster + stability path on ``n`` candidates (real vectors
    resampled with a little noise)."""
    rng = np.random.default_rng(0)
    sample = vectors[rng.integers(0, len(vectors), n)]
    sample = sample + rng.normal(0, 0.01, sample.shape).astype(np.float32)
    reduce_and_cluster(sample[:500], settings, 0)  # compile numba once
    started = time.time()
    clustering = reduce_and_cluster(sample, settings, settings.seed)
    clustered = time.time() - started
    started = time.time()
    group_stability(clustering.labels,
                    lambda rows, seed, scale: reduce_and_cluster(sample[rows], settings, seed, scale).labels,
                    settings.stability_runs, settings.stability_fraction, settings.stability_max,
                    settings.seed)  # fmt: skip
    print(f"{n} candidates x {vectors.shape[1]}: reduce + cluster {clustered:.0f}s "
          f"({clustering.n_groups} groups), stability ({settings.stability_runs} runs of "
          f"<= {settings.stability_max}) {time.time() - started:.0f}s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache", type=Path, default=None,
                        help="embedding cache (default: the configured cache)")  # fmt: skip
    parser.add_argument("--embedder", default="minilm")
    parser.add_argument("--hide", default=HIDDEN, help="comma-separated industry groups")
    parser.add_argument("--noise", type=float, default=1.0,
                        help="pool mode: random other companies per hidden-group company")  # fmt: skip
    parser.add_argument("--min-group-size", type=int, default=15)
    parser.add_argument("--min-stability", type=float, default=DiscoverySettings().min_stability)
    parser.add_argument("--mode", choices=["both", "pipeline", "pool"], default="both")
    parser.add_argument("--timing", type=int, default=0, help="only time N candidates")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    base, groups = load(args.data)
    cache = args.cache or get_settings().paths.cache_dir / "embeddings.sqlite"
    vectors, _ = embeddings(base["text"].tolist(), args.embedder, cache)
    settings = DiscoverySettings(
        min_group_size=args.min_group_size, min_stability=args.min_stability, seed=args.seed
    )
    if args.timing:
        timing(args.timing, vectors, settings)
        return
    hidden = [h.strip() for h in args.hide.split(",") if h.strip()]
    known = sorted({g for gs in groups for g in gs} - set(hidden))
    print(f"{len(base)} companies; hidden groups: {', '.join(hidden)}; {len(known)} known")

    if args.mode in ("both", "pipeline"):
        predictions = classify_known(vectors, groups, known, args.seed)
        predictions.insert(0, "company_id", base["company_id"])
        run_mode("pipeline", base, predictions, vectors, None, settings, groups, hidden)
    if args.mode in ("both", "pool"):
        in_hidden = np.array([any(g in hidden for g in gs) for gs in groups])
        rng = np.random.default_rng(args.seed)
        others = np.flatnonzero(~in_hidden)
        noise = rng.choice(
            others, min(len(others), int(args.noise * in_hidden.sum())), replace=False
        )
        pool = in_hidden.copy()
        pool[noise] = True
        # out of the pool: known groups as labels (cluster centroids); in it: unassigned
        labels = [join_labels(g for g in gs if g not in hidden) for gs in groups]
        predictions = pd.DataFrame({"company_id": base["company_id"], "confidence": 1.0,
                                    "labels": np.where(pool, "", labels)})  # fmt: skip
        run_mode("pool", base, predictions, vectors, pool, settings, groups, hidden)


if __name__ == "__main__":
    main()
