"""Company classification into emerging industrial clusters, for regional economic intelligence.

The ``clusters`` package is the product's shell: configuration, data contracts, the taxonomy,
company-base ingestion, the pipeline and the ``clusters`` command line. The model lives in
``classifier``, training and the registry in ``training``, place scoring in ``scoring``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("company-clusters")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
