"""The compact record of company numbers used to drop duplicates across input files."""

from __future__ import annotations

import numpy as np
import pytest

from clusters.ingest.dedupe import SeenCompanies, company_keys


def test_keys_are_distinct_for_every_number_format() -> None:
    ids = ["00000001", "01000000", "SC000001", "S0000001", "A1234567", "AA123456", "ZZ999999"]
    keys = company_keys(ids)
    assert len(set(keys.tolist())) == len(ids)
    assert keys.dtype == np.int64


def test_keys_reject_non_canonical_ids() -> None:
    with pytest.raises(ValueError):
        company_keys(["1234"])


def test_first_occurrence_is_remembered_across_calls() -> None:
    seen = SeenCompanies()
    dup, files, rows = seen.check(["00000002", "00000001", "00000002"], 0, [10, 11, 12])
    assert dup.tolist() == [False, False, True]
    assert (int(files[2]), int(rows[2])) == (0, 10)

    dup, files, rows = seen.check(["00000001", "SC000001"], 3, [1, 2])
    assert dup.tolist() == [True, False]
    assert (int(files[0]), int(rows[0])) == (0, 11)
    assert len(seen) == 3


def test_matches_a_python_set_on_many_random_ids() -> None:
    rng = np.random.default_rng(0)
    numbers = rng.integers(0, 300_000, size=200_000)
    prefixes = rng.choice(["", "SC", "OC", "R"], size=numbers.size)
    ids = [
        f"{p}{n:0{8 - len(p)}d}" for p, n in zip(prefixes.tolist(), numbers.tolist(), strict=True)
    ]
    seen, got = SeenCompanies(), []
    for start in range(0, len(ids), 50_000):
        batch = ids[start : start + 50_000]
        dup, _, _ = seen.check(batch, 0, list(range(start + 1, start + len(batch) + 1)))
        got.extend(dup.tolist())
    want = []
    seen_set: set[str] = set()
    for cid in ids:
        want.append(cid in seen_set)
        seen_set.add(cid)
    assert got == want
    assert len(seen) == len(seen_set)
    assert seen.nbytes == 16 * len(seen_set)
