"""The classification API: a FastAPI app over the served model.

Endpoints (all JSON; the OpenAPI schema at ``/openapi.json``, docs at ``/docs``):

- ``POST /v1/classify``: one company or a small batch → clusters above threshold with
  probabilities, confidence, needs_review, model version and the explanation;
- ``GET /v1/taxonomy``: the served model's clusters and thresholds;
- ``GET /v1/health`` (the process answers) and ``GET /v1/ready`` (503 until a model is loaded);
- ``POST /v1/admin/reload``: load the version the alias points at now, swap it in (admin key);
- ``GET /metrics``: Prometheus text format.

An API key (``Authorization: Bearer <key>`` or ``X-API-Key: <key>``) is required on the
``/v1/classify``, ``/v1/taxonomy`` and admin endpoints unless ``serve.auth`` is off; each key
is rate limited. Errors are ``{"error": {"status", "message", "details": [{"field",
"message"}]}}``. Request bodies over ``serve.max_body_bytes`` are refused with 413 before they
are read in full.

No ``from __future__ import annotations`` here: FastAPI reads the annotations of the
handlers defined inside :func:`create_app` (the request model is built from settings).
"""

import asyncio
import contextlib
import logging
import math
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from clusters import __version__
from clusters.config import Settings, get_settings
from clusters.ratelimit import RateLimiter
from clusters.serve.batcher import MicroBatcher
from clusters.serve.crawled import CrawledText
from clusters.serve.holder import ModelHolder
from clusters.serve.keys import ApiKey, KeyStore
from clusters.serve.metrics import CONTENT_TYPE, ServeMetrics
from clusters.serve.predict import ItemError, classify_prepared, prepare_companies
from clusters.serve.schemas import (
    ClassifyResponse,
    ErrorResponse,
    ReloadResponse,
    TaxonomyResponse,
    error_json,
    request_models,
)

logger = logging.getLogger(__name__)

ENDPOINTS = {
    "/v1/classify",
    "/v1/taxonomy",
    "/v1/health",
    "/v1/ready",
    "/v1/admin/reload",
    "/metrics",
    "/docs",
    "/openapi.json",
}
LOCAL_KEY = ApiKey(name="local", role="admin", key_id="-", created_at="-")
"""The caller when auth is off (local use only)."""
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse} for status in (401, 403, 413, 422, 429, 503)
}


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over the limit of {limit} bytes")


