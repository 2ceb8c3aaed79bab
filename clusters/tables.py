"""Plain text for the command line: tables (left-aligned columns, no wrapping) and
shortened values."""

from __future__ import annotations


def text_table(rows: list[dict[str, str]]) -> str:
    """Rows of strings as left-aligned columns under their names.

    >>> print(text_table([{"a": "1", "bb": "x"}, {"a": "22", "bb": "y"}]))
    a   bb
    1   x
    22  y
    """
    columns = list(rows[0]) if rows else []
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    lines = [dict(zip(columns, columns, strict=True)), *rows]
    return "\n".join(
        "  ".join(line[c].ljust(widths[c]) for c in columns).rstrip() for line in lines
    )


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut.

    >>> shorten("promoted manually by ops at 2026-11-26 14:00 UTC: v4 drifts", 30)
    'promoted manually by ops at 2…'
    >>> shorten("short", 30)
    'short'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"
