"""From decisions to numbers and labels: consensus, statistics, export and the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from clusters.cli import app
from clusters.config import get_settings
from clusters.review import auth, decisions, queue
from clusters.review.consensus import latest_per_company, resolve_items
from clusters.review.db import Database
from clusters.review.export import EXPORT_COLUMNS, export_labels
from clusters.review.items import build_items, company_evidence, needs_second_review
from clusters.review.stats import agreement, compute_stats, rater_pairs, throughput
from clusters.taxonomy import load_taxonomy
from training.labels import read_labels


def _decisions(rows: list[tuple]) -> pd.DataFrame:
    """A decisions frame from (item, company, user, role, action, after, before) tuples."""
    t0 = pd.Timestamp("2025-01-01 09:00")
    return pd.DataFrame(
        [
            {
                "decision_id": k,
                "item_id": item,
                "company_id": company,
                "model_version": "m/v1",
                "user_id": user,
                "username": f"u{user}",
                "role": role,
                "action": action,
                "labels_before": before,
                "labels_after": after,
                "started_at": t0 + pd.Timedelta(minutes=k),
                "created_at": t0 + pd.Timedelta(minutes=k, seconds=30),
                "simulated": False,
                "required_reviews": 2,
                "text": f"text of {company}",
                "superseded": False,
            }
            for k, (item, company, user, role, action, after, before) in enumerate(rows)
        ]
    )


def test_items_agree_get_adjudicated_or_stay_in_conflict():
    frame = _decisions(
        [
            (1, "A", 1, "analyst", "confirm", "medtech", "medtech"),
            (1, "A", 2, "analyst", "relabel", "medtech", "medtech"),
            (2, "B", 1, "analyst", "confirm", "rail", "rail"),
            (2, "B", 2, "analyst", "reject", "", "rail"),
            (3, "C", 1, "analyst", "confirm", "rail", "rail"),
            (3, "C", 2, "analyst", "reject", "", "rail"),
            (3, "C", 9, "admin", "relabel", "rail;ai-data", "rail"),
            (4, "D", 1, "analyst", "skip", None, "rail"),
        ]
    )
    resolved = resolve_items(frame).set_index("item_id")
    assert resolved.loc[1, ["labels", "status"]].tolist() == ["medtech", "agreed"]
    assert resolved.loc[2, "status"] == "conflict" and resolved.loc[2, "labels"] is None
    assert resolved.loc[3, ["labels", "status"]].tolist() == ["rail;ai-data", "adjudicated"]
    assert 4 not in resolved.index, "a skip is no decision"
    assert latest_per_company(resolved.reset_index())["company_id"].tolist() == ["A", "C"]


def test_kappa_per_cluster_matches_sklearn_and_is_nan_when_undefined():
    firsts = ["medtech", "medtech", "", "rail", "medtech;rail", ""]
    seconds = ["medtech", "", "", "rail", "medtech", "rail"]
    rows = []
    for i, (a, b) in enumerate(zip(firsts, seconds, strict=True)):
        rows += [
            (i, f"C{i}", 1, "analyst", "relabel", a, ""),
            (i, f"C{i}", 2, "analyst", "relabel", b, ""),
        ]
    pairs = rater_pairs(_decisions(rows))
    table = agreement(pairs, ["medtech", "rail", "space-tech"]).set_index("cluster_id")
    medtech_a = [int("medtech" in x.split(";")) for x in firsts]
    medtech_b = [int("medtech" in x.split(";")) for x in seconds]
    assert table.loc["medtech", "kappa"] == pytest.approx(cohen_kappa_score(medtech_a, medtech_b))
    assert table.loc["medtech", "agreement"] == pytest.approx(5 / 6)
    assert (
        np.isnan(table.loc["space-tech", "kappa"]) and table.loc["space-tech", "agreement"] == 1.0
    )
    assert table.loc["(all clusters)", "items"] == 6


def test_throughput_counts_actions_and_time_per_item():
    frame = _decisions(
        [
            (1, "A", 1, "analyst", "confirm", "x", "x"),
            (2, "B", 1, "analyst", "skip", None, "x"),
            (3, "C", 2, "analyst", "reject", "", "x"),
        ]
    )
    table = throughput(frame, now=pd.Timestamp("2025-01-01 12:00")).set_index("username")
    assert table.loc["u1", ["decisions", "confirm", "skip", "last_24h"]].tolist() == [2, 1, 1, 2]
    assert table.loc["u1", "median_seconds"] == 30.0


def _reviewed_store(tmp_path, make_item) -> tuple[Database, list[str]]:
    db = Database.connect(f"sqlite:///{tmp_path / 'review.db'}")
    valid = load_taxonomy(get_settings().paths.taxonomy).ids
    queue.import_items(
        db,
        [
            make_item(0, labels="medtech;health-life-sciences", required_reviews=2),
            make_item(1, labels="rail"),
            make_item(2, labels="", required_reviews=2),
            make_item(3, labels="ai-data", simulated=True),
        ],
    )
    alice = auth.add_user(db, "alice", "a long password")
    bob = auth.add_user(db, "bob", "a long password")
    script = {
        alice: [("confirm", []), ("reject", []), ("relabel", ["space-tech"]), ("skip", [])],
        bob: [("confirm", []), ("relabel", ["food-drink"])],
    }
    for user, steps in script.items():
        for action, labels in steps:
            lease = queue.take_next(db, user)
            sim = queue.get_item(db, lease.item_id).simulated
            decisions.decide(
                db, lease.item_id, user, lease.token, action, labels, valid=valid, simulated=sim
            )
    return db, valid


def test_stats_of_a_store(tmp_path, make_item):
    db, valid = _reviewed_store(tmp_path, make_item)
    stats = compute_stats(db, valid)
    assert stats.decisions == 6
    assert stats.conflicts == 1, "item 2: alice said space-tech, bob food-drink"
    assert stats.resolved == 2
    assert set(stats.analysts["username"]) == {"alice", "bob"}
    pooled = stats.agreement.set_index("cluster_id").loc["(all clusters)"]
    assert pooled["items"] == 2
    assert stats.model_summary["exact"] == pytest.approx(0.5)  # item 0 right, item 1 wrong
    medtech = stats.model_per_cluster.set_index("cluster_id").loc["medtech"]
    assert (medtech["precision"], medtech["recall"]) == (1.0, 1.0)


def test_export_writes_the_labels_contract_and_training_reads_it(tmp_path, make_item):
    db, _ = _reviewed_store(tmp_path, make_item)
    out = tmp_path / "labels.csv"
    report = export_labels(db, out)
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(table.columns) == EXPORT_COLUMNS
    assert dict(zip(table["company_id"], table["labels"], strict=True)) == {
        "91000000": "medtech;health-life-sciences",
        "91000001": "",
    }
    assert table.loc[0, "text"].startswith("Company 0 makes things")
    assert (report.rows, report.conflicts, report.simulated) == (2, 1, 0)
    valid, rejects = read_labels(out, load_taxonomy(get_settings().paths.taxonomy))
    assert (
        len(valid) == 2
        and rejects.empty
        and list(valid.columns) == ["company_id", "text", "labels"]
    )


def test_build_items_from_a_queue_and_a_company_base(make_item):
    from clusters.sic import default_reference

    queue_frame = pd.DataFrame(
        {
            "priority": [0.9, 0.8],
            "company_id": ["91000001", "91000002"],
            "name": ["ONE LTD", ""],
            "region_name": ["West Midlands", ""],
            "top_label": ["medtech", "rail"],
            "labels": ["medtech;health-life-sciences", ""],
            "confidence": [0.4, 0.45],
            "model_version": ["m/v1", "m/v1"],
            "text_hash": ["h1", "h2"],
            "p_medtech": [0.55, 0.1],
            "p_rail": [0.1, 0.48],
        }
    )
    base = pd.DataFrame(
        {
            "company_id": ["91000002"],
            "name": ["TWO TRAINS LIMITED"],
            "region_name": ["East Midlands"],
            "website": ["www.two.example"],
            "website_text": ["We refurbish rail vehicles."],
            "filing_text": [None],
            "sic_codes": [["30200"]],
        }
    )
    evidence = company_evidence(base, default_reference().titles)
    items = build_items(queue_frame, evidence, None, 0.0, "queue.csv")
    one, two = items
    assert one["text"] == "" and one["probabilities"] == {"medtech": 0.55, "rail": 0.1}
    assert two["name"] == "TWO TRAINS LIMITED" and two["region_name"] == "East Midlands"
    assert "rail vehicles" in two["text"] and two["sic_titles"][0].startswith("30200 ")
    assert two["website"] == "www.two.example" and two["required_reviews"] == 1
    share = [needs_second_review(f"{91000000 + i}", "m/v1", 0.2) for i in range(2000)]
    assert 0.17 < np.mean(share) < 0.23


def test_cli_users_import_export_stats(tmp_path, make_item):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["review", "users", "add", "ann", "--role", "admin", "--password-stdin", "--database", url],
        input="a long password\n",
    )
    assert result.exit_code == 0, result.output
    short = runner.invoke(
        app,
        ["review", "users", "add", "bo", "--password-stdin", "--database", url],
        input="short\n",
    )
    assert short.exit_code == 2 and "at least" in short.output
    queue_csv = tmp_path / "review_queue.csv"
    pd.DataFrame(
        {
            "priority": [0.9],
            "company_id": ["91000001"],
            "name": ["ONE LTD"],
            "region_name": ["West Midlands"],
            "top_label": ["medtech"],
            "labels": ["medtech"],
            "confidence": [0.4],
            "model_version": ["m/v1"],
            "text_hash": ["h"],
            "p_medtech": [0.55],
        }
    ).to_csv(queue_csv, index=False)
    texts = tmp_path / "texts.csv"
    pd.DataFrame({"company_id": ["91000001"], "text": ["Surgical instruments."]}).to_csv(
        texts, index=False
    )
    imported = runner.invoke(
        app,
        [
            "review",
            "import",
            "--queue",
            str(queue_csv),
            "--companies",
            str(texts),
            "--no-explain",
            "--database",
            url,
        ],
    )
    assert imported.exit_code == 0 and "1 items added" in imported.output, imported.output
    listed = runner.invoke(app, ["review", "users", "list", "--database", url])
    assert "ann" in listed.output and "admin" in listed.output
    disabled = runner.invoke(app, ["review", "users", "disable", "ann", "--database", url])
    assert (
        disabled.exit_code == 0
        and "disabled" in runner.invoke(app, ["review", "users", "list", "--database", url]).output
    )
    exported = runner.invoke(
        app, ["review", "export", "--output", str(tmp_path / "l.csv"), "--database", url]
    )
    assert exported.exit_code == 0 and "0 reviewed labels" in exported.output
    stats = runner.invoke(app, ["review", "stats", "--database", url])
    assert stats.exit_code == 0 and "0 decisions" in stats.output


def test_reviewed_labels_supersede_imported_ones_and_are_compared_per_cluster():
    from training.labels import LabelSet
    from training.reviewed import compare_on_reviewed, registry_uri, superseded_by_review

    def labelset(ids, Y, source):
        return LabelSet(
            ids,
            [f"text {i}" for i in ids],
            np.array(Y),
            [source] * len(ids),
            np.ones((len(ids), 2)),
        )

    imported = labelset(["A", "B", "C"], [[1, 0], [0, 1], [0, 0]], "imported")
    reviewed = labelset(["B", "D"], [[1, 0], [0, 0]], "reviewed")
    assert superseded_by_review(imported, reviewed).company_ids == ["A", "C"]
    assert superseded_by_review(imported, None) is imported

    eval_set = LabelSet.concat([imported, reviewed])  # A B C imported, B D reviewed
    new_pred = np.array([[1, 0], [0, 1], [0, 0], [1, 0], [0, 0]])
    queue_model = {"m/v1": lambda texts: np.array([[0, 1]] * len(texts))}.get
    table = compare_on_reviewed(
        eval_set, new_pred, ["x", "y"], {"B": "m/v1", "D": "m/v1"}, queue_model
    )
    rows = table.set_index("cluster_id")
    assert rows.loc["x", ["support", "items"]].tolist() == [1, 2]
    assert (rows.loc["x", "recall_queue_model"], rows.loc["x", "recall_new_model"]) == (0.0, 1.0)
    assert rows.loc["(all, micro)", "f1_change"] == pytest.approx(1.0)
    assert (
        compare_on_reviewed(eval_set, new_pred, ["x", "y"], {"B": "gone/v2"}, lambda v: None)
        is None
    )
    assert registry_uri("company-clusters/v12") == "models:/company-clusters/12"
    assert registry_uri("unregistered") is None
