"""Contract tests of every endpoint of the classification API, errors and auth included,
over the app with a real (toy) model behind FastAPI's TestClient."""

from __future__ import annotations

import json

import pytest
from test_training import FOOD, SPACE

from classifier.text import prepare_texts, text_hash
from clusters.sic import default_reference

pytestmark = pytest.mark.slow  # the toy model is trained once per session

SATELLITE = "We design small satellites and star trackers for Earth observation missions."


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["status"] == status and body["message"]
    return body


# --- classify ----------------------------------------------------------------------------


def test_classify_one_company_with_explanation(client, client_headers):
    r = client.post(
        "/v1/classify",
        json={"company": {"company_id": "c1", "text": SATELLITE}},
        headers=client_headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model_version"] == "toy-serve/v1"
    (result,) = body["results"]
    assert result["company_id"] == "c1"
    assert result["top_cluster"] == "space"
    assert [c["cluster_id"] for c in result["clusters"]] == ["space"]
    space = result["clusters"][0]
    assert space["name"] == "Space technology" and space["probability"] >= space["threshold"]
    assert 0 <= result["confidence"] <= 1 and isinstance(result["needs_review"], bool)
    assert result["text_hash"] == text_hash(SATELLITE)
    assert result["probabilities"] is None
    top = result["explanation"][0]
    assert top["cluster_id"] == "space" and top["assigned"]
    assert "earth observation" in top["keywords"]
    assert len(top["examples"]) == 3 and top["examples"][0]["text"] in SPACE
    assert len(result["explanation"]) == 3


def test_classify_batch_keeps_order_and_options(client, client_headers):
    companies = [{"company_id": f"id{i}", "text": t} for i, t in enumerate([FOOD[0], SATELLITE])]
    r = client.post(
        "/v1/classify",
        json={"companies": companies, "explain": False, "probabilities": True},
        headers=client_headers,
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["company_id"] for x in results] == ["id0", "id1"]
    assert [x["top_cluster"] for x in results] == ["food", "space"]
    assert all(x["explanation"] is None for x in results)
    assert set(results[0]["probabilities"]) == {"space", "medtech", "food"}


def test_company_fields_are_prepared_like_the_batch_job(client, client_headers):
    item = {"name": "Hovis Bakery Ltd", "filing_text": "We bake bread.", "sic_codes": ["10710"]}
    r = client.post("/v1/classify", json={"companies": [item]}, headers=client_headers)
    assert r.status_code == 200, r.text
    (result,) = r.json()["results"]
    prepared = prepare_texts(__import__("pandas").DataFrame([item]), default_reference().titles)
    assert result["text_hash"] == prepared["text_hash"][0]
    assert result["company_id"] == "0"  # position when no id is given
    assert result["top_cluster"] == "food"


def test_url_reads_the_crawled_text_and_unknown_url_is_422(client, client_headers, tmp_path):
    from clusters.acquire.crawl_store import CompanyRecord, CrawlStore
    from clusters.config import get_settings

    settings = get_settings()
    path = settings.serve.resolved_crawl_store(settings.paths.cache_dir)
    with CrawlStore(path) as crawl:
        crawl.put_company(
            CompanyRecord(
                company_id="1",
                status="ok",
                website="acme.example",
                home_url="https://acme.example/",
                text=SATELLITE,
            )
        )
    by_url = client.post(
        "/v1/classify", json={"company": {"url": "https://acme.example"}}, headers=client_headers
    )
    by_text = client.post(
        "/v1/classify", json={"company": {"website_text": SATELLITE}}, headers=client_headers
    )
    assert by_url.status_code == 200, by_url.text
    assert by_url.json()["results"][0]["text_hash"] == by_text.json()["results"][0]["text_hash"]
    assert by_url.json()["results"][0]["top_cluster"] == "space"

    missing = client.post(
        "/v1/classify",
        json={"companies": [{"text": SATELLITE}, {"url": "https://never.example/"}]},
        headers=client_headers,
    )
    error = _error(missing, 422)
    assert error["details"][0]["field"] == "companies[1].url"
    assert "never.example" in error["message"]


# --- validation and hostile input --------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"company": {"text": ""}}, 422, "company"),
        ({"company": {"text": "   "}}, 422, "company"),
        ({"company": {"text": "x" * 501}}, 422, "company.text"),
        ({"companies": [{"text": "a"}] * 4}, 422, "companies"),
        ({"companies": []}, 422, "companies"),
        ({"company": {"text": "a"}, "colour": "red"}, 422, "colour"),
        ({"company": {"text": "a", "sector": "x"}}, 422, "company.sector"),
        ({"company": {"text": "a"}, "companies": [{"text": "b"}]}, 422, "body"),
        ({}, 422, "body"),
        ({"company": {"text": "a", "name": "b"}}, 422, "company"),
        (
            {"company": {"name": "x", "url": "https://a.example", "website_text": "y"}},
            422,
            "company",
        ),
        ({"company": {"company_id": "x"}}, 422, "company"),
        ({"company": {"text": 123}}, 422, "company.text"),
        ({"company": {"text": ["a"]}}, 422, "company.text"),
        ({"companies": "text"}, 422, "companies"),
        ({"company": {"name": "x", "sic_codes": ["123"]}}, 422, "company.sic_codes[0]"),
        ({"company": {"text": "a"}, "explain": "maybe"}, 422, "explain"),
        ([{"text": "a"}], 422, "body"),
        ("just a string", 422, "body"),
    ],
)
def test_invalid_requests_are_clear_4xx(make_client, client_headers, payload, status, field):
    client = make_client(max_text_chars=500, max_batch_items=3)
    error = _error(client.post("/v1/classify", json=payload, headers=client_headers), status)
    assert error["details"] and error["details"][0]["field"] == field, error


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\x00{not utf-8",
        b"{",
        b'{"company": {"text": "a"}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_malformed_bodies_never_crash_the_worker(client, client_headers, body):
    headers = {**client_headers, "content-type": "application/json"}
    response = client.post("/v1/classify", content=body, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["message"]
    assert client.get("/v1/health").status_code == 200
    ok = client.post("/v1/classify", json={"company": {"text": SATELLITE}}, headers=client_headers)
    assert ok.status_code == 200


def test_oversized_bodies_are_refused_early_with_413(make_client, client_headers):
    client = make_client(max_body_bytes=2000)
    big = json.dumps({"company": {"text": "x" * 5000}}).encode()
    declared = client.post(
        "/v1/classify", content=big, headers={**client_headers, "content-type": "application/json"}
    )
    assert "2000 bytes" in _error(declared, 413)["message"]

    def chunks():  # no Content-Length: the limit is enforced while reading
        for i in range(0, len(big), 500):
            yield big[i : i + 500]

    streamed = client.post(
        "/v1/classify",
        content=chunks(),
        headers={**client_headers, "content-type": "application/json"},
    )
    _error(streamed, 413)
    assert client.get("/v1/health").status_code == 200


# --- auth and rate limit -----------------------------------------------------------------


def test_keys_are_required_and_checked(client, keys, client_headers, admin_headers):
    store, client_key, _ = keys
    payload = {"company": {"text": SATELLITE}}
    missing = client.post("/v1/classify", json=payload)
    assert _error(missing, 401) and missing.headers["www-authenticate"] == "Bearer"
    _error(client.post("/v1/classify", json=payload, headers={"X-API-Key": "ck_0_wrong"}), 401)
    forged = client_key[:-4] + ("AAAA" if not client_key.endswith("AAAA") else "BBBB")
    _error(
        client.post("/v1/classify", json=payload, headers={"Authorization": f"Bearer {forged}"}),
        401,
    )
    assert (
        client.post("/v1/classify", json=payload, headers={"X-API-Key": client_key}).status_code
        == 200
    )
    assert client.get("/v1/taxonomy").status_code == 401

    store.revoke("crm")  # effective on the next request
    _error(client.post("/v1/classify", json=payload, headers=client_headers), 401)
    assert client.post("/v1/classify", json=payload, headers=admin_headers).status_code == 200


def test_admin_endpoint_needs_an_admin_key(client, client_headers, admin_headers):
    _error(client.post("/v1/admin/reload"), 401)
    assert (
        "not an admin key"
        in _error(client.post("/v1/admin/reload", headers=client_headers), 403)["message"]
    )
    r = client.post("/v1/admin/reload", headers=admin_headers)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "old_version": "toy-serve/v1",
        "new_version": "toy-serve/v1",
        "reloaded": False,
        "seconds": 0.0,
    }


def test_auth_can_be_disabled_for_local_use(make_client):
    client = make_client(auth=False)
    r = client.post("/v1/classify", json={"company": {"text": SATELLITE}})
    assert r.status_code == 200
    assert client.post("/v1/admin/reload").status_code == 200


def test_rate_limit_per_key_with_retry_after(make_client, client_headers, admin_headers):
    client = make_client(rate_limit_per_minute=3)
    for _ in range(3):
        assert client.get("/v1/taxonomy", headers=client_headers).status_code == 200
    limited = client.get("/v1/taxonomy", headers=client_headers)
    assert "rate limit" in _error(limited, 429)["message"]
    assert int(limited.headers["retry-after"]) >= 1
    assert client.get("/v1/taxonomy", headers=admin_headers).status_code == 200  # own bucket
    assert client.get("/v1/health").status_code == 200  # not limited


# --- the other endpoints -----------------------------------------------------------------


def test_taxonomy(client, client_headers, loaded_holder):
    body = client.get("/v1/taxonomy", headers=client_headers).json()
    assert body["name"] == "Toy clusters" and body["model_version"] == "toy-serve/v1"
    assert [c["id"] for c in body["clusters"]] == ["space", "medtech", "food"]
    space = body["clusters"][0]
    assert space["tier"] == "new-economy" and "satellite" in space["keywords"]
    assert space["threshold"] == pytest.approx(loaded_holder.current.model.estimator.thresholds_[0])


def test_health_ready_docs_and_openapi(client):
    assert client.get("/v1/health").json() == {"status": "ok"}
    ready = client.get("/v1/ready").json()
    assert ready["status"] == "ready" and ready["model_version"] == "toy-serve/v1"
    assert ready["model_uri"] == "models:/toy-serve/1"  # the alias pinned to its version
    schema = client.get("/openapi.json").json()
    assert {"/v1/classify", "/v1/taxonomy", "/v1/health", "/v1/ready", "/v1/admin/reload"} <= set(
        schema["paths"]
    )
    company = schema["components"]["schemas"]["Company"]
    assert company["additionalProperties"] is False
    assert client.get("/docs").status_code == 200
    lost = client.post("/classify", json={})  # the API lives under /v1
    assert lost.status_code == 404
    message = lost.json()["error"]["message"]
    assert message.startswith("no such path /classify:") and "/v1/classify" in message


def test_ready_is_503_until_a_model_loads(make_client, client_headers, store):
    from clusters.config import get_settings
    from clusters.serve.holder import ModelHolder

    def no_registry(uri, settings):
        raise RuntimeError("registry unreachable")

    holder = ModelHolder("models:/toy-serve@champion", get_settings(), version_of=no_registry)
    client = make_client(holder=holder)
    ready = client.get("/v1/ready")
    assert "registry unreachable" in _error(ready, 503)["message"]
    assert client.get("/v1/health").status_code == 200
    _error(
        client.post("/v1/classify", json={"company": {"text": "a"}}, headers=client_headers), 503
    )


def test_metrics(client, client_headers):
    client.post("/v1/classify", json={"company": {"text": SATELLITE}}, headers=client_headers)
    client.post("/v1/classify", json={"company": {"text": ""}}, headers=client_headers)
    client.post("/v1/classify", json={"company": {"text": "a"}})
    text = client.get("/metrics").text
    assert (
        'clusters_serve_requests_total{endpoint="/v1/classify",method="POST",status="200"} 1.0'
        in text
    )
    assert 'clusters_serve_errors_total{endpoint="/v1/classify",kind="validation"} 1.0' in text
    assert 'clusters_serve_errors_total{endpoint="/v1/classify",kind="unauthorized"} 1.0' in text
    assert 'clusters_serve_request_seconds_bucket{endpoint="/v1/classify",le="0.1"}' in text
    assert "clusters_serve_batch_size_count 1.0" in text
    assert 'clusters_serve_model_info{uri="models:/toy-serve/1",version="toy-serve/v1"} 1.0' in text
