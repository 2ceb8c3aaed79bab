"""Progress of a batch job: a tqdm bar on a terminal, periodic log lines otherwise.

Rows finished by an earlier attempt count as done from the start (``initial``), so the rate
and the ETA reflect only the work of this attempt.

Example:
    >>> progress = Progress(total=100, initial=0, enabled=False)
    >>> progress.advance(40)
    >>> progress.done, round(progress.fraction, 2)
    (40, 0.4)
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import timedelta

logger = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 15.0


def _is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def format_eta(seconds: float | None) -> str:
    """``H:MM:SS``, or ``?`` when unknown."""
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "?"
    return str(timedelta(seconds=int(round(seconds))))


def format_rate(rows_per_second: float | None) -> str:
    """Rows per second with thousands separators, or ``?`` when unknown.

    >>> format_rate(17447.6), format_rate(None)
    ('17,448', '?')
    """
    if rows_per_second is None or rows_per_second != rows_per_second:
        return "?"
    return f"{rows_per_second:,.0f}"


class Progress:
    """Reports rows done, rows per second and the ETA.

    Args:
        total: rows in the input, if known.
        initial: rows already done by earlier attempts.
        enabled: ``True`` for a tqdm bar, ``False`` for log lines, ``None`` to decide by
            whether stderr is a terminal.
        log_every: seconds between log lines (when not a bar).
    """

    def __init__(
        self,
        total: int | None,
        initial: int = 0,
        enabled: bool | None = None,
        log_every: float = LOG_EVERY_SECONDS,
        description: str = "classify",
    ) -> None:
        self.total, self.initial, self.done = total, initial, initial
        self.description = description
        self.log_every = log_every
        self.started = time.monotonic()
        self._last_log = self.started
        self.note = ""
        self._bar = None
        if enabled if enabled is not None else _is_terminal():
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total,
                initial=initial,
                unit="rows",
                unit_scale=True,
                desc=description,
                dynamic_ncols=True,
                file=sys.stderr,
            )

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    @property
    def rate(self) -> float:
        """Rows per second of this attempt."""
        elapsed = time.monotonic() - self.started
        return (self.done - self.initial) / elapsed if elapsed > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        if not self.total or self.rate <= 0:
            return None
        return max(self.total - self.done, 0) / self.rate

    def advance(self, rows: int, note: str = "") -> None:
        """``rows`` more rows are done; ``note`` (e.g. the cache hit rate) is shown too."""
        self.done += rows
        self.note = note or self.note
        if self._bar is not None:
            if note:
                self._bar.set_postfix_str(note, refresh=False)
            self._bar.update(rows)
            return
        if time.monotonic() - self._last_log >= self.log_every:
            self.log()

    def log(self) -> None:
        """Write one progress line to the log now."""
        self._last_log = time.monotonic()
        of = f" / {self.total:,} rows ({self.fraction:.1%})" if self.total else " rows"
        logger.info(
            "%s: %s%s, %s rows/s, ETA %s%s",
            self.description,
            f"{self.done:,}",
            of,
            format_rate(self.rate),
            format_eta(self.eta_seconds),
            f", {self.note}" if self.note else "",
        )

    def close(self) -> None:
        """Finish the bar, or log the final line."""
        if self._bar is not None:
            self._bar.close()
        else:
            self.log()
