"""Login: success, uniform failures, disabled users, lockout, per-IP rate limit, audit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from niha.app import create_app
from niha.config import Settings
from tests.identity.conftest import Clock
from tests.identity.factories import PASSWORD, audit_rows, bearer, make_user, reload_user

LOGIN = "/api/v1/auth/login"


async def test_login_ok_sets_refresh_cookie(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, role="compliance", name="Carla")
    r = await client.post(LOGIN, json={"email": user.email.upper(), "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["access_token"]
    assert body["user"]["email"] == user.email
    assert set(body["user"]) == {
        "id", "email", "name", "role", "entity_id", "entity_role", "status",
        "totp_enabled", "created_at", "last_login_at",
    }  # fmt: skip
    assert body["user"]["role"] == "compliance"
    assert body["user"]["totp_enabled"] is False  # staff without TOTP may log in
    assert body["user"]["last_login_at"].endswith("Z")
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("niha_refresh=")
    lowered = cookie.lower()
    assert "httponly" in lowered
    assert "samesite=strict" in lowered
    assert "path=/api/v1/auth" in lowered
    assert "secure" not in lowered  # not production

    me = await client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)
    assert [a.actor_id for a in await audit_rows(session, "login_succeeded", user.id)] == [user.id]


async def test_cookie_secure_in_production(
    settings: Settings, db: Any, session: AsyncSession
) -> None:
    prod = settings.model_copy(update={"env": "production"})
    app = create_app(prod, db=db, start_background=False)
    user = await make_user(session)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
        r = await c.post(LOGIN, json={"email": user.email, "password": PASSWORD})
    assert r.status_code == 200
    assert "secure" in r.headers["set-cookie"].lower()


async def test_wrong_password_and_unknown_email_answer_the_same(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    wrong = await client.post(LOGIN, json={"email": user.email, "password": "not the password"})
    unknown = await client.post(
        LOGIN, json={"email": "nobody-at-all@example.com", "password": "not the password"}
    )
    assert wrong.status_code == unknown.status_code == 401
    a, b = wrong.json(), unknown.json()
    assert a["code"] == b["code"] == "invalid_credentials"
    assert a == b
    assert "set-cookie" not in wrong.headers
    failed = await audit_rows(session, "login_failed")
    known = [r for r in failed if r.resource_id == str(user.id)]
    assert known and known[0].actor_id == user.id and known[0].after["reason"] == "wrong_password"
    anon = [r for r in failed if r.resource_id is None]
    assert anon and anon[0].actor_id is None
    assert anon[0].after == {"email": "nobody-at-all@example.com", "reason": "unknown_email"}


async def test_unknown_email_does_the_password_hashing_work(
    monkeypatch: pytest.MonkeyPatch, client: httpx.AsyncClient
) -> None:
    """An unknown address still verifies the password against a dummy hash (same timing)."""
    from niha.identity import service

    calls: list[str | None] = []
    real = service.verify_password

    def spy(password_hash: str | None, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(service, "verify_password", spy)
    r = await client.post(LOGIN, json={"email": "ghost@example.com", "password": "whatever-pass"})
    assert r.status_code == 401
    assert calls == [None]


async def test_disabled_user_cannot_log_in(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, status="disabled")
    r = await client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_credentials"
    rows = await audit_rows(session, "login_failed", user.id)
    assert rows[-1].after == {"reason": "status_disabled"}


async def test_invited_user_cannot_log_in(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session, status="invited", with_password=False)
    r = await client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_credentials"


async def test_lockout_after_five_failures_then_unlock(
    client: httpx.AsyncClient, session: AsyncSession, frozen: Clock
) -> None:
    user = await make_user(session)
    for _ in range(5):
        r = await client.post(LOGIN, json={"email": user.email, "password": "wrong password!"})
        assert r.status_code == 401
        assert r.json()["code"] == "invalid_credentials"
    # Locked now, even with the right password.
    r = await client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
    assert r.status_code == 429
    assert r.json()["code"] == "account_locked"
    assert int(r.headers["retry-after"]) == 15 * 60
    locked = await reload_user(session, user.id)
    assert locked.locked_until is not None
    rows = await audit_rows(session, "login_failed", user.id)
    assert [row.after["reason"] for row in rows] == ["wrong_password"] * 5 + ["locked"]
    assert "locked_until" in rows[4].after

    frozen.advance(minutes=14, seconds=59)
    r = await client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
    assert r.status_code == 429

    frozen.advance(seconds=2)
    r = await client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    unlocked = await reload_user(session, user.id)
    assert unlocked.failed_login_count == 0 and unlocked.locked_until is None


async def test_success_resets_the_failure_count(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    for _ in range(4):
        await client.post(LOGIN, json={"email": user.email, "password": "wrong password!"})
    assert (await client.post(LOGIN, json={"email": user.email, "password": PASSWORD})).is_success
    for _ in range(4):
        await client.post(LOGIN, json={"email": user.email, "password": "wrong password!"})
    r = await client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
    assert r.status_code == 200


async def test_per_ip_rate_limit(settings: Settings, db: Any, session: AsyncSession) -> None:
    limited = settings.model_copy(update={"login_rate_per_ip": "3/minute"})
    app = create_app(limited, db=db, start_background=False)
    user = await make_user(session)
    body = {"email": user.email, "password": PASSWORD}

    def client_from(ip: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 1000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")

    async with client_from("10.0.0.1") as c1, client_from("10.0.0.2") as c2:
        codes = [(await c1.post(LOGIN, json=body)).status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        r = await c1.post(LOGIN, json=body)
        assert r.status_code == 429
        assert r.json()["code"] == "rate_limited"
        assert "retry-after" in r.headers
        # Another address is not affected.
        assert (await c2.post(LOGIN, json=body)).status_code == 200
