"""The review web app: FastAPI, server-rendered Jinja templates, a little vanilla JavaScript.

Every page works without JavaScript (plain forms and links); ``static/review.js`` only adds
keyboard shortcuts and the cluster search. Route handlers are plain ``def`` functions, so the
server runs them in its thread pool and the (synchronous) store calls never block each other.

Security:

* login with argon2-hashed passwords; a server-side session behind an ``HttpOnly``,
  ``SameSite=Strict`` cookie, ``Secure`` when served over HTTPS (or when configured);
* every POST carries the session's CSRF token (the login form: a double-submit cookie) and a
  cross-site ``Origin`` is refused;
* company text is hostile: Jinja autoescaping everywhere, no ``|safe`` on company data,
  links only for ``http(s)`` URLs (``rel="noopener noreferrer nofollow"``), and a strict
  Content-Security-Policy (scripts only from this server, no inline script or style) as a
  second line of defence;
* failed logins are throttled per user name and per client address (token buckets in
  memory, ``review.login_*`` settings): past the limit every attempt gets 429 with
  ``Retry-After`` before the password is checked;
* roles: analysts review; admins also manage users, export, correct and adjudicate.
No ``from __future__ import annotations`` here: FastAPI reads the dependency annotations
defined inside :func:`create_app` at definition time.
"""

import logging
import math
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from classifier.keywords import KeywordMatcher
from clusters.config import Settings, get_settings
from clusters.contracts import split_labels
from clusters.ratelimit import RateLimiter
from clusters.review import auth, decisions, queue, web
from clusters.review.db import Database
from clusters.review.stats import compute_stats
from clusters.taxonomy import Taxonomy, load_taxonomy

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "review_session"
LOGIN_CSRF_COOKIE = "review_login_csrf"
logger = logging.getLogger(__name__)
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",
}
NOTICES = {
    "empty": "Nothing left for you to review in this view.",
    "saved": "Decision saved.",
    "lease-lost": "That item is no longer yours (the lease expired or it was decided); "
    "nothing was saved.",
    "taken": "Someone else is reviewing that item, or you decided it already.",
    "released": "Item put back in the queue.",
    "no-labels": "Choose one or more clusters, or tick 'none of these'.",
    "both-labels": "Choose clusters or 'none of these', not both.",
    "conflict": "That decision was corrected by someone else first; nothing was saved.",
    "revised": "Correction saved (the earlier decision stays in the audit trail).",
    "user-added": "User added.",
    "user-disabled": "User disabled.",
}


class NotLoggedIn(Exception):
    """The request has no live session."""


