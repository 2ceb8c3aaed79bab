"""Emerging-cluster discovery on a small base with a planted group (companies sharing a new
activity that no cluster covers) among classified companies and unrelated noise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

from clusters.discovery.describe import distinctive_terms
from clusters.discovery.reduce_cluster import reduce_and_cluster
from clusters.discovery.run import discover
from clusters.discovery.settings import DiscoverySettings
from clusters.discovery.stability import group_stability
from clusters.taxonomy import Cluster, load_taxonomy, parse_taxonomy

RNG = np.random.default_rng(7)
CROPS = ["lettuce", "basil", "microgreens", "herbs", "strawberries", "kale", "salad leaves"]
BUYERS = ["supermarkets", "restaurants", "hotels", "grocers", "caterers", "farm shops"]
PLANTED = [
    "{n} grows {c} in a hydroponic vertical farm under LED lighting for {b}.",
    "{n}: a hydroponic vertical farm growing {c} under LED lighting for {b}.",
    "The hydroponic vertical farm of {n} supplies {c} grown under LED lighting to {b}.",
]
EXISTING = {
    "medtech": "{n} designs and manufactures {x} medical devices for hospitals and clinics.",
    "space": "{n} builds {x} satellite components and space systems for launch operators.",
    "food": "{n} bakes {x} bread, cakes and pastries for shops and cafes.",
}
SYLLABLES = ["zor", "vex", "tal", "mun", "kri", "bel", "dan", "pol", "sar", "qui", "lom", "fen"]
NOISE_SIC = ["43220", "96020", "69201", "49320", "47760", "82990"]
TOWNS = ["Derby", "Wigan", "Bath", "Ely", "Hull", "Crewe", "Luton"]
DETAILS = ["advanced", "precision", "compact", "modular", "specialist", "custom", "premium"]
NOISE = [
    "plumbing and heating repairs", "hair salon", "accountancy practice", "taxi firm",
    "building contractor", "florist", "solicitors", "driving school", "dog grooming",
    "wedding photography", "scaffolding hire", "dental practice", "estate agency", "pub",
    "tyre fitting", "music lessons", "cleaning services", "printing shop", "car wash",
    "garden landscaping", "security guards", "travel agency", "yoga studio", "tattoo parlour",
    "carpet fitting", "recruitment agency", "locksmith", "funeral director", "dry cleaning",
    "bicycle repairs",
]  # fmt: skip


def planted_base() -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """A company base, its predictions and the ids of the planted group's companies."""
    rows, preds, planted = [], [], []

    def add(text: str, labels: str, confidence: float, year: int, region: str, sic: str) -> str:
        cid = f"{len(rows) + 1:08d}"
        name = "".join(RNG.choice(SYLLABLES, 3)).upper()
        rows.append({"company_id": cid, "name": name, "text": text, "sic_codes": [sic],
                     "incorporation_date": f"{year}-06-01", "region_name": region,
                     "lad_name": "Leicester" if region == "East Midlands" else "Leeds"})  # fmt: skip
        preds.append({"company_id": cid, "labels": labels, "confidence": confidence,
                      "top_label": labels or "medtech"})  # fmt: skip
        return cid

    for cluster, template in EXISTING.items():
        for i in range(50):
            text = template.format(n=f"Firm {i}", x=RNG.choice(DETAILS))
            add(text, cluster, 0.95, int(RNG.integers(1990, 2020)), "North West", "82990")
    for i in range(36):
        text = PLANTED[i % 3].format(n=f"Green {i}", c=RNG.choice(CROPS), b=RNG.choice(BUYERS))
        planted.append(add(text, "", 0.9, int(RNG.integers(2021, 2025)), "East Midlands", "01130"))
    for i in range(60):
        text = f"{NOISE[i % len(NOISE)].capitalize()} in {TOWNS[i % 7]}."
        add(text, "", 0.9, 2005, "North West", NOISE_SIC[i % len(NOISE_SIC)])
    base = pd.DataFrame(rows)
    return base, pd.DataFrame(preds), planted


