"""Prometheus metrics of the classification API, in a registry of their own (one per app).

``GET /metrics`` serves them in the Prometheus text format:

- ``clusters_serve_requests_total{endpoint,method,status}``
- ``clusters_serve_request_seconds{endpoint}`` (histogram)
- ``clusters_serve_errors_total{endpoint,kind}`` (kind: validation, unauthorized, forbidden,
  rate_limited, too_large, not_found, not_ready, internal, ...)
- ``clusters_serve_batch_size`` (histogram: companies per model call)
- ``clusters_serve_companies_total`` (companies classified)
- ``clusters_serve_model_info{version,uri}`` (1 for the model served)
- ``clusters_serve_model_reloads_total{outcome}`` (reloaded, unchanged, failed)
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["CONTENT_TYPE", "ServeMetrics", "error_kind"]

_KINDS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation",
    429: "rate_limited",
    503: "not_ready",
}


def error_kind(status: int) -> str:
    """The ``kind`` label of an error status."""
    return _KINDS.get(status, "internal" if status >= 500 else "client_error")


class ServeMetrics:
    """The metrics of one app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "clusters_serve_requests",
            "HTTP requests by endpoint, method and status.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "clusters_serve_request_seconds",
            "Request latency by endpoint.",
            ["endpoint"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.errors = Counter(
            "clusters_serve_errors",
            "Error responses by endpoint and kind.",
            ["endpoint", "kind"],
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "clusters_serve_batch_size",
            "Companies per model call (micro-batches).",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            registry=self.registry,
        )
        self.companies = Counter(
            "clusters_serve_companies", "Companies classified.", registry=self.registry
        )
        self.model_info = Gauge(
            "clusters_serve_model_info",
            "The model served (value 1).",
            ["version", "uri"],
            registry=self.registry,
        )
        self.reloads = Counter(
            "clusters_serve_model_reloads",
            "Model reload attempts by outcome.",
            ["outcome"],
            registry=self.registry,
        )

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(endpoint, method, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)
        if status >= 400:
            self.errors.labels(endpoint, error_kind(status)).inc()

    def observe_batch(self, size: int) -> None:
        self.batch_size.observe(size)
        self.companies.inc(size)

    def set_model(self, version: str, uri: str) -> None:
        self.model_info.clear()
        self.model_info.labels(version, uri).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
