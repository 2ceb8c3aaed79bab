"""Place designations (Freeports, Investment Zones, High Potential Opportunities, ...).

An optional CSV, one row per designation x local authority it covers::

    place_code, designation, name, cluster_ids[, site][, note]

=================  ===========================================================================
``place_code``     local authority code (2013 codes, as the bundled boundaries: E06/E07/E08)
``designation``    the kind: ``Freeport``, ``Investment Zone``, ``High Potential Opportunity``,
                   or any other label (it becomes a map legend entry)
``name``           the designation's name, e.g. ``East Midlands Freeport``
``cluster_ids``    ``;``-separated cluster ids it targets (empty = not cluster-specific)
``site``           the designated site in that authority (optional)
``note``           free text, e.g. a source or a caveat (optional)
=================  ===========================================================================

Designations are drawn as outlines over the maps (all of them on the overview map, those
related to a cluster on its maps) and listed on each cluster page. A designation is related to
a cluster when it targets the cluster, its parent or one of its children.

Example:
    >>> t = pd.DataFrame({"place_code": ["E1", "E2"], "designation": ["Freeport", "Zone"],
    ...                   "name": ["F", "Z"], "cluster_ids": ["a;b", None]})
    >>> related(t, "b", {"b": "p"})["name"].tolist()
    ['F']
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pyarrow as pa

from clusters.contracts import Column, Contract, split_labels

logger = logging.getLogger(__name__)

DESIGNATIONS = Contract(
    "place designations",
    (
        Column("place_code", pa.string(), nullable=False),
        Column("designation", pa.string(), nullable=False),
        Column("name", pa.string(), nullable=False),
        Column("cluster_ids", pa.string()),
        Column("site", pa.string(), required=False),
        Column("note", pa.string(), required=False),
    ),
    key=None,
)
"""The contract of the designations CSV."""

STYLES = (
    {"edgecolor": "#c53030", "linestyle": "-"},
    {"edgecolor": "#6b46c1", "linestyle": "--"},
    {"edgecolor": "#dd6b20", "linestyle": ":"},
    {"edgecolor": "#2f855a", "linestyle": "-."},
)
"""Outline styles, given to designation kinds in alphabetical order."""


def load_designations(path: Path | None) -> pd.DataFrame | None:
    """The designations table (``None`` when ``path`` is ``None``).

    Rows that break the contract are logged and left out.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ContractError: a required column is missing.
    """
    if path is None:
        return None
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such designations file")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).replace({"": None})
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    valid, rejects = DESIGNATIONS.validate(frame, source=str(path))
    if len(rejects):
        logger.warning(
            "%s: %d rows break the designations contract (first: %s)",
            path,
            len(rejects),
            rejects.iloc[0]["reason"],
        )
    logger.info("designations: %d rows from %s", len(valid), path)
    return valid.reset_index(drop=True)


def related(
    table: pd.DataFrame | None, cluster_id: str, parents: dict[str, str | None]
) -> pd.DataFrame:
    """Rows of ``table`` that target ``cluster_id``, its parent or one of its children."""
    if table is None or table.empty:
        return pd.DataFrame(columns=DESIGNATIONS.names)
    family = {cluster_id, parents.get(cluster_id)} | {
        c for c, p in parents.items() if p == cluster_id
    }
    hits = table["cluster_ids"].map(lambda v: bool(set(split_labels(v)) & family))
    return table[hits]


def by_place(table: pd.DataFrame | None) -> dict[str, str]:
    """Local authority code → its designation kinds, joined (for tables and tooltips)."""
    if table is None or table.empty:
        return {}
    kinds = table.drop_duplicates(["place_code", "designation"])
    return kinds.groupby("place_code")["designation"].agg(lambda s: ", ".join(sorted(s))).to_dict()


def summary(table: pd.DataFrame, place_names: dict[str, str]) -> list[dict[str, str]]:
    """One record per designation (kind and name) with its places and targets, for reports."""
    rows = []
    for (kind, name), group in table.groupby(["designation", "name"], sort=True):
        places = sorted(
            place_names.get(code, code) + (f" ({site})" if isinstance(site, str) else "")
            for code, site in zip(group["place_code"], group["site"], strict=True)
        )
        targets = sorted({c for v in group["cluster_ids"] for c in split_labels(v)})
        notes = list(group["note"].dropna().unique())
        rows.append(
            {
                "designation": kind,
                "name": name,
                "places": ", ".join(places),
                "targets": ", ".join(targets) or "(not cluster-specific)",
                "note": "; ".join(notes),
            }
        )
    return rows


def styles(table: pd.DataFrame | None) -> dict[str, dict[str, str]]:
    """An outline style for each designation kind in ``table`` (stable: alphabetical)."""
    if table is None or table.empty:
        return {}
    kinds = sorted(table["designation"].unique())
    return {k: STYLES[i % len(STYLES)] for i, k in enumerate(kinds)}
