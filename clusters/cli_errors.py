"""How every ``clusters`` command reports an error it understands: one line, exit code 2.

The commands catch the errors they expect (bad input, a missing model, a broken config) and
raise ``fail(str(exc))``; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import typer


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` to stderr (red on a terminal) and return the exit to raise."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)
