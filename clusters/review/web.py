"""View helpers of the review app (pure functions, no web framework).

Company text is hostile input: nothing here builds HTML. Highlighting returns plain
``(text, cluster)`` segments that the templates print with autoescaping on, and only
``http``/``https`` links ever become an ``href``.

Example:
    >>> highlight("We build satellites.", [(9, 19, "space-tech")])
    [('We build ', None), ('satellites', 'space-tech'), ('.', None)]
    >>> safe_url("javascript:alert(1)") is None, safe_url("www.acme.example")
    (True, 'https://www.acme.example')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from clusters.contracts import COMPANY_ID_RE
from clusters.taxonomy import Cluster, Taxonomy, Tier

TIER_TITLES = {
    Tier.SUPER: "Super-clusters",
    Tier.ESTABLISHED: "Established clusters",
    Tier.NEW_ECONOMY: "New-economy clusters",
}
_HOST_RE = re.compile(r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::\d+)?(?:/\S*)?$")


def highlight(text: str, spans: Sequence[tuple[int, int, str]]) -> list[tuple[str, str | None]]:
    """``text`` cut into segments, each marked with the cluster whose keyword it is (or None).

    Overlapping spans keep the one that starts first (the longer on a tie).
    """
    segments: list[tuple[str, str | None]] = []
    position = 0
    for start, end, cluster in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if start < position or end <= start:
            continue
        if start > position:
            segments.append((text[position:start], None))
        segments.append((text[start:end], cluster))
        position = end
    if position < len(text):
        segments.append((text[position:], None))
    return segments


def safe_url(url: str | None) -> str | None:
    """An ``http(s)`` URL fit for a link, or None (``javascript:``, ``data:`` and the like)."""
    if not url:
        return None
    url = url.strip()
    if _HOST_RE.match(url):
        url = "https://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    if any(ch in url for ch in "\"'<> \t\r\n\\`"):
        return None
    return url


def companies_house_url(company_id: str) -> str | None:
    """The company's page on the Companies House service (for valid company numbers only)."""
    if not COMPANY_ID_RE.match(company_id or ""):
        return None
    return f"https://find-and-update.company-information.service.gov.uk/company/{company_id}"


def cluster_groups(taxonomy: Taxonomy) -> list[tuple[str, list[Cluster]]]:
    """The taxonomy's clusters grouped by tier, for the relabel picker."""
    return [
        (TIER_TITLES[tier], clusters) for tier, clusters in taxonomy.by_tier().items() if clusters
    ]


def top_clusters(
    probabilities: dict[str, float],
    thresholds: dict[str, float] | None,
    explanations: list[dict] | None,
    top: int,
) -> list[dict]:
    """The item's top clusters with probability, threshold and nearest examples: from the
    stored explanations when there are some, from the queue's probabilities otherwise."""
    if explanations:
        return explanations[:top]
    ranked = sorted(probabilities.items(), key=lambda kv: -kv[1])[:top]
    return [
        {
            "cluster_id": cid,
            "probability": p,
            "threshold": (thresholds or {}).get(cid),
            "assigned": None,
            "examples": [],
        }
        for cid, p in ranked
    ]
