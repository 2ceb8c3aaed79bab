"""The review queue in the store: importing items, listing and counting them, and leasing
them to analysts.

**Leases.** An analyst works on an item only while holding its lease: a random token, valid
for ``lease_minutes``. An item can be leased when it is pending, nobody else holds a live
lease on it, and this analyst has not decided it already (so a second review always goes to a
second analyst). Taking a lease is one conditional ``UPDATE ... WHERE <free>`` whose row count
says who won: two analysts asking at the same moment never get the same item, on SQLite
(transactions serialised by ``BEGIN IMMEDIATE``) as on PostgreSQL (row-level atomic update).
An abandoned lease simply expires and the item returns to the queue. An analyst holds at most
one lease: taking a new item gives back the previous one.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, or_, select, update

from clusters.review.db import Database, Decision, Item, utcnow


@dataclass(frozen=True)
class QueueFilter:
    """Which items a queue view or an analyst's next pick is limited to (``None`` = any)."""

    cluster: str | None = None
    """The model's top cluster, or any cluster it assigned."""
    region: str | None = None
    model_version: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.cluster:
            assigned = (literal(";") + Item.labels + literal(";")).contains(f";{self.cluster};")
            out.append(or_(Item.top_label == self.cluster, assigned))
        if self.region:
            out.append(Item.region_name == self.region)
        if self.model_version:
            out.append(Item.model_version == self.model_version)
        return out


@dataclass(frozen=True)
class Lease:
    """An analyst's hold on one item."""

    item_id: int
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class ImportReport:
    added: int
    existing: int
    double_review: int

    def summary(self) -> str:
        return (
            f"{self.added} items added ({self.double_review} routed to two analysts), "
            f"{self.existing} already queued"
        )


def import_items(db: Database, items: Sequence[dict[str, Any]]) -> ImportReport:
    """Add items; one already queued for the same company and model version is kept as is."""
    with db.transaction() as session:
        existing = set(session.execute(select(Item.company_id, Item.model_version)).all())
        seen = set(existing)
        new = []
        for item in items:
            key = (item["company_id"], item["model_version"])
            if key not in seen:
                seen.add(key)
                new.append(Item(**item, status="pending", imported_at=utcnow()))
        session.add_all(new)
    return ImportReport(
        len(new), len(items) - len(new), sum(1 for i in new if i.required_reviews > 1)
    )


def _free(now: datetime, user_id: int | None = None) -> ColumnElement[bool]:
    """The item is pending and its lease is free, expired (or held by ``user_id``)."""
    free = or_(Item.lease_user_id.is_(None), Item.lease_expires_at < now)
    if user_id is not None:
        free = or_(free, Item.lease_user_id == user_id)
    return and_(Item.status == "pending", free)


def _not_decided_by(user_id: int) -> ColumnElement[bool]:
    return ~exists().where(Decision.item_id == Item.id, Decision.user_id == user_id)


def _lease(
    session: Any, item_id: int, user_id: int, lease_minutes: float, now: datetime
) -> Lease | None:
    token = secrets.token_urlsafe(24)
    expires = now + timedelta(minutes=lease_minutes)
    taken = session.execute(
        update(Item)
        .where(Item.id == item_id, _free(now, user_id), _not_decided_by(user_id))
        .values(
            lease_user_id=user_id,
            lease_token=token,
            lease_started_at=now,
            lease_expires_at=expires,
        )
        .execution_options(synchronize_session=False)
    )
    return Lease(item_id, token, expires) if taken.rowcount == 1 else None


def _renew(
    session: Any, item_id: int, user_id: int, lease_minutes: float, now: datetime
) -> Lease | None:
    """Extend this analyst's live lease, keeping its token (open pages stay valid)."""
    expires = now + timedelta(minutes=lease_minutes)
    renewed = session.execute(
        update(Item)
        .where(Item.id == item_id, Item.lease_user_id == user_id, Item.lease_expires_at >= now)
        .values(lease_expires_at=expires)
        .execution_options(synchronize_session=False)
    )
    if renewed.rowcount != 1:
        return None
    return Lease(
        item_id, session.scalar(select(Item.lease_token).where(Item.id == item_id)), expires
    )


