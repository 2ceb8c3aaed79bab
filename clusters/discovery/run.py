"""``clusters discover``: load a classified base, find emerging groups, write and log them.

:func:`discover` is the pipeline over in-memory data (no I/O): candidates → reduce and
cluster → stability filter → describe → rank → drafts, seed labels and map points.
:func:`run_discovery` is the edge: it reads the company base and predictions written by
``clusters run`` / ``clusters classify``, takes the embeddings from the embedding cache
(embedding only what is missing, with the embedder that classified them), runs
:func:`discover` inside an MLflow run of the ``discovery`` experiment, and writes into the
output folder::

    report.html            the discovery report (self-contained, with the 2-D map)
    groups.csv             one row per kept group: size, cohesion, stability, signals, rank
    candidates.parquet     every candidate: why, nearest cluster, group (draft id) if any
    draft_taxonomy.yaml    a draft taxonomy entry per kept group (validates as a taxonomy)
    seed_labels.csv        central members as candidate positive labels (labels contract)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from clusters.config import Settings, get_settings
from clusters.contracts import PROBABILITY_PREFIX, ContractError
from clusters.discovery.candidates import (
    REASONS,
    best_fit,
    cluster_centroids,
    far_threshold,
    flag_candidates,
    has_description,
    labels_of,
    nearest_centroid,
    not_trading,
    unit_rows,
)
from clusters.discovery.describe import (
    BaseFacts,
    GroupDescription,
    TextSource,
    describe_groups,
    sic_summary,
    with_novelty,
)
from clusters.discovery.draft import draft_entries, drafts_taxonomy, dump_drafts, seed_labels
from clusters.discovery.rank import rank_groups
from clusters.discovery.reduce_cluster import cohesion, map_2d, reduce_and_cluster
from clusters.discovery.report import MapPoints, render_report
from clusters.discovery.settings import DiscoverySettings
from clusters.discovery.stability import group_stability
from clusters.taxonomy import Cluster, Taxonomy, TaxonomyError, load_taxonomy

logger = logging.getLogger(__name__)

METHOD = (
    "candidates' embeddings reduced with PCA and UMAP, grouped with HDBSCAN, groups kept "
    "when stable across re-clusterings of random subsamples with other seeds, described by "
    "class-based TF-IDF against the whole base."
)


@dataclass
class Discovery:
    """What :func:`discover` found (groups in rank order)."""

    groups: pd.DataFrame
    """Kept groups, ranked: ``draft_id``, ``name``, ``size``, cohesion, ``stability``,
    signals, ``emergence``, ``rank``, ``top_terms``, ``top_sic``."""
    dropped: pd.DataFrame
    """Groups dropped as unstable: ``size``, ``stability``, ``silhouette``, ``terms``."""
    candidates: pd.DataFrame
    """One row per candidate: ``company_id``, ``name``, the reason flags, ``reason``,
    ``nearest_cluster``, ``similarity``, ``group`` (draft id of a kept group, empty if none),
    ``cluster`` (HDBSCAN group before the stability filter, -1 = noise), ``strength``."""
    descriptions: list[GroupDescription]
    drafts: list[Cluster]
    seeds: pd.DataFrame
    map_points: MapPoints
    facts: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def draft_taxonomy(self, run: str) -> Taxonomy | None:
        """The drafts as a taxonomy document (``None`` when no group was kept)."""
        return drafts_taxonomy(self.drafts, run) if self.drafts else None


def align_predictions(base: pd.DataFrame, predictions: pd.DataFrame) -> pd.DataFrame:
    """Predictions in base row order with ``fit`` (see :func:`best_fit`); a company without
    one is unassigned (fit 0)."""
    keep = [c for c in ("company_id", "labels", "top_label", "text_hash") if c in predictions]
    predictions = predictions.assign(fit=best_fit(predictions))
    if "labels" not in keep:
        raise ContractError("predictions have no 'labels' column")
    aligned = (
        base[["company_id"]]
        .reset_index(drop=True)
        .merge(
            predictions[[*keep, "fit"]].drop_duplicates("company_id"), on="company_id", how="left"
        )
    )
    aligned["labels"] = aligned["labels"].fillna("")
    aligned["fit"] = aligned["fit"].fillna(0.0)
    return aligned


def scope_mask(
    base: pd.DataFrame, regions: Sequence[str] = (), since: date | None = None
) -> np.ndarray:
    """Companies in any of ``regions`` (name or code) and incorporated on or after ``since``.

    >>> base = pd.DataFrame({"region_name": ["West Midlands", "London"],
    ...                      "incorporation_date": ["2020-05-01", "2024-01-01"]})
    >>> scope_mask(base, ["west midlands"]).tolist(), scope_mask(base, since=date(2021, 1, 1)).tolist()
    ([True, False], [False, True])
    """
    mask = np.ones(len(base), dtype=bool)
    if regions:
        wanted = {r.casefold() for r in regions}
        hit = np.zeros(len(base), dtype=bool)
        for column in ("region_name", "region_code"):
            if column in base.columns:
                hit |= base[column].astype(str).str.casefold().isin(wanted).to_numpy()
        mask &= hit
    if since is not None:
        dates = pd.to_datetime(base.get("incorporation_date"), errors="coerce")
        mask &= (dates >= pd.Timestamp(since)).to_numpy()
    return mask


def what_a_group_does(terms: str, sic: str) -> str:
    """A group's one-line description: its top terms, else its SIC mix (terms come from
    descriptions only, so a group of name-only companies has none).

    >>> what_a_group_does("vertical farm; hydroponic", "01130 (80%)")
    'vertical farm; hydroponic'
    >>> what_a_group_does("", "25620 (12%), 25710 (10%)")
    'no distinctive terms; SIC 25620 (12%), 25710 (10%)'
    >>> what_a_group_does("", "")
    'no distinctive terms or SIC codes'
    """
    if terms:
        return terms
    return f"no distinctive terms; SIC {sic}" if sic else "no distinctive terms or SIC codes"


def too_few_candidates(found: int, base: pd.DataFrame, settings: DiscoverySettings) -> str:
    """Why discovery cannot start: fewer candidates than the smallest group, and what to do."""
    message = (
        f"{found} of {len(base)} companies are candidates (unassigned, weakly assigned or far "
        f"from every cluster, in scope"
        f"{', with a description' if settings.require_description else ''}); the smallest "
        f"group is {settings.min_group_size} (discovery.min_group_size)"
    )
    if settings.require_description and not has_description(base).any():
        message += (
            ". No company has a website or filing description: add them (clusters ingest "
            "websites / accounts), or group by names and SIC titles alone with "
            "discovery.require_description: false"
        )
    return message


def discover(
    base: pd.DataFrame,
    predictions: pd.DataFrame,
    vectors: np.ndarray,
    texts: TextSource,
    settings: DiscoverySettings,
    *,
    scope: np.ndarray | None = None,
    focus: Sequence[str] | None = None,
    sic_titles: Mapping[str, str] | None = None,
    existing_ids: Sequence[str] = (),
) -> Discovery:
    """Find, check, describe and rank emerging groups (a pure function of its inputs).

    Args:
        base: the company base (``company_id``, ``name``; ``sic_codes``,
            ``incorporation_date``, ``lad_name``, ``region_name`` when known).
        predictions: the classifier's predictions (``company_id``, ``labels``,
            ``p_<cluster>`` or ``confidence``; ``top_label`` for the map).
        vectors: one embedding per base row, in base order.
        texts: the text of base rows (positions), for terms, examples and seed labels.
        settings: the discovery settings.
        scope: candidates are taken only from these rows (default: all; and only rows with
            a description when ``settings.require_description``).
        focus: regions for shares and specialisation (default ``settings.focus_regions``).
        sic_titles: SIC code → title for the SIC mix.
        existing_ids: cluster ids the drafts must not reuse.
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    if len(vectors) != len(base):
        raise ValueError(f"{len(vectors)} vectors for {len(base)} companies")
    focus = list(settings.focus_regions if focus is None else focus)
    aligned = align_predictions(base, predictions)
    unit = unit_rows(vectors)
    labels = labels_of(aligned)
    cluster_ids, centroids = cluster_centroids(unit, labels)
    nearest, similarity = nearest_centroid(unit, centroids)
    in_scope = np.ones(len(base), dtype=bool) if scope is None else np.asarray(scope, bool)
    if settings.require_description:
        in_scope = in_scope & has_description(base)
    in_scope = in_scope & ~not_trading(base)
    flags = flag_candidates(labels, aligned["fit"].to_numpy(), similarity, in_scope, settings)
    rows = np.flatnonzero(flags["candidate"].to_numpy())
    if len(rows) < settings.min_group_size:
        raise ValueError(too_few_candidates(len(rows), base, settings))
    lap("candidates")

    clustering = reduce_and_cluster(unit[rows], settings, settings.seed)
    lap("reduce_cluster")
    stability = group_stability(
        clustering.labels,
        lambda sub, seed, scale: reduce_and_cluster(unit[rows][sub], settings, seed, scale).labels,
        settings.stability_runs,
        settings.stability_fraction,
        settings.stability_max,
        settings.seed,
    )
    lap("stability")

    stats = cohesion(unit[rows], clustering, settings.seed)
    stats["stability"] = stability
    members = [rows[clustering.labels == g] for g in range(clustering.n_groups)]
    facts = BaseFacts.of(base)
    described = with_novelty(
        describe_groups(members, unit, facts, texts, sic_titles or {}, focus, settings),
        unit,
        cluster_ids,
        centroids,
    )
    lap("describe")

    keep = stats["stability"].to_numpy() >= settings.min_stability
    stats = stats.assign(
        growth_ratio=[d.growth_ratio for d in described],
        recent_share=[d.recent_share for d in described],
        specialisation=[d.specialisation for d in described],
        focus_share=[d.focus_share for d in described],
        novelty=[d.novelty for d in described],
        nearest_cluster=[d.nearest_cluster for d in described],
        top_terms=["; ".join(d.term_list) for d in described],
        top_sic=[sic_summary(d) for d in described],
    )
    ranked = rank_groups(stats[keep], settings)
    kept = [described[g] for g in ranked["group"]]
    drafts = draft_entries(kept, existing_ids, date.today().isoformat())
    ranked.insert(0, "draft_id", [e.id for e in drafts])
    ranked.insert(1, "name", [e.name for e in drafts])
    dropped = stats[~keep][["group", "size", "stability", "silhouette", "top_terms"]].rename(
        columns={"top_terms": "terms"}
    )
    seeds = seed_labels(
        kept,
        drafts,
        [texts(d.members[: settings.seed_labels]) for d in kept],
        facts.company_id,
        settings.seed_labels,
    )
    group_of = np.full(len(base), "", dtype=object)
    for d, entry in zip(kept, drafts, strict=True):
        group_of[d.members] = entry.id
    strength = np.zeros(len(base))
    strength[rows] = clustering.strength
    candidates = pd.DataFrame(
        {
            "company_id": facts.company_id.iloc[rows].to_numpy(),
            "name": facts.name.iloc[rows].to_numpy(),
            **{r: flags[r].to_numpy()[rows] for r in REASONS},
            "reason": flags["reason"].to_numpy()[rows],
            "nearest_cluster": [cluster_ids[i] if i >= 0 else None for i in nearest[rows]],
            "similarity": similarity[rows],
            "group": group_of[rows],
            "cluster": clustering.labels,
            "strength": strength[rows],
        }
    )
    lap("rank_draft")
    points = map_points(unit, aligned, rows, group_of, drafts, settings)
    lap("map")

    assigned = np.array([len(x) > 0 for x in labels])
    summary = {
        "n_base": len(base),
        "n_scope": int(in_scope.sum()),
        "n_candidates": len(rows),
        "reasons": {r: int(flags[r].to_numpy()[rows].sum()) for r in REASONS},
        "far_threshold": far_threshold(similarity[assigned], settings.far_quantile),
        "n_found": clustering.n_groups,
        "n_kept": len(kept),
        "n_grouped": int(sum(d.size for d in kept)),
        "focus": focus,
        "method": METHOD if settings.reducer == "umap" else METHOD.replace(" and UMAP", ""),
    }
    logger.info(
        "discovery: %d candidates of %d companies, %d groups found, %d kept as stable",
        len(rows), len(base), clustering.n_groups, len(kept),
    )  # fmt: skip
    return Discovery(
        groups=ranked.reset_index(drop=True),
        dropped=dropped.reset_index(drop=True),
        candidates=candidates,
        descriptions=kept,
        drafts=drafts,
        seeds=seeds,
        map_points=points,
        facts=summary,
        timings=timings,
    )