class GuardMiddleware:
    """ASGI middleware: refuse oversized bodies early (413) and record request metrics."""

    def __init__(self, app: Any, max_body_bytes: int, metrics: ServeMetrics) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope.get("path", "")
        endpoint = path if path in ENDPOINTS else "other"
        status = {"code": 500}

        async def send_recording(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            length = dict(scope.get("headers") or []).get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
                code = 413 if length.isdigit() else 400
                message = (
                    f"request body over the limit of {self.max_body_bytes} bytes"
                    if code == 413
                    else "invalid Content-Length"
                )
                await JSONResponse(error_json(code, message), status_code=code)(
                    scope, receive, send_recording
                )
                return
            received = 0

            async def receive_counting() -> dict:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > self.max_body_bytes:
                        raise BodyTooLarge(self.max_body_bytes)  # FastAPI turns it into 413
                return message

            await self.app(scope, receive_counting, send_recording)
        finally:
            self.metrics.observe_request(
                endpoint, scope.get("method", ""), status["code"], time.perf_counter() - started
            )


@dataclass
class ServeState:
    """Everything the handlers share (``app.state.serve``)."""

    settings: Settings
    holder: ModelHolder
    keys: KeyStore | None
    limiter: RateLimiter
    metrics: ServeMetrics
    batcher: MicroBatcher
    crawled: CrawledText
    sic_titles: dict[str, str]


def _field(loc: tuple) -> str:
    parts = [p for p in loc if p != "body"]
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else str(p)
    return out or "body"


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for err in exc.errors():
        message = str(err.get("msg", "invalid"))
        message = message.removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            message = "unknown field"
        elif err.get("type") == "json_invalid":
            message = f"invalid JSON: {err.get('ctx', {}).get('error', message)}"
        # the location of a body that is not an object is ('body',) or ('body', position)
        details.append({"field": _field(tuple(err.get("loc", ()))), "message": message})
    return details


def create_app(
    settings: Settings | None = None,
    *,
    holder: ModelHolder | None = None,
    keys: KeyStore | None = None,
    model_uri: str | None = None,
    auth: bool | None = None,
) -> FastAPI:
    """The API app.

    Args:
        settings: [default: the process-wide settings].
        holder: a model holder (already loaded or not) [default: one for ``model_uri``].
        keys: the API-key store [default: ``serve.keys_db``; not opened when auth is off].
        model_uri: [default: ``serve.model_uri``, else ``models:/<model_name>@champion``].
        auth: require API keys [default: ``serve.auth``].
    """
    from clusters.sic import load_reference

    settings = settings or get_settings()
    cfg = settings.serve
    auth = cfg.auth if auth is None else auth
    if holder is None:
        uri = model_uri or cfg.model_uri or f"models:/{settings.model_name}@champion"
        holder = ModelHolder(uri, settings)
    if auth and keys is None:
        keys = KeyStore(cfg.resolved_keys_db(settings.paths.output_dir))
    metrics = ServeMetrics()

    def run_batch(items: list) -> list[dict]:
        loaded = holder.current  # taken once: the whole batch runs on this model
        if loaded is None:
            raise RuntimeError("no model loaded")
        return classify_prepared(loaded, items, cfg.explain_top, cfg.explain_examples)

    state = ServeState(
        settings=settings,
        holder=holder,
        keys=keys,
        limiter=RateLimiter(cfg.rate_limit_per_minute),
        metrics=metrics,
        batcher=MicroBatcher(run_batch, cfg.batch_window_ms, cfg.batch_max_items),
        crawled=CrawledText(cfg.resolved_crawl_store(settings.paths.cache_dir)),
        sic_titles=dict(load_reference(settings.paths.sic_dir).titles),
    )
    state.batcher.on_batch = metrics.observe_batch
    Company, ClassifyRequest = request_models(cfg)

    def note_model() -> None:
        if holder.current is not None:
            metrics.set_model(holder.current.version, holder.current.uri)

    def reload_sync(force: bool) -> Any:
        try:
            result = holder.reload(force)
        except Exception:
            metrics.reloads.labels("failed").inc()
            raise
        metrics.reloads.labels("reloaded" if result.reloaded else "unchanged").inc()
        note_model()
        return result

    async def first_load() -> None:
        try:
            await asyncio.to_thread(reload_sync, False)
        except Exception:
            logger.exception("cannot load %s (retried every poll)", holder.uri)

    async def poll() -> None:
        while True:
            await asyncio.sleep(cfg.reload_poll_seconds)
            with contextlib.suppress(Exception):
                await asyncio.to_thread(reload_sync, False)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        await state.batcher.start()
        tasks = []
        if holder.ready:
            note_model()
        else:
            tasks.append(asyncio.create_task(first_load()))
        if cfg.reload_poll_seconds > 0:
            tasks.append(asyncio.create_task(poll()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await state.batcher.stop()
            state.crawled.close()

    app = FastAPI(
        title="company-clusters classification API",
        version=__version__,
        description="Classify companies into industrial clusters, with the reasons. "
        "Send `Authorization: Bearer <key>` (or `X-API-Key`); keys come from "
        "`clusters serve keys add`.",
        lifespan=lifespan,
    )
    app.state.serve = state
    app.add_middleware(GuardMiddleware, max_body_bytes=cfg.max_body_bytes, metrics=metrics)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        message = "invalid request: " + "; ".join(f"{d['field']}: {d['message']}" for d in details)
        return JSONResponse(error_json(422, message[:2000], details), status_code=422)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        detail = exc.detail
        if isinstance(detail, dict):  # already shaped: {"message", "details"}
            body = error_json(exc.status_code, detail["message"], detail.get("details"))
        elif exc.status_code == 404 and detail == "Not Found":  # no route: say where they are
            paths = ", ".join(sorted(p for p in ENDPOINTS if p.startswith("/v1/")))
            body = error_json(
                404, f"no such path {request.url.path}: the API serves {paths} (see /docs)"
            )
        else:
            body = error_json(exc.status_code, str(detail))
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    bearer = HTTPBearer(auto_error=False, description="An API key as a bearer token.")
    api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)

    async def caller(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
        header_key: Annotated[str | None, Security(api_key_header)],
    ) -> ApiKey:
        if not auth:
            principal = LOCAL_KEY
            bucket = f"local:{request.client.host if request.client else '-'}"
        else:
            presented = header_key or (credentials.credentials if credentials else None)
            principal = state.keys.verify(presented) if presented else None
            if principal is None:
                raise HTTPException(
                    401,
                    "missing or invalid API key: send 'Authorization: Bearer <key>' or "
                    "'X-API-Key: <key>'"
                    if presented is None
                    else "invalid or revoked API key",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            bucket = principal.name
        wait = state.limiter.acquire(bucket)
        if wait > 0:
            raise HTTPException(
                429,
                f"rate limit of {cfg.rate_limit_per_minute} requests a minute reached for "
                f"key {principal.name!r}",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
        return principal

    async def admin(principal: Annotated[ApiKey, Depends(caller)]) -> ApiKey:
        if not principal.is_admin:
            raise HTTPException(403, f"key {principal.name!r} is not an admin key")
        return principal

    def loaded_or_503():
        loaded = holder.current
        if loaded is None:
            raise HTTPException(503, "the model is not loaded yet", headers={"Retry-After": "5"})
        return loaded

    @app.post(
        "/v1/classify",
        response_model=ClassifyResponse,
        responses=ERRORS,
        tags=["classify"],
    )
    async def classify(
        body: ClassifyRequest, principal: Annotated[ApiKey, Depends(caller)]
    ) -> dict[str, Any]:
        """Classify one company (`company`) or up to `serve.max_batch_items` (`companies`)."""
        loaded_or_503()
        field = "company" if body.company is not None else "companies"
        try:
            prepared = await run_in_threadpool(
                prepare_companies,
                body.items(),
                state.sic_titles,
                state.crawled,
                explain=body.explain,
                probabilities=body.probabilities,
                field=field,
            )
        except ItemError as exc:
            if field == "company":
                exc.field = exc.field.replace("company[0]", "company")
            raise HTTPException(
                422,
                {
                    "message": f"{exc.field}: {exc.message}",
                    "details": [{"field": exc.field, "message": exc.message}],
                },
            ) from exc
        try:
            results = await state.batcher.submit(prepared)
        except Exception as exc:
            logger.exception("classification failed")
            raise HTTPException(500, f"classification failed: {type(exc).__name__}") from exc
        return {"model_version": results[0]["model_version"], "results": results}

    @app.get("/v1/taxonomy", response_model=TaxonomyResponse, responses=ERRORS, tags=["model"])
    async def taxonomy(principal: Annotated[ApiKey, Depends(caller)]) -> dict[str, Any]:
        """The clusters of the served model, with their thresholds."""
        loaded = loaded_or_503()
        model = loaded.model
        thresholds = model.estimator.thresholds_
        return {
            "name": model.taxonomy.name,
            "version": str(model.taxonomy.version),
            "hash": model.taxonomy.content_hash,
            "model_version": loaded.version,
            "clusters": [
                {
                    "id": c.id,
                    "name": c.name,
                    "tier": str(c.tier.value if hasattr(c.tier, "value") else c.tier),
                    "parent": c.parent,
                    "description": c.description,
                    "keywords": list(c.keywords),
                    "threshold": float(thresholds[j]),
                }
                for j, c in enumerate(model.taxonomy.clusters)
            ],
        }

    @app.get("/v1/health", tags=["operations"])
    async def health() -> dict[str, str]:
        """The process answers (liveness)."""
        return {"status": "ok"}

    @app.get("/v1/ready", tags=["operations"], responses={503: {"model": ErrorResponse}})
    async def ready() -> dict[str, str]:
        """A model is loaded and requests are served (readiness); 503 until then."""
        loaded = holder.current
        if loaded is None:
            reason = f": {holder.last_error}" if holder.last_error else " yet"
            raise HTTPException(503, f"the model is not loaded{reason}")
        return {"status": "ready", "model_version": loaded.version, "model_uri": loaded.uri}

    @app.post(
        "/v1/admin/reload", response_model=ReloadResponse, responses=ERRORS, tags=["operations"]
    )
    async def reload(
        principal: Annotated[ApiKey, Depends(admin)],
        force: Annotated[
            bool, Query(description="Reload even if the version is unchanged.")
        ] = False,
    ) -> dict[str, Any]:
        """Load the version the model URI points at now (e.g. a moved `champion` alias) in
        the background and swap it in; requests in flight finish on the old model."""
        try:
            result = await asyncio.to_thread(reload_sync, force)
        except Exception as exc:
            served = holder.current.version if holder.current else "none"
            raise HTTPException(
                500, f"reload failed ({type(exc).__name__}: {exc}); still serving {served}"
            ) from exc
        return {
            "old_version": result.old_version,
            "new_version": result.new_version,
            "reloaded": result.reloaded,
            "seconds": round(result.seconds, 3),
        }

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    return app
