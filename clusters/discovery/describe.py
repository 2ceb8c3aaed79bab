"""Describe discovered groups: what they do, who they are, where SIC puts them, how fast they
grow and where they are.

* **Distinctive terms**: class-based TF-IDF (BERTopic's c-TF-IDF): every group's texts form
  one class document and the rest of the whole base one background class (a sample, its counts
  scaled to the base); a term scores ``tf(term, group) * log(1 + A / f(term))`` with ``A`` the
  mean words per class and ``f`` the term's frequency over all classes. Terms are words and
  adjacent word pairs that cross no punctuation and no stop word; the companies' names and
  the titles of their SIC codes are removed first (the report shows both). Unigrams already covered by
  a higher-ranked pair are skipped.
* **Central companies**: members most similar (cosine) to the group's mean embedding.
* **SIC mix**: the codes members file under, each with the share of members and the share of
  the base's companies with that code that are in the group (*coverage*: a small coverage
  means the SIC code hides the group among many others).
* **Growth**: incorporations per year; ``recent_share`` = members incorporated within
  ``recent_years`` of the newest incorporation in the base, ``growth_ratio`` = that share
  over the same share of the whole base (> 1: younger than the base).
* **Geography**: top local authorities; ``focus_share`` = members in the focus regions. The
  group's *reach* is its members plus every base company, in or out of scope, at least as
  similar to the group's mean embedding as its 10% least central members; ``specialisation``
  = the reach's focus share over the base's focus share (a location quotient that stays
  meaningful when the candidates were restricted to one region; 1 when the base holds only
  the focus regions).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from clusters.discovery.candidates import unit_rows
from clusters.discovery.settings import DiscoverySettings
from clusters.sic import sic_code_list

TextSource = Callable[[np.ndarray], list[str]]
"""Texts of base rows (positions); lets callers prepare only the texts that are needed."""

STOP_WORDS = sorted(
    ENGLISH_STOP_WORDS
    | {
        "ltd", "limited", "plc", "llp", "uk", "company", "companies", "business", "businesses",
        "provide", "provides", "providing", "provider", "offer", "offers", "including",
        "based", "principal", "activity", "activities", "year", "www", "com", "nec", "n.e.c",
        "synthetic", "new", "work", "works", "help", "helps", "team", "range", "clients",
        "customers", "client", "customer", "solutions", "services", "service", "products",
    }
)  # fmt: skip
_STOP = frozenset(STOP_WORDS)
_CHUNK_RE = re.compile(r"[.;:,!?()\[\]\"/|]+\s*|\s+-\s+")
_TOKEN_RE = re.compile(r"(?u)\b[^\W\d_][\w\-]*[^\W_]\b")
REACH_QUANTILE = 0.1
SIC_MIN_SHARE = 0.1


@dataclass
class GroupDescription:
    """Everything the report and the draft entry say about one group."""

    group: int
    size: int
    terms: list[tuple[str, float]] = field(default_factory=list)
    central: list[dict] = field(default_factory=list)
    """Most central members: ``company_id``, ``name``, ``text``, ``similarity``."""
    sic: list[dict] = field(default_factory=list)
    """Top SIC codes: ``code``, ``title``, ``count``, ``share``, ``coverage``."""
    by_year: dict[int, int] = field(default_factory=dict)
    recent_share: float = float("nan")
    base_recent_share: float = float("nan")
    growth_ratio: float = float("nan")
    places: list[tuple[str, int]] = field(default_factory=list)
    focus_share: float = float("nan")
    reach: int = 0
    reach_focus_share: float = float("nan")
    base_focus_share: float = float("nan")
    specialisation: float = float("nan")
    nearest_cluster: str | None = None
    novelty: float = float("nan")
    """1 - cosine similarity of the group's mean embedding to the nearest cluster centroid."""
    members: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    """Base row positions of the members, most central first."""

    @property
    def term_list(self) -> list[str]:
        return [t for t, _ in self.terms]


# --- terms -------------------------------------------------------------------------------------


