"""The review store: migrations, queue leasing, decisions and the audit trail.

Runs on SQLite always and on PostgreSQL when ``REVIEW_TEST_POSTGRES_URL`` names a server.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from review_threads import run_in_threads
from sqlalchemy import text

from clusters.review import auth, decisions, queue
from clusters.review.db import Base, Database, Decision, Item, alembic_config, utcnow

VALID = ["health-life-sciences", "medtech", "space-tech", "ai-data", "food-drink", "rail"]


def _analysts(store: Database, n: int) -> list[int]:
    return [auth.add_user(store, f"analyst{k}", "a long password") for k in range(n)]


def test_migrations_build_the_schema_the_models_describe(store: Database):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert diff == []
    assert version == "0001"
    store.upgrade()  # idempotent
    assert alembic_config().get_main_option("script_location").endswith("migrations")


def test_import_is_idempotent_and_routes_a_share_to_two_analysts(store: Database, make_item):
    from clusters.review.items import needs_second_review

    rows = [make_item(i) for i in range(40)]
    for row in rows:
        row["required_reviews"] = (
            2 if needs_second_review(row["company_id"], row["model_version"], 0.3) else 1
        )
    first = queue.import_items(store, rows)
    again = queue.import_items(store, rows[:10])
    assert (first.added, first.existing, again.added, again.existing) == (40, 0, 0, 10)
    assert 0 < first.double_review < 40
    counts = queue.counts(store)
    assert (counts.pending, counts.done, counts.in_review) == (40, 0, 0)


def test_next_item_is_the_highest_priority_free_one_and_filters_apply(store: Database, make_item):
    queue.import_items(store, [make_item(i) for i in range(6)])
    alice, bob = _analysts(store, 2)
    first = queue.take_next(store, alice)
    second = queue.take_next(store, bob)
    assert (first.item_id, second.item_id) == (1, 2)
    again = queue.take_next(store, alice)
    assert again.item_id == 1 and again.token == first.token, (
        "a live lease is renewed, not replaced"
    )
    only_rail = queue.take_next(store, alice, queue.QueueFilter(cluster="rail"))
    assert queue.get_item(store, only_rail.item_id).top_label == "rail"
    assert queue.held_lease(store, 1, alice) is None, "taking another item gave the first back"
    east = queue.take_next(store, bob, queue.QueueFilter(region="East Midlands"))
    assert queue.get_item(store, east.item_id).region_name == "East Midlands"
    assert queue.counts(store).in_review == 2
    assert queue.take_next(store, alice, queue.QueueFilter(model_version="other/v9")) is None


def test_an_abandoned_lease_expires_and_the_item_returns(store: Database, make_item):
    queue.import_items(store, [make_item(0)])
    alice, bob = _analysts(store, 2)
    lease = queue.take_next(store, alice, lease_minutes=5)
    assert queue.take_next(store, bob) is None
    later = utcnow() + timedelta(minutes=6)
    taken = queue.take_next(store, bob, now=later)
    assert taken is not None and taken.item_id == lease.item_id
    with pytest.raises(decisions.LeaseLost):
        decisions.decide(store, lease.item_id, alice, lease.token, "confirm", now=later)
    decisions.decide(store, taken.item_id, bob, taken.token, "confirm", now=later)
    assert queue.counts(store).done == 1


def test_concurrent_analysts_never_get_the_same_item(store: Database, make_item):
    queue.import_items(store, [make_item(i) for i in range(30)])
    users = _analysts(store, 8)
    leases = run_in_threads(8, lambda k: queue.take_next(store, users[k]))
    ids = [lease.item_id for lease in leases]
    assert len(set(ids)) == 8 and set(ids) == set(range(1, 9))


def test_concurrent_review_loses_and_duplicates_nothing(store: Database, make_item):
    rows = [make_item(i, required_reviews=2 if i % 4 == 0 else 1) for i in range(24)]
    queue.import_items(store, rows)
    users = _analysts(store, 4)

    def review(k: int) -> int:
        done = 0
        while (lease := queue.take_next(store, users[k])) is not None:
            decisions.decide(store, lease.item_id, users[k], lease.token, "confirm")
            done += 1
        return done

    done = []
    for _ in range(5):  # an analyst stops when nothing is free for them at that moment
        done += run_in_threads(4, review)
        if queue.counts(store).pending == 0:
            break
    frame = decisions.decisions_frame(store)
    per_item = frame.groupby("item_id")["user_id"].agg(["count", "nunique"])
    required = {i + 1: r["required_reviews"] for i, r in enumerate(rows)}
    assert sum(done) == len(frame) == sum(required.values())
    assert (per_item["count"] == per_item["nunique"]).all(), "nobody decided an item twice"
    assert all(per_item.loc[i, "count"] == n for i, n in required.items())
    assert queue.counts(store).done == 24


def test_a_double_submission_records_one_decision(store: Database, make_item):
    queue.import_items(store, [make_item(0)])
    (alice,) = _analysts(store, 1)
    lease = queue.take_next(store, alice)

    def submit(_k: int) -> str:
        try:
            decisions.decide(store, lease.item_id, alice, lease.token, "confirm")
        except decisions.LeaseLost:
            return "lost"
        return "saved"

    assert Counter(run_in_threads(2, submit)) == {"saved": 1, "lost": 1}
    assert len(decisions.history(store, lease.item_id)) == 1


def test_a_second_review_goes_to_another_analyst(store: Database, make_item):
    queue.import_items(store, [make_item(0, required_reviews=2, labels="medtech")])
    alice, bob = _analysts(store, 2)
    lease = queue.take_next(store, alice)
    decisions.decide(store, lease.item_id, alice, lease.token, "confirm")
    assert queue.get_item(store, lease.item_id).status == "pending"
    assert queue.take_next(store, alice) is None, "alice decided it already"
    assert queue.take_item(store, lease.item_id, alice) is None
    second = queue.take_next(store, bob)
    decisions.decide(store, second.item_id, bob, second.token, "relabel", ["rail"], valid=VALID)
    assert queue.get_item(store, lease.item_id).status == "done"


def test_skip_returns_the_item_to_others_and_counts_as_work(store: Database, make_item):
    queue.import_items(store, [make_item(0)])
    alice, bob = _analysts(store, 2)
    lease = queue.take_next(store, alice)
    decisions.decide(store, lease.item_id, alice, lease.token, "skip", comment="unsure")
    assert queue.get_item(store, lease.item_id).status == "pending"
    assert queue.take_next(store, alice) is None
    assert queue.take_next(store, bob).item_id == lease.item_id


def test_decisions_record_who_when_model_and_before_after(store: Database, make_item):
    queue.import_items(store, [make_item(1, labels="medtech;health-life-sciences")])
    (alice,) = _analysts(store, 1)
    lease = queue.take_next(store, alice)
    before = utcnow()
    decisions.decide(
        store,
        lease.item_id,
        alice,
        lease.token,
        "relabel",
        ["space-tech", "ai-data"],
        comment="satellite data, not devices",
        valid=VALID,
    )
    (row,) = decisions.history(store, lease.item_id)
    assert row.username == "analyst0" and row.action == "relabel"
    assert row.labels_before == "medtech;health-life-sciences"
    assert row.labels_after == "space-tech;ai-data", "taxonomy order"
    assert row.comment == "satellite data, not devices" and row.created_at >= before
    frame = decisions.decisions_frame(store)
    assert frame.loc[0, "model_version"] == "company-clusters/v1"
    assert frame.loc[0, "started_at"] <= frame.loc[0, "created_at"]
    with pytest.raises(decisions.DecisionError, match="unknown cluster"):
        decisions.decide(store, 1, alice, "x", "relabel", ["no-such-cluster"], valid=VALID)
    with pytest.raises(decisions.DecisionError, match="unknown action"):
        decisions.decide(store, 1, alice, "x", "delete")


def test_corrections_supersede_explicitly_and_only_once(store: Database, make_item):
    queue.import_items(store, [make_item(0, labels="medtech")])
    alice, bob = _analysts(store, 2)
    admin = auth.add_user(store, "boss", "a long password", role="admin")
    lease = queue.take_next(store, alice)
    first = decisions.decide(store, lease.item_id, alice, lease.token, "confirm")
    with pytest.raises(decisions.DecisionError, match="only the analyst"):
        decisions.revise(store, first, bob, "reject")

    outcome = run_in_threads(
        2,
        lambda k: _try(lambda: decisions.revise(store, first, [alice, admin][k], "reject")),
    )
    assert sorted(map(type, outcome), key=str) == sorted([int, decisions.Conflict], key=str)
    trail = decisions.history(store, lease.item_id)
    assert len(trail) == 2
    assert trail[0].superseded_by == trail[1].id and trail[1].supersedes_id == trail[0].id
    assert trail[0].labels_after == "medtech" and trail[1].labels_after == ""


def _try(call):
    try:
        return call()
    except decisions.DecisionError as exc:
        return exc


def test_the_decisions_table_is_append_only(store: Database, make_item):
    queue.import_items(store, [make_item(0)])
    (alice,) = _analysts(store, 1)
    lease = queue.take_next(store, alice)
    decisions.decide(store, lease.item_id, alice, lease.token, "confirm")
    for statement in ("UPDATE decisions SET action = 'reject'", "DELETE FROM decisions"):
        with pytest.raises(Exception, match="append-only"), store.transaction() as session:
            session.execute(text(statement))
    with store.transaction() as session:
        assert session.query(Decision).one().action == "confirm"


def test_adjudication_is_for_admins(store: Database, make_item):
    queue.import_items(store, [make_item(0)])
    alice, admin = _analysts(store, 1)[0], auth.add_user(store, "boss", "a long password", "admin")
    with pytest.raises(decisions.DecisionError, match="admin"):
        decisions.adjudicate(store, 1, alice, "reject")
    decisions.adjudicate(store, 1, admin, "relabel", ["rail"], valid=VALID)
    assert queue.get_item(store, 1).status == "done"


def test_users_sessions_and_disabling(store: Database, make_item):
    alice = auth.add_user(store, "alice", "correct horse battery")
    with pytest.raises(auth.AuthError, match="exists"):
        auth.add_user(store, "alice", "another long one")
    with pytest.raises(auth.AuthError, match="at least"):
        auth.add_user(store, "bob", "short")
    with pytest.raises(auth.AuthError, match="role"):
        auth.add_user(store, "carol", "a long password", role="root")
    stored = auth.get_user(store, "alice").password_hash
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert auth.authenticate(store, "alice", "wrong password") is None
    assert auth.authenticate(store, "nobody", "correct horse battery") is None
    assert auth.authenticate(store, "alice", "correct horse battery").id == alice

    token = auth.create_session(store, alice, hours=1)
    info = auth.session_for(store, token)
    assert info.username == "alice" and not info.is_admin and len(info.csrf_token) > 30
    queue.import_items(store, [make_item(0)])
    queue.take_next(store, alice)
    auth.disable_user(store, "alice")
    assert auth.session_for(store, token) is None
    assert auth.authenticate(store, "alice", "correct horse battery") is None
    assert queue.counts(store).in_review == 0, "a disabled analyst's lease is given back"

    simulated = auth.add_user(store, "sim", None, simulated=True)
    assert simulated and auth.authenticate(store, "sim", "") is None


def test_items_lease_columns_are_cleared_on_release(store: Database, make_item):
    queue.import_items(store, [make_item(0)])
    (alice,) = _analysts(store, 1)
    lease = queue.take_next(store, alice)
    assert not queue.release(store, lease.item_id, alice, "not-the-token")
    assert queue.release(store, lease.item_id, alice, lease.token)
    with store.transaction() as session:
        row = session.get(Item, lease.item_id)
        assert row.lease_user_id is None and row.lease_token is None
