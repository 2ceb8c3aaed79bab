"""The review app over real HTTP on loopback: login, cookies, roles, CSRF, concurrency, escaping."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import httpx
import pytest
from review_threads import run_in_threads

from clusters.config import get_settings
from clusters.review import auth, decisions, queue
from clusters.review.app import create_app
from clusters.review.db import Database

PASSWORD = "a long password"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LEASE_RE = re.compile(r'name="lease_token" value="([^"]+)"')


@pytest.fixture
def site(tmp_path: Path, serve, make_item):
    """The app over a store with 12 queued items (every 4th needs two analysts), analysts
    a0..a5 and an admin, served on loopback."""
    db = Database.connect(f"sqlite:///{tmp_path / 'review.db'}")
    queue.import_items(
        db, [make_item(i, required_reviews=2 if i % 4 == 0 else 1) for i in range(12)]
    )
    for k in range(6):
        auth.add_user(db, f"a{k}", PASSWORD)
    auth.add_user(db, "boss", PASSWORD, role="admin")
    server = serve(create_app(get_settings(), db=db))
    yield server, db
    db.close()


def _client(server) -> httpx.Client:
    return httpx.Client(base_url=server.url, follow_redirects=False, timeout=30)


def login(server, username: str, password: str = PASSWORD) -> tuple[httpx.Client, str]:
    """A logged-in client and its session's CSRF token."""
    client = _client(server)
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": TOKEN_RE.search(page.text)[1],
        },
    )
    assert response.status_code == 303, response.text
    return client, TOKEN_RE.search(client.get("/").text)[1]


def test_login_cookie_flags_logout_and_wrong_passwords(site):
    server, _ = site
    anonymous = _client(server)
    assert anonymous.get("/").headers["location"] == "/login"
    page = anonymous.get("/login")
    login_csrf = TOKEN_RE.search(page.text)[1]
    wrong = anonymous.post(
        "/login", data={"username": "a0", "password": "nope", "csrf_token": login_csrf}
    )
    assert wrong.status_code == 401 and "review_session" not in anonymous.cookies
    ok = anonymous.post(
        "/login", data={"username": "a0", "password": PASSWORD, "csrf_token": login_csrf}
    )
    cookie = next(c for c in ok.headers.get_list("set-cookie") if c.startswith("review_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    assert anonymous.get("/").status_code == 200
    token = TOKEN_RE.search(anonymous.get("/").text)[1]
    assert anonymous.post("/logout", data={"csrf_token": token}).headers["location"] == "/login"
    assert anonymous.get("/").status_code == 303, "the session ended"


def test_failed_logins_are_throttled_per_user_name(site):
    server, _ = site
    client = _client(server)
    token = TOKEN_RE.search(client.get("/login").text)[1]

    def attempt(username: str, password: str) -> httpx.Response:
        return client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )

    assert [attempt("a1", f"guess {k}").status_code for k in range(5)] == [401] * 5
    refused = attempt("a1", PASSWORD)  # even the right password, while locked out
    assert refused.status_code == 429 and "review_session" not in client.cookies
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert "Too many failed logins" in refused.text
    assert attempt("A1 ", PASSWORD).status_code == 429, "the name is matched as typed loosely"
    other, _ = login(server, "a2")  # another analyst at the same address is unaffected
    assert other.get("/").status_code == 200


def test_login_limiter_refills_and_resets():
    from clusters.ratelimit import RateLimiter

    now = [0.0]
    limiter = RateLimiter(5, period_s=900, clock=lambda: now[0])
    assert [limiter.acquire("ann") for _ in range(5)] == [0.0] * 5
    assert limiter.wait_s("ann") == pytest.approx(180.0), "one more every 15 min / 5"
    assert limiter.wait_s("bob") == 0.0
    now[0] = 180.0
    assert limiter.wait_s("ann") == 0.0 and limiter.acquire("ann") == 0.0
    assert limiter.acquire("ann") > 0
    limiter.reset("ann")
    assert limiter.wait_s("ann") == 0.0
    assert RateLimiter(0, period_s=900).acquire("x") == 0.0, "0 turns it off"


def test_cookies_are_secure_when_configured_for_tls(tmp_path, serve):
    settings = get_settings()
    behind_tls = settings.model_copy(
        update={"review": settings.review.model_copy(update={"secure_cookies": True})}
    )
    db = Database.connect(f"sqlite:///{tmp_path / 'tls.db'}")
    auth.add_user(db, "a0", PASSWORD)
    client = _client(serve(create_app(behind_tls, db=db)))
    page = client.get("/login")
    assert "Secure" in page.headers["set-cookie"]
    # a client only returns Secure cookies over HTTPS: hand the login token back explicitly
    token = TOKEN_RE.search(page.text)[1]
    client.cookies.set("review_login_csrf", token)
    response = client.post(
        "/login", data={"username": "a0", "password": PASSWORD, "csrf_token": token}
    )
    session = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("review_session=")
    )
    assert "Secure" in session and "HttpOnly" in session


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/next", {}),
        ("/items/1/take", {}),
        ("/items/1/decide", {"action": "confirm", "lease_token": "x"}),
        ("/items/1/release", {"lease_token": "x"}),
        ("/decisions/1/revise", {"action": "reject", "item_id": "1"}),
        ("/logout", {}),
    ],
)
def test_every_form_needs_the_csrf_token(site, path, data):
    server, _ = site
    client, token = login(server, "a0")
    assert client.post(path, data=data).status_code == 403
    assert client.post(path, data={**data, "csrf_token": token + "x"}).status_code == 403
    cross_site = client.post(
        path, data={**data, "csrf_token": token}, headers={"origin": "https://evil.example"}
    )
    assert cross_site.status_code == 403
    assert client.get("/").status_code == 200, "the refusals did not log the user out"