def distinctive_terms(
    group_texts: Sequence[Sequence[str]],
    background: Sequence[str],
    background_scale: float,
    top: int,
) -> list[list[tuple[str, float]]]:
    """Top c-TF-IDF terms (word 1-2-grams) of each group against the background.

    Args:
        group_texts: the member texts of each group.
        background: texts of non-members (a sample of the base).
        background_scale: how many base companies each background text stands for.
        top: terms per group.

    Example:
        >>> terms = distinctive_terms([["vertical farms grow salad", "vertical farms"]],
        ...                           ["we sell cars", "cars and vans", "salad bar"], 1.0, 2)
        >>> [t for t, _ in terms[0]]
        ['vertical farms', 'salad']
    """
    owners = np.concatenate(
        [np.full(len(texts), g) for g, texts in enumerate(group_texts)]
        + [np.full(len(background), len(group_texts))]
    ).astype(int)
    docs = [t for texts in group_texts for t in texts] + list(background)
    if not len(group_texts):
        return []
    vectorizer = CountVectorizer(analyzer=phrase_terms, min_df=2)
    try:
        counts = vectorizer.fit_transform(docs)
    except ValueError:  # empty vocabulary
        return [[] for _ in group_texts]
    n_classes = len(group_texts) + 1
    membership = sparse.csr_matrix(
        (np.ones(len(docs)), (owners, np.arange(len(docs)))), shape=(n_classes, len(docs))
    )
    classes = np.asarray((membership @ counts).todense(), dtype=float)
    classes[-1] *= background_scale
    totals = classes.sum(axis=1, keepdims=True)
    tf = classes / np.where(totals > 0, totals, 1.0)
    frequency = classes.sum(axis=0)
    average_words = classes.sum() / n_classes
    idf = np.log1p(average_words / np.where(frequency > 0, frequency, 1.0))
    scores = tf[:-1] * idf
    vocabulary = vectorizer.get_feature_names_out()
    return [_top_terms(row, vocabulary, top) for row in scores]


def phrase_terms(text: str) -> list[str]:
    """Words and adjacent word pairs of a text, never across punctuation or a stop word.

    >>> phrase_terms("Vertical farms, and LED-lit farms. Farms in Derby")
    ['vertical', 'farms', 'vertical farms', 'led-lit', 'farms', 'led-lit farms', 'farms', 'derby']
    """
    terms: list[str] = []
    for chunk in _CHUNK_RE.split(text.lower()):
        tokens = _TOKEN_RE.findall(chunk)
        terms += [t for t in tokens if t not in _STOP]
        terms += [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)
                  if a not in _STOP and b not in _STOP]  # fmt: skip
    return terms


def activity_text(text: str, name: str, codes: Sequence[str], titles: Mapping[str, str]) -> str:
    """``text`` without the company's name and the titles of its SIC codes: terms should say
    what a group does, not what its members are called (the report lists them) or how SIC
    files them (the SIC mix shows that).

    >>> text = activity_text("GREENLEAF. Greenleaf grows salad. Growing of salad.",
    ...                      "GREENLEAF LTD", ["01130"], {"01130": "Growing of salad"})
    >>> " ".join(text.split())
    '. grows salad. .'
    """
    from classifier.text import clean_name

    for code in codes:
        title = titles.get(code)
        if title:
            text = text.replace(title, "")
    cleaned = clean_name(name)
    if len(cleaned) >= 3:
        text = re.sub(re.escape(cleaned), " ", text, flags=re.IGNORECASE)
    return text


def _top_terms(scores: np.ndarray, vocabulary: np.ndarray, top: int) -> list[tuple[str, float]]:
    chosen: list[tuple[str, float]] = []
    covered: set[str] = set()
    n_words = np.char.count(vocabulary.astype(str), " ") + 1
    for j in np.lexsort((vocabulary, -n_words, -scores)):  # ties: bigrams, then a-z
        if scores[j] <= 0 or len(chosen) >= top:
            break
        words = vocabulary[j].split()
        if len(words) == 1 and words[0] in covered:
            continue
        if len(words) == 2 and words[0] == words[1]:
            continue
        chosen.append((str(vocabulary[j]), float(scores[j])))
        covered.update(words)
    return chosen


# --- members -----------------------------------------------------------------------------------


def group_centroids(unit: np.ndarray, members: Sequence[np.ndarray]) -> np.ndarray:
    """Unit-length mean vector of each group's members."""
    if not len(members):
        return np.zeros((0, unit.shape[1]), dtype=np.float32)
    return unit_rows(np.stack([unit[rows].mean(axis=0) for rows in members]))


