"""Generate SYNTHETIC evidence files for the demo company base (seeded, byte-identical).

Writes ``data/demo/evidence/{rd_grants,patents,spinouts,equity_deals,fdi_projects,talent,
sites,financials_history}.csv`` and a README, from ``data/demo/companies.csv`` and
``data/demo/truth.csv``. Every file has a ``source`` column that says SYNTHETIC. The rates
below are hand-set assumptions chosen only so that every scoring metric can be shown; they are
not statistics about the real Midlands.

The financial history ends at the base's latest accounts (``employees``, ``turnover``) in
``AS_OF`` and goes back ``HISTORY_YEARS`` with a drawn growth rate, for a share of the
companies old enough to have it (the rest have none, so growth coverage is partial, as on a
real base). ``sites`` and ``financials_history`` use their own random streams, so adding them
did not change the other files.

Usage::

    python scripts/make_demo_evidence.py                 # seed 42 -> data/demo/evidence/
    python scripts/make_demo_evidence.py --seed 7 --out /tmp/evidence
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "data" / "demo"
SOURCE = "SYNTHETIC demo evidence (scripts/make_demo_evidence.py)"
AS_OF = 2025

# Relative propensity of a cluster company to win a grant / file a patent / raise equity
# (hand-set assumptions; clusters not listed use 1).
GRANT_RATE = 0.12
PATENT_RATE = 0.08
EQUITY_RATE = 0.07
SPINOUT_RATE = 0.025
SITE_COMPANIES = 25  # large companies given other sites (sites.csv)
HISTORY_YEARS = 3  # financials_history.csv covers AS_OF-3 .. AS_OF
HISTORY_SHARE = 0.6  # share of companies with employees and a long enough life that have it
PROPENSITY = {
    "pharma-biotech": 3.0, "medtech": 2.5, "space-tech": 3.0, "hydrogen": 2.5, "nuclear": 2.0,
    "ai-data": 2.0, "advanced-materials": 2.0, "electronics-photonics": 2.0, "agri-tech": 2.0,
    "digital-health": 2.0, "robotics-automation": 1.5, "aerospace": 1.5, "automotive-ev": 1.5,
    "cyber-defence": 1.5, "fintech": 1.5, "low-carbon-energy": 1.2,
}  # fmt: skip
PATENT_HEAVY = {"pharma-biotech", "medtech", "aerospace", "automotive-ev", "electronics-photonics",
                "advanced-materials", "hydrogen", "robotics-automation", "nuclear", "space-tech"}  # fmt: skip
UNIVERSITIES = {
    "E12000004": ["University of Nottingham", "University of Leicester", "Loughborough University",
                  "University of Derby", "University of Lincoln", "Nottingham Trent University"],
    "E12000005": ["University of Birmingham", "University of Warwick", "Aston University",
                  "Coventry University", "Keele University", "Harper Adams University"],
}  # fmt: skip

logger = logging.getLogger("make_demo_evidence")


def _dates(rng: np.random.Generator, n: int, start: int, end: int) -> list[str]:
    days = (pd.Timestamp(f"{end}-09-30") - pd.Timestamp(f"{start}-01-01")).days
    picks = pd.Timestamp(f"{start}-01-01") + pd.to_timedelta(rng.integers(0, days, n), unit="D")
    return [d.date().isoformat() for d in picks]


def _leaf_labels(labels: str, parents: set[str]) -> list[str]:
    return [x for x in str(labels).split(";") if x and x not in parents]


def make_evidence(
    companies: pd.DataFrame, truth: pd.DataFrame, seed: int
) -> dict[str, pd.DataFrame]:
    """The synthetic evidence tables (pure given the seed)."""
    rng = np.random.default_rng(seed)
    df = companies.merge(truth[["company_id", "labels"]], on="company_id", how="left")
    df["labels"] = df["labels"].fillna("")
    parents = {
        "health-life-sciences", "transport-technology", "energy-net-zero",
        "advanced-manufacturing", "digital-technology", "agri-food",
    }  # fmt: skip
    df["leaves"] = df["labels"].map(lambda s: _leaf_labels(s, parents))
    df["inc_year"] = pd.to_datetime(df["incorporation_date"]).dt.year
    df["propensity"] = df["leaves"].map(
        lambda ls: max([PROPENSITY.get(x, 1.0) for x in ls], default=0.15)
    )
    first_year = df["inc_year"].clip(lower=2010)

    def events(rate: float, weights: pd.Series, amount: tuple[float, float] | None) -> pd.DataFrame:
        n = rng.poisson((rate * weights).to_numpy())
        rows = df.loc[np.repeat(df.index, n)]
        out = pd.DataFrame({"company_id": rows["company_id"].to_numpy()})
        out["date"] = [
            _dates(rng, 1, int(y), AS_OF)[0] for y in first_year.loc[rows.index].to_numpy()
        ]
        if amount is not None:
            out["amount"] = np.round(np.exp(rng.normal(amount[0], amount[1], len(out))), -3)
        out["source"] = SOURCE
        return out.sort_values(["date", "company_id"]).reset_index(drop=True)

    grants = events(GRANT_RATE, df["propensity"], (np.log(150_000), 0.9))
    patent_w = df["leaves"].map(lambda ls: 3.0 if set(ls) & PATENT_HEAVY else 0.2)
    patents = events(PATENT_RATE, patent_w * df["propensity"], None)
    young = (df["inc_year"] >= 2012).astype(float)
    equity = events(EQUITY_RATE, df["propensity"] * (0.3 + young), (np.log(600_000), 1.1))

    spin_p = (SPINOUT_RATE * df["propensity"] * young).clip(upper=0.3)
    spin = df[(rng.random(len(df)) < spin_p) & df["leaves"].map(bool)]
    spinouts = pd.DataFrame(
        {
            "company_id": spin["company_id"].to_numpy(),
            "institution": [
                rng.choice(UNIVERSITIES.get(r, ["(unknown)"])) for r in spin["region_code"]
            ],
            "source": SOURCE,
        }
    )

    # FDI: place-level projects, located where the cluster's companies are.
    parent_of = _parents()
    pairs = df[["lad_code", "leaves"]].explode("leaves").dropna()
    pairs = pairs[pairs["lad_code"].notna()]
    picks = pairs.sample(n=140, replace=True, random_state=seed)
    fdi = pd.DataFrame(
        {
            "lad_code": picks["lad_code"].to_numpy(),
            "cluster_ids": [
                ";".join([p for p in (parent_of.get(c), c) if p]) for c in picks["leaves"]
            ],
            "date": _dates(rng, len(picks), 2016, AS_OF),
            "jobs": np.round(np.exp(rng.normal(np.log(40), 1.0, len(picks)))).astype(int),
        }
    )
    fdi["capex"] = np.round(fdi["jobs"] * np.exp(rng.normal(np.log(120_000), 0.6, len(fdi))), -3)
    fdi["source"] = SOURCE
    fdi = fdi.sort_values(["date", "lad_code"]).reset_index(drop=True)

    # Talent: per local authority x cluster, proportional to the cluster's local presence.
    lads = df.dropna(subset=["lad_code"]).groupby("lad_code").size()
    total_wf = (lads * rng.uniform(900, 1500, len(lads))).round()
    degree = (total_wf * rng.uniform(0.25, 0.45, len(lads))).round()
    counts = df.assign(cluster=df["labels"].str.split(";")).explode("cluster")
    counts = counts[counts["cluster"].astype(bool) & counts["lad_code"].notna()]
    per = counts.groupby(["lad_code", "cluster"]).size().rename("n").reset_index()
    per["related_workforce"] = (per["n"] * rng.uniform(15, 40, len(per))).round()
    per["related_graduates"] = (per["n"] * rng.uniform(0.5, 4, len(per))).round()
    talent = per.rename(columns={"cluster": "cluster_id"}).drop(columns="n")
    talent["total_workforce"] = talent["lad_code"].map(total_wf)
    talent["degree_workforce"] = talent["lad_code"].map(degree)
    talent["source"] = SOURCE
    talent = talent[
        ["lad_code", "cluster_id", "related_graduates", "related_workforce", "total_workforce",
         "degree_workforce", "source"]
    ].sort_values(["lad_code", "cluster_id"])  # fmt: skip
    return {
        "rd_grants": grants,
        "patents": patents,
        "spinouts": spinouts,
        "equity_deals": equity,
        "fdi_projects": fdi,
        "talent": talent.reset_index(drop=True),
        "sites": make_sites(df, seed),
        "financials_history": make_history(df, seed),
    }


def make_history(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Past employees and turnover of some active companies, ending at their latest accounts.

    Annual growth is drawn per company: mostly modest (N(3 %, 10 %)), higher for clusters with
    a high propensity, and a few (5 %) grow fast (20-45 % a year), so high-growth firms exist.
    """
    rng = np.random.default_rng([seed, 11])
    emp = pd.to_numeric(df["employees"], errors="coerce")
    turnover = pd.to_numeric(df["turnover"], errors="coerce")
    eligible = (
        emp.notna() & df["dissolution_date"].isna() & (df["inc_year"] <= AS_OF - HISTORY_YEARS)
    )
    picked = df.index[eligible & (rng.random(len(df)) < HISTORY_SHARE)]
    growth = rng.normal(0.03, 0.10, len(picked)) + 0.02 * (df.loc[picked, "propensity"] - 1)
    fast = rng.random(len(picked)) < 0.05
    growth = np.where(fast, rng.uniform(0.2, 0.45, len(picked)), growth).clip(-0.3, 0.6)
    y_growth = growth + rng.normal(0.0, 0.05, len(picked))
    rows = []
    for k in range(HISTORY_YEARS, -1, -1):
        rows.append(
            pd.DataFrame(
                {
                    "company_id": df.loc[picked, "company_id"].to_numpy(),
                    "year": AS_OF - k,
                    "employees": np.maximum(
                        np.round(emp.loc[picked].to_numpy() / (1 + growth) ** k), 1
                    ).astype(int),
                    "turnover": np.round(turnover.loc[picked].to_numpy() / (1 + y_growth) ** k, -3),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True).sort_values(["company_id", "year"])
    out["turnover"] = out["turnover"].astype("Int64")  # missing where the base has none
    out["source"] = SOURCE
    return out.reset_index(drop=True)


def make_sites(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Other sites of some large companies: each of up to SITE_COMPANIES active companies with
    250+ employees gets 1-2 sites in other local authorities of its region, holding a share of
    its employees and turnover; the rest stays at the registered address. Own random stream,
    so the other files do not change."""
    rng = np.random.default_rng([seed, 7])
    large = df[
        (pd.to_numeric(df["employees"], errors="coerce") >= 250)
        & df["dissolution_date"].isna()
        & df["lad_code"].notna()
    ].sort_values("company_id")
    picks = large.iloc[np.sort(rng.permutation(len(large))[:SITE_COMPANIES])]
    lads = df.dropna(subset=["lad_code"]).drop_duplicates("lad_code")
    rows = []
    for company in picks.itertuples():
        options = lads[(lads["region_code"] == company.region_code)
                       & (lads["lad_code"] != company.lad_code)]["lad_code"].to_numpy()  # fmt: skip
        n = int(rng.integers(1, 3))
        for lad in rng.choice(np.sort(options), size=n, replace=False):
            share = round(float(rng.uniform(0.1, 0.35)), 2)
            turnover_share = round(min(max(share + float(rng.normal(0, 0.05)), 0.05), 0.45), 2)
            rows.append((company.company_id, lad, share, turnover_share, SOURCE))
    return pd.DataFrame(
        rows, columns=["company_id", "lad_code", "employee_share", "turnover_share", "source"]
    )


def _parents() -> dict[str, str]:
    import yaml

    data = yaml.safe_load((ROOT / "data/taxonomy/midlands.yaml").read_text(encoding="utf-8"))
    return {c["id"]: c["parent"] for c in data["clusters"] if c.get("parent")}


README = """# SYNTHETIC demo evidence

**Everything in this folder is synthetic.** Generated by `scripts/make_demo_evidence.py
--seed {seed}` from the synthetic demo base (`../companies.csv`, `../truth.csv`). The rates are
hand-set assumptions so that every scoring metric can be demonstrated; they say nothing about
real grants, patents, deals, investment projects or workforces. Every row has a `source` column
saying so.

| File | Rows | Contract (see `scoring/inputs.py`) |
|---|---|---|
{rows}

`sites.csv` gives some large companies other sites in their region, so the demo shows the
site-level apportionment of employees, turnover and GVA (the rest stays at the registered
address). `financials_history.csv` ends at each company's latest accounts in the demo base and
goes back three years with a drawn growth rate, for about {history_share:.0%} of the active
companies old enough to have it, so growth metrics and high-growth firms can be shown (with
partial coverage).
"""

CONTRACT_TEXT = {
    "rd_grants": "company_id, date, amount (GBP)",
    "patents": "company_id, date",
    "spinouts": "company_id, institution",
    "equity_deals": "company_id, date, amount (GBP)",
    "fdi_projects": "lad_code, cluster_ids (';'), date, jobs, capex (GBP)",
    "talent": "lad_code, cluster_id, related_graduates, related_workforce, total_workforce, "
    "degree_workforce (place totals repeated per row)",
    "sites": "company_id, lad_code, employee_share, turnover_share (shares of the company; the "
    "rest stays at the registered address)",
    "financials_history": "company_id, year, employees, turnover (GBP)",
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=DEMO / "evidence")
    parser.add_argument("--companies", type=Path, default=DEMO / "companies.csv")
    parser.add_argument("--truth", type=Path, default=DEMO / "truth.csv")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    companies = pd.read_csv(args.companies, dtype=str, keep_default_na=False).replace({"": None})
    truth = pd.read_csv(args.truth, dtype=str, keep_default_na=False)
    tables = make_evidence(companies, truth, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_csv(args.out / f"{name}.csv", index=False, lineterminator="\n")
        logger.info("%s: %d rows", name, len(table))
    rows = "\n".join(f"| `{n}.csv` | {len(t):,} | {CONTRACT_TEXT[n]} |" for n, t in tables.items())
    (args.out / "README.md").write_text(
        README.format(seed=args.seed, rows=rows, history_share=HISTORY_SHARE), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
