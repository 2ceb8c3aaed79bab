"""Commands of the acquisition stages: ``clusters ingest websites`` and ``clusters ingest
accounts`` (registered on the ``ingest`` sub-app in :mod:`clusters.cli`).

Each is a thin shell over :mod:`clusters.acquire`: options in, one stage call, a short report
out, known errors mapped to a message and exit code 2.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from clusters.cli_errors import fail
from clusters.contracts import ContractError

logger = logging.getLogger(__name__)


Progress = Annotated[
    bool | None,
    typer.Option(
        "--progress/--no-progress",
        help="Progress bar (default: when stderr is a terminal).",
        show_default=False,
    ),
]
"""The ``--progress/--no-progress`` option of the acquisition commands."""


def websites_command(
    input_path: Annotated[
        Path,
        typer.Option(
            "--input",
            "-i",
            metavar="FILE",
            help="Company base (Parquet/CSV with a website column) or a company_id,url CSV.",
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Parquet to write: the input with website_text, website_fetched_at, "
            "website_status.",
        ),
    ],
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            help="SQLite crawl store (resumable, incremental); default <cache_dir>/crawl.sqlite.",
        ),
    ] = None,
    max_pages: Annotated[
        int | None, typer.Option("--max-pages", min=1, help="Pages per company, home included.")
    ] = None,
    max_age_days: Annotated[
        float | None,
        typer.Option("--max-age-days", min=0.0, help="Re-fetch stored pages older than this."),
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", min=1, help="Sites crawled at once.")
    ] = None,
    host_delay: Annotated[
        float | None,
        typer.Option("--host-delay", min=0.0, help="Seconds between requests to one host."),
    ] = None,
    contact: Annotated[
        str | None,
        typer.Option("--contact", help="Contact URL or mailto: sent in the User-Agent."),
    ] = None,
    progress: Progress = None,
) -> None:
    """Fetch company websites politely and add their text to the company base."""
    from clusters.acquire.crawl_store import CrawlStore
    from clusters.acquire.crawler import Crawler
    from clusters.acquire.settings import crawl_settings
    from clusters.acquire.website_io import read_websites, write_with_text
    from clusters.config import get_settings

    overrides = {
        "max_pages": max_pages,
        "max_age_days": max_age_days,
        "concurrency": concurrency,
        "host_delay_s": host_delay,
        "contact": contact,
    }
    settings = crawl_settings().model_copy(
        update={k: v for k, v in overrides.items() if v is not None}
    )
    store_path = store or get_settings().paths.cache_dir / "crawl.sqlite"
    try:
        companies, bad_ids = read_websites(input_path)
        with CrawlStore(store_path) as crawl_store:
            crawler = Crawler(settings, crawl_store)
            try:
                report = crawler.crawl(companies, progress=progress)
            finally:
                crawler.fetcher.close()
            rows = write_with_text(input_path, output, crawl_store)
    except (ContractError, FileNotFoundError) as exc:
        raise fail(str(exc)) from exc
    except OSError as exc:
        raise fail(f"{exc.filename or output}: {exc.strerror or exc}") from exc
    for line in report.summary():
        typer.echo(line)
    if bad_ids:
        typer.echo(f"{bad_ids:,} rows skipped: company id is not a Companies House number")
    typer.echo(f"wrote {rows:,} rows to {output} (crawl store {store_path})")


def accounts_command(
    inputs: Annotated[
        list[Path],
        typer.Option(
            "--input",
            "-i",
            metavar="ZIP_OR_DIR",
            help="Accounts bulk zip, folder or single .html/.xml file; repeat for several.",
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Parquet of the latest period per company.")
    ],
    more: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="FILE", help="More inputs (so `--input bulk/*.zip` works).", show_default=False
        ),
    ] = None,
    history: Annotated[
        Path | None,
        typer.Option("--history", help="Parquet of every company period (for growth metrics)."),
    ] = None,
    base: Annotated[
        Path | None,
        typer.Option("--base", help="Company base (Parquet) to add filing text and financials to."),
    ] = None,
    base_output: Annotated[
        Path | None,
        typer.Option("--base-output", help="Where to write the updated company base."),
    ] = None,
    progress: Progress = None,
) -> None:
    """Read Companies House accounts (iXBRL/XBRL): principal activities, turnover, employees."""
    from clusters.acquire.accounts_io import merge_into_base, read_accounts
    from clusters.acquire.settings import accounts_settings

    if (base is None) != (base_output is None):
        raise fail("--base and --base-output go together")
    try:
        report = read_accounts(
            [*inputs, *(more or [])],
            output,
            history,
            accounts_settings(),
            progress=progress,
        )
        if base is not None and base_output is not None:
            if not base.exists():
                raise FileNotFoundError(f"{base}: no such file")
            report.base_rows, report.base_updated = merge_into_base(base, output, base_output)
            report.base_output = base_output
    except (ContractError, FileNotFoundError) as exc:
        raise fail(str(exc)) from exc
    except OSError as exc:
        raise fail(f"{exc.filename or output}: {exc.strerror or exc}") from exc
    for line in report.summary():
        typer.echo(line)
