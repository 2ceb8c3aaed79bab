"""Loading the scoring inputs: company base, predictions and optional evidence files.

This is the I/O edge of the scoring stage. Every evidence file has a contract (below, and in
the report's methods appendix); a missing file is not an error: its metrics become NaN with
coverage 0, never zero.

Evidence files, each optional, in one folder (CSV or Parquet, by stem):

=========================  ================================================================
``rd_grants``              ``company_id, date, amount`` (GBP): one R&D grant per row
``patents``                ``company_id, date``: one patent publication per row
``spinouts``               ``company_id[, institution]``: companies that are university spin-outs
``equity_deals``           ``company_id, date, amount`` (GBP): one equity deal per row
``fdi_projects``           ``lad_code, cluster_ids, date, jobs, capex`` (GBP); ``cluster_ids``
                           ``;``-separated like predictions (list parents explicitly)
``talent``                 ``lad_code, cluster_id, related_graduates, related_workforce,
                           total_workforce, degree_workforce``; the last two are place totals,
                           the same on every row of a place
``financials_history``     ``company_id, year, employees, turnover``: past accounts
``sites``                  ``company_id, lad_code, employee_share[, turnover_share]
                           [, region_code]``: splits a company's employees, turnover and GVA
                           across its sites instead of its registered address (shares in
                           0..1; a remainder stays at the registered address; see
                           :mod:`scoring.sites`)
=========================  ================================================================

Example:
    >>> sorted(EVIDENCE_CONTRACTS)[:3]
    ['equity_deals', 'fdi_projects', 'financials_history']
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from clusters.company_base import load_company_base
from clusters.contracts import (
    CLUSTER_ID_RE,
    Check,
    Column,
    Contract,
    ContractError,
    normalise_company_id,
    split_labels,
)
from clusters.taxonomy import Taxonomy

logger = logging.getLogger(__name__)


def _non_negative(series: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(series, errors="coerce")
    return numbers >= 0


def _dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, errors="coerce", format="mixed").notna()


def _amount(name: str) -> Check:
    return Check(name, _non_negative, lambda v, n=name: f"{n} {v!r} is not a non-negative number")


def _fraction(series: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(series, errors="coerce")
    return (numbers >= 0) & (numbers <= 1)


def _share(name: str) -> Check:
    return Check(name, _fraction, lambda v, n=name: f"{n} {v!r} is not a share between 0 and 1")


_DATE = Check("date", _dates, lambda v: f"date {v!r} is not a date")
_ID = Column("company_id", pa.string(), nullable=False)

EVIDENCE_CONTRACTS: dict[str, Contract] = {
    "rd_grants": Contract(
        "R&D grants",
        (_ID, Column("date", pa.date32(), nullable=False), Column("amount", pa.float64())),
        (_DATE, _amount("amount")),
    ),
    "patents": Contract("patents", (_ID, Column("date", pa.date32(), nullable=False)), (_DATE,)),
    "spinouts": Contract("spin-outs", (_ID, Column("institution", pa.string(), required=False))),
    "equity_deals": Contract(
        "equity deals",
        (_ID, Column("date", pa.date32(), nullable=False), Column("amount", pa.float64())),
        (_DATE, _amount("amount")),
    ),
    "fdi_projects": Contract(
        "FDI projects",
        (
            Column("lad_code", pa.string(), nullable=False),
            Column("cluster_ids", pa.string(), nullable=False),
            Column("date", pa.date32(), nullable=False),
            Column("jobs", pa.float64()),
            Column("capex", pa.float64()),
        ),
        (_DATE, _amount("jobs"), _amount("capex")),
        key=None,
    ),
    "talent": Contract(
        "talent",
        (
            Column("lad_code", pa.string(), nullable=False),
            Column("cluster_id", pa.string(), nullable=False),
            Column("related_graduates", pa.float64()),
            Column("related_workforce", pa.float64()),
            Column("total_workforce", pa.float64()),
            Column("degree_workforce", pa.float64()),
        ),
        tuple(
            _amount(c)
            for c in (
                "related_graduates",
                "related_workforce",
                "total_workforce",
                "degree_workforce",
            )
        ),
        key=None,
    ),
    "financials_history": Contract(
        "financial history",
        (
            _ID,
            Column("year", pa.int64(), nullable=False),
            Column("employees", pa.float64()),
            Column("turnover", pa.float64()),
        ),
        (_amount("employees"),),
    ),
    "sites": Contract(
        "site table",
        (
            _ID,
            Column("lad_code", pa.string(), nullable=False),
            Column("employee_share", pa.float64(), nullable=False),
            Column("turnover_share", pa.float64(), required=False),
            Column("region_code", pa.string(), required=False),
        ),
        (_share("employee_share"), _share("turnover_share")),
    ),
}
"""The contract of each evidence file, by file stem."""


@dataclass
class Evidence:
    """The evidence files that were found (absent ones are missing from ``tables``)."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self.tables


