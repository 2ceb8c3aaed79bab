"""Analyst decisions: recorded once, never changed.

Actions and the labels they record (``labels_after``):

* ``confirm``: the model's labels are right (they are recorded as the analyst's);
* ``reject``: the model's labels are wrong and the company belongs to **no** cluster (when
  the right clusters are known, relabel instead);
* ``relabel``: the analyst's own choice of clusters, possibly none ("none of these");
* ``skip``: no opinion (recorded for the audit trail and throughput; no labels).

A decision on a queued item needs the analyst's live lease, and taking it back is part of the
same transaction: a double submission, a stale page or a second analyst finds the lease gone
(:class:`LeaseLost`) rather than writing a second decision. An item is done once it has as
many non-skip decisions from different analysts as it requires.

Corrections never overwrite: :func:`revise` writes a new decision that names the one it
supersedes (each decision can be superseded once, enforced by a unique key, so two
concurrent corrections cannot both win), and :func:`adjudicate` lets an admin settle an item
whose analysts disagree. Database triggers refuse any UPDATE or DELETE of the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from clusters.contracts import split_labels
from clusters.review.db import ACTIONS, Database, Decision, Item, User, utcnow


class DecisionError(ValueError):
    """A decision cannot be recorded as asked."""


class LeaseLost(DecisionError):
    """The analyst no longer holds the item (expired, released, or decided already)."""


class Conflict(DecisionError):
    """Someone else changed the same record first."""


def labels_after(action: str, predicted: str, chosen: Iterable[str] = ()) -> str | None:
    """The labels a decision records (a pure function; ``None`` for a skip).

    >>> labels_after("confirm", "medtech;health-life-sciences"), labels_after("reject", "medtech")
    ('medtech;health-life-sciences', '')
    >>> labels_after("relabel", "medtech", ["ai-data"]), labels_after("skip", "medtech")
    ('ai-data', None)
    """
    if action not in ACTIONS:
        raise DecisionError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    if action == "confirm":
        return ";".join(split_labels(predicted))
    if action == "reject":
        return ""
    if action == "relabel":
        return ";".join(dict.fromkeys(chosen))
    return None


def _checked(labels: Sequence[str], valid: Sequence[str] | None) -> list[str]:
    """``labels`` in taxonomy order; unknown cluster ids are an error."""
    if valid is None:
        return list(dict.fromkeys(labels))
    unknown = sorted(set(labels) - set(valid))
    if unknown:
        raise DecisionError(f"unknown cluster id(s): {', '.join(unknown)}")
    return [c for c in valid if c in set(labels)]


def decide(
    db: Database,
    item_id: int,
    user_id: int,
    lease_token: str,
    action: str,
    labels: Sequence[str] = (),
    comment: str = "",
    valid: Sequence[str] | None = None,
    simulated: bool = False,
    now: datetime | None = None,
) -> int:
    """Record an analyst's decision on a leased item and give the lease back.

    Args:
        labels: the chosen clusters, for ``relabel`` (empty = none of these).
        valid: the taxonomy's cluster ids, in order (labels are checked against it).

    Returns:
        The id of the new decision.

    Raises:
        LeaseLost: the analyst does not hold a live lease with this token.
        DecisionError: unknown action or cluster id.
    """
    now = now or utcnow()
    chosen = _checked(labels, valid) if action == "relabel" else []
    labels_after(action, "")  # validates the action before touching the store
    with db.transaction() as session:
        started = session.scalar(
            select(Item.lease_started_at).where(Item.id == item_id, Item.lease_user_id == user_id)
        )
        taken_back = session.execute(
            update(Item)
            .where(
                Item.id == item_id,
                Item.lease_user_id == user_id,
                Item.lease_token == lease_token,
                Item.lease_expires_at >= now,
                Item.status == "pending",
            )
            .values(lease_user_id=None, lease_token=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        if taken_back.rowcount != 1:
            raise LeaseLost(
                "this item is no longer yours to decide (lease expired, released or decided)"
            )
        item = session.get(Item, item_id)
        decision = _add(session, item, user_id, action, chosen, comment, simulated, now, started)
        _refresh_status(session, item)
        return decision.id


def revise(
    db: Database,
    decision_id: int,
    user_id: int,
    action: str,
    labels: Sequence[str] = (),
    comment: str = "",
    valid: Sequence[str] | None = None,
    now: datetime | None = None,
) -> int:
    """Correct a decision: a new decision that supersedes it (the old row stays).

    Analysts correct their own decisions; admins may correct anyone's.

    Raises:
        Conflict: the decision was superseded already (perhaps a moment ago).
        DecisionError: not allowed, unknown decision, or a skip (a correction needs labels).
    """
    chosen = _final_labels(action, labels, valid, "a correction")
    now = now or utcnow()
    try:
        with db.transaction() as session:
            old = session.get(Decision, decision_id)
            user = session.get(User, user_id)
            if old is None or user is None:
                raise DecisionError(f"no decision {decision_id}")
            if old.user_id != user_id and user.role != "admin":
                raise DecisionError("only the analyst who decided, or an admin, may correct it")
            if _superseded(session, decision_id):
                raise Conflict(f"decision {decision_id} has been superseded already")
            item = session.get(Item, old.item_id)
            new = _add(
                session,
                item,
                user_id,
                action,
                chosen,
                comment,
                old.simulated,
                now,
                None,
                decision_id,
            )
            _refresh_status(session, item)
            return new.id
    except IntegrityError as exc:
        raise Conflict(f"decision {decision_id} has been superseded already") from exc


def adjudicate(
    db: Database,
    item_id: int,
    user_id: int,
    action: str,
    labels: Sequence[str] = (),
    comment: str = "",
    valid: Sequence[str] | None = None,
    now: datetime | None = None,
) -> int:
    """An admin's decision on an item without a lease (to settle a disagreement); it wins
    over the analysts' decisions in the export."""
    chosen = _final_labels(action, labels, valid, "an adjudication")
    now = now or utcnow()
    with db.transaction() as session:
        user = session.get(User, user_id)
        item = session.get(Item, item_id)
        if user is None or user.role != "admin":
            raise DecisionError("only an admin may adjudicate")
        if item is None:
            raise DecisionError(f"no item {item_id}")
        decision = _add(session, item, user_id, action, chosen, comment, item.simulated, now, None)
        _refresh_status(session, item)
        return decision.id


