"""Data contracts: the columns and types of every table the product exchanges.

Written once here and validated at every edge. A :class:`Contract` knows its columns (name,
Arrow type, whether required, whether nullable) and row-level checks; :meth:`Contract.validate`
splits a frame into valid rows (coerced to the contract's types) and rejected rows, each with
the source file, row number, column, company number and reason, so nothing is silently dropped.

Row numbers are taken from the frame's index: readers set it to the 1-based data-row number
of the source file (header excluded).

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"company_id": ["123", "bad!"], "text": ["a", "b"], "labels": ["x", ""]})
    >>> valid, rejects = LABELS.validate(frame, source="labels.csv")
    >>> list(valid["company_id"]), list(rejects["reason"])
    (['00000123'], ["company_id 'bad!' is not a Companies House number"])
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from clusters.geography import is_valid_postcode

# Companies House numbers are 8 characters: 8 digits, or a 1-2 letter prefix and digits
# (SC, NI, OC, R0...), and a few older series such as Industrial & Provident societies
# (IP10067R): any 8 upper-case letters/digits with at least 5 digits.
COMPANY_ID_RE = re.compile(r"^(?=(?:[A-Z]*\d){5})[A-Z0-9]{8}$")
SIC_CODE_RE = re.compile(r"^\d{5}$")
CLUSTER_ID_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
LABEL_SEPARATOR = ";"

REJECT_COLUMNS = ["source", "row", "company_id", "column", "reason", "record"]


class ContractError(ValueError):
    """Input cannot be read under a contract at all (a fatal error).

    Carries where the problem is, so messages can say file, row, column and company number.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        row: int | None = None,
        column: str | None = None,
        company_id: str | None = None,
    ) -> None:
        self.source, self.row, self.column, self.company_id = source, row, column, company_id
        where = ", ".join(
            f"{k} {v}"
            for k, v in (("row", row), ("column", column), ("company", company_id))
            if v is not None
        )
        prefix = f"{source}: " if source else ""
        super().__init__(f"{prefix}{message}" + (f" ({where})" if where else ""))


def normalise_company_id(value: object) -> str | None:
    """Canonical Companies House number: upper case, zero-padded to 8 characters.

    Returns ``None`` when the value cannot be a company number.

    >>> normalise_company_id("8209948"), normalise_company_id(" sc12345 "), normalise_company_id("x")
    ('08209948', 'SC012345', None)
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip().upper().replace(" ", "")
    if text.endswith(".0") and text[:-2].isdigit():  # numbers read as floats by spreadsheets
        text = text[:-2]
    if not text:
        return None
    match = re.fullmatch(r"([A-Z]{0,2})(\d{1,8})", text)
    if match:
        prefix, digits = match.groups()
        text = prefix + digits.zfill(8 - len(prefix))
    return text if COMPANY_ID_RE.match(text) else None


def split_labels(value: object) -> list[str]:
    """Cluster ids from a ``;``-separated string; empty or missing means no cluster."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return [part.strip() for part in str(value).split(LABEL_SEPARATOR) if part.strip()]


def join_labels(labels: Iterable[str]) -> str:
    """The ``;``-separated form of a list of cluster ids."""
    return LABEL_SEPARATOR.join(labels)


# A row check: (column, function from the column's values to a boolean "is valid" mask,
# function from an invalid value to the reason text).
@dataclass(frozen=True)
class Malformed:
    """A CSV row that could not be split into the header's fields."""

    row: int | None
    """Its 1-based data row (``None`` if the reader could not tell)."""
    reason: str
    raw: str
    """The row's text as read."""


@dataclass(frozen=True)
class Check:
    column: str
    is_valid: Callable[[pd.Series], pd.Series]
    reason: Callable[[object], str]


@dataclass(frozen=True)
class Column:
    """One column of a contract."""

    name: str
    dtype: pa.DataType
    required: bool = True
    """The column must be present in the input."""
    nullable: bool = True
    """Values may be missing."""
    description: str = ""