def _read_table(path: Path) -> pd.DataFrame:
    if path.is_dir() or path.suffix.lower() in {".parquet", ".pq"}:
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False).replace({"": None})


def load_evidence(folder: Path | None) -> Evidence:
    """Read every known evidence file in ``folder`` (``None`` = no evidence at all).

    Rows that break a contract are logged and left out; a missing file is logged at INFO.

    Raises:
        ContractError: a file lacks a required column.
    """
    evidence = Evidence()
    if folder is None:
        logger.info("no evidence folder: talent, innovation and investment metrics are NaN")
        return evidence
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: evidence folder does not exist")
    for name, contract in EVIDENCE_CONTRACTS.items():
        candidates = [folder / f"{name}{ext}" for ext in (".parquet", ".csv")]
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            logger.info("evidence %s: no file in %s (its metrics will be NaN)", name, folder)
            continue
        frame = _read_table(path)
        frame.index = pd.RangeIndex(1, len(frame) + 1)
        valid, rejects = contract.validate(frame, source=str(path))
        if len(rejects):
            logger.warning(
                "%s: %d rows break the %s contract (first: %s)",
                path,
                len(rejects),
                contract.name,
                rejects.iloc[0]["reason"],
            )
        evidence.tables[name] = valid.reset_index(drop=True)
        evidence.sources[name] = str(path)
        logger.info("evidence %s: %d rows from %s", name, len(valid), path)
    return evidence


def load_predictions(path: Path) -> pd.DataFrame:
    """``company_id, labels`` from a predictions table.

    Accepts a Parquet file, a directory of Parquet parts, or a CSV. Only the ``company_id`` and
    ``labels`` columns of the PREDICTIONS contract are used (so ``data/demo/truth.csv`` also
    works as stand-in predictions).

    Raises:
        ContractError: ``company_id`` or ``labels`` is missing.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    frame = _read_table(path)
    missing = [c for c in ("company_id", "labels") if c not in frame.columns]
    if missing:
        raise ContractError(
            f"missing required column(s) {', '.join(missing)} for predictions", source=str(path)
        )
    out = frame[["company_id", "labels"]].copy()
    out["company_id"] = out["company_id"].map(normalise_company_id)
    bad = out["company_id"].isna()
    if bad.any():
        logger.warning("%s: %d rows without a valid company_id left out", path, int(bad.sum()))
    return out.loc[~bad].drop_duplicates("company_id", keep="last").reset_index(drop=True)


def membership(
    predictions: pd.DataFrame, taxonomy: Taxonomy | None = None, imply_parents: bool = True
) -> pd.DataFrame:
    """Long ``company_id, cluster_id`` pairs from ``;``-separated labels.

    With a taxonomy, unknown cluster ids are dropped (with a warning) and, when
    ``imply_parents``, membership of a child cluster implies membership of its parent.
    """
    rows = [
        (cid, label)
        for cid, labels in zip(predictions["company_id"], predictions["labels"], strict=True)
        for label in split_labels(labels)
        if CLUSTER_ID_RE.match(label)
    ]
    pairs = pd.DataFrame(rows, columns=["company_id", "cluster_id"])
    if taxonomy is not None:
        unknown = taxonomy.unknown_ids(set(pairs["cluster_id"]))
        if unknown:
            logger.warning("predictions name clusters not in the taxonomy: %s", sorted(unknown))
            pairs = pairs[~pairs["cluster_id"].isin(unknown)]
        if imply_parents:
            parents = {c.id: c.parent for c in taxonomy.clusters if c.parent}
            implied = pairs.assign(cluster_id=pairs["cluster_id"].map(parents)).dropna()
            pairs = pd.concat([pairs, implied], ignore_index=True)
    return pairs.drop_duplicates().reset_index(drop=True)


def load_companies(path: Path) -> pd.DataFrame:
    """The company base in contract types (see :func:`clusters.company_base.load_company_base`)."""
    return load_company_base(Path(path))