def map_points(
    unit: np.ndarray,
    aligned: pd.DataFrame,
    rows: np.ndarray,
    group_of: np.ndarray,
    drafts: Sequence[Cluster],
    settings: DiscoverySettings,
) -> MapPoints:
    """A sample for the 2-D map: candidates (group members first) and as many classified
    companies that are not candidates."""
    rng = np.random.default_rng(settings.seed)
    grouped = rows[group_of[rows] != ""]
    loose = rows[group_of[rows] == ""]
    take = min(len(grouped), settings.map_sample)
    chosen = [rng.choice(grouped, take, replace=False)] if take else []
    room = settings.map_sample - take
    if room > 0 and len(loose):
        chosen.append(rng.choice(loose, min(room, len(loose)), replace=False))
    assigned = np.setdiff1d(np.flatnonzero(aligned["labels"].to_numpy() != ""), rows)
    if len(assigned):
        chosen.append(rng.choice(assigned, min(settings.map_sample, len(assigned)), replace=False))
    picked = np.concatenate(chosen) if chosen else np.zeros(0, dtype=int)
    if len(picked) == 0:
        return MapPoints(pd.DataFrame(columns=["x", "y", "kind", "label"]))
    xy = map_2d(unit[picked], settings, settings.seed)
    names = {e.id: e.id.removeprefix("draft-") for e in drafts}
    top = aligned.get("top_label", aligned["labels"].str.split(";").str[0]).to_numpy()
    candidate = np.isin(picked, rows)
    kind = np.where(group_of[picked] != "", "group", np.where(candidate, "candidate", "cluster"))
    label = np.where(
        kind == "group",
        [names.get(g, "") for g in group_of[picked]],
        np.where(kind == "cluster", top[picked].astype(str), ""),
    )
    return MapPoints(pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "kind": kind, "label": label}))


