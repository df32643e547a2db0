"""Idempotency-Key: same key + same body replays; different body -> 422; no double effect."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, select

from niha.audit.models import AuditLog
from niha.audit.service import Actor, record
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
