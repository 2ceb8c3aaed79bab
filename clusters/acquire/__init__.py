"""Company text acquisition: company websites and Companies House accounts.

Two stages, each a ``clusters ingest`` command:

- **websites** (``clusters ingest websites``): a polite crawler fetches each company's home
  page and a few internal pages that say what the company does, extracts their visible text,
  keeps everything in a resumable SQLite crawl store and joins ``website_text`` onto the
  company base.

  ``settings`` (:class:`CrawlSettings`) → ``fetch`` (HTTP client: politeness, retries,
  redirects, size and time limits, charsets) + ``robots`` (robots.txt policy) →
  ``extract`` (HTML → title, description, main text, language, links) → ``crawl_store``
  (SQLite: pages, robots files, company texts) → ``crawler`` (link discovery, orchestration,
  report) → ``website_io`` (read company websites, write the base with text).

- **accounts** (``clusters ingest accounts``): ``accounts`` reads Companies House accounts
  bulk data (zips of inline XBRL and XBRL files) into one row per company and period
  (principal activities, turnover, employees, balance-sheet items); ``accounts_io`` writes
  the latest period per company, the history of all periods and the company base with
  ``filing_text``, ``turnover``, ``employees`` and ``accounts_period_end``.
"""