def _final_labels(
    action: str, labels: Sequence[str], valid: Sequence[str] | None, what: str
) -> list[str]:
    """The labels of a decision that must settle the item (no skip)."""
    if action == "skip":
        raise DecisionError(f"{what} must confirm, reject or relabel")
    return _checked(labels, valid) if action == "relabel" else []


def _add(
    session: Session,
    item: Item,
    user_id: int,
    action: str,
    chosen: list[str],
    comment: str,
    simulated: bool,
    now: datetime,
    started: datetime | None,
    supersedes: int | None = None,
) -> Decision:
    decision = Decision(
        item_id=item.id,
        company_id=item.company_id,
        model_version=item.model_version,
        user_id=user_id,
        action=action,
        labels_before=item.labels,
        labels_after=labels_after(action, item.labels, chosen),
        comment=(comment or "").strip()[:4000],
        started_at=started,
        created_at=now,
        simulated=simulated,
        supersedes_id=supersedes,
    )
    session.add(decision)
    session.flush()
    return decision


def _superseded(session: Session, decision_id: int) -> bool:
    later = aliased(Decision)
    return bool(session.scalar(select(exists().where(later.supersedes_id == decision_id))))


def _current() -> object:
    later = aliased(Decision)
    return ~exists().where(later.supersedes_id == Decision.id)


def _refresh_status(session: Session, item: Item) -> None:
    reviewers = session.scalar(
        select(func.count(func.distinct(Decision.user_id))).where(
            Decision.item_id == item.id, Decision.action != "skip", _current()
        )
    )
    item.status = "done" if reviewers >= item.required_reviews else "pending"


@dataclass(frozen=True)
class HistoryRow:
    """One decision of an item's audit trail."""

    id: int
    username: str
    action: str
    labels_before: str
    labels_after: str | None
    comment: str
    created_at: datetime
    supersedes_id: int | None
    superseded_by: int | None
    simulated: bool
    user_id: int


def history(db: Database, item_id: int) -> list[HistoryRow]:
    """Every decision on an item, oldest first, with what superseded what."""
    later = aliased(Decision)
    with db.transaction() as session:
        rows = session.execute(
            select(Decision, User.username, later.id)
            .join(User, User.id == Decision.user_id)
            .outerjoin(later, later.supersedes_id == Decision.id)
            .where(Decision.item_id == item_id)
            .order_by(Decision.created_at, Decision.id)
        ).all()
    return [
        HistoryRow(
            d.id,
            username,
            d.action,
            d.labels_before,
            d.labels_after,
            d.comment,
            d.created_at,
            d.supersedes_id,
            superseded_by,
            d.simulated,
            d.user_id,
        )
        for d, username, superseded_by in rows
    ]


DECISION_COLUMNS = [
    "decision_id",
    "item_id",
    "company_id",
    "model_version",
    "user_id",
    "username",
    "role",
    "action",
    "labels_before",
    "labels_after",
    "started_at",
    "created_at",
    "simulated",
    "required_reviews",
    "text",
    "superseded",
]


def decisions_frame(db: Database, include_simulated: bool = True) -> pd.DataFrame:
    """Every decision with its analyst and item, as a frame (``superseded`` marks the rows a
    later decision replaced)."""
    later = aliased(Decision)
    query = (
        select(
            Decision.id,
            Decision.item_id,
            Decision.company_id,
            Decision.model_version,
            Decision.user_id,
            User.username,
            User.role,
            Decision.action,
            Decision.labels_before,
            Decision.labels_after,
            Decision.started_at,
            Decision.created_at,
            Decision.simulated,
            Item.required_reviews,
            Item.text,
            exists().where(later.supersedes_id == Decision.id),
        )
        .join(User, User.id == Decision.user_id)
        .join(Item, Item.id == Decision.item_id)
        .order_by(Decision.created_at, Decision.id)
    )
    if not include_simulated:
        query = query.where(Decision.simulated.is_(False))
    with db.transaction() as session:
        rows = session.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=DECISION_COLUMNS)


def current_decision_of(db: Database, item_id: int, user_id: int) -> int | None:
    """The id of this analyst's current (not superseded) decision on an item, if any."""
    with db.transaction() as session:
        return session.scalar(
            select(Decision.id)
            .where(
                Decision.item_id == item_id,
                Decision.user_id == user_id,
                Decision.action != "skip",
                _current(),
            )
            .order_by(Decision.id.desc())
            .limit(1)
        )