class SecurityHeaders:
    """ASGI middleware: the security headers on every response (static files included)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    (k.encode(), v.encode())
                    for k, v in SECURITY_HEADERS.items()
                    if k.encode() not in present
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


def _filters(
    cluster: str | None, region: str | None, model_version: str | None
) -> queue.QueueFilter:
    return queue.QueueFilter(cluster or None, region or None, model_version or None)


def _query(filters: queue.QueueFilter, **extra: str) -> str:
    params = {
        "cluster": filters.cluster,
        "region": filters.region,
        "model_version": filters.model_version,
        **extra,
    }
    encoded = urlencode({k: v for k, v in params.items() if v})
    return f"?{encoded}" if encoded else ""


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def create_app(
    settings: Settings | None = None,
    db: Database | None = None,
    taxonomy: Taxonomy | None = None,
) -> FastAPI:
    """The review app over ``db`` (default: the configured store, migrated to the latest
    schema) and ``taxonomy`` (default: the configured taxonomy)."""
    settings = settings or get_settings()
    cfg = settings.review
    auth.configure_hashing(
        cfg.password_time_cost, cfg.password_memory_kib, cfg.password_parallelism
    )
    db = db or Database.connect(cfg.resolved_database_url(settings.paths.home))
    taxonomy = taxonomy or load_taxonomy(settings.paths.taxonomy)
    matcher = KeywordMatcher(taxonomy)
    cluster_names = {c.id: c.name for c in taxonomy.clusters}
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.globals.update(cluster_names=cluster_names, split_labels=split_labels)
    templates = Jinja2Templates(env=env)

    app = FastAPI(title="clusters review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.db, app.state.taxonomy, app.state.settings = db, taxonomy, settings
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    # --- sessions, roles, CSRF ------------------------------------------------------------

    def optional_session(request: Request) -> auth.SessionInfo | None:
        return auth.session_for(db, request.cookies.get(SESSION_COOKIE))

    def current_user(
        info: Annotated[auth.SessionInfo | None, Depends(optional_session)],
    ) -> auth.SessionInfo:
        if info is None:
            raise NotLoggedIn()
        return info

    def admin_user(user: Annotated[auth.SessionInfo, Depends(current_user)]) -> auth.SessionInfo:
        if not user.is_admin:
            raise HTTPException(403, "admins only")
        return user

    async def csrf_protect(
        request: Request,
        info: Annotated[auth.SessionInfo | None, Depends(optional_session)],
    ) -> None:
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
            raise HTTPException(403, "cross-site request refused")
        form = await request.form()
        expected = info.csrf_token if info else request.cookies.get(LOGIN_CSRF_COOKIE)
        if not auth.tokens_match(expected, form.get("csrf_token")):
            raise HTTPException(403, "CSRF token missing or wrong: reload the page and retry")

    User = Annotated[auth.SessionInfo, Depends(current_user)]
    Admin = Annotated[auth.SessionInfo, Depends(admin_user)]
    protected = [Depends(csrf_protect)]

    @app.exception_handler(NotLoggedIn)
    async def _to_login(_request: Request, _exc: NotLoggedIn) -> Response:
        return _redirect("/login")

    def secure(request: Request) -> bool:
        return (
            cfg.secure_cookies if cfg.secure_cookies is not None else request.url.scheme == "https"
        )

    def render(
        request: Request,
        name: str,
        user: auth.SessionInfo | None,
        status_code: int = 200,
        **context: Any,
    ) -> Response:
        notice = request.query_params.get("notice")
        return templates.TemplateResponse(
            request,
            name,
            {"user": user, "notice": NOTICES.get(notice or ""), **context},
            status_code=status_code,
        )

    # --- login ------------------------------------------------------------------------------

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request) -> Response:
        token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
        response = render(request, "login.html", None, csrf_token=token, error=None)
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            token,
            max_age=3600,
            httponly=True,
            samesite="strict",
            secure=secure(request),
            path="/",
        )
        return response

    period = cfg.login_lockout_minutes * 60
    failures_by_user = RateLimiter(cfg.login_max_failures, period)
    failures_by_address = RateLimiter(cfg.login_max_failures_per_address, period)

    @app.post("/login", dependencies=protected)
    def login(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
    ) -> Response:
        token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        user_key = username.strip().lower()
        address = request.client.host if request.client else "unknown"
        wait = max(failures_by_user.wait_s(user_key), failures_by_address.wait_s(address))
        if wait > 0:  # refused before the password is even checked: no guessing meanwhile
            minutes = max(1, math.ceil(wait / 60))
            logger.warning("login throttled for %r from %s", user_key, address)
            response = render(
                request,
                "login.html",
                None,
                status_code=429,
                csrf_token=token,
                error=f"Too many failed logins: try again in {minutes} minute(s).",
            )
            response.headers["Retry-After"] = str(math.ceil(wait))
            return response
        user = auth.authenticate(db, username, password)
        if user is None:
            failures_by_user.acquire(user_key)
            failures_by_address.acquire(address)
            return render(
                request,
                "login.html",
                None,
                status_code=401,
                csrf_token=token,
                error="Unknown user name or wrong password.",
            )
        failures_by_user.reset(user_key)
        response = _redirect("/")
        response.set_cookie(
            SESSION_COOKIE,
            auth.create_session(db, user.id, cfg.session_hours),
            max_age=int(cfg.session_hours * 3600),
            httponly=True,
            samesite="strict",
            secure=secure(request),
            path="/",
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
        return response

    @app.post("/logout", dependencies=protected)
    def logout(request: Request, user: User) -> Response:
        auth.end_session(db, request.cookies.get(SESSION_COOKIE))
        response = _redirect("/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # --- queue ------------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def queue_page(
        request: Request,
        user: User,
        cluster: str | None = None,
        region: str | None = None,
        model_version: str | None = None,
        status: str = "pending",
    ) -> Response:
        filters = _filters(cluster, region, model_version)
        status = status if status in {"pending", "done", "all"} else "pending"
        return render(
            request,
            "queue.html",
            user,
            filters=filters,
            status=status,
            counts=queue.counts(db, filters),
            items=queue.list_items(
                db, filters, None if status == "all" else status, limit=cfg.page_size
            ),
            choices=queue.filter_choices(db),
        )

    @app.post("/next", dependencies=protected)
    def next_item(
        user: User,
        cluster: Annotated[str, Form()] = "",
        region: Annotated[str, Form()] = "",
        model_version: Annotated[str, Form()] = "",
    ) -> Response:
        filters = _filters(cluster, region, model_version)
        return _go_next(user, filters)

    def _go_next(user: auth.SessionInfo, filters: queue.QueueFilter, notice: str = "") -> Response:
        lease = queue.take_next(db, user.user_id, filters, cfg.lease_minutes)
        if lease is None:
            return _redirect("/" + _query(filters, notice="empty"))
        return _redirect(f"/items/{lease.item_id}" + _query(filters, notice=notice))

    # --- item -------------------------------------------------------------------------------

    @app.get("/items/{item_id}", response_class=HTMLResponse)
    def item_page(
        request: Request,
        item_id: int,
        user: User,
        cluster: str | None = None,
        region: str | None = None,
        model_version: str | None = None,
    ) -> Response:
        item = queue.get_item(db, item_id)
        if item is None:
            raise HTTPException(404, "no such item")
        filters = _filters(cluster, region, model_version)
        trail = decisions.history(db, item_id)
        lease = queue.held_lease(db, item_id, user.user_id)
        mine = decisions.current_decision_of(db, item_id, user.user_id)
        tops = web.top_clusters(
            item.probabilities, item.thresholds, item.explanations, cfg.top_clusters
        )
        for entry in tops:
            entry["keywords"] = (
                matcher.find(item.text, entry["cluster_id"])
                if entry["cluster_id"] in taxonomy
                else []
            )
        return render(
            request,
            "item.html",
            user,
            item=item,
            filters=filters,
            query=_query(filters),
            segments=web.highlight(item.text, matcher.spans(item.text)),
            tops=tops,
            website=web.safe_url(item.website),
            ch_url=web.companies_house_url(item.company_id),
            trail=trail,
            lease=lease,
            mine=mine,
            can_adjudicate=user.is_admin and bool(trail) and lease is None,
            groups=web.cluster_groups(taxonomy),
            predicted=set(split_labels(item.labels)),
        )

    @app.post("/items/{item_id}/take", dependencies=protected)
    def take(item_id: int, user: User) -> Response:
        lease = queue.take_item(db, item_id, user.user_id, cfg.lease_minutes)
        return _redirect(f"/items/{item_id}" + ("" if lease else "?notice=taken"))

    @app.post("/items/{item_id}/release", dependencies=protected)
    def give_back(item_id: int, user: User, lease_token: Annotated[str, Form()] = "") -> Response:
        queue.release(db, item_id, user.user_id, lease_token)
        return _redirect("/?notice=released")

    def _chosen(action: str, labels: list[str], none: str) -> list[str] | str:
        """The clusters chosen (a relabel's; none for other actions), or a notice code when a
        relabel's choice is incomplete."""
        if action != "relabel":
            return []
        if none and labels:
            return "both-labels"
        if not none and not labels:
            return "no-labels"
        return labels

    @app.post("/items/{item_id}/decide", dependencies=protected)
    def decide(
        item_id: int,
        user: User,
        action: Annotated[str, Form()],
        lease_token: Annotated[str, Form()] = "",
        labels: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI form default)
        none: Annotated[str, Form()] = "",
        comment: Annotated[str, Form()] = "",
        cluster: Annotated[str, Form()] = "",
        region: Annotated[str, Form()] = "",
        model_version: Annotated[str, Form()] = "",
    ) -> Response:
        filters = _filters(cluster, region, model_version)
        chosen = _chosen(action, labels, none)
        if isinstance(chosen, str):
            return _redirect(f"/items/{item_id}" + _query(filters, notice=chosen))
        try:
            decisions.decide(
                db, item_id, user.user_id, lease_token, action, chosen, comment, taxonomy.ids
            )
        except decisions.LeaseLost:
            return _redirect(f"/items/{item_id}" + _query(filters, notice="lease-lost"))
        except decisions.DecisionError as exc:
            raise HTTPException(400, str(exc)) from exc
        return _go_next(user, filters, notice="saved")

    @app.post("/decisions/{decision_id}/revise", dependencies=protected)
    def revise(
        decision_id: int,
        user: User,
        action: Annotated[str, Form()],
        item_id: Annotated[int, Form()],
        labels: Annotated[list[str], Form()] = [],  # noqa: B006
        none: Annotated[str, Form()] = "",
        comment: Annotated[str, Form()] = "",
    ) -> Response:
        chosen = _chosen(action, labels, none)
        if isinstance(chosen, str):
            return _redirect(f"/items/{item_id}?notice={chosen}")
        try:
            decisions.revise(db, decision_id, user.user_id, action, chosen, comment, taxonomy.ids)
        except decisions.Conflict:
            return _redirect(f"/items/{item_id}?notice=conflict")
        except decisions.DecisionError as exc:
            raise HTTPException(400, str(exc)) from exc
        return _redirect(f"/items/{item_id}?notice=revised")

    @app.post("/items/{item_id}/adjudicate", dependencies=protected)
    def adjudicate(
        item_id: int,
        user: Admin,
        action: Annotated[str, Form()],
        labels: Annotated[list[str], Form()] = [],  # noqa: B006
        none: Annotated[str, Form()] = "",
        comment: Annotated[str, Form()] = "",
    ) -> Response:
        chosen = _chosen(action, labels, none)
        if isinstance(chosen, str):
            return _redirect(f"/items/{item_id}?notice={chosen}")
        try:
            decisions.adjudicate(db, item_id, user.user_id, action, chosen, comment, taxonomy.ids)
        except decisions.DecisionError as exc:
            raise HTTPException(400, str(exc)) from exc
        return _redirect(f"/items/{item_id}?notice=saved")

    # --- stats, users, export ------------------------------------------------------------

    @app.get("/stats", response_class=HTMLResponse)
    def stats_page(request: Request, user: User) -> Response:
        return render(
            request,
            "stats.html",
            user,
            stats=compute_stats(db, taxonomy.ids),
            counts=queue.counts(db),
        )

    @app.get("/admin/users", response_class=HTMLResponse)
    def users_page(request: Request, user: Admin, error: str | None = None) -> Response:
        return render(request, "users.html", user, users=auth.list_users(db), error=error)

    @app.post("/admin/users", dependencies=protected)
    def add_user(
        request: Request,
        user: Admin,
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        role: Annotated[str, Form()] = "analyst",
    ) -> Response:
        try:
            auth.add_user(db, username, password, role)
        except auth.AuthError as exc:
            return render(
                request,
                "users.html",
                user,
                status_code=400,
                users=auth.list_users(db),
                error=str(exc),
            )
        return _redirect("/admin/users?notice=user-added")

    @app.post("/admin/users/{username}/disable", dependencies=protected)
    def disable_user(username: str, user: Admin) -> Response:
        try:
            auth.disable_user(db, username)
        except auth.AuthError as exc:
            raise HTTPException(404, str(exc)) from exc
        return _redirect("/admin/users?notice=user-disabled")

    @app.get("/export.csv")
    def export_csv(user: Admin) -> Response:
        from clusters.review.export import reviewed_labels

        table, _ = reviewed_labels(db)
        return Response(
            table.to_csv(index=False),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": 'attachment; filename="reviewed_labels.csv"'},
        )

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    return app
