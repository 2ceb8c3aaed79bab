"""Site-level apportionment of company financials (overrides the registered address).

By default a company's employees, turnover and GVA are counted where it is registered. An
optional site table (evidence file ``sites``) splits them across the places where the company
actually works::

    company_id, lad_code, employee_share[, turnover_share][, region_code]

* one row per company x site; ``lad_code`` is the site's local authority;
* shares are fractions in 0..1; ``turnover_share`` defaults to ``employee_share`` and also
  splits GVA; ``region_code`` is only needed for sites in authorities where no company of the
  base is registered;
* shares of a company may sum to less than 1: the remainder stays at the registered address.
  A company whose shares sum to more than 1 (beyond a 0.001 tolerance) is left at its
  registered address, with a warning.

Only the *sums* of employees, turnover and GVA move. Counts (businesses, anchor firms, the
companies reporting each figure that coverage is measured on) and financial-history growth
stay at the registered address: a company is one business, counted once.

Example:
    >>> companies = pd.DataFrame({"company_id": ["1"], "lad_code": ["A"], "region_code": ["R"]})
    >>> sites = pd.DataFrame({"company_id": ["1"], "lad_code": ["B"], "employee_share": [0.25]})
    >>> site_shares(sites, companies, {"B": "R"})[["lad_code", "share_e", "share_y"]].values.tolist()
    [['B', 0.25, 0.25], ['A', 0.75, 0.75]]
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

TOLERANCE = 1e-3
UNKNOWN = "UNKNOWN"
SHARE_COLUMNS = ["company_id", "lad_code", "region_code", "share_e", "share_y"]


def site_shares(
    sites: pd.DataFrame | None,
    companies: pd.DataFrame,
    lad_region: dict[str, str],
) -> pd.DataFrame:
    """Every place each listed company's financials go to, with its shares (pure).

    Returns ``company_id, lad_code, region_code, share_e, share_y``: the listed sites plus a
    remainder row at the registered address when the shares sum to less than 1. Companies
    not in ``companies`` are ignored.
    """
    if sites is None or sites.empty:
        return pd.DataFrame(columns=SHARE_COLUMNS)
    s = sites[sites["company_id"].isin(set(companies["company_id"]))].copy()
    s["share_e"] = pd.to_numeric(s["employee_share"], errors="coerce").astype(float)
    given_y = s["turnover_share"] if "turnover_share" in s else pd.Series(np.nan, index=s.index)
    s["share_y"] = pd.to_numeric(given_y, errors="coerce").astype(float).fillna(s["share_e"])
    given_region = s["region_code"] if "region_code" in s else pd.Series(None, index=s.index)
    s["region_code"] = s["lad_code"].map(lad_region).fillna(given_region).fillna(UNKNOWN)
    if (s["region_code"] == UNKNOWN).any():
        logger.warning(
            "sites: %d sites in local authorities of unknown region (give region_code)",
            int((s["region_code"] == UNKNOWN).sum()),
        )
    totals = s.groupby("company_id")[["share_e", "share_y"]].sum()
    over = totals[(totals > 1 + TOLERANCE).any(axis=1)].index
    if len(over):
        logger.warning(
            "sites: shares of %d companies sum to more than 1: left at the registered address "
            "(first: %s)",
            len(over),
            over[0],
        )
        s = s[~s["company_id"].isin(over)]
        totals = totals.drop(over)
    rest = (1.0 - totals).clip(lower=0.0)
    rest = rest[(rest > TOLERANCE).any(axis=1)]
    registered = companies.drop_duplicates("company_id").set_index("company_id")
    remainder = rest.join(registered[["lad_code", "region_code"]]).reset_index()
    out = pd.concat([s[SHARE_COLUMNS], remainder[SHARE_COLUMNS]], ignore_index=True)
    logger.info("sites: financials of %d companies split across sites", len(totals))
    return out


def apportion(frame: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (rows with ``company_id, lad_code, region_code, employees, turnover, gva``)
    with the financials of listed companies split across their places (pure).

    Unlisted rows are kept as they are; a listed row becomes one row per place, with
    ``employees`` scaled by ``share_e`` and ``turnover`` and ``gva`` by ``share_y``. Column
    sums over all places are unchanged.
    """
    if shares.empty:
        return frame
    listed = frame["company_id"].isin(set(shares["company_id"]))
    moved = (
        frame[listed]
        .drop(columns=["lad_code", "region_code"])
        .merge(shares, on="company_id", how="inner")
    )
    moved["employees"] = moved["employees"] * moved["share_e"]
    for col in ("turnover", "gva"):
        moved[col] = moved[col] * moved["share_y"]
    moved = moved.drop(columns=["share_e", "share_y"])
    return pd.concat([frame[~listed], moved[frame.columns]], ignore_index=True)
