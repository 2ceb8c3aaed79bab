"""The review store: users, sessions, items, append-only decisions.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = "decisions are append-only: record a new decision that supersedes this one"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("simulated", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("disabled_at", sa.DateTime, nullable=True),
        sa.CheckConstraint("role IN ('analyst', 'admin')", name="ck_users_role"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("company_id", sa.String(16), nullable=False, index=True),
        sa.Column("model_version", sa.String(128), nullable=False, index=True),
        sa.Column("priority", sa.Float, nullable=False, index=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("region_name", sa.String(128), nullable=False, index=True),
        sa.Column("top_label", sa.String(64), nullable=False, index=True),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sic_titles", sa.JSON, nullable=False),
        sa.Column("website", sa.Text, nullable=True),
        sa.Column("probabilities", sa.JSON, nullable=False),
        sa.Column("thresholds", sa.JSON, nullable=True),
        sa.Column("explanations", sa.JSON, nullable=True),
        sa.Column("required_reviews", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("simulated", sa.Boolean, nullable=False),
        sa.Column("imported_at", sa.DateTime, nullable=False),
        sa.Column("lease_user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("lease_token", sa.String(64), nullable=True),
        sa.Column("lease_started_at", sa.DateTime, nullable=True),
        sa.Column("lease_expires_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("company_id", "model_version", name="uq_item_company_model"),
        sa.CheckConstraint("status IN ('pending', 'done')", name="ck_items_status"),
        sa.CheckConstraint("required_reviews >= 1", name="ck_items_required_reviews"),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id"), nullable=False, index=True),
        sa.Column("company_id", sa.String(16), nullable=False, index=True),
        sa.Column("model_version", sa.String(128), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("labels_before", sa.Text, nullable=False),
        sa.Column("labels_after", sa.Text, nullable=True),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False, index=True),
        sa.Column(
            "supersedes_id", sa.Integer, sa.ForeignKey("decisions.id"), nullable=True, unique=True
        ),
        sa.Column("simulated", sa.Boolean, nullable=False),
        sa.CheckConstraint(
            "action IN ('confirm', 'reject', 'relabel', 'skip')", name="ck_decisions_action"
        ),
    )
    _append_only_triggers()


def _append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER decisions_no_{verb.lower()} BEFORE {verb} ON decisions "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION review_decisions_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE ON decisions "
            "FOR EACH ROW EXECUTE FUNCTION review_decisions_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS decisions_append_only ON decisions")
        op.execute("DROP FUNCTION IF EXISTS review_decisions_append_only()")
    for table in ("decisions", "items", "sessions", "users"):
        op.drop_table(table)