def order_by_centrality(unit: np.ndarray, rows: np.ndarray, centroid: np.ndarray) -> np.ndarray:
    """``rows`` sorted from most to least similar to ``centroid`` (with the similarities)."""
    sims = unit[rows] @ centroid
    order = np.argsort(-sims, kind="stable")
    return np.stack([rows[order], sims[order]])


def sic_mix(
    member_codes: Sequence[Sequence[str]],
    base_counts: Mapping[str, int],
    titles: Mapping[str, str],
    top: int = 5,
) -> list[dict]:
    """The commonest SIC codes of the members with share and coverage (see module doc)."""
    counts = Counter(code for codes in member_codes for code in codes)
    size = max(len(member_codes), 1)
    return [
        {
            "code": code,
            "title": titles.get(code, ""),
            "count": n,
            "share": n / size,
            "coverage": n / base_counts[code] if base_counts.get(code) else float("nan"),
        }
        for code, n in counts.most_common(top)
    ]


def recent_share(years: pd.Series, reference_year: int, recent_years: int) -> float:
    """Share of known incorporation years within ``recent_years`` of ``reference_year``."""
    known = years.dropna()
    if known.empty:
        return float("nan")
    return float((known > reference_year - recent_years).mean())


def focus_share(regions: pd.Series, focus: Sequence[str]) -> float:
    """Share of known regions that are one of ``focus`` (case-insensitive)."""
    known = regions.dropna()
    if known.empty or not focus:
        return float("nan")
    wanted = {f.casefold() for f in focus}
    return float(known.astype(str).str.casefold().isin(wanted).mean())


def _ratio(a: float, b: float) -> float:
    return a / b if np.isfinite(a) and np.isfinite(b) and b > 0 else float("nan")


# --- assembly ----------------------------------------------------------------------------------


@dataclass
class BaseFacts:
    """Columns of the whole base the descriptions need (missing columns become nulls)."""

    company_id: pd.Series
    name: pd.Series
    sic_codes: pd.Series
    years: pd.Series
    lad: pd.Series
    region: pd.Series
    sic_counts: Counter
    reference_year: int | None

    @classmethod
    def of(cls, base: pd.DataFrame) -> BaseFacts:
        """The facts of a company-base frame (positions, not index labels, address rows)."""

        def column(name: str) -> pd.Series:
            values = base[name] if name in base.columns else pd.Series(None, index=base.index)
            return values.reset_index(drop=True)

        sic_codes = column("sic_codes").map(sic_code_list)
        dates = pd.to_datetime(column("incorporation_date"), errors="coerce")
        years = dates.dt.year
        return cls(
            company_id=column("company_id").astype(str),
            name=column("name").fillna("").astype(str),
            sic_codes=sic_codes,
            years=years,
            lad=column("lad_name"),
            region=column("region_name"),
            sic_counts=Counter(code for codes in sic_codes for code in codes),
            reference_year=int(years.max()) if years.notna().any() else None,
        )


def describe_groups(
    members: Sequence[np.ndarray],
    unit: np.ndarray,
    facts: BaseFacts,
    texts: TextSource,
    titles: Mapping[str, str],
    focus: Sequence[str],
    settings: DiscoverySettings,
) -> list[GroupDescription]:
    """Describe each group (``members``: base row positions per group).

    Args:
        members: base row positions of each group's members.
        unit: unit-length embeddings of the whole base (row positions as in ``facts``).
        facts: the base's columns (:meth:`BaseFacts.of`).
        texts: texts of base rows, for terms and central examples.
        titles: SIC code → title.
        focus: the focus regions.
        settings: ``top_terms``, ``central_examples``, ``background_sample``,
            ``recent_years``, ``seed``.
    """
    n_base = len(unit)
    centroids = group_centroids(unit, members)
    in_group = np.zeros(n_base, dtype=bool)
    for rows in members:
        in_group[rows] = True
    others = np.flatnonzero(~in_group)
    rng = np.random.default_rng(settings.seed)
    background = (
        np.sort(rng.choice(others, settings.background_sample, replace=False))
        if len(others) > settings.background_sample
        else others
    )
    ordered = [
        order_by_centrality(unit, rows, c) for rows, c in zip(members, centroids, strict=True)
    ]
    member_texts = [texts(o[0].astype(int)) for o in ordered]

    def for_terms(rows: np.ndarray, row_texts: Sequence[str]) -> list[str]:
        names, codes = facts.name.iloc[rows].tolist(), facts.sic_codes.iloc[rows].tolist()
        return [
            activity_text(t, n, c, titles) for t, n, c in zip(row_texts, names, codes, strict=True)
        ]

    terms = distinctive_terms(
        [for_terms(o[0].astype(int), t) for o, t in zip(ordered, member_texts, strict=True)],
        for_terms(background, texts(background)),
        len(others) / max(len(background), 1),
        settings.top_terms,
    )
    context = _Context(facts, unit, titles, focus, settings)
    return [
        context.describe(g, order[0].astype(int), order[1], terms[g], member_texts[g])
        for g, order in enumerate(ordered)
    ]


