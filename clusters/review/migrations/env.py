"""Alembic environment: migrations run on the connection handed over by ``Database.upgrade``.

To write a new revision, change the tables in ``clusters/review/db.py``, then::

    .venv/bin/python -c "from alembic import command; from clusters.review.db import *; \
        import sqlalchemy as sa; e = make_engine('sqlite:///review.db'); \
        c = e.connect(); command.revision(alembic_config(c), 'what changed', autogenerate=True)"

and review the generated file in ``versions/``.
"""

from __future__ import annotations

from alembic import context

from clusters.review.db import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only ever run through Database.upgrade
    raise RuntimeError("run review migrations through clusters.review.db.Database.upgrade")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
