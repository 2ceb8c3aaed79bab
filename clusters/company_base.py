"""Reading a company base that is already in contract form (Parquet, or CSV with contract
column names) for the later stages: training, classification, scoring.

Ingestion (``clusters ingest companies``) is the edge that turns source files into this form;
this module only loads and re-validates it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from clusters.contracts import COMPANY_BASE, LABEL_SEPARATOR, ContractError
from clusters.geography import default_lookup, postcode_district

logger = logging.getLogger(__name__)


def _split_sic(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if hasattr(value, "tolist"):
        return [str(v) for v in value.tolist()]
    return [part.strip() for part in str(value).split(LABEL_SEPARATOR) if part.strip()]


def load_company_base(path: Path) -> pd.DataFrame:
    """A company base as a frame in contract types (rejected rows are logged, not returned).

    Raises:
        ContractError: the file is missing required columns or cannot be read.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.suffix.lower() in {".parquet", ".pq"} or path.is_dir():
        frame = pd.read_parquet(path)
    else:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ContractError(f"not UTF-8 text at byte {exc.start}", source=str(path)) from exc
        frame = frame.replace({"": None})
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    if "sic_codes" in frame.columns:
        frame["sic_codes"] = frame["sic_codes"].map(_split_sic)
    if "postcode_district" not in frame.columns and "postcode" in frame.columns:
        frame["postcode_district"] = frame["postcode"].map(postcode_district)
    if "region_code" not in frame.columns and "postcode_district" in frame.columns:
        located = default_lookup().locate(frame["postcode_district"])
        frame = frame.join(located)
    valid, rejects = COMPANY_BASE.validate(frame, source=str(path))
    if len(rejects):
        logger.warning(
            "%s: %d rows do not follow the company-base contract (first: row %s, %s)",
            path,
            len(rejects),
            rejects.iloc[0]["row"],
            rejects.iloc[0]["reason"],
        )
    return valid
