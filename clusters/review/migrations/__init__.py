"""Alembic migrations of the review store (applied by ``Database.upgrade``)."""