@dataclass(frozen=True)
class Contract:
    """A table's columns, types and row checks."""

    name: str
    columns: tuple[Column, ...]
    checks: tuple[Check, ...] = ()
    key: str | None = "company_id"
    extra_columns: Callable[[str], pa.DataType | None] | None = field(default=None)
    """Types for allowed columns beyond ``columns`` (e.g. ``p_<cluster>``); None = not allowed."""

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def arrow_schema(self, extra: Sequence[str] = ()) -> pa.Schema:
        """The Arrow schema of this contract, with any allowed extra columns appended."""
        fields = [pa.field(c.name, c.dtype, nullable=c.nullable) for c in self.columns]
        for name in extra:
            dtype = self.extra_columns(name) if self.extra_columns else None
            if dtype is None:
                raise ContractError(f"column {name!r} is not part of the {self.name} contract")
            fields.append(pa.field(name, dtype))
        return pa.schema(fields)

    def require_columns(self, columns: Iterable[str], source: str | None = None) -> None:
        """Raise :class:`ContractError` naming every required column that is missing."""
        present = set(columns)
        missing = [name for name in self.required if name not in present]
        if missing:
            raise ContractError(
                f"missing required column(s) {', '.join(missing)} for {self.name}; "
                f"found: {', '.join(sorted(present)) or 'none'}",
                source=source,
            )

    def validate(
        self, frame: pd.DataFrame, source: str | None = None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Split ``frame`` into (valid rows in contract types, rejects with reasons).

        Missing optional columns are added as nulls; unknown columns are dropped unless
        the contract allows extras. Rows keep their index (the source row number).

        Raises:
            ContractError: a required column is missing.
        """
        self.require_columns(frame.columns, source)
        frame = frame.copy()
        for col in self.columns:
            if col.name not in frame.columns:
                frame[col.name] = None
        extras = [
            c
            for c in frame.columns
            if c not in self.names
            and self.extra_columns is not None
            and self.extra_columns(c) is not None
        ]
        if self.key and self.key in frame.columns:
            frame[self.key] = frame[self.key].map(normalise_company_id_or_raw)

        bad = pd.Series(False, index=frame.index)
        reasons = pd.Series("", index=frame.index, dtype=object)
        bad_column = pd.Series("", index=frame.index, dtype=object)

        def flag(mask: pd.Series, column: str, reason: Callable[[object], str]) -> None:
            new = mask & ~bad
            if new.any():
                reasons[new] = frame.loc[new, column].map(reason)
                bad_column[new] = column
                bad.loc[new] = True

        for col in self.columns:
            if not col.nullable:
                flag(_is_missing(frame[col.name]), col.name, lambda _v, c=col.name: f"{c} is empty")
        for check in self.checks:
            present = ~_is_missing(frame[check.column])
            valid = check.is_valid(frame[check.column].where(present))
            flag(present & ~valid.fillna(False).astype(bool), check.column, check.reason)

        rejects = _rejects_frame(frame[bad], reasons[bad], bad_column[bad], source, self.key)
        valid_rows = frame.loc[~bad, self.names + extras]
        return _coerce(valid_rows, self.arrow_schema(extras)), rejects


def normalise_company_id_or_raw(value: object) -> object:
    """The canonical company number, or the raw value when it cannot be one (so checks see it)."""
    normalised = normalise_company_id(value)
    if normalised is not None:
        return normalised
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _is_missing(series: pd.Series) -> pd.Series:
    missing = series.isna()
    if series.dtype == object:
        missing |= series.map(lambda v: isinstance(v, str) and not v.strip())
    return missing


def _rejects_frame(
    rows: pd.DataFrame,
    reasons: pd.Series,
    columns: pd.Series,
    source: str | None,
    key: str | None,
) -> pd.DataFrame:
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in REJECT_COLUMNS})
    records = rows.astype(object).where(rows.notna(), None).to_dict(orient="records")
    return pd.DataFrame(
        {
            "source": source,
            "row": rows.index.astype("int64"),
            "company_id": rows[key].astype(object) if key in rows else None,
            "column": columns.to_numpy(),
            "reason": reasons.to_numpy(),
            "record": [json.dumps(r, default=str, ensure_ascii=False) for r in records],
        }
    )


def _coerce(frame: pd.DataFrame, schema: pa.Schema) -> pd.DataFrame:
    """Cast validated columns to pandas dtypes that map cleanly onto ``schema``."""
    out = {}
    for fld in schema:
        values = frame[fld.name]
        if pa.types.is_string(fld.type):
            out[fld.name] = values.astype(object).where(values.notna(), None)
        elif pa.types.is_date32(fld.type):
            out[fld.name] = (
                pd.to_datetime(values, errors="coerce")
                .dt.date.astype(object)
                .where(values.notna(), None)
            )
        elif pa.types.is_timestamp(fld.type):
            out[fld.name] = pd.to_datetime(values, errors="coerce", utc=True)
        elif pa.types.is_floating(fld.type):
            out[fld.name] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif pa.types.is_integer(fld.type):
            out[fld.name] = pd.to_numeric(values, errors="coerce").astype("Int64")
        elif pa.types.is_boolean(fld.type):
            out[fld.name] = values.astype("boolean")
        elif pa.types.is_list(fld.type):
            out[fld.name] = values.map(lambda v: list(v) if _is_listlike(v) else [])
        else:
            out[fld.name] = values
    return pd.DataFrame(out, index=frame.index)


def _is_listlike(value: object) -> bool:
    return isinstance(value, list | tuple | np.ndarray)


def to_arrow(frame: pd.DataFrame, contract: Contract) -> pa.Table:
    """A validated frame as an Arrow table with the contract's exact schema."""
    extras = [c for c in frame.columns if c not in contract.names]
    return pa.Table.from_pandas(frame, schema=contract.arrow_schema(extras), preserve_index=False)


# --- value checks ----------------------------------------------------------------------------


def _matches(pattern: re.Pattern[str]) -> Callable[[pd.Series], pd.Series]:
    return lambda s: s.map(lambda v: bool(pattern.match(str(v))) if v is not None else True)


def _valid_dates(series: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(series, errors="coerce", format="mixed", dayfirst=False)
    return parsed.notna() | series.isna()


def _valid_sic_list(series: pd.Series) -> pd.Series:
    return series.map(
        lambda v: (
            v is None
            or (_is_listlike(v) and all(isinstance(c, str) and SIC_CODE_RE.match(c) for c in v))
        )
    )


def _valid_label_ids(series: pd.Series) -> pd.Series:
    return series.map(lambda v: all(CLUSTER_ID_RE.match(x) for x in split_labels(v)))


def _non_negative(series: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(series, errors="coerce")
    return (numbers >= 0) | series.isna()


def _numeric(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").notna() | series.isna()


def _unit_interval(series: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(series, errors="coerce")
    return numbers.between(0.0, 1.0) | series.isna()


_ID_CHECK = Check(
    "company_id",
    _matches(COMPANY_ID_RE),
    lambda v: f"company_id {v!r} is not a Companies House number",
)


def _date_check(name: str) -> Check:
    return Check(name, _valid_dates, lambda v, n=name: f"{n} {v!r} is not a date")


COMPANY_BASE = Contract(
    name="company base",
    columns=(
        Column("company_id", pa.string(), nullable=False, description="Companies House number"),
        Column("name", pa.string(), nullable=False),
        Column("postcode", pa.string()),
        Column("postcode_district", pa.string(), required=False, description="outward code"),
        Column("lad_code", pa.string(), required=False),
        Column("lad_name", pa.string(), required=False),
        Column("region_code", pa.string(), required=False),
        Column("region_name", pa.string(), required=False),
        Column("status", pa.string(), required=False),
        Column("category", pa.string(), required=False),
        Column("incorporation_date", pa.date32(), required=False),
        Column("dissolution_date", pa.date32(), required=False),
        Column("sic_codes", pa.list_(pa.string()), required=False, description="5-digit codes"),
        Column("website", pa.string(), required=False),
        Column("website_text", pa.string(), required=False),
        Column("website_fetched_at", pa.timestamp("us", tz="UTC"), required=False),
        Column(
            "website_status",
            pa.string(),
            required=False,
            description="ok, no_text, robots_disallowed, timeout, ... (clusters ingest websites)",
        ),
        Column("filing_text", pa.string(), required=False),
        Column("turnover", pa.float64(), required=False, description="GBP, latest accounts"),
        Column("employees", pa.float64(), required=False, description="average, latest accounts"),
        Column("accounts_period_end", pa.date32(), required=False),
    ),
    checks=(
        _ID_CHECK,
        Check(
            "postcode",
            lambda s: s.map(lambda v: v is None or is_valid_postcode(str(v))),
            lambda v: f"postcode {v!r} is not a UK postcode",
        ),
        _date_check("incorporation_date"),
        _date_check("dissolution_date"),
        _date_check("accounts_period_end"),
        Check("sic_codes", _valid_sic_list, lambda v: f"sic_codes {v!r} are not 5-digit codes"),
        Check("turnover", _numeric, lambda v: f"turnover {v!r} is not a number"),
        Check("employees", _non_negative, lambda v: f"employees {v!r} is not a count"),
    ),
)
"""A company base: one row per company, with geography derived from the postcode."""


LABELS = Contract(
    name="labels",
    columns=(
        Column("company_id", pa.string(), nullable=False),
        Column("text", pa.string(), nullable=False, description="the text the labels refer to"),
        Column(
            "labels",
            pa.string(),
            nullable=True,
            description="cluster ids separated by ';'; empty = reviewed negative (no cluster)",
        ),
    ),
    checks=(
        _ID_CHECK,
        Check("labels", _valid_label_ids, lambda v: f"labels {v!r} hold a malformed cluster id"),
    ),
)
"""Training labels (CSV or Parquet)."""


PROBABILITY_PREFIX = "p_"

PREDICTIONS = Contract(
    name="predictions",
    columns=(
        Column("company_id", pa.string(), nullable=False),
        Column("labels", pa.string(), description="predicted cluster ids above threshold, ';'"),
        Column("top_label", pa.string(), description="most probable cluster (even if unassigned)"),
        Column("confidence", pa.float64(), nullable=False),
        Column("needs_review", pa.bool_(), nullable=False),
        Column("model_version", pa.string(), nullable=False),
        Column("text_hash", pa.string(), nullable=False),
    ),
    checks=(
        _ID_CHECK,
        Check("confidence", _unit_interval, lambda v: f"confidence {v!r} is outside [0, 1]"),
    ),
    extra_columns=lambda name: pa.float64() if name.startswith(PROBABILITY_PREFIX) else None,
)
"""One row per classified company; one ``p_<cluster_id>`` probability column per cluster."""
