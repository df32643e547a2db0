"""Idempotency-Key: same key + same body replays; different body -> 422; no double effect."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, select, text

from niha.audit.models import AuditLog
from niha.audit.service import Actor, record
from niha.core import idempotency
from niha.core.clock import utcnow
from niha.core.deps import SessionDep
from niha.core.errors import Conflict


class Body(BaseModel):
    value: int


def _router() -> APIRouter:
    router = APIRouter()

    @router.post("/_test/effects", status_code=201)
    async def make_effect(body: Body, session: SessionDep) -> dict[str, Any]:
        if body.value < 0:
            raise Conflict("negative", code="negative_value")
        if body.value == 500:
            raise RuntimeError("a server error")
        row = await record(session, Actor.system("test"), "test.effect", "test", body.value)
        return {"seq": row.seq, "value": body.value}

    return router


async def _count(app: Any) -> int:
    async with app.state.db.maker() as s:
        return int(
            await s.scalar(
                select(func.count()).select_from(AuditLog).where(AuditLog.action == "test.effect")
            )
        )


async def test_replay_returns_first_reply(app: Any, client: httpx.AsyncClient) -> None:
    app.include_router(_router())
    headers = {"Idempotency-Key": "key-1"}
    first = await client.post("/_test/effects", json={"value": 7}, headers=headers)
    second = await client.post("/_test/effects", json={"value": 7}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["content-length"] == str(len(first.content))  # not chunked
    assert await _count(app) == 1


async def test_same_key_different_body_is_refused(app: Any, client: httpx.AsyncClient) -> None:
    app.include_router(_router())
    headers = {"Idempotency-Key": "key-2"}
    assert (
        await client.post("/_test/effects", json={"value": 1}, headers=headers)
    ).status_code == 201
    r = await client.post("/_test/effects", json={"value": 2}, headers=headers)
    assert r.status_code == 422
    assert r.json()["code"] == "idempotency_key_reused"
    assert await _count(app) == 1


async def test_errors_replay_too(app: Any, client: httpx.AsyncClient) -> None:
    app.include_router(_router())
    headers = {"Idempotency-Key": "key-3"}
    a = await client.post("/_test/effects", json={"value": -1}, headers=headers)
    b = await client.post("/_test/effects", json={"value": -1}, headers=headers)
    assert a.status_code == b.status_code == 409
    assert b.json()["code"] == "negative_value"


async def test_without_key_no_dedup(app: Any, client: httpx.AsyncClient) -> None:
    app.include_router(_router())
    await client.post("/_test/effects", json={"value": 3})
    await client.post("/_test/effects", json={"value": 3})
    assert await _count(app) == 2


async def test_bad_key(app: Any, client: httpx.AsyncClient) -> None:
    app.include_router(_router())
    r = await client.post(
        "/_test/effects", json={"value": 3}, headers={"Idempotency-Key": "x" * 300}
    )
    assert r.status_code == 400
    assert r.json()["code"] == "invalid_idempotency_key"


async def test_auth_routes_are_never_replayed(client: httpx.AsyncClient) -> None:
    headers = {"Idempotency-Key": "login-1"}
    body = {"email": "nobody@example.com", "password": "x" * 12}
    await client.post("/api/v1/auth/login", json=body, headers=headers)
    second = await client.post("/api/v1/auth/login", json=body, headers=headers)
    assert "idempotent-replayed" not in second.headers


async def _hold(app: Any, key: str, *, age: Any, done: bool, digest: str | None = None) -> None:
    """A key held as a request ``age`` ago left it: done (with a 201 reply) or not;
    ``digest``: the request hash held (none that a request here has, by default)."""
    principal = "ip:127.0.0.1"  # the test client's address: no token
    async with app.state.db.maker() as s, s.begin():
        await s.execute(
            text(
                "INSERT INTO core_idempotency_key (principal, key, request_hash, status_code,"
                " content_type, body, created_at) VALUES (:p, :k, :h, :st, :ct, :b, :at)"
            ),
            {"p": principal, "k": key, "h": "0" * 64 if digest is None else digest,
             "st": 201 if done else None, "ct": "application/json" if done else None,
             "b": b'{"old": true}' if done else None, "at": utcnow() - age},
        )  # fmt: skip


async def test_a_key_in_progress_is_refused(app: Any, client: httpx.AsyncClient) -> None:
    app.include_router(_router())
    body = b'{"value": 4}'
    digest = hashlib.sha256(b"POST /_test/effects\n" + body).hexdigest()
    await _hold(app, "busy", age=idempotency.STALE_IN_PROGRESS / 2, done=False, digest=digest)
    r = await client.post(
        "/_test/effects",
        content=body,
        headers={"Idempotency-Key": "busy", "Content-Type": "application/json"},
    )
    assert r.status_code == 409 and r.json()["code"] == "idempotency_in_progress"
    assert await _count(app) == 0


async def test_a_stale_or_expired_key_is_taken_again(app: Any, client: httpx.AsyncClient) -> None:
    """A first request that died without an answer, or a key past its TTL, does not
    block the key: the request runs, and its reply is the one replayed from then on."""
    app.include_router(_router())
    await _hold(app, "died", age=idempotency.STALE_IN_PROGRESS * 2, done=False)
    await _hold(app, "old", age=idempotency.TTL * 2, done=True)
    for key, value in (("died", 5), ("old", 6)):
        headers = {"Idempotency-Key": key}
        first = await client.post("/_test/effects", json={"value": value}, headers=headers)
        again = await client.post("/_test/effects", json={"value": value}, headers=headers)
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json() and first.json()["value"] == value
        assert again.headers["idempotent-replayed"] == "true"
    assert await _count(app) == 2


async def test_a_server_error_is_not_kept(app: Any) -> None:
    """A 5xx reply is not stored: the client may send the same request again."""
    app.include_router(_router())
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        for _ in range(2):
            r = await c.post(
                "/_test/effects", json={"value": 500}, headers={"Idempotency-Key": "e"}
            )
            assert r.status_code == 500 and "idempotent-replayed" not in r.headers
    async with app.state.db.maker() as s:
        held = await s.scalar(text("SELECT count(*) FROM core_idempotency_key WHERE key = 'e'"))
    assert held == 0
