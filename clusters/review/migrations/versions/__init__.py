"""Alembic revisions of the review store, oldest first."""