def _give_back_others(session: Any, user_id: int, keep: int | None = None) -> None:
    condition = [Item.lease_user_id == user_id]
    if keep is not None:
        condition.append(Item.id != keep)
    session.execute(
        update(Item)
        .where(*condition)
        .values(lease_user_id=None, lease_token=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )


def take_next(
    db: Database,
    user_id: int,
    filters: QueueFilter = QueueFilter(),
    lease_minutes: float = 10.0,
    now: datetime | None = None,
    candidates: int = 20,
    rounds: int = 5,
) -> Lease | None:
    """Lease the highest-priority item this analyst may review, or ``None`` when there is
    none. A live lease the analyst already holds (within the filters) is renewed instead."""
    now = now or utcnow()
    with db.transaction() as session:
        mine = session.scalar(
            select(Item.id)
            .where(
                Item.lease_user_id == user_id, Item.lease_expires_at >= now, *filters.conditions()
            )
            .order_by(Item.priority.desc(), Item.id)
            .limit(1)
        )
        if mine is not None:
            _give_back_others(session, user_id, keep=mine)
            return _renew(session, mine, user_id, lease_minutes, now)
        _give_back_others(session, user_id)
        for _ in range(rounds):  # each round sees the leases others committed meanwhile
            ids = session.scalars(
                select(Item.id)
                .where(_free(now), _not_decided_by(user_id), *filters.conditions())
                .order_by(Item.priority.desc(), Item.id)
                .limit(candidates)
            ).all()
            if not ids:
                return None
            for item_id in ids:
                lease = _lease(session, item_id, user_id, lease_minutes, now)
                if lease is not None:
                    return lease
        return None


def take_item(
    db: Database,
    item_id: int,
    user_id: int,
    lease_minutes: float = 10.0,
    now: datetime | None = None,
) -> Lease | None:
    """Lease one given item, if this analyst may review it now."""
    now = now or utcnow()
    with db.transaction() as session:
        lease = _renew(session, item_id, user_id, lease_minutes, now) or _lease(
            session, item_id, user_id, lease_minutes, now
        )
        if lease is not None:
            _give_back_others(session, user_id, keep=item_id)
        return lease


def release(db: Database, item_id: int, user_id: int, token: str) -> bool:
    """Give an item back to the queue; False when the lease was no longer this one."""
    with db.transaction() as session:
        result = session.execute(
            update(Item)
            .where(Item.id == item_id, Item.lease_user_id == user_id, Item.lease_token == token)
            .values(lease_user_id=None, lease_token=None, lease_expires_at=None)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def held_lease(
    db: Database, item_id: int, user_id: int, now: datetime | None = None
) -> Lease | None:
    """This analyst's live lease on an item, if any."""
    now = now or utcnow()
    with db.transaction() as session:
        row = session.execute(
            select(Item.lease_token, Item.lease_expires_at).where(
                Item.id == item_id, Item.lease_user_id == user_id, Item.lease_expires_at >= now
            )
        ).first()
    return Lease(item_id, row[0], row[1]) if row else None


@dataclass(frozen=True)
class QueueCounts:
    pending: int
    done: int
    in_review: int
    """Pending items whose lease is live now."""

    @property
    def total(self) -> int:
        return self.pending + self.done


def counts(
    db: Database, filters: QueueFilter = QueueFilter(), now: datetime | None = None
) -> QueueCounts:
    """How many items are pending, done, and being reviewed right now."""
    now = now or utcnow()
    with db.transaction() as session:
        by_status = dict(
            session.execute(
                select(Item.status, func.count()).where(*filters.conditions()).group_by(Item.status)
            ).all()
        )
        leased = session.scalar(
            select(func.count())
            .select_from(Item)
            .where(Item.status == "pending", Item.lease_expires_at >= now, *filters.conditions())
        )
    return QueueCounts(by_status.get("pending", 0), by_status.get("done", 0), leased or 0)


def list_items(
    db: Database,
    filters: QueueFilter = QueueFilter(),
    status: str | None = "pending",
    limit: int = 50,
    offset: int = 0,
) -> list[Item]:
    """Items by priority (highest first), optionally of one status."""
    conditions = list(filters.conditions())
    if status:
        conditions.append(Item.status == status)
    with db.transaction() as session:
        return list(
            session.scalars(
                select(Item)
                .where(*conditions)
                .order_by(Item.priority.desc(), Item.id)
                .limit(limit)
                .offset(offset)
            ).all()
        )


def get_item(db: Database, item_id: int) -> Item | None:
    with db.transaction() as session:
        return session.get(Item, item_id)


def filter_choices(db: Database) -> dict[str, list[str]]:
    """The clusters, regions and model versions present in the queue (for filter menus)."""
    with db.transaction() as session:
        regions = session.scalars(select(Item.region_name).distinct().order_by(Item.region_name))
        versions = session.scalars(
            select(Item.model_version).distinct().order_by(Item.model_version)
        )
        clusters = session.scalars(select(Item.top_label).distinct().order_by(Item.top_label))
        return {
            "cluster": [c for c in clusters if c],
            "region": [r for r in regions if r],
            "model_version": list(versions),
        }