def test_login_form_needs_its_csrf_cookie(site):
    server, _ = site
    client = _client(server)
    refused = client.post(
        "/login", data={"username": "a0", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert refused.status_code == 403


def test_roles(site):
    server, _ = site
    analyst, token = login(server, "a0")
    for path in ("/admin/users", "/export.csv"):
        assert analyst.get(path).status_code == 403
    added = analyst.post(
        "/admin/users", data={"username": "x1", "password": PASSWORD, "csrf_token": token}
    )
    assert added.status_code == 403
    admin, admin_token = login(server, "boss")
    assert "a5" in admin.get("/admin/users").text
    assert admin.get("/export.csv").text.startswith("company_id,text,labels")
    created = admin.post(
        "/admin/users",
        data={
            "username": "newbie",
            "password": PASSWORD,
            "role": "analyst",
            "csrf_token": admin_token,
        },
    )
    assert created.status_code == 303
    login(server, "newbie")
    assert (
        admin.post("/admin/users/a0/disable", data={"csrf_token": admin_token}).status_code == 303
    )
    assert analyst.get("/").status_code == 303, "a disabled user's session ends at once"


def _review_all(client: httpx.Client, token: str) -> int:
    """Review items over HTTP until none is left for this analyst; returns the count."""
    done = 0
    location = client.post("/next", data={"csrf_token": token}).headers["location"]
    while location.startswith("/items/"):
        item_id = int(location.split("/")[2].split("?")[0])
        lease = LEASE_RE.search(client.get(location).text)[1]
        response = client.post(
            f"/items/{item_id}/decide",
            data={"csrf_token": token, "lease_token": lease, "action": "confirm"},
        )
        assert response.status_code == 303
        done += 1
        location = response.headers["location"]
    return done


def test_concurrent_requests_hand_out_distinct_items_and_lose_no_decision(site):
    server, db = site
    clients = [login(server, f"a{k}") for k in range(6)]
    barrier = threading.Barrier(6)
    firsts: list[str] = [""] * 6

    def first_pick(k: int) -> None:
        client, token = clients[k]
        barrier.wait()
        firsts[k] = client.post("/next", data={"csrf_token": token}).headers["location"]

    run_in_threads(6, first_pick)
    assert len(set(firsts)) == 6 and all(f.startswith("/items/") for f in firsts)

    counts = [0] * 6

    def review(k: int) -> None:
        counts[k] = _review_all(*clients[k])

    for _ in range(4):  # an analyst stops when nothing is free for them at that moment
        run_in_threads(6, review)
        if queue.counts(db).pending == 0:
            break
    frame = decisions.decisions_frame(db)
    per_item = frame.groupby("item_id")["user_id"].agg(["count", "nunique"])
    assert len(frame) == 12 + 3, "9 items once, 3 items twice"
    assert (per_item["count"] == per_item["nunique"]).all()
    assert queue.counts(db).done == 12


def test_a_double_submitted_form_saves_one_decision(site):
    server, db = site
    client, token = login(server, "a0")
    location = client.post("/next", data={"csrf_token": token}).headers["location"]
    item_id = int(location.split("/")[2].split("?")[0])
    form = {
        "csrf_token": token,
        "lease_token": LEASE_RE.search(client.get(location).text)[1],
        "action": "reject",
    }
    results: list[str] = ["", ""]
    barrier = threading.Barrier(2)

    def submit(k: int) -> None:
        barrier.wait()
        results[k] = client.post(f"/items/{item_id}/decide", data=form).headers["location"]

    run_in_threads(2, submit)
    assert sum("lease-lost" in r for r in results) == 1
    assert len(decisions.history(db, item_id)) == 1


def test_relabel_needs_clusters_or_none_and_is_recorded(site):
    server, db = site
    client, token = login(server, "a0")
    location = client.post("/next", data={"csrf_token": token}).headers["location"]
    item_id = int(location.split("/")[2].split("?")[0])
    lease = LEASE_RE.search(client.get(location).text)[1]
    base = {"csrf_token": token, "lease_token": lease, "action": "relabel"}
    assert "no-labels" in client.post(f"/items/{item_id}/decide", data=base).headers["location"]
    both = client.post(f"/items/{item_id}/decide", data={**base, "labels": ["rail"], "none": "1"})
    assert "both-labels" in both.headers["location"]
    bad = client.post(f"/items/{item_id}/decide", data={**base, "labels": ["not-a-cluster"]})
    assert bad.status_code == 400
    saved = client.post(
        f"/items/{item_id}/decide",
        data={**base, "labels": ["rail", "ai-data"], "comment": "trains"},
    )
    assert "notice=saved" in saved.headers["location"]
    (row,) = decisions.history(db, item_id)
    assert (row.action, row.labels_after, row.comment) == ("relabel", "rail;ai-data", "trains")
    page = client.get(f"/items/{item_id}").text
    assert f"/decisions/{row.id}/revise" in page, "the analyst may correct it"
    revised = client.post(
        f"/decisions/{row.id}/revise",
        data={"csrf_token": token, "item_id": item_id, "action": "relabel", "none": "1"},
    )
    assert "notice=revised" in revised.headers["location"]
    assert [r.labels_after for r in decisions.history(db, item_id)] == ["rail;ai-data", ""]


def test_hostile_company_text_is_escaped_and_the_page_is_locked_down(site, make_item):
    server, db = site
    queue.import_items(
        db,
        [
            make_item(
                99,
                priority=5.0,
                name='<script>alert("name")</script>',
                text='We make <img src=x onerror="alert(1)"> medical device <script>alert(2)</script>',
                website="javascript:alert(3)",
                sic_titles=["<b onmouseover=alert(4)>x</b>"],
            )
        ],
    )
    client, _ = login(server, "a0")
    item_id = queue.list_items(db, limit=1)[0].id
    response = client.get(f"/items/{item_id}")
    html = response.text
    assert "<script>alert" not in html and "<img src=x" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in html
    assert "onerror=&#34;alert(1)&#34;" in html
    assert 'href="javascript:' not in html
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/review.js").headers["content-security-policy"] == csp
