"""The report as a PDF: the self-contained HTML printed by WeasyPrint (A4, page numbers).

The HTML's print styles (``@page`` and ``@media print`` in the template) set the layout:
one cluster per page run, maps full width, bookmarks from the headings.

Example (needs WeasyPrint and its system libraries, Pango)::

    result = write_pdf(Path("report/report.html"), Path("report/report.pdf"))
    result.pages, result.bookmarks[:2]
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or a system library it needs) is not installed."""


@dataclass
class PdfResult:
    """The PDF written, its page count and its bookmarks (headings, in order)."""

    path: Path
    pages: int
    bookmarks: list[str] = field(default_factory=list)


def _labels(tree: list) -> list[str]:
    """Bookmark labels, depth first (nodes are ``(label, target, children, state)``)."""
    out: list[str] = []
    for label, _target, children, *_ in tree:
        out.append(label)
        out.extend(_labels(children))
    return out


def write_pdf(html: Path, pdf: Path) -> PdfResult:
    """Print ``html`` to ``pdf`` with WeasyPrint.

    Raises:
        PdfUnavailable: WeasyPrint cannot be imported (missing package or system library).
    """
    html, pdf = Path(html), Path(pdf)
    quiet = [logging.getLogger(n) for n in ("weasyprint", "weasyprint.progress")]
    levels = [q.level for q in quiet]
    for q in quiet:  # progress steps and unsupported screen-only CSS are not news
        q.setLevel(logging.ERROR)
    try:
        try:
            import weasyprint
        except (ImportError, OSError) as exc:  # OSError: Pango or another library is missing
            raise PdfUnavailable(f"WeasyPrint is not usable here: {exc}") from exc
        document = weasyprint.HTML(filename=str(html), base_url=str(html.parent)).render()
        pdf.parent.mkdir(parents=True, exist_ok=True)
        document.write_pdf(pdf)
    finally:
        for q, level in zip(quiet, levels, strict=True):
            q.setLevel(level)
    result = PdfResult(pdf, len(document.pages), _labels(document.make_bookmark_tree()))
    logger.info("report PDF: %s (%d pages)", pdf, result.pages)
    return result
