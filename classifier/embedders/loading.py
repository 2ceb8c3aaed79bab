"""Loading and saving sentence-transformers models without transformers' chatter.

Through transformers 5, each load of MiniLM prints a "Loading weights" progress bar and a
"LOAD REPORT" table, because the packaged checkpoint still carries the
``embeddings.position_ids`` buffer that newer transformers no longer keeps ("UNEXPECTED ...
not ok if you expect identical arch"); each save prints a "Writing model shards" bar. In a
batch job's log that reads like a fault. :func:`transformers_quietly` (used by
:func:`load_sentence_transformer` and the fine-tune's save) hides the bars and demotes a
report that lists only unexpected checkpoint keys (every model weight was loaded) to a debug
line; a report of missing, mismatched or unconverted weights (the model would be partly
random) still shows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

REPORT_LOGGER = "transformers.modeling_utils"
"""Where transformers logs its load report."""
WEIGHT_PROBLEMS = ("MISSING", "MISMATCH", "CONVERSION")
"""Report statuses that mean some weights were not loaded as stored."""


class UnusedKeysReport(logging.Filter):
    """Drops transformers' load report when the checkpoint merely holds keys the model does
    not use (it lists no :data:`WEIGHT_PROBLEMS`), logging it at debug level instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "LOAD REPORT" not in message or any(word in message for word in WEIGHT_PROBLEMS):
            return True
        logger.debug("every weight loaded; unused checkpoint keys: %s", message)
        return False


_FILTER = UnusedKeysReport()


@contextmanager
def transformers_quietly() -> Iterator[None]:
    """Within: no transformers progress bars, and a load report of unused keys only is held
    back (see :class:`UnusedKeysReport`); the previous settings come back after."""
    from transformers.utils import logging as hf_logging

    report_logger = logging.getLogger(REPORT_LOGGER)
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    report_logger.addFilter(_FILTER)
    try:
        yield
    finally:
        report_logger.removeFilter(_FILTER)
        if bars:
            hf_logging.enable_progress_bar()


def load_sentence_transformer(model_dir: Path, device: str = "cpu", **kwargs: Any) -> Any:
    """``SentenceTransformer(model_dir, device=device, local_files_only=True, **kwargs)``,
    quietly (see the module docstring)."""
    from sentence_transformers import SentenceTransformer

    with transformers_quietly():
        return SentenceTransformer(str(model_dir), device=device, local_files_only=True, **kwargs)
