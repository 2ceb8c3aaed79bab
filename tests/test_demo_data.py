"""The committed synthetic demo data (``data/demo``) and the script that generates it."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from clusters.contracts import COMPANY_BASE, LABELS, split_labels
from clusters.geography import load_lookup
from clusters.sic import load_reference
from clusters.taxonomy import Tier, load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
SCRIPT = ROOT / "scripts" / "make_demo_data.py"
FILES = ("companies.csv", "truth.csv", "labels.csv", "summary.csv")
MIN_TRUTH, MIN_LABELLED = 15, 4


def _read(name: str) -> pd.DataFrame:
    frame = pd.read_csv(DEMO / name, dtype=str, keep_default_na=False)
    frame = frame.astype(object).where(frame != "", None)
    frame.index = range(1, len(frame) + 1)  # 1-based data-row numbers, as readers set them
    return frame


@pytest.fixture(scope="module")
def companies() -> pd.DataFrame:
    return _read("companies.csv")


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    frame = _read("truth.csv")
    frame["labels"] = frame["labels"].fillna("")
    return frame


@pytest.fixture(scope="module")
def labels() -> pd.DataFrame:
    return _read("labels.csv")


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(ROOT / "data" / "taxonomy" / "midlands.yaml")


def _counts(values: pd.Series) -> Counter[str]:
    counter: Counter[str] = Counter()
    for value in values:
        counter.update(split_labels(value))
    return counter


# --- contracts -------------------------------------------------------------------------------


def test_companies_validate_against_the_company_base_contract(companies: pd.DataFrame) -> None:
    # every contract column except those only a website crawl fills in
    crawl_only = {"website_fetched_at", "website_status"}
    assert list(companies.columns) == [c for c in COMPANY_BASE.names if c not in crawl_only]
    frame = companies.copy()
    frame["sic_codes"] = frame["sic_codes"].map(lambda v: v.split(";") if v else None)
    valid, rejects = COMPANY_BASE.validate(frame, source="companies.csv")
    assert rejects.empty, rejects.head().to_string()
    assert len(valid) == len(companies) >= 3000
    assert companies["company_id"].is_unique
    assert (valid["company_id"] == companies["company_id"]).all()  # already canonical


def test_labels_validate_against_the_labels_contract(labels: pd.DataFrame) -> None:
    assert list(labels.columns) == LABELS.names
    valid, rejects = LABELS.validate(labels, source="labels.csv")
    assert rejects.empty, rejects.head().to_string()
    assert len(valid) == len(labels)


def test_companies_are_marked_synthetic(companies: pd.DataFrame) -> None:
    assert companies["name"].str.endswith("(SYNTHETIC)").all()
    assert companies["name"].is_unique
    sites = companies["website"].dropna()
    assert sites.str.fullmatch(r"https://www\.[a-z0-9]+\.example").all()  # reserved TLD
    # 8-digit numbers from 90000000 and OC9xxxxx: ranges Companies House has not issued
    ids = companies["company_id"]
    assert (ids.str.fullmatch(r"9\d{7}") | ids.str.fullmatch(r"OC9\d{5}")).all()


# --- geography, SIC codes, dates, sizes ------------------------------------------------------


def test_every_company_is_in_an_east_or_west_midlands_district(companies: pd.DataFrame) -> None:
    lookup = load_lookup(ROOT / "data" / "geo" / "postcode_district_to_lad2020.csv")
    districts = companies["postcode"].str.split(" ").str[0]
    assert (districts == companies["postcode_district"]).all()
    located = lookup.locate(districts)
    assert located["region_name"].isin(["East Midlands", "West Midlands"]).all()
    assert (located["lad_code"] == companies["lad_code"]).all()
    assert (located["region_name"] == companies["region_name"]).all()
    assert companies["region_name"].nunique() == 2
    top = companies["lad_name"].value_counts()
    assert top.index[0] == "Birmingham" and companies["lad_name"].nunique() >= 50


def test_sic_codes_are_real_and_often_generic(companies: pd.DataFrame, truth: pd.DataFrame) -> None:
    titles = load_reference(ROOT / "data" / "sic").titles
    codes = companies["sic_codes"].str.split(";")
    assert codes.map(lambda c: 1 <= len(c) <= 4 and all(x in titles for x in c)).all()
    in_cluster = truth["labels"] != ""
    generic = {"62012", "72190", "70229", "82990", "74909"}
    share = codes[in_cluster].map(lambda c: bool(generic & set(c))).mean()
    assert 0.2 <= share <= 0.7, share


def test_dates_statuses_and_categories_are_plausible(companies: pd.DataFrame) -> None:
    incorporated = pd.to_datetime(companies["incorporation_date"], format="%Y-%m-%d")
    assert incorporated.min().year >= 1950 and incorporated.max() <= pd.Timestamp("2025-09-30")
    assert incorporated.dt.year.median() >= 2010  # many recent companies, an older tail
    assert (incorporated.dt.year < 1980).sum() >= 30
    dissolved = pd.to_datetime(companies["dissolution_date"], format="%Y-%m-%d")
    assert ((companies["status"] == "Dissolved") == dissolved.notna()).all()
    assert (dissolved.dropna() > incorporated[dissolved.notna()]).all()
    period_end = pd.to_datetime(companies["accounts_period_end"], format="%Y-%m-%d")
    assert (period_end.dropna() > incorporated[period_end.notna()]).all()
    assert (companies["status"] == "Active").mean() > 0.8
    assert 0.02 <= (companies["status"] == "Dissolved").mean() <= 0.1
    assert (companies["category"] == "Private Limited Company").mean() > 0.9
    llp = companies["category"] == "Limited Liability Partnership"
    assert (companies.loc[llp, "company_id"].str.startswith("OC")).all()


def test_sizes_are_heavy_tailed_and_turnover_often_missing(companies: pd.DataFrame) -> None:
    employees = pd.to_numeric(companies["employees"])
    turnover = pd.to_numeric(companies["turnover"])
    reported = employees.dropna()
    assert (reported < 10).mean() > 0.5  # mostly micro firms
    assert (reported >= 250).sum() >= 10  # a few anchors
    assert turnover.notna().mean() < 0.5
    assert turnover.isna()[employees < 10].mean() > 0.6  # small firms rarely report turnover
    assert turnover[employees >= 250].notna().all()
    per_employee = (turnover / employees)[turnover.notna() & (employees > 0)]
    assert per_employee.between(5_000, 5_000_000).all()


def test_texts_are_present_varied_and_of_the_right_length(companies: pd.DataFrame) -> None:
    website, filing = companies["website_text"], companies["filing_text"]
    assert 0.6 <= website.notna().mean() <= 0.8
    assert 0.5 <= filing.notna().mean() <= 0.7
    assert (website.isna() & filing.isna()).sum() >= 100  # name and SIC codes only
    assert (website.notna() & filing.notna()).sum() >= 500
    words = website.dropna().str.split().str.len()
    assert words.between(40, 150).all(), words.describe()
    assert website.dropna().is_unique
    openings = website.dropna().str.split().str[:3].str.join(" ")
    assert openings.value_counts().iloc[0] / len(openings) < 0.1  # no single stock opening


# --- truth and labels ------------------------------------------------------------------------


def test_truth_covers_every_company_with_known_clusters(
    companies: pd.DataFrame, truth: pd.DataFrame, taxonomy
) -> None:
    assert list(truth.columns) == ["company_id", "labels", "case"]
    assert (truth["company_id"].to_numpy() == companies["company_id"].to_numpy()).all()
    assert set(_counts(truth["labels"])) <= set(taxonomy.ids)


def test_child_clusters_imply_their_parent(truth: pd.DataFrame, taxonomy) -> None:
    parents = {c.id: c.parent for c in taxonomy.clusters}
    for value in truth["labels"]:
        ids = split_labels(value)
        for cluster_id in ids:
            assert parents[cluster_id] is None or parents[cluster_id] in ids, value
        assert ids == [c for c in taxonomy.ids if c in ids]  # taxonomy order
        assert ids == [] or any(taxonomy[c].tier != Tier.SUPER for c in ids)


def test_every_cluster_has_enough_examples(truth, labels, taxonomy) -> None:
    in_truth, in_labels = _counts(truth["labels"]), _counts(labels["labels"])
    for cluster in taxonomy.clusters:
        assert in_truth[cluster.id] >= MIN_TRUTH, (cluster.id, in_truth[cluster.id])
        assert in_labels[cluster.id] >= MIN_LABELLED, (cluster.id, in_labels[cluster.id])
    tiers = taxonomy.by_tier()
    established = min(in_truth[c.id] for c in tiers[Tier.ESTABLISHED])
    new_economy = max(in_truth[c.id] for c in tiers[Tier.NEW_ECONOMY])
    assert new_economy < established


def test_hard_cases_are_present(truth: pd.DataFrame) -> None:
    none_share = (truth["labels"] == "").mean()
    assert 0.4 <= none_share <= 0.5, none_share
    multi = truth["labels"].map(
        lambda v: len([c for c in split_labels(v) if not c.endswith(("-sciences", "-technology"))])
    )
    assert (truth["case"] == "multi-cluster").sum() >= 100
    assert (multi[truth["case"] == "multi-cluster"] >= 2).all()
    cases = set(truth["case"])
    assert {"generic", "vague", "sic-mismatch"} <= cases
    assert {"near-miss:pharmacy", "near-miss:car-dealer", "near-miss:workspace"} <= cases
    assert (truth.loc[truth["case"].str.startswith("near-miss"), "labels"] == "").all()
    assert (truth.loc[truth["case"] == "sic-mismatch", "labels"] == "").all()


def test_labels_are_a_reviewed_subset_consistent_with_truth(
    companies: pd.DataFrame, truth: pd.DataFrame, labels: pd.DataFrame
) -> None:
    assert labels["company_id"].is_unique
    assert set(labels["company_id"]) <= set(companies["company_id"])
    assert 0.18 <= len(labels) / len(companies) <= 0.25
    expected = truth.set_index("company_id")["labels"]
    given = labels["labels"].fillna("").to_numpy()
    assert (given == expected[labels["company_id"]].to_numpy()).all()
    negatives = labels["labels"].isna().mean()
    assert 0.3 <= negatives <= 0.6
    names = companies.set_index("company_id")["name"]
    assert all(
        t.startswith(names[i]) for i, t in zip(labels["company_id"], labels["text"], strict=True)
    )


def test_summary_matches_truth_and_labels(truth, labels, taxonomy) -> None:
    summary = _read("summary.csv").set_index("cluster_id")
    in_truth, in_labels = _counts(truth["labels"]), _counts(labels["labels"])
    for cluster_id in taxonomy.ids:
        assert int(summary.loc[cluster_id, "companies"]) == in_truth[cluster_id]
        assert int(summary.loc[cluster_id, "labelled"]) == in_labels[cluster_id]
    assert int(summary.loc["(none)", "companies"]) == (truth["labels"] == "").sum()


def test_demo_folder_is_small() -> None:
    total = sum(p.stat().st_size for p in DEMO.iterdir() if p.is_file())
    assert total < 4_000_000


# --- the generator ---------------------------------------------------------------------------


def _generate(out: Path, seed: int) -> None:
    subprocess.run(
        [sys.executable, str(SCRIPT), "--seed", str(seed), "--out", str(out)],
        check=True,
        cwd=ROOT,
        timeout=120,
        capture_output=True,
    )


def test_regenerating_with_the_same_seed_gives_identical_files(tmp_path: Path) -> None:
    _generate(tmp_path, 42)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_a_different_seed_gives_different_companies(tmp_path: Path) -> None:
    _generate(tmp_path, 7)
    other = pd.read_csv(tmp_path / "companies.csv", dtype=str)
    assert len(other) >= 3000
    assert set(other["company_id"]) != set(_read("companies.csv")["company_id"])
