"""What changed between two versions of a taxonomy, and what the change breaks.

A taxonomy is versioned: clusters are added, retired, split, reworded. Before retraining on
a new version a data scientist needs to see the change as a reviewer would (which clusters
came and went, which descriptions, keywords, SIC crosswalks, tiers, parents and target
precisions moved) and what it invalidates: label rows naming a retired cluster make
``clusters train`` stop, and a model trained on the old version keeps classifying into it.

Example:
    >>> from clusters.taxonomy import parse_taxonomy
    >>> def tax(version, *clusters):
    ...     return parse_taxonomy({"name": "T", "version": version, "clusters": [
    ...         {"id": i, "name": n, "description": d, "tier": "established"}
    ...         for i, n, d in clusters]})
    >>> old = tax("1", ("rail", "Rail", "Trains."), ("space", "Space", "Satellites."))
    >>> new = tax("2", ("space", "Space", "Satellites and launchers."), ("quantum", "Quantum", "Qubits."))
    >>> d = diff_taxonomies(old, new)
    >>> d.added, d.removed, [c.cluster_id for c in d.changed]
    (['quantum'], ['rail'], ['space'])
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from clusters.contracts import split_labels
from clusters.taxonomy import Cluster, Taxonomy

LIST_FIELDS = ("keywords", "sic_codes")
VALUE_FIELDS = ("name", "tier", "parent", "target_precision")


@dataclass(frozen=True)
class ClusterChange:
    """How one cluster present in both versions changed."""

    cluster_id: str
    values: dict[str, tuple[object, object]] = field(default_factory=dict)
    """field -> (old, new) for name, tier, parent, target_precision."""
    added: dict[str, list[str]] = field(default_factory=dict)
    """keywords / sic_codes gained."""
    removed: dict[str, list[str]] = field(default_factory=dict)
    """keywords / sic_codes lost."""
    description: bool = False
    """Whether the description was reworded."""

    def summary(self) -> str:
        """One line: ``medtech: description reworded; keywords +2 (a, b) -1 (c)``."""
        parts = [f"{name} {_show(old)} -> {_show(new)}" for name, (old, new) in self.values.items()]
        if self.description:
            parts.append("description reworded")
        for name in LIST_FIELDS:
            gained, lost = self.added.get(name, []), self.removed.get(name, [])
            if gained or lost:
                pieces = [f"+{len(gained)} ({', '.join(gained)})"] if gained else []
                pieces += [f"-{len(lost)} ({', '.join(lost)})"] if lost else []
                parts.append(f"{name} {' '.join(pieces)}")
        return f"{self.cluster_id}: {'; '.join(parts)}"


@dataclass(frozen=True)
class TaxonomyDiff:
    """The difference between two taxonomy versions (ids in the new version's order)."""

    old: Taxonomy
    new: Taxonomy
    added: list[str]
    removed: list[str]
    changed: list[ClusterChange]
    renamed: dict[str, str]
    """Removed id -> added id for clusters that kept their name under a new id."""

    @property
    def identical(self) -> bool:
        return self.old.content_hash == self.new.content_hash

    def lines(self) -> list[str]:
        """The human-readable report."""
        old, new = self.old, self.new
        versions = (
            f"{old.name}: v{old.version} -> v{new.version}"
            if old.name == new.name
            else f"{old.name} v{old.version} -> {new.name} v{new.version}"
        )
        out = [f"{versions} (hash {old.content_hash} -> {new.content_hash})"]
        if self.identical:
            return [*out, "no change"]
        for cid in self.added:
            c = new[cid]
            parent = f", in {c.parent}" if c.parent else ""
            out.append(f"added    {cid}: {c.name} ({c.tier.value}{parent})")
        for cid in self.removed:
            hint = f" (renamed to {self.renamed[cid]}?)" if cid in self.renamed else ""
            out.append(f"removed  {cid}: {old[cid].name}{hint}")
        for change in self.changed:
            out.append(f"changed  {change.summary()}")
        unchanged = len(set(old.ids) & set(new.ids)) - len(self.changed)
        out.append(
            f"{len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed, "
            f"{unchanged} unchanged"
        )
        return out


def _show(value: object) -> str:
    return "-" if value is None else str(getattr(value, "value", value))


def _change(old: Cluster, new: Cluster) -> ClusterChange | None:
    values = {
        name: (getattr(old, name), getattr(new, name))
        for name in VALUE_FIELDS
        if getattr(old, name) != getattr(new, name)
    }
    added, removed = {}, {}
    for name in LIST_FIELDS:
        before, after = list(getattr(old, name)), list(getattr(new, name))
        gained = [x for x in after if x not in before]
        lost = [x for x in before if x not in after]
        if gained:
            added[name] = gained
        if lost:
            removed[name] = lost
    description = " ".join(old.description.split()) != " ".join(new.description.split())
    if not (values or added or removed or description):
        return None
    return ClusterChange(old.id, values, added, removed, description)


def diff_taxonomies(old: Taxonomy, new: Taxonomy) -> TaxonomyDiff:
    """What changed from ``old`` to ``new``, cluster by cluster (a pure function)."""
    added = [cid for cid in new.ids if cid not in old]
    removed = [cid for cid in old.ids if cid not in new]
    changed = [c for cid in new.ids if cid in old if (c := _change(old[cid], new[cid]))]
    by_name = {new[cid].name.casefold(): cid for cid in added}
    renamed = {
        cid: by_name[old[cid].name.casefold()]
        for cid in removed
        if old[cid].name.casefold() in by_name
    }
    return TaxonomyDiff(old, new, added, removed, changed, renamed)


def labels_naming(
    label_values: Iterable[object], cluster_ids: Iterable[str]
) -> tuple[int, Counter[str]]:
    """How many label rows name any of ``cluster_ids``, and how many name each.

    >>> labels_naming(["rail;space", "rail", "", "food"], ["rail", "space"])
    (2, Counter({'rail': 2, 'space': 1}))
    """
    wanted = set(cluster_ids)
    rows = 0
    counts: Counter[str] = Counter()
    for value in label_values:
        named = wanted.intersection(split_labels(value))
        rows += bool(named)
        counts.update(named)
    return rows, counts