# --- the edge: files, embeddings, MLflow ----------------------------------------------------


class PreparedTexts:
    """Texts of company-base rows, prepared on demand (the recipe of ``classifier.text``)."""

    def __init__(self, base: pd.DataFrame, sic_titles: Mapping[str, str]) -> None:
        self.base = base.reset_index(drop=True)
        self.sic_titles = sic_titles
        self._texts: dict[int, str] = {}

    def __call__(self, rows: np.ndarray) -> list[str]:
        from classifier.text import prepare_texts

        rows = [int(r) for r in rows]
        missing = sorted({r for r in rows if r not in self._texts})
        if missing:
            prepared = prepare_texts(self.base.iloc[missing], self.sic_titles)
            self._texts.update(zip(missing, prepared["text"].tolist(), strict=True))
        return [self._texts[r] for r in rows]


def resolve_embedder(
    predictions: Path, model_uri: str | None, embedder: str | None, settings: Settings
) -> object:
    """The embedder to read (and fill) the cache with.

    Order: ``embedder`` by name; the model ``model_uri``; the model that wrote the
    predictions (from the batch job's manifest); the champion.
    """
    from classifier.classify import resolve_model
    from classifier.embedders import get_embedder
    from clusters.batch.layout import layout_for
    from clusters.batch.manifest import read_manifest

    if embedder:
        return get_embedder(embedder)
    if model_uri:
        return resolve_model(model_uri, settings).embedder
    manifest_path = layout_for(predictions).manifest
    if not manifest_path.is_file() and Path(predictions).is_dir():
        manifest_path = Path(predictions) / "manifest.json"
    if manifest_path.is_file():
        model = read_manifest(manifest_path)["model"]
        try:
            found = get_embedder(model["embedder"])
        except (ValueError, FileNotFoundError):
            found = None
        if found is not None and found.id == model["embedder_id"]:
            return found
        version = str(model.get("version", ""))
        if "/v" in version:
            name, number = version.rsplit("/v", 1)
            return resolve_model(f"models:/{name}/{number}", settings).embedder
        return resolve_model(model.get("uri"), settings).embedder
    return resolve_model(None, settings).embedder


