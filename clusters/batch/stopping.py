"""Stopping a batch job on request (SIGTERM, Ctrl-C) with a word on where it stopped.

Schedulers (systemd, Kubernetes, Slurm, Airflow) stop a job with SIGTERM, whose default
action ends the process without a line in its log. Within :func:`stop_on_signals` a SIGTERM
raises :class:`JobStopped` in the job's main thread instead (a ``BaseException``, like
``KeyboardInterrupt``, so no ``except Exception`` on the way swallows it). The job unwinds
as after Ctrl-C: committed chunks stay committed (every write is atomic), worker processes
end, the lock is released, and the caller says where it stopped and how to resume. A
second signal while unwinding is not caught again: the process ends as before.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


class JobStopped(BaseException):
    """The job was asked to stop by a signal."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        """The shell's convention: 128 + the signal number (143 for SIGTERM)."""
        return 128 + self.signum


@contextlib.contextmanager
def stop_on_signals(signums: tuple[int, ...] = (signal.SIGTERM,)) -> Iterator[None]:
    """Turn ``signums`` into :class:`JobStopped` in this (the main) thread for the block.

    Outside the main thread (where handlers cannot be set) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: object) -> None:
        for number in signums:  # a second signal ends the process the default way
            signal.signal(number, signal.SIG_DFL)
        raise JobStopped(signum)

    previous = {number: signal.signal(number, handler) for number in signums}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
