"""Row screening: which rows of a chunk can be classified, and why the others cannot.

A row is rejected (and the job goes on) when, checked in this order:

0. it is a malformed CSV line (wrong number of fields; its raw text is kept);
1. its ``company_id`` is missing or blank;
2. its ``company_id`` is not a Companies House number (after normalising, e.g. ``"123"`` →
   ``"00000123"``);
3. its ``company_id`` already appeared on an earlier input row, in any part (the first row
   with an id is kept, later ones are rejected: a stream cannot know the future);
4. a text column is not readable UTF-8 text.

Duplicate detection keeps every id seen so far packed into a ``uint64`` (a valid company
number is exactly 8 ASCII characters), in sorted runs merged like a binary counter: 8 bytes
per company (44 MB for 5.5 million) and ``O(log n)`` runs to search.

Example:
    >>> seen = SeenIds()
    >>> keys = pack_ids(["00000001", "SC000002"])
    >>> seen.add(keys); seen.contains(pack_ids(["00000001", "00000003"])).tolist()
    [True, False]
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clusters.batch.inputs import (
    BAD_COLUMN,
    MALFORMED,
    PART_COLUMN,
    RAW_COLUMN,
    ROW_COLUMN,
    Chunk,
    InputSource,
)
from clusters.contracts import REJECT_COLUMNS, normalise_company_id

RECORD_VALUE_CHARS = 200
"""Each value in a reject's ``record`` is cut to this many characters."""


def pack_ids(ids: Sequence[str]) -> np.ndarray:
    """Valid (8-character ASCII) company numbers as ``uint64`` keys, order kept."""
    if not len(ids):
        return np.zeros(0, dtype=np.uint64)
    return np.frombuffer("".join(ids).encode("ascii"), dtype=">u8").astype(np.uint64)


class SeenIds:
    """The set of company ids seen so far in the run (as packed keys)."""

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def contains(self, keys: np.ndarray) -> np.ndarray:
        """Boolean mask: which ``keys`` were added before."""
        found = np.zeros(len(keys), dtype=bool)
        for run in self._runs:
            pos = np.minimum(np.searchsorted(run, keys), len(run) - 1)
            found |= run[pos] == keys
        return found

    def add(self, keys: np.ndarray) -> None:
        """Add distinct keys that are not in the set yet."""
        if not len(keys):
            return
        run = np.sort(np.asarray(keys, dtype=np.uint64), kind="stable")
        while self._runs and len(self._runs[-1]) <= len(run):
            run = np.sort(np.concatenate([self._runs.pop(), run]), kind="stable")
        self._runs.append(run)
        self._size += len(keys)


@dataclass
class Screened:
    """A screened chunk."""

    valid: pd.DataFrame
    """Rows to classify: normalised ``company_id``, input columns, ``__part``/``__row``."""
    rejects: pd.DataFrame
    """Rejected rows in :data:`clusters.contracts.REJECT_COLUMNS` order, plus ``chunk``."""
    ids_digest: str
    """sha256 of the chunk's raw ids in order: detects an input that changed under a job."""
    kinds: dict[str, int]
    """Rejected rows by kind: ``malformed_row``, ``missing_id``, ``invalid_id``,
    ``duplicate_id``, ``bad_text``."""


def ids_digest(raw_ids: Sequence[object]) -> str:
    """sha256 of the raw id values of a chunk, in order."""
    digest = hashlib.sha256()
    for value in raw_ids:
        digest.update(b"\x1f" if value is None else str(value).encode("utf-8", "replace") + b"\x1e")
    return digest.hexdigest()


def _record(row: dict[str, object]) -> str:
    if row.get(RAW_COLUMN):
        return str(row[RAW_COLUMN])[: RECORD_VALUE_CHARS * 5]
    fields = {
        k: (v[:RECORD_VALUE_CHARS] if isinstance(v, str) else v)
        for k, v in row.items()
        if not k.startswith("__")
    }
    return json.dumps(fields, default=str, ensure_ascii=False)


Problem = tuple[str, str, str]
"""Why a row is rejected: (reason, column, kind)."""


def id_problem(value: object, normalised: str | None, bad: str) -> Problem | None:
    """Checks 0-2 of the module docstring for one row (``bad``: its ``__bad`` value);
    ``None`` when its id can be used (it may still be a duplicate or have bad text)."""
    if bad.startswith(MALFORMED):
        return bad, "", "malformed_row"
    if value is None or not str(value).strip():
        return "company_id is empty", "company_id", "missing_id"
    if normalised is None:
        return f"company_id {value!r} is not a Companies House number", "company_id", "invalid_id"
    return None