def embeddings_for(
    base: pd.DataFrame,
    aligned: pd.DataFrame,
    texts: PreparedTexts,
    embedder: object,
    cache_path: Path,
) -> tuple[np.ndarray, dict[str, int]]:
    """One vector per base row: from the cache by the predictions' text hash, and embedded
    (and cached) from the prepared text where the cache has none."""
    from classifier.cache import EmbeddingCache, embed_cached

    cache = EmbeddingCache(cache_path)
    try:
        hashes = aligned.get("text_hash", pd.Series(None, index=aligned.index)).tolist()
        found = cache.get(embedder.id, [h for h in hashes if isinstance(h, str)])
        vectors = np.zeros((len(base), embedder.dim), dtype=np.float32)
        missing = []
        for i, h in enumerate(hashes):
            if isinstance(h, str) and h in found:
                vectors[i] = found[h]
            else:
                missing.append(i)
        if missing:
            vectors[missing], _ = embed_cached(embedder, texts(np.array(missing)), cache)
    finally:
        cache.close()
    return vectors, {"cached": len(base) - len(missing), "embedded": len(missing)}


@dataclass
class DiscoveryRun:
    """Where :func:`run_discovery` wrote its outputs, and what it found."""

    discovery: Discovery
    outputs: dict[str, Path]
    run_id: str | None

    def summary(self) -> list[str]:
        """Lines for the command line."""
        f = self.discovery.facts
        lines = [
            f"{f['n_candidates']} candidates of {f['n_base']} companies "
            f"(unassigned {f['reasons']['unassigned']}, weak {f['reasons']['weak']}, "
            f"far {f['reasons']['far']})",
            f"{f['n_found']} groups found, {f['n_kept']} kept as stable",
        ]
        for row in self.discovery.groups.head(10).itertuples():
            lines.append(
                f"  {int(row.rank)}. {row.draft_id} ({row.size}): "
                f"{what_a_group_does(row.top_terms, row.top_sic)}"
            )
        lines += [f"{name}: {path}" for name, path in self.outputs.items()]
        if self.run_id:
            lines.append(f"MLflow run: {self.run_id}")
        return lines


