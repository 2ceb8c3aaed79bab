"""A PySpark worker daemon that imports the classification code once, before forking.

PySpark starts one daemon per executor and forks a Python worker from it for each task
slot; a worker imports what its tasks need. Run as the daemon
(``spark.python.daemon.module=clusters.batch.spark_worker``, set on sessions the engine
starts), this module imports :mod:`clusters.batch.spark_stages` (scikit-learn, pyarrow,
pandas, the embedders' registry) first, so every forked worker starts with them loaded:
a few seconds saved per worker and per executor. The model itself is loaded by each worker
(:meth:`clusters.batch.spark_model.ShippedModel.load`).
"""

from __future__ import annotations

from pyspark import daemon

import clusters.batch.spark_stages  # noqa: F401  (preloaded for the forked workers)

if __name__ == "__main__":
    daemon.manager()