def duplicate_problem(normalised: str) -> Problem:
    """Check 3: an earlier input row has this (usable) id."""
    return (
        f"duplicate company_id {normalised}: an earlier input row has it",
        "company_id",
        "duplicate_id",
    )


def text_problem(bad: str) -> Problem:
    """Check 4: a text column is not readable (``bad``: the row's ``__bad`` value)."""
    return bad, bad.split(" ", 1)[0], "bad_text"


def row_problem(
    first: Problem | None, normalised: str | None, bad: str, duplicate: bool
) -> Problem | None:
    """A row's problem by the order of the checks: ``first`` (its :func:`id_problem`), then
    a duplicate id, then unreadable text; ``None`` when the row can be classified."""
    if first is not None:
        return first
    if duplicate and normalised is not None:
        return duplicate_problem(normalised)
    return text_problem(bad) if bad else None


def reject_frame(
    frame: pd.DataFrame,
    rows: Sequence[int],
    part_names: Sequence[str],
    normalised: Sequence[str | None],
    problems: Sequence[Problem | None],
) -> pd.DataFrame:
    """The rejects (:data:`~clusters.contracts.REJECT_COLUMNS`) for positions ``rows`` of a
    decoded input frame; ``normalised`` and ``problems`` are indexed like ``frame``."""
    raw = frame["company_id"].tolist()
    return pd.DataFrame(
        {
            "source": [part_names[int(frame[PART_COLUMN].iat[i])] for i in rows],
            "row": frame[ROW_COLUMN].iloc[list(rows)].array,  # Int64: 2, not 2.0
            "company_id": [normalised[i] or raw[i] for i in rows],
            "column": [problems[i][1] for i in rows],
            "reason": [problems[i][0] for i in rows],
            "record": [_record(frame.iloc[i].to_dict()) for i in rows],
        },
        columns=REJECT_COLUMNS,
    )


def screen_chunk(chunk: Chunk, source: InputSource, seen: SeenIds) -> Screened:
    """Split a chunk into rows to classify and rejects, and register its ids in ``seen``."""
    frame = chunk.frame
    raw = frame["company_id"].tolist()
    normalised = [normalise_company_id(v) for v in raw]
    bad_text = frame[BAD_COLUMN].tolist()
    problems = [
        id_problem(value, norm, bad)
        for value, norm, bad in zip(raw, normalised, bad_text, strict=True)
    ]

    positions = np.flatnonzero([p is None for p in problems])
    keys = pack_ids([normalised[i] for i in positions])
    duplicate = seen.contains(keys)
    _, first = np.unique(keys, return_index=True)
    repeated = np.ones(len(keys), dtype=bool)
    repeated[first] = False
    duplicate |= repeated
    seen.add(keys[~duplicate])
    duplicated = np.zeros(len(frame), dtype=bool)
    duplicated[positions] = duplicate
    problems = [
        row_problem(found, norm, bad, dup)
        for found, norm, bad, dup in zip(problems, normalised, bad_text, duplicated, strict=True)
    ]

    rejected = np.array([p is not None for p in problems], dtype=bool)
    valid = frame.loc[~rejected].copy()
    valid["company_id"] = [normalised[i] for i in np.flatnonzero(~rejected)]
    valid = valid.drop(columns=[BAD_COLUMN, RAW_COLUMN]).reset_index(drop=True)

    part_names = [part.name for part in source.parts]
    at = np.flatnonzero(rejected)
    # in input order: a malformed CSV row reaches the frame after the batch it was met in
    where = frame[ROW_COLUMN].iloc[at].astype("Float64").fillna(np.inf).to_numpy(dtype=float)
    at = at[np.lexsort((where, frame[PART_COLUMN].to_numpy()[at]))]
    rejects = reject_frame(frame, at, part_names, normalised, problems)
    rejects["chunk"] = chunk.index
    counts: dict[str, int] = {}
    for problem in problems:
        if problem is not None:
            counts[problem[2]] = counts.get(problem[2], 0) + 1
    return Screened(valid=valid, rejects=rejects, ids_digest=ids_digest(raw), kinds=counts)