def lsa_vectors(texts: list[str]) -> np.ndarray:
    """Latent semantic vectors (TF-IDF then SVD): a small real text embedding."""
    tfidf = TfidfVectorizer(stop_words="english").fit_transform(texts)
    return TruncatedSVD(48, random_state=0).fit_transform(tfidf).astype(np.float32)


@pytest.fixture(scope="module")
def planted():
    base, predictions, planted_ids = planted_base()
    return base, predictions, planted_ids, lsa_vectors(base["text"].tolist())


SETTINGS = DiscoverySettings(min_group_size=10, stability_runs=3, map_sample=300,
                             focus_regions=("East Midlands",))  # fmt: skip


def test_distinctive_terms_rank_the_shared_activity_first():
    terms = distinctive_terms(
        [["solar roof tiles fitted", "solar roof tiles made"], ["bread and cakes", "cakes"]],
        ["we fix cars", "cars sold", "roof repairs", "bread shop"],
        background_scale=10.0,
        top=3,
    )
    assert [t for t, _ in terms[0]][:2] == ["roof tiles", "solar roof"]
    assert [t for t, _ in terms[1]][0] == "cakes"


def test_discovery_finds_and_names_the_planted_group(planted):
    base, predictions, planted_ids, vectors = planted
    texts = base["text"]
    result = discover(base, predictions, vectors, lambda rows: texts.iloc[rows].tolist(),
                      SETTINGS, existing_ids=list(EXISTING))  # fmt: skip

    assert result.facts["n_candidates"] >= 96  # the planted group and the noise
    best = result.candidates[result.candidates["group"] != ""]
    top = result.groups.iloc[0]
    members = set(best.loc[best["group"] == top["draft_id"], "company_id"])
    assert len(members & set(planted_ids)) / len(members) >= 0.9  # purity
    assert len(members & set(planted_ids)) / len(planted_ids) >= 0.8  # recall
    terms = set(top["top_terms"].split("; ")[:5])
    assert terms & {"vertical farm", "hydroponic vertical", "hydroponic", "vertical"}
    assert {"Vertical", "Hydroponic"} & set(top["name"].split())
    assert top["draft_id"].startswith("draft-")
    assert top["specialisation"] > 1.0 and top["growth_ratio"] > 1.0
    assert (result.seeds["labels"] == top["draft_id"]).sum() >= 10


def test_stability_filter_removes_a_random_group(planted):
    base, predictions, planted_ids, vectors = planted
    candidates = np.flatnonzero(predictions["labels"].to_numpy() == "")
    reference = np.full(len(candidates), -1)
    is_planted = base["company_id"].iloc[candidates].isin(planted_ids).to_numpy()
    reference[is_planted] = 0
    reference[RNG.choice(np.flatnonzero(~is_planted), 15, replace=False)] = 1  # a random group
    pool = vectors[candidates]

    def recluster(rows, seed, scale):
        return reduce_and_cluster(pool[rows], SETTINGS, seed, scale).labels

    stability = group_stability(reference, recluster, runs=3, fraction=0.8, max_rows=10_000, seed=0)
    assert stability[0] >= SETTINGS.min_stability > stability[1]


def test_draft_entries_validate_against_the_taxonomy_schema(planted):
    base, predictions, _, vectors = planted
    texts = base["text"]
    result = discover(base, predictions, vectors, lambda rows: texts.iloc[rows].tolist(),
                      SETTINGS.model_copy(update={"reducer": "pca", "stability_runs": 0}))  # fmt: skip
    drafts = result.draft_taxonomy("test")
    assert drafts is not None and len(drafts.clusters) == len(result.groups)
    for entry in drafts.clusters:
        Cluster.model_validate(entry.model_dump())
    taxonomy = load_taxonomy("data/taxonomy/midlands.yaml")
    merged = taxonomy.model_dump(mode="json", exclude_none=True)
    merged["clusters"] += [c.model_dump(mode="json", exclude_none=True) for c in drafts.clusters]
    assert parse_taxonomy(yaml.safe_load(yaml.safe_dump(merged))).ids[-1].startswith("draft-")


