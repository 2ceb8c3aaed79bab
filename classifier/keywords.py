"""Find a taxonomy's keywords in company texts.

A keyword is a phrase matched case-insensitively on word boundaries (``"EV charging"`` matches
"ev charging points" but not "seven chargings"). Whitespace inside a phrase matches any run of
whitespace or hyphens, so ``"low carbon"`` also finds "low-carbon". Matching is Unicode-aware
and language-agnostic (no stemming).

Used for weak labels at cold start, for explanations, and for highlighting in the review app.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from clusters.taxonomy import Taxonomy


def _phrase_pattern(phrase: str) -> str:
    words = [re.escape(w) for w in re.split(r"[\s\-]+", phrase.strip()) if w]
    return r"(?<!\w)" + r"[\s\-]+".join(words) + r"(?!\w)"


@dataclass(frozen=True)
class KeywordMatcher:
    """Compiled keyword patterns of one taxonomy."""

    taxonomy: Taxonomy

    @cached_property
    def _patterns(self) -> list[re.Pattern[str] | None]:
        compiled = []
        for cluster in self.taxonomy.clusters:
            phrases = sorted(set(cluster.keywords), key=len, reverse=True)
            compiled.append(
                re.compile("|".join(f"({_phrase_pattern(p)})" for p in phrases), re.IGNORECASE)
                if phrases
                else None
            )
        return compiled

    def find(self, text: str, cluster_id: str) -> list[str]:
        """Keywords of ``cluster_id`` found in ``text`` (as written in the taxonomy)."""
        j = self.taxonomy.ids.index(cluster_id)
        pattern = self._patterns[j]
        if pattern is None or not text:
            return []
        keywords = sorted(set(self.taxonomy.clusters[j].keywords), key=len, reverse=True)
        found = {keywords[m.lastindex - 1] for m in pattern.finditer(text) if m.lastindex}
        return sorted(found)

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, cluster_id)`` of every keyword occurrence, for highlighting."""
        out = []
        for cluster_id, pattern in zip(self.taxonomy.ids, self._patterns, strict=True):
            if pattern is not None and text:
                out.extend((m.start(), m.end(), cluster_id) for m in pattern.finditer(text))
        return sorted(out)

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        """(n, k) boolean: does text i contain any keyword of cluster j."""
        out = np.zeros((len(texts), len(self._patterns)), dtype=bool)
        for j, pattern in enumerate(self._patterns):
            if pattern is None:
                continue
            out[:, j] = [bool(t) and pattern.search(t) is not None for t in texts]
        return out
