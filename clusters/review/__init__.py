"""The analyst review app: low-confidence assignments in, auditable training labels out.

``clusters review serve`` runs the web app; ``import``, ``users``, ``export`` and ``stats``
manage its store. Modules, one job each:

=================  ===========================================================================
``settings``       the ``review`` section of the settings
``db``             the tables (SQLAlchemy) and the database handle; SQLite or PostgreSQL
``migrations/``    the Alembic schema history, applied by :func:`db.Database.upgrade`
``items``          queue CSV (+ company base, + model explanations) → review items (pure)
``explain``        thresholds and nearest labelled examples for queued texts, from a model
``queue``          importing items, listing, counting, and leasing items to analysts
``decisions``      confirm / reject / relabel / skip, revisions, adjudication: append-only
``auth``           users, argon2 passwords, server-side sessions, CSRF tokens
``stats``          agreement (Cohen's kappa per cluster), throughput, how often the model was right
``export``         current decisions → the LABELS contract, for ``clusters train --reviewed``
``simulate``       a simulated review round from a truth file (the main job's demo)
``web``            text highlighting and other view helpers (pure)
``app``            the FastAPI application (server-rendered Jinja templates)
=================  ===========================================================================

Importing this package is cheap: nothing here loads a model or a web framework.
"""
