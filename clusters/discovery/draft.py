"""Draft taxonomy entries and seed labels for discovered groups.

Each kept group becomes a :class:`~clusters.taxonomy.Cluster` (tier ``new-economy``) with an
id and a name suggested from its top terms, a description skeleton to rewrite, the top terms
as keywords and the SIC codes held by at least 10% of its members. The drafts are written as
one taxonomy document (``draft_taxonomy.yaml``), so ``clusters taxonomy validate`` checks it
as it is; a data scientist edits an entry and moves it into the taxonomy YAML.

The most central members of each group become candidate positive labels (LABELS contract:
``company_id``, ``text``, ``labels`` = the draft id) for analysts to confirm in the review app.

Example:
    >>> slug(["vertical farming", "hydroponic"])
    'vertical-farming-hydroponic'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date

import pandas as pd
import yaml

from clusters.contracts import CLUSTER_ID_RE, LABELS, ContractError
from clusters.discovery.describe import GroupDescription, sic_codes_for_draft
from clusters.taxonomy import Cluster, Taxonomy, Tier, parse_taxonomy

DRAFT_PREFIX = "draft-"
MAX_ID_WORDS = 4
HEADER = """\
# Draft taxonomy entries from `clusters discover` ({run}, {day}).
# Nothing here is a cluster yet. For each entry worth keeping: rename it, rewrite the
# description (what is in, what is out), prune the keywords and SIC codes, drop the
# "draft-" prefix from its id, then move it under `clusters:` of the taxonomy YAML and run
# `clusters taxonomy validate`. Seed companies to confirm: seed_labels.csv.
"""


def slug(terms: Sequence[str], max_words: int = MAX_ID_WORDS) -> str:
    """A lower-case cluster-id slug from the first terms (at most ``max_words`` words)."""
    words: list[str] = []
    for term in terms:
        for word in re.findall(r"[a-z0-9]+", term.lower()):
            if word not in words:
                words.append(word)
    return "-".join(words[:max_words]) or "group"


def unique_id(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``... whichever is not in ``taken``."""
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def draft_entry(description: GroupDescription, cluster_id: str, discovered: str) -> Cluster:
    """The draft taxonomy entry of one group (validated by the :class:`Cluster` schema)."""
    terms = description.term_list
    named = terms[:3] or [f"group {description.group}"]
    phrases = [t for t in terms if " " in t][:2] or terms[:2]
    examples = ", ".join(c["name"] for c in description.central[:3] if c["name"])
    sentences = [
        f"DRAFT ({discovered}): companies whose activity centres on {_and(named)}.",
        f"Found as a group of {description.size} companies that no existing cluster describes "
        "well" + (f" (nearest: {description.nearest_cluster})." if description.nearest_cluster
                  else "."),
        f"Examples: {examples}." if examples else "",
        "In: <what belongs here>. Out: <look-alikes that do not>.",
    ]  # fmt: skip
    return Cluster(
        id=cluster_id,
        name=_and([p.title() for p in phrases])
        if terms
        else f"Discovered group {description.group}",
        description=" ".join(s for s in sentences if s),
        tier=Tier.NEW_ECONOMY,
        keywords=tuple(terms),
        sic_codes=tuple(sic_codes_for_draft(description)),
    )


def _and(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def draft_entries(
    descriptions: Iterable[GroupDescription], existing_ids: Iterable[str], discovered: str
) -> list[Cluster]:
    """One draft per group, ids ``draft-<top terms>`` unique against ``existing_ids``."""
    taken = set(existing_ids)
    entries = []
    for d in descriptions:
        cid = unique_id(DRAFT_PREFIX + slug(d.term_list), taken)
        if not CLUSTER_ID_RE.match(cid):  # pragma: no cover - slug() yields valid ids
            cid = unique_id(f"{DRAFT_PREFIX}group-{d.group}", taken)
        taken.add(cid)
        entries.append(draft_entry(d, cid, discovered))
    return entries


def drafts_taxonomy(entries: Sequence[Cluster], run: str, day: date | None = None) -> Taxonomy:
    """The drafts as a taxonomy document of their own (validated like any taxonomy)."""
    day = day or date.today()
    return parse_taxonomy(
        {
            "name": "Discovery drafts",
            "version": f"draft-{day.isoformat()}",
            "description": f"Draft clusters proposed by clusters discover ({run}).",
            "clusters": [e.model_dump(mode="json", exclude_none=True) for e in entries],
        },
        source="draft taxonomy",
    )


def dump_drafts(taxonomy: Taxonomy, run: str, day: date | None = None) -> str:
    """YAML text of the drafts, with a header saying how to merge them."""
    day = day or date.today()
    body = yaml.safe_dump(
        taxonomy.model_dump(mode="json", exclude_none=True),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return HEADER.format(run=run, day=day.isoformat()) + body


def seed_labels(
    descriptions: Sequence[GroupDescription],
    entries: Sequence[Cluster],
    texts: Sequence[Sequence[str]],
    company_ids: pd.Series,
    per_group: int,
) -> pd.DataFrame:
    """Candidate positive labels: the ``per_group`` most central members of each group.

    ``texts[g]`` holds the texts of group ``g``'s members in centrality order (as
    :attr:`GroupDescription.members`). The frame follows the LABELS contract.
    """
    rows = [
        {"company_id": company_ids.iloc[r], "text": text, "labels": entry.id}
        for d, entry, group_texts in zip(descriptions, entries, texts, strict=True)
        for r, text in zip(d.members[:per_group], group_texts[:per_group], strict=False)
    ]
    frame = pd.DataFrame(rows, columns=["company_id", "text", "labels"])
    valid, rejects = LABELS.validate(frame, source="seed labels")
    if len(rejects):
        raise ContractError(f"seed labels break the labels contract: {rejects.iloc[0]['reason']}")
    return valid
