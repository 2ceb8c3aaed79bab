"""The Spark session of a batch job: local mode, a cluster master, or Spark Connect.

``--spark-master`` (default ``local[2,3]``: two cores, a failed task is tried up to three
times) starts a session in this process, or joins the one already running (a notebook's
``spark``); under ``spark-submit``, its ``--master`` and settings are used. With
``--spark-remote sc://host:port`` a Spark Connect client session is opened instead (the
executors then run wherever that server runs them).

A session this module starts gets local-mode settings that suit one machine (driver memory,
few shuffle partitions, no UI, no console progress bar, workers on this interpreter) and
Python workers forked from :mod:`clusters.batch.spark_worker` (classification code preloaded);
every session gets the per-session SQL settings the engine needs (Arrow batches of
:attr:`SparkSettings.arrow_batch_rows` rows, UTC), restored afterwards on a session it did
not start.

Example:
    >>> with spark_session(SparkSettings(master="local[2]")) as spark:  # doctest: +SKIP
    ...     spark.range(3).count()
    3
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from clusters.config import SparkSettings

if TYPE_CHECKING:  # pyspark is an optional extra
    from pyspark.sql import SparkSession

logger = logging.getLogger(__name__)

MIN_JAVA = 17
INSTALL_HINT = "pip install '.[spark]'"
CONNECT_HINT = "pip install 'pyspark[connect]==4.3.0'"
WORKER_DAEMON = "clusters.batch.spark_worker"
"""PySpark daemon that forks workers with the classification code already imported."""


class SparkUnavailableError(RuntimeError):
    """Spark cannot be used here (the message says what to install)."""


def require_pyspark() -> None:
    """Raise :class:`SparkUnavailableError` when pyspark cannot be imported."""
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise SparkUnavailableError(
            f"the Spark engine needs pyspark, which is not installed: {INSTALL_HINT} "
            "(or use --engine local)"
        ) from exc


def require_connect() -> None:
    """Raise :class:`SparkUnavailableError` when the Spark Connect client cannot load."""
    require_pyspark()
    try:
        import pyspark.sql.connect.session  # noqa: F401  (checks grpcio & co on import)
    except ImportError as exc:  # PySparkImportError is an ImportError
        raise SparkUnavailableError(
            f"Spark Connect (--spark-remote) needs the pyspark connect client: {CONNECT_HINT} "
            f"({exc})"
        ) from exc


def java_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """Why no usable Java (17 or newer) is found via ``JAVA_HOME`` or ``PATH``; ``None``
    when one is."""
    environ = os.environ if environ is None else environ
    home = environ.get("JAVA_HOME")
    java = (
        str(Path(home) / "bin" / "java") if home else shutil.which("java", path=environ.get("PATH"))
    )
    if not java or not Path(java).is_file():
        where = f"JAVA_HOME={home}" if home else "PATH"
        return f"no Java found ({where}); the Spark engine needs Java {MIN_JAVA}: install a JDK {MIN_JAVA} and set JAVA_HOME"
    try:
        out = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{java} does not run ({exc}); the Spark engine needs Java {MIN_JAVA}"
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match is None:
        return None  # an unusual banner: let Spark judge
    major = int(match.group(1)) if match.group(1) != "1" else int(match.group(2) or 0)
    if major < MIN_JAVA:
        return f"{java} is Java {major}; the Spark engine needs Java {MIN_JAVA} or newer"
    return None


def local_cores(master: str) -> int | None:
    """Cores of a ``local[...]`` master (``None`` for other masters).

    >>> local_cores("local[2,3]"), local_cores("local"), local_cores("yarn")
    (2, 1, None)
    """
    if master == "local":
        return 1
    match = re.fullmatch(r"local\[(\d+|\*)(?:,\s*\d+)?\]", master.strip())
    if match is None:
        return None
    return (os.cpu_count() or 1) if match.group(1) == "*" else int(match.group(1))


def session_conf(settings: SparkSettings) -> dict[str, str]:
    """Settings for a session started here (local-mode ones only for a ``local`` master)."""
    conf = {
        "spark.app.name": settings.app_name,
        "spark.driver.memory": settings.driver_memory,
        "spark.python.daemon.module": WORKER_DAEMON,
    }
    cores = local_cores(settings.master)
    if cores is not None:
        conf |= {
            "spark.sql.shuffle.partitions": str(2 * cores),
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.log.level": "WARN",
        }
    return conf | runtime_conf(settings) | settings.conf


def runtime_conf(settings: SparkSettings) -> dict[str, str]:
    """Per-session SQL settings the engine relies on (settable on any session)."""
    return {
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(settings.arrow_batch_rows),
        "spark.sql.session.timeZone": "UTC",
    }


def is_connect(spark: Any) -> bool:
    """Whether ``spark`` is a Spark Connect client session."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def sql_functions(spark: Any) -> ModuleType:
    """``pyspark.sql.functions`` for ``spark`` (a Spark Connect session needs the Connect
    module's columns, whatever else runs in this process)."""
    if is_connect(spark):
        from pyspark.sql.connect import functions
    else:
        from pyspark.sql import functions
    return functions


