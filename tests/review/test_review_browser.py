"""End to end in a real browser: Debian's Chromium, driven by Playwright, against the app served
on loopback. Never downloads a browser: without /usr/bin/chromium these tests skip."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clusters.config import get_settings
from clusters.review import auth, decisions, queue
from clusters.review.app import create_app
from clusters.review.db import Database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "a long password"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(
            "browser tests need Debian's chromium at /usr/bin/chromium (.ci/run installs it)"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, tmp_path, serve, make_item):
    """A fresh browser page, the app on loopback over a store with four queued items, and
    the analyst ``ana``; yields (page, base url, store)."""
    db = Database.connect(f"sqlite:///{tmp_path / 'review.db'}")
    queue.import_items(db, [make_item(i) for i in range(4)])
    auth.add_user(db, "ana", PASSWORD)
    server = serve(create_app(get_settings(), db=db))
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page, server.url, db
    context.close()
    db.close()


def _log_in(page, url: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")


def _stat(page, url: str, element: str) -> str:
    page.goto(f"{url}/stats")
    return page.inner_text(element)


def test_log_in_review_three_items_by_mouse_and_keyboard_and_see_the_stats(page):
    page, url, db = page
    _log_in(page, url)
    assert _stat(page, url, "#stat-decisions").startswith("0 decisions")

    page.goto(f"{url}/")
    page.click("#start")  # mouse: take the top item
    page.wait_for_url("**/items/1")
    page.click("button[value=confirm]")  # mouse: confirm
    page.wait_for_url("**/items/2?notice=saved")

    page.keyboard.press("r")  # keyboard: reject
    page.wait_for_url("**/items/3?notice=saved")

    # keyboard relabel: the model said ai-data; untick it, tick Rail Technology, save
    assert page.is_checked("input[name=labels][value=ai-data]")
    page.keyboard.press("l")
    assert page.evaluate("document.activeElement.id") == "cluster-search"
    page.keyboard.type("ai-data")
    page.keyboard.press("Enter")
    page.keyboard.press("Control+a")
    page.keyboard.type("rail tech")
    assert page.is_hidden("label.cluster:has(input[value=aerospace])"), "the search filters"
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.fill("textarea[name=comment]", "rolling stock, not AI")
    page.keyboard.press("Control+Enter")
    page.wait_for_url("**/items/4?notice=saved")

    trail = [decisions.history(db, i)[0] for i in (1, 2, 3)]
    assert [(d.action, d.labels_after) for d in trail] == [
        ("confirm", ""),  # make_item(0) has no model labels
        ("reject", ""),
        ("relabel", "rail"),
    ]
    assert trail[2].comment == "rolling stock, not AI"
    assert _stat(page, url, "#stat-decisions").startswith("3 decisions")
    assert page.inner_text("#analysts td.decisions") == "3"
    assert page.inner_text("#stat-done").startswith("3 done")


def test_hostile_company_text_renders_as_text_and_runs_nothing(page, make_item):
    page, url, db = page
    queue.import_items(
        db,
        [
            make_item(
                50,
                priority=9.0,
                name="<script>window.__xss = 'name'; alert('name')</script>EVIL LTD",
                text=(
                    "We make <img src=x onerror=\"window.__xss='img'; alert('img')\"> devices "
                    "<script>window.__xss='text'</script> and <svg onload=\"window.__xss='svg'\">"
                ),
                website="javascript:window.__xss='link'",
                sic_titles=["<iframe src=javascript:alert(1)></iframe>"],
            )
        ],
    )
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _log_in(page, url)
    item_id = queue.list_items(db, limit=1)[0].id
    page.goto(f"{url}/items/{item_id}")
    page.click("#take")
    page.wait_for_url(f"**/items/{item_id}")
    assert "<script>window.__xss = 'name'" in page.inner_text("#company-name")
    assert "onerror=" in page.inner_text("#company-text")
    assert page.locator("main img, main svg, main iframe, #company-text script").count() == 0
    assert page.locator("a[href^=javascript]").count() == 0
    page.mouse.move(10, 10)
    page.keyboard.press("s")  # skip: the page's own script still works under the CSP
    page.wait_for_url("**notice=saved")
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