@pytest.mark.slow
def test_clusters_discover_writes_report_drafts_seeds_and_an_mlflow_run(tmp_path):
    """The command end to end: files of `clusters run`, MiniLM embeddings, MLflow."""
    from mlflow.tracking import MlflowClient
    from typer.testing import CliRunner

    from clusters.cli import app
    from clusters.config import get_settings
    from clusters.contracts import LABELS

    base, predictions, planted_ids = planted_base()
    companies = base.rename(columns={"text": "website_text"}).assign(
        postcode=None, postcode_district=None, region_code=None
    )
    companies.to_parquet(tmp_path / "companies.parquet")
    for cid in EXISTING:
        predictions[f"p_{cid}"] = (predictions["labels"] == cid).astype(float)
    predictions.assign(needs_review=False, model_version="test/v1", text_hash="unknown").to_parquet(
        tmp_path / "predictions.parquet"
    )
    out = tmp_path / "discovery"
    result = CliRunner().invoke(
        app,
        ["discover", "--companies", str(tmp_path / "companies.parquet"), "--predictions",
         str(tmp_path / "predictions.parquet"), "--output-dir", str(out), "--embedder", "minilm",
         "--min-group-size", "10"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    groups = pd.read_csv(out / "groups.csv")
    candidates = pd.read_parquet(out / "candidates.parquet")
    top = groups.iloc[0]
    members = set(candidates.loc[candidates["group"] == top["draft_id"], "company_id"])
    assert len(members & set(planted_ids)) >= 0.8 * len(planted_ids)
    assert len(members & set(planted_ids)) >= 0.9 * len(members)
    drafts = load_taxonomy(out / "draft_taxonomy.yaml")
    assert drafts.ids == groups["draft_id"].tolist()
    seeds, rejects = LABELS.validate(pd.read_csv(out / "seed_labels.csv", dtype=str))
    assert rejects.empty and set(seeds["labels"]) <= set(drafts.ids)
    html = (out / "report.html").read_text()
    assert top["draft_id"] in html and "data:image/png;base64," in html
    assert top["draft_id"] in result.output

    client = MlflowClient(get_settings().mlflow_uri)
    experiment = client.get_experiment_by_name("discovery")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.metrics["groups_kept"] == len(groups)
    assert run.data.params["min_group_size"] == "10"
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "discovery")}
    assert "discovery/report.html" in artifacts and "discovery/draft_taxonomy.yaml" in artifacts


def test_dormant_and_non_trading_companies_are_never_candidates(planted):
    base, predictions, planted_ids, vectors = planted
    idle = base.index[-60:]  # the unassigned noise companies
    base = base.copy()
    base["sic_codes"] = [["99999"] if i in idle[:30] else ["74990"] if i in idle else codes
                         for i, codes in zip(base.index, base["sic_codes"], strict=True)]  # fmt: skip
    texts = base["text"]
    result = discover(base, predictions, vectors, lambda rows: texts.iloc[rows].tolist(),
                      SETTINGS, existing_ids=list(EXISTING))  # fmt: skip
    flagged = result.candidates.loc[result.candidates["reason"] != "", "company_id"]
    assert set(planted_ids) <= set(flagged)
    assert not set(flagged) & set(base.loc[idle, "company_id"])


def test_too_few_candidates_is_a_clear_error(planted):
    base, predictions, _, vectors = planted
    undescribed = base.assign(website_text="", filing_text=None)
    with pytest.raises(ValueError, match="0 of 246 companies are candidates") as error:
        discover(undescribed, predictions, vectors, lambda rows: [""] * len(rows), SETTINGS)
    assert "No company has a website or filing description" in str(error.value)
    assert "require_description: false" in str(error.value)