def window(spark: Any) -> Any:
    """The ``Window`` class for ``spark`` (see :func:`sql_functions`)."""
    if is_connect(spark):
        from pyspark.sql.connect.window import Window
    else:
        from pyspark.sql import Window
    return Window


def master_of(spark: Any) -> str:
    """The session's master (for Spark Connect, the server's)."""
    try:
        return str(spark.conf.get("spark.master"))
    except Exception:  # a Connect server may hide it
        return "unknown"


def _running_session() -> SparkSession | None:
    """The session of this process's running SparkContext, if there is one."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if SparkContext._active_spark_context is None:
        return None
    return SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()


def submitted_master() -> str | None:
    """The ``--master`` of ``spark-submit`` when it started this process (it then owns the
    JVM and its settings); ``None`` otherwise."""
    if "PYSPARK_GATEWAY_PORT" not in os.environ:
        return None
    from pyspark import SparkConf

    return SparkConf().get("spark.master", None)


def _start_classic(settings: SparkSettings) -> tuple[SparkSession, bool]:
    from pyspark.sql import SparkSession

    running = _running_session()
    if running is not None:
        if settings.master != running.sparkContext.master:
            logger.info(
                "joining the running Spark session (master %s); --spark-master %s is not used",
                running.sparkContext.master,
                settings.master,
            )
        return running, False
    submitted = submitted_master()
    if submitted is not None:  # spark-submit's --master wins over our default
        settings = settings.model_copy(update={"master": submitted})
    else:
        problem = java_problem()
        if problem is not None:
            raise SparkUnavailableError(problem)
    if local_cores(settings.master) is not None:
        # local-mode Python workers must import this package: run them on this interpreter
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(settings.master)
    for key, value in session_conf(settings).items():
        builder = builder.config(key, value)
    logger.info("starting Spark (master %s)", settings.master)
    return builder.getOrCreate(), True


def _start_connect(settings: SparkSettings) -> tuple[SparkSession, bool]:
    require_connect()
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    logger.info("connecting to Spark Connect at %s", settings.remote)
    return ConnectSession.builder.remote(settings.remote).create(), True


@contextlib.contextmanager
def spark_session(
    settings: SparkSettings | None = None, spark: SparkSession | None = None
) -> Iterator[SparkSession]:
    """A session for the job: ``spark`` if given, else a Spark Connect session when
    ``settings.remote`` is set, else the running session or a new one on ``settings.master``.

    A session opened here is stopped afterwards; the SQL settings of :func:`runtime_conf`
    are set for the block and restored on a session that is not ours.

    Raises:
        SparkUnavailableError: pyspark (or its Connect client) is not installed, or no
            Java 17 is found to start a local JVM.
    """
    settings = settings or SparkSettings()
    require_pyspark()
    owned = False
    if spark is None:
        spark, owned = _start_connect(settings) if settings.remote else _start_classic(settings)
    previous: dict[str, str | None] = {}
    for key, value in runtime_conf(settings).items():
        previous[key] = spark.conf.get(key, None)
        spark.conf.set(key, value)
    try:
        yield spark
    finally:
        if owned:
            spark.stop()
        else:
            for key, value in previous.items():
                if value is None:
                    spark.conf.unset(key)
                else:
                    spark.conf.set(key, value)


__all__ = [
    "SparkSettings",
    "SparkUnavailableError",
    "is_connect",
    "java_problem",
    "local_cores",
    "master_of",
    "require_connect",
    "require_pyspark",
    "session_conf",
    "spark_session",
    "sql_functions",
    "submitted_master",
    "window",
]
