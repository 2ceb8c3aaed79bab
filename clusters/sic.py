"""UK SIC 2007 reference: titles, sections, and parsing of Companies House SIC strings.

Companies House writes SIC codes as ``"70229 - Management consultancy activities other than
financial management"``, ``"None Supplied"``, or legacy SIC 2003 four-digit strings such as
``"7499 - Non-trading company"``. :func:`parse_sic_text` turns each into a 5-digit SIC 2007
code (or ``None``). Legacy codes are mapped by one documented rule:

* the Companies House-specific legacy codes ``7499`` (non-trading) and ``9999`` (dormant)
  map to ``74990`` and ``99999``, their SIC 2007 equivalents in Companies House's own list,
  and the two commonest catch-all classes ``7487`` and ``7415`` to their n.e.c. targets
  (``CH_LEGACY``);
* any other four-digit SIC 2003 class ``ABCD`` maps to the SIC 2007 code that the ONS
  correlation table names most often as a target of ``AB.CD`` (ties: lowest code); a code the
  table does not list (often a group-level code such as ``2940``) takes the commonest target
  of its group ``ABC`` and, failing that, of its division ``AB``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

_CODE_RE = re.compile(r"^\s*(\d{4,5})\b")
CH_LEGACY = {
    "7499": "74990",  # Companies House "Non-trading company"
    "9999": "99999",  # Companies House "Dormant company"
    "7487": "82990",  # "Other business activities": the n.e.c. target, not a lowest-code tie
    "7415": "64209",  # "Holding companies including head offices"
}

NOT_TRADING = frozenset({"74990", "99999"})
"""Companies House's "Non-trading company" and "Dormant company": no economic activity."""


def sic_code_list(value: object) -> list[str]:
    """A company's SIC codes as a list, from a list/array, a ``;``/``,``/space-separated
    string, or nothing.

    >>> sic_code_list("62012; 72190"), sic_code_list(["99999"]), sic_code_list(None)
    (['62012', '72190'], ['99999'], [])
    """
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value]
    if isinstance(value, str) and value:
        return [v for v in re.split(r"[;,\s]+", value) if v]
    return []


@dataclass(frozen=True)
class SicReference:
    """SIC 2007 titles and sections, and the SIC 2003 → 2007 legacy mapping."""

    titles: dict[str, str]
    """5-digit code → title (Companies House condensed list, which includes 74990 and 99999)."""
    sections: dict[str, str]
    """5-digit code → section letter (A-U)."""
    section_titles: dict[str, str]
    legacy: dict[str, str]
    """4-digit SIC 2003 class → 5-digit SIC 2007 code."""

    def title(self, code: str) -> str | None:
        return self.titles.get(code)

    def parse(self, text: object) -> tuple[str | None, str | None]:
        """``(code, problem)`` for one SIC string; see :func:`parse_sic_text`."""
        return parse_sic_text(text, self)


def parse_sic_text(text: object, ref: SicReference) -> tuple[str | None, str | None]:
    """Parse one Companies House SIC string.

    Returns ``(code, None)`` for a valid code, ``(None, None)`` for an empty value or
    "None Supplied", and ``(None, problem)`` when the value is not a known SIC code.
    """
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None, None
    value = str(text).strip()
    if not value or value.lower().startswith("none supplied"):
        return None, None
    match = _CODE_RE.match(value)
    if not match:
        return None, f"SIC value {value!r} has no code"
    code = match.group(1)
    if len(code) == 4:
        mapped = ref.legacy.get(code) or ref.legacy.get(code[:3]) or ref.legacy.get(code[:2])
        if mapped is None:
            return None, f"legacy SIC 2003 code {code} has no SIC 2007 equivalent"
        return mapped, None
    if code not in ref.titles:
        return None, f"SIC code {code} is not in SIC 2007"
    return code, None


def _five_digit(code07: str) -> str:
    """``'82.91/2'`` → ``'82912'``, ``'82.99'`` → ``'82990'``, ``'99'`` → ``'99000'``."""
    digits = code07.replace(".", "").replace("/", "")
    return digits.ljust(5, "0")[:5]


def build_reference(sic_dir: Path) -> SicReference:
    """Load the bundled SIC files from ``sic_dir``."""
    condensed = pd.read_csv(
        sic_dir / "companies_house_sic_condensed.tsv", sep="\t", dtype=str, keep_default_na=False
    )
    five = condensed[condensed["industrial-classification"].str.fullmatch(r"\d{5}")]
    titles = dict(zip(five["industrial-classification"], five["name"], strict=True))

    structure = pd.read_csv(sic_dir / "sic2007_structure.csv", dtype=str, keep_default_na=False)
    section_titles = dict(
        structure.loc[structure["level"] == "SECTION", ["section", "description"]].to_numpy()
    )
    sections = {}
    for section, code in structure[["section", "most_disaggregated_code"]].to_numpy():
        if re.fullmatch(r"\d{5}", code):
            sections[code] = section
    by_division = {code[:2]: sections[code] for code in sections}
    for code in titles:
        sections.setdefault(code, by_division.get(code[:2], "U"))

    corr = pd.read_csv(
        sic_dir / "sic2003_to_sic2007_correlation.tsv", sep="\t", dtype=str, keep_default_na=False
    )
    targets: dict[str, Counter[str]] = {}
    for source, target in corr[["source", "target"]].to_numpy():
        src = source.split(":", 1)[1].split("/")[0].replace(".", "")
        tgt = _five_digit(target.split(":", 1)[1])
        if tgt not in titles or not src.isdigit():
            continue
        src = src.ljust(4, "0")[:4]  # '95' (a division-level row) stands for class 9500
        # count each target under the class and under its group and division prefixes,
        # so a group-level legacy code such as 2940 resolves through 294x
        for key in (src, src[:3], src[:2]):
            targets.setdefault(key, Counter())[tgt] += 1
    legacy = {
        src: sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        for src, counts in targets.items()
    }
    legacy.update(CH_LEGACY)
    return SicReference(titles, sections, section_titles, legacy)


@lru_cache(maxsize=4)
def load_reference(sic_dir: Path) -> SicReference:
    """The reference from ``sic_dir`` (cached per process)."""
    return build_reference(sic_dir)


def default_reference() -> SicReference:
    """The bundled SIC reference from the configured data directory."""
    from clusters.config import get_settings

    return load_reference(get_settings().paths.sic_dir)