def existing_cluster_ids(predictions: pd.DataFrame, settings: Settings) -> list[str]:
    """Cluster ids of the predictions' model and of the configured taxonomy."""
    ids = [
        c[len(PROBABILITY_PREFIX) :]
        for c in predictions.columns
        if c.startswith(PROBABILITY_PREFIX)
    ]
    try:
        ids += load_taxonomy(settings.paths.taxonomy).ids
    except TaxonomyError:
        logger.warning("taxonomy %s unreadable; draft ids checked against predictions only",
                       settings.paths.taxonomy)  # fmt: skip
    return ids


def write_outputs(
    result: Discovery, output_dir: Path, report_html: str, run: str
) -> dict[str, Path]:
    """Write the discovery's files into ``output_dir`` (created)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "report": output_dir / "report.html",
        "groups": output_dir / "groups.csv",
        "candidates": output_dir / "candidates.parquet",
        "draft taxonomy": output_dir / "draft_taxonomy.yaml",
        "seed labels": output_dir / "seed_labels.csv",
    }
    paths["report"].write_text(report_html, encoding="utf-8")
    result.groups.to_csv(paths["groups"], index=False)
    result.candidates.to_parquet(paths["candidates"], index=False)
    taxonomy = result.draft_taxonomy(run)
    paths["draft taxonomy"].write_text(
        dump_drafts(taxonomy, run) if taxonomy else "# No stable group was found.\n",
        encoding="utf-8",
    )
    result.seeds.to_csv(paths["seed labels"], index=False)
    return paths


def report_html(result: Discovery, facts: Mapping[str, object], settings: DiscoverySettings,
                run: str) -> str:  # fmt: skip
    """The report page of a discovery."""
    taxonomy = result.draft_taxonomy(run)
    entries = {c.id: c for c in taxonomy.clusters} if taxonomy else {}
    groups = [
        {
            "d": d,
            "draft": entries[row["draft_id"]],
            "row": row,
            "draft_yaml": dump_drafts_entry(entries[row["draft_id"]]),
        }
        for d, row in zip(result.descriptions, result.groups.to_dict("records"), strict=True)
    ]
    return render_report(
        title="Emerging-cluster discovery",
        facts={**result.facts, **facts},
        groups=groups,
        dropped=result.dropped,
        map_points=result.map_points,
        timings=result.timings,
        settings=settings.model_dump(),
    )


def dump_drafts_entry(entry: Cluster) -> str:
    """YAML of one draft entry, as it would sit in a taxonomy's cluster list."""
    return yaml.safe_dump(
        [entry.model_dump(mode="json", exclude_none=True)],
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )


def run_discovery(
    companies: Path | None = None,
    predictions: Path | None = None,
    output_dir: Path | None = None,
    *,
    model_uri: str | None = None,
    embedder: str | None = None,
    regions: Sequence[str] = (),
    since: date | None = None,
    settings: Settings | None = None,
    discovery: DiscoverySettings | None = None,
) -> DiscoveryRun:
    """Run discovery on a classified company base and log it to MLflow.

    Defaults follow ``clusters run``: ``<output_dir>/companies.parquet``,
    ``<output_dir>/predictions.parquet``, and outputs in ``<output_dir>/discovery``.
    ``regions`` restricts the candidates (and replaces the focus regions); ``since`` keeps
    companies incorporated on or after that date.
    """
    import mlflow

    from clusters.batch.layout import read_predictions
    from clusters.company_base import load_company_base
    from clusters.sic import default_reference
    from training.tracking import use_experiment

    settings = settings or get_settings()
    ds = discovery or settings.discovery
    companies = Path(companies or settings.paths.output_dir / "companies.parquet")
    predictions = Path(predictions or settings.paths.output_dir / "predictions.parquet")
    output_dir = Path(output_dir or settings.paths.output_dir / "discovery")
    started = time.perf_counter()

    base = load_company_base(companies).reset_index(drop=True)
    predicted = read_predictions(predictions)
    titles = default_reference().titles
    texts = PreparedTexts(base, titles)
    aligned = align_predictions(base, predicted)
    embedder_obj = resolve_embedder(predictions, model_uri, embedder, settings)
    vectors, cache_counts = embeddings_for(
        base, aligned, texts, embedder_obj, settings.paths.cache_dir / "embeddings.sqlite"
    )
    loaded = time.perf_counter() - started
    logger.info("loaded %d companies, embeddings %s (%.0f s)", len(base), cache_counts, loaded)

    scope_text = ", ".join(
        [*(f"region {r}" for r in regions), *([f"incorporated since {since}"] if since else [])]
    )
    use_experiment(settings, ds.experiment)
    with mlflow.start_run(run_name=f"discover {datetime.now():%Y-%m-%d %H:%M}") as run:
        run_id = run.info.run_id
        mlflow.set_tags({"kind": "discovery", "embedder_id": embedder_obj.id})
        mlflow.log_params(
            {
                "companies": str(companies),
                "predictions": str(predictions),
                "regions": ";".join(regions) or "all",
                "since": str(since or ""),
                **{k: str(v) for k, v in ds.model_dump().items()},
            }
        )
        result = discover(
            base,
            predicted,
            vectors,
            texts,
            ds,
            scope=scope_mask(base, regions, since),
            focus=list(regions) or None,
            sic_titles=titles,
            existing_ids=existing_cluster_ids(predicted, settings),
        )
        result.timings = {"load_embed": loaded, **result.timings}
        facts = {
            "generated": datetime.now().strftime("%Y-%m-%d %H:%M"),
            "run_id": run_id,
            "embedder": embedder_obj.id,
            "predictions": str(predictions),
            "scope": scope_text,
        }
        html = report_html(result, facts, ds, run_id)
        outputs = write_outputs(result, output_dir, html, run_id)
        mlflow.log_metrics(
            {
                "n_base": result.facts["n_base"],
                "n_scope": result.facts["n_scope"],
                "n_candidates": result.facts["n_candidates"],
                **{f"n_{r}": n for r, n in result.facts["reasons"].items()},
                "groups_found": result.facts["n_found"],
                "groups_kept": result.facts["n_kept"],
                "companies_grouped": result.facts["n_grouped"],
                "embedded": cache_counts["embedded"],
                **{f"seconds_{k}": v for k, v in result.timings.items()},
            }
        )
        for name in ("report", "groups", "draft taxonomy", "seed labels"):
            mlflow.log_artifact(str(outputs[name]), artifact_path="discovery")
    return DiscoveryRun(result, outputs, run_id)
