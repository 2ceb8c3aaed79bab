"""Emerging-cluster discovery (``clusters discover``): groups of companies that no cluster of
the current taxonomy describes well, each proposed as a draft taxonomy entry.

The stages read left to right in the module names:

* :mod:`~clusters.discovery.candidates`: unassigned, weakly assigned and far-from-every-cluster
  companies;
* :mod:`~clusters.discovery.reduce_cluster`: PCA → UMAP → HDBSCAN on their embeddings, and
  cohesion;
* :mod:`~clusters.discovery.stability`: re-clustering of subsamples with other seeds; groups
  that do not come back are dropped;
* :mod:`~clusters.discovery.describe`: distinctive terms (class-based TF-IDF), central
  companies, SIC mix, growth, geography;
* :mod:`~clusters.discovery.rank`: emergence score (growth, specialisation, novelty);
* :mod:`~clusters.discovery.draft`: draft taxonomy entries and seed labels;
* :mod:`~clusters.discovery.report`: the HTML report with a 2-D map;
* :mod:`~clusters.discovery.run`: loading, orchestration, outputs and MLflow logging.

This package's ``__init__`` stays light: :mod:`clusters.config` imports its settings.
"""