@dataclass
class _Context:
    """What every group's description is measured against."""

    facts: BaseFacts
    unit: np.ndarray
    titles: Mapping[str, str]
    focus: Sequence[str]
    settings: DiscoverySettings

    def describe(
        self,
        group: int,
        rows: np.ndarray,
        sims: np.ndarray,
        terms: list[tuple[str, float]],
        row_texts: Sequence[str],
    ) -> GroupDescription:
        """One group, ``rows`` (base positions) most central first with their ``sims``."""
        facts, settings = self.facts, self.settings
        reference = facts.reference_year
        recent = settings.recent_years
        base_recent = recent_share(facts.years, reference, recent) if reference else np.nan
        share = recent_share(facts.years.iloc[rows], reference, recent) if reference else np.nan
        centroid = unit_rows(self.unit[rows].mean(axis=0, keepdims=True))[0]
        near = self.unit @ centroid >= np.quantile(sims, REACH_QUANTILE)
        near[rows] = True
        reach_focus = focus_share(facts.region[near], self.focus)
        base_focus = focus_share(facts.region, self.focus)
        years = facts.years.iloc[rows].dropna().value_counts().sort_index()
        places = facts.lad.iloc[rows].dropna().value_counts().head(5)
        return GroupDescription(
            group=group,
            size=len(rows),
            terms=terms,
            central=[
                {
                    "company_id": facts.company_id.iloc[r],
                    "name": facts.name.iloc[r],
                    "text": row_texts[i],
                    "similarity": float(sims[i]),
                }
                for i, r in enumerate(rows[: settings.central_examples])
            ],
            sic=sic_mix(facts.sic_codes.iloc[rows].tolist(), facts.sic_counts, self.titles),
            by_year={int(y): int(n) for y, n in years.items()},
            recent_share=share,
            base_recent_share=base_recent,
            growth_ratio=_ratio(share, base_recent),
            places=[(str(place), int(n)) for place, n in places.items()],
            focus_share=focus_share(facts.region.iloc[rows], self.focus),
            reach=int(near.sum()),
            reach_focus_share=reach_focus,
            base_focus_share=base_focus,
            specialisation=_ratio(reach_focus, base_focus),
            members=rows,
        )


def with_novelty(
    descriptions: Sequence[GroupDescription],
    unit: np.ndarray,
    cluster_ids: Sequence[str],
    cluster_centroids: np.ndarray,
) -> list[GroupDescription]:
    """The descriptions with their nearest existing cluster and novelty (1 - cosine
    similarity of the group's mean embedding to that cluster's centroid)."""
    if not len(cluster_ids) or not len(descriptions):
        return list(descriptions)
    sims = group_centroids(unit, [d.members for d in descriptions]) @ cluster_centroids.T
    best = sims.argmax(axis=1)
    return [
        replace(d, nearest_cluster=str(cluster_ids[j]), novelty=float(1.0 - row[j]))
        for d, row, j in zip(descriptions, sims, best, strict=True)
    ]


def sic_summary(description: GroupDescription, top: int = 3) -> str:
    """``"62012 (40%), 72190 (20%)"``: the top codes and their member shares."""
    return ", ".join(f"{s['code']} ({s['share']:.0%})" for s in description.sic[:top])


def sic_codes_for_draft(description: GroupDescription) -> list[str]:
    """Codes held by at least 10% of the members (weak evidence for the draft entry)."""
    return [s["code"] for s in description.sic if s["share"] >= SIC_MIN_SHARE]
