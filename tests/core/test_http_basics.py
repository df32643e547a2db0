"""Health, readiness, metrics, problem+json, request ids, security headers, SPA fallback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from niha.app import create_app
from niha.config import Settings
from niha.core.db import Database


async def test_healthz(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


async def test_readyz_up(client: httpx.AsyncClient) -> None:
    r = await client.get("/readyz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


async def test_readyz_down(settings: Settings) -> None:
    db = Database("postgresql://nobody@127.0.0.1:1/nothing", pool_pre_ping=False)
    app = create_app(settings, db=db, start_background=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get("/readyz")
    await db.dispose()
    assert r.status_code == 503


async def test_metrics(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    r = await client.get("/metrics")
    assert r.status_code == 200
    assert "niha_http_requests_total" in r.text


async def test_openapi_and_docs(client: httpx.AsyncClient) -> None:
    r = await client.get("/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path in ["/api/v1/auth/login", "/api/v1/admin/users", "/api/v1/admin/audit-logs"]:
        assert path in paths
    assert (await client.get("/docs")).status_code == 200


async def test_unknown_api_route_is_problem_json(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/does-not-exist")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "not_found"
    assert {"type", "title", "status", "detail", "code"} <= body.keys()


async def test_wrong_method_on_an_api_route_is_405_with_allow(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/auth/login")
    assert r.status_code == 405
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["allow"] == "POST"
    assert r.json()["code"] == "method_not_allowed"
    # A path with a parameter.
    r = await client.get(f"/api/v1/orders/{'0' * 8}-0000-7000-8000-{'0' * 12}/cancel")
    assert (r.status_code, r.headers["allow"]) == (405, "POST")
    assert (await client.delete("/api/v1/auth/login")).status_code == 405
    # Unknown paths stay 404.
    assert (await client.get("/api/v1/auth/login/extra")).status_code == 404


async def test_head_is_get_without_the_body(client: httpx.AsyncClient) -> None:
    get = await client.get("/api/v1/market/EUA-EUR/book")
    head = await client.head("/api/v1/market/EUA-EUR/book")
    assert (get.status_code, head.status_code) == (200, 200)
    assert head.content == b"" and get.content
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == get.headers["content-length"]
    assert "x-request-id" in head.headers
    # Where GET is not allowed, neither is HEAD.
    r = await client.head("/api/v1/auth/login")
    assert (r.status_code, r.headers["allow"]) == (405, "POST")


async def test_validation_error_names_the_field(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/auth/login", json={"email": "a@example.com"})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "validation_error"
    assert any(e["field"] == "password" for e in body["errors"])


@pytest.mark.parametrize("payload", ["not json", "[]", "null", '{"email": 5, "password": []}'])
async def test_malformed_bodies_are_4xx(client: httpx.AsyncClient, payload: str) -> None:
    r = await client.post(
        "/api/v1/auth/login", content=payload, headers={"content-type": "application/json"}
    )
    assert 400 <= r.status_code < 500
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_request_id_header(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"x-request-id": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/healthz", headers={"x-request-id": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces"
    assert len(r.headers["x-request-id"]) == 32


async def test_security_headers(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"]
    assert "strict-transport-security" not in r.headers


async def test_hsts_in_production(settings: Settings, db: Any) -> None:
    prod = settings.model_copy(update={"env": "production", "database_url": "postgresql://x@y/z"})
    app = create_app(prod, db=db, start_background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/healthz")
    assert "max-age" in r.headers["strict-transport-security"]


async def test_spa_fallback(settings: Settings, db: Any, tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><div id=root></div>")
    (dist / "assets" / "app.js").write_text("console.log(1)")
    app = create_app(settings.model_copy(update={"web_dist": dist}), db=db, start_background=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert "id=root" in (await c.get("/")).text
        assert "id=root" in (await c.get("/admin/users")).text
        asset = await c.get("/assets/app.js")
        assert asset.text == "console.log(1)"
        assert "immutable" in asset.headers["cache-control"]
        assert (await c.get("/api/v1/nope")).status_code == 404
        assert (await c.get("/api/v1/auth/login")).headers["allow"] == "POST"
        head = await c.head("/trade/EUA-EUR")
        assert head.status_code == 200 and head.headers["cache-control"] == "no-cache"
        metrics = (await c.get("/metrics")).text
        assert 'route="(web app)",status="200"' in metrics
        post = await c.post("/trade/EUA-EUR")
        assert (post.status_code, post.headers["allow"]) == (405, "GET, HEAD")
        assert (await c.get("/../../etc/passwd")).status_code in {200, 404}
        assert "root:" not in (await c.get("/..%2f..%2fetc/passwd")).text


async def test_docs_work_offline(client: httpx.AsyncClient) -> None:
    for page in ["/docs", "/redoc"]:
        html = (await client.get(page)).text
        assert "cdn.jsdelivr.net" not in html and "/docs-static/" in html
    asset = await client.get("/docs-static/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.content) > 100_000
