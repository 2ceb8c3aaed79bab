"""The shipped Midlands taxonomy, and clear errors for broken taxonomies."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from clusters.cli import app
from clusters.contracts import CLUSTER_ID_RE
from clusters.sic import load_reference
from clusters.taxonomy import (
    Taxonomy,
    TaxonomyError,
    Tier,
    dump_taxonomy,
    load_taxonomy,
    parse_taxonomy,
    validate_structure,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "data" / "taxonomy" / "midlands.yaml"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(DEFAULT)


@pytest.fixture
def raw() -> dict:
    """The shipped taxonomy as parsed YAML (a fresh copy per test)."""
    return yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))


def _small(**extra: object) -> dict:
    """A minimal valid taxonomy: one super-cluster with one child."""
    return {
        "name": "Test",
        "version": "1",
        "clusters": [
            {"id": "top", "name": "Top", "description": "A super-cluster.", "tier": "super"},
            {
                "id": "leaf",
                "name": "Leaf",
                "description": "A cluster.",
                "tier": "established",
                "parent": "top",
                **extra,
            },
        ],
    }


# --- the shipped taxonomy --------------------------------------------------------------------


def test_shipped_taxonomy_validates(taxonomy: Taxonomy) -> None:
    assert taxonomy.name and taxonomy.version
    assert validate_structure(taxonomy) == []
    assert "Midlands Engine" in taxonomy.description


def test_shipped_taxonomy_has_three_tiers_and_24_to_30_clusters(taxonomy: Taxonomy) -> None:
    tiers = taxonomy.by_tier()
    assert all(tiers[tier] for tier in Tier), {t.value: len(c) for t, c in tiers.items()}
    assert 24 <= len(taxonomy.clusters) <= 30
    assert len(set(taxonomy.ids)) == len(taxonomy.ids)
    assert all(CLUSTER_ID_RE.match(cluster_id) for cluster_id in taxonomy.ids)


def test_every_parent_is_a_super_cluster(taxonomy: Taxonomy) -> None:
    for cluster in taxonomy.clusters:
        if cluster.tier == Tier.SUPER:
            assert cluster.parent is None, cluster.id
            assert taxonomy.children(cluster.id), f"super-cluster {cluster.id} has no children"
        elif cluster.parent is not None:
            assert taxonomy[cluster.parent].tier == Tier.SUPER, cluster.id


def test_every_sic_code_exists_in_the_bundled_sic_list(taxonomy: Taxonomy) -> None:
    titles = load_reference(ROOT / "data" / "sic").titles
    for cluster in taxonomy.clusters:
        assert cluster.sic_codes, f"{cluster.id} has no SIC crosswalk"
        unknown = [code for code in cluster.sic_codes if code not in titles]
        assert not unknown, f"{cluster.id}: SIC codes not in SIC 2007: {unknown}"
        assert len(set(cluster.sic_codes)) == len(cluster.sic_codes), cluster.id


def test_clusters_have_real_definitions_and_specific_keywords(taxonomy: Taxonomy) -> None:
    names = [c.name for c in taxonomy.clusters]
    assert len(set(names)) == len(names)
    for cluster in taxonomy.clusters:
        words = len(cluster.description.split())
        assert 25 <= words <= 90, (cluster.id, words)
        assert cluster.description.count(". ") >= 1, f"{cluster.id}: one-sentence description"
        if cluster.tier != Tier.SUPER:
            assert " out" in cluster.description, f"{cluster.id}: says nothing about what is out"
        assert 10 <= len(cluster.keywords) <= 25, (cluster.id, len(cluster.keywords))
        lowered = [k.lower() for k in cluster.keywords]
        assert len(set(lowered)) == len(lowered), f"{cluster.id}: duplicate keywords"
        assert cluster.target_precision is None or 0.5 <= cluster.target_precision <= 1.0


def test_new_economy_clusters_include_space_and_agri_tech(taxonomy: Taxonomy) -> None:
    new_economy = {c.id for c in taxonomy.by_tier()[Tier.NEW_ECONOMY]}
    assert {"space-tech", "agri-tech"} <= new_economy
    assert {"medtech", "aerospace"} <= {c.id for c in taxonomy.by_tier()[Tier.ESTABLISHED]}


# --- content hash ----------------------------------------------------------------------------


def test_content_hash_is_stable_and_ignores_formatting(taxonomy: Taxonomy, tmp_path: Path) -> None:
    assert load_taxonomy(DEFAULT).content_hash == taxonomy.content_hash
    reformatted = tmp_path / "reformatted.yaml"
    reformatted.write_text("# a comment\n" + dump_taxonomy(taxonomy), encoding="utf-8")
    assert load_taxonomy(reformatted).content_hash == taxonomy.content_hash
    assert len(taxonomy.content_hash) == 16


def test_content_hash_changes_when_a_description_changes(taxonomy: Taxonomy, raw: dict) -> None:
    raw["clusters"][1]["description"] += " Veterinary devices are in too."
    changed = parse_taxonomy(raw)
    assert changed.content_hash != taxonomy.content_hash
    renamed = copy.deepcopy(raw)
    renamed["version"] = "2099.1"
    assert parse_taxonomy(renamed).content_hash != changed.content_hash


# --- invalid taxonomies ----------------------------------------------------------------------


def test_duplicate_id_is_reported(raw: dict) -> None:
    raw["clusters"].append(dict(raw["clusters"][1]))
    with pytest.raises(TaxonomyError, match=r"cluster id 'medtech' appears more than once"):
        parse_taxonomy(raw, source="dup.yaml")


def test_missing_parent_is_reported() -> None:
    data = _small()
    data["clusters"][1]["parent"] = "nowhere"
    with pytest.raises(TaxonomyError, match=r"cluster 'leaf': parent 'nowhere' does not exist"):
        parse_taxonomy(data)


def test_parent_cycle_is_reported() -> None:
    data = _small()
    data["clusters"][0]["parent"] = "leaf"
    with pytest.raises(TaxonomyError, match=r"parent cycle: .*top.*leaf|parent cycle: .*leaf.*top"):
        parse_taxonomy(data)


def test_every_structural_problem_is_reported_at_once() -> None:
    data = _small()
    data["clusters"].append(dict(data["clusters"][1]))
    data["clusters"][1]["parent"] = "nowhere"
    with pytest.raises(TaxonomyError) as err:
        parse_taxonomy(data, source="many.yaml")
    message = str(err.value)
    assert message.startswith("many.yaml: invalid taxonomy")
    assert "appears more than once" in message and "'nowhere' does not exist" in message


@pytest.mark.parametrize("code", ["6201", "ABCDE", "620120"])
def test_bad_sic_code_names_the_cluster(code: str) -> None:
    with pytest.raises(TaxonomyError, match=r"cluster #2 \('leaf'\) field sic_codes.*5-digit"):
        parse_taxonomy(_small(sic_codes=[code]))


def test_bad_tier_names_the_cluster() -> None:
    data = _small()
    data["clusters"][1]["tier"] = "emerging"
    with pytest.raises(TaxonomyError, match=r"cluster #2 \('leaf'\) field tier"):
        parse_taxonomy(data)


def test_bad_id_and_unknown_field_are_reported() -> None:
    data = _small(colour="red")
    data["clusters"][0]["id"] = "Top Cluster"
    with pytest.raises(TaxonomyError) as err:
        parse_taxonomy(data)
    assert "lower-case slug" in str(err.value) and "colour" in str(err.value)


@pytest.mark.parametrize("content", ["- just\n- a list\n", "'a string'\n", ""])
def test_non_mapping_yaml_is_rejected(tmp_path: Path, content: str) -> None:
    path = tmp_path / "list.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(TaxonomyError, match="must be a mapping"):
        load_taxonomy(path)


def test_invalid_yaml_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        load_taxonomy(path)


def test_unreadable_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot read taxonomy"):
        load_taxonomy(tmp_path / "missing.yaml")
    with pytest.raises(TaxonomyError, match="cannot read taxonomy"):
        load_taxonomy(tmp_path)  # a directory
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00name")
    with pytest.raises(TaxonomyError, match="cannot read taxonomy"):
        load_taxonomy(binary)


# --- command line ----------------------------------------------------------------------------


def test_cli_validate_accepts_the_default(taxonomy: Taxonomy) -> None:
    result = CliRunner().invoke(app, ["taxonomy", "validate", str(DEFAULT)])
    assert result.exit_code == 0, result.output
    assert f"{len(taxonomy.clusters)} clusters" in result.output
    assert taxonomy.content_hash in result.output


def test_cli_validate_with_no_argument_uses_the_configured_taxonomy() -> None:
    result = CliRunner().invoke(app, ["taxonomy", "validate"])
    assert result.exit_code == 0, result.output
    assert "midlands.yaml" in result.output


def test_cli_validate_rejects_a_broken_file(tmp_path: Path, raw: dict) -> None:
    raw["clusters"][1]["parent"] = "no-such-cluster"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = CliRunner().invoke(app, ["taxonomy", "validate", str(path)])
    assert result.exit_code == 2
    assert "parent 'no-such-cluster' does not exist" in result.output


# --- clusters taxonomy diff ------------------------------------------------------------------


def test_taxonomy_diff_reports_each_change_and_the_labels_it_breaks(raw: dict, tmp_path: Path):
    new = copy.deepcopy(raw)
    new["version"] = "2026.2"
    new["clusters"] = [c for c in new["clusters"] if c["id"] != "rail"]
    for cluster in new["clusters"]:
        if cluster["id"] == "medtech":
            cluster["keywords"] = [*cluster["keywords"][1:], "surgical robot"]
            cluster["description"] += " Also surgical robotics."
        if cluster["id"] == "hydrogen":
            cluster["id"] = "hydrogen-fuels"  # same name, new id
        if cluster["id"] == "ai-data":
            old_precision = cluster.get("target_precision")
            cluster["target_precision"] = 0.95
    new["clusters"].append(
        {
            "id": "quantum",
            "name": "Quantum technologies",
            "tier": "new-economy",
            "parent": "digital-technology",
            "description": "Quantum computing, sensing and communications.",
        }
    )
    path = tmp_path / "new.yaml"
    path.write_text(yaml.safe_dump(new, sort_keys=False))
    dropped = raw["clusters"][[c["id"] for c in raw["clusters"]].index("medtech")]["keywords"][0]
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "company_id,text,labels\n"
        "00000001,Rail signalling,rail\n"
        "00000002,Fuel cells,hydrogen;energy-net-zero\n"
        "00000003,Rail and hydrogen trains,rail;hydrogen\n"
        "00000004,A bakery,\n"
    )
    result = CliRunner().invoke(
        app, ["taxonomy", "diff", str(DEFAULT), str(path), "--labels", str(labels), "--exit-code"]
    )
    assert result.exit_code == 1, result.output  # --exit-code: they differ
    lines = result.output.splitlines()
    assert lines[0].startswith("Midlands emerging clusters: v2026.1 -> v2026.2 (hash ")
    assert "added    quantum: Quantum technologies (new-economy, in digital-technology)" in lines
    assert "removed  rail: Rail Technology" in lines
    assert any(
        line.startswith("removed  hydrogen:") and "(renamed to hydrogen-fuels?)" in line
        for line in lines
    )
    assert (
        f"changed  medtech: description reworded; keywords +1 (surgical robot) -1 ({dropped})"
        in lines
    )
    assert f"changed  ai-data: target_precision {old_precision or '-'} -> 0.95" in lines
    assert "2 added, 2 removed, 2 changed, 25 unchanged" in lines
    assert lines[-1] == (
        f"labels {labels}: 3 rows name removed clusters (rail 2, hydrogen 2); "
        "map or drop them before `clusters train`"
    )

    same = CliRunner().invoke(
        app,
        ["taxonomy", "diff", str(DEFAULT), str(DEFAULT), "--exit-code", "--labels", str(labels)],
    )
    assert same.exit_code == 0, same.output
    assert same.output.splitlines()[-2:] == [
        "no change",
        f"labels {labels}: no row names a removed cluster",
    ]
    (tmp_path / "ids.csv").write_text("company_id\n00000001\n")
    no_column = CliRunner().invoke(
        app, ["taxonomy", "diff", str(DEFAULT), "--labels", str(tmp_path / "ids.csv")]
    )
    assert no_column.exit_code == 2 and "no 'labels' column (columns: company_id)" in (
        no_column.output
    )
    missing = CliRunner().invoke(app, ["taxonomy", "diff", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "nope.yaml" in missing.output
