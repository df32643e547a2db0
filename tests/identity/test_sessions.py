"""Refresh rotation and reuse detection, logout, me, immediate revocation of access tokens."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.identity.models import AuthSession, RefreshToken
from tests.identity.factories import PASSWORD, audit_rows, bearer, make_user, token_for

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"


async def _login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> tuple[str, str]:
    r = await client.post(LOGIN, json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["access_token"], r.cookies["niha_refresh"]


def _cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"niha_refresh={token}"}


async def test_refresh_rotates_and_reuse_revokes_the_family(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    access1, refresh1 = await _login(client, user.email)
    client.cookies.clear()

    r = await client.post(REFRESH, headers=_cookie(refresh1))
    assert r.status_code == 200, r.text
    refresh2 = r.cookies["niha_refresh"]
    access2 = r.json()["access_token"]
    assert refresh2 != refresh1
    assert r.json()["user"]["id"] == str(user.id)
    used = await session.scalar(
        select(RefreshToken)
        .where(RefreshToken.used_at.is_not(None))
        .execution_options(populate_existing=True)
    )
    assert used is not None
    # The stored token is a hash, never the token itself.
    hashes = (await session.scalars(select(RefreshToken.token_hash))).all()
    assert refresh1 not in hashes and refresh2 not in hashes

    # Replaying the rotated token: 401 and the whole family is revoked.
    r = await client.post(REFRESH, headers=_cookie(refresh1))
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_refresh_token"
    assert (
        'niha_refresh=""' in r.headers["set-cookie"]
        or "max-age=0" in r.headers["set-cookie"].lower()
    )
    r = await client.post(REFRESH, headers=_cookie(refresh2))
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_refresh_token"
    # ... and so are the access tokens of that session.
    for access in (access1, access2):
        assert (await client.get(ME, headers=bearer(access))).status_code == 401
    rows = await audit_rows(session, "token_reuse_detected", user.id)
    assert len(rows) == 1
    assert refresh1 not in str(rows[0].after) and refresh2 not in str(rows[0].after)


async def test_refresh_without_or_with_garbage_cookie(client: httpx.AsyncClient) -> None:
    r = await client.post(REFRESH)
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_refresh_token"
    r = await client.post(REFRESH, headers=_cookie("x" * 5000))
    assert r.status_code == 401
    assert r.json()["code"] == "invalid_refresh_token"


async def test_refresh_refused_for_disabled_user(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    _, refresh_token = await _login(client, user.email)
    client.cookies.clear()
    user.status = "disabled"
    await session.flush()
    r = await client.post(REFRESH, headers=_cookie(refresh_token))
    assert r.status_code == 401


async def test_logout_revokes_session_and_clears_cookie(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    access, refresh_token = await _login(client, user.email)
    client.cookies.clear()
    r = await client.post(LOGOUT, headers={**bearer(access), **_cookie(refresh_token)})
    assert r.status_code == 204
    assert "niha_refresh=" in r.headers["set-cookie"]
    assert (await client.get(ME, headers=bearer(access))).status_code == 401
    assert (await client.post(REFRESH, headers=_cookie(refresh_token))).status_code == 401
    assert len(await audit_rows(session, "logout", user.id)) == 1
    # Idempotent, and fine without any credentials.
    assert (await client.post(LOGOUT, headers=_cookie(refresh_token))).status_code == 204
    assert (await client.post(LOGOUT)).status_code == 204
    assert len(await audit_rows(session, "logout", user.id)) == 1


async def test_logout_with_cookie_only(client: httpx.AsyncClient, session: AsyncSession) -> None:
    user = await make_user(session)
    access, refresh_token = await _login(client, user.email)
    client.cookies.clear()
    assert (await client.post(LOGOUT, headers=_cookie(refresh_token))).status_code == 204
    assert (await client.get(ME, headers=bearer(access))).status_code == 401


async def test_me(client: httpx.AsyncClient, session: AsyncSession, settings: Settings) -> None:
    user = await make_user(session, entity_role="trader")
    token = await token_for(session, settings, user)
    r = await client.get(ME, headers=bearer(token))
    assert r.status_code == 200
    body = r.json()
    assert body["entity_role"] == "trader" and body["role"] is None
    assert body["entity_id"] == str(user.entity_id)
    assert body["created_at"].endswith("Z")
    assert (await client.get(ME)).json()["code"] == "not_authenticated"
    assert (await client.get(ME, headers=bearer("not-a-jwt"))).status_code == 401
    assert (await client.get(ME, headers={"Authorization": "Basic abc"})).status_code == 401


async def test_token_signed_with_another_key_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session)
    other = settings.model_copy(update={"secret_key": "another-secret-" + "z" * 40})
    token = await token_for(session, other, user)
    assert (await client.get(ME, headers=bearer(token))).status_code == 401


async def test_disabling_a_user_stops_their_access_token_immediately(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin = await make_user(session, role="admin")
    target = await make_user(session, role="operations")
    admin_token = await token_for(session, settings, admin)
    target_token = await token_for(session, settings, target)
    assert (await client.get(ME, headers=bearer(target_token))).status_code == 200

    r = await client.patch(
        f"/api/v1/admin/users/{target.id}", json={"status": "disabled"}, headers=bearer(admin_token)
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "disabled"
    r = await client.get(ME, headers=bearer(target_token))
    assert r.status_code == 401
    live = (
        await session.scalars(
            select(AuthSession)
            .where(AuthSession.user_id == target.id, AuthSession.revoked_at.is_(None))
            .execution_options(populate_existing=True)
        )
    ).all()
    assert live == []
    assert len(await audit_rows(session, "user_disabled", target.id)) == 1

    # Re-enabling lets them log in again (old sessions stay revoked).
    r = await client.patch(
        f"/api/v1/admin/users/{target.id}", json={"status": "active"}, headers=bearer(admin_token)
    )
    assert r.json()["status"] == "active"
    assert len(await audit_rows(session, "user_enabled", target.id)) == 1
    assert (await client.get(ME, headers=bearer(target_token))).status_code == 401
    await _login(client, target.email)


async def test_password_change_revokes_other_sessions(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    current, _ = await _login(client, user.email)
    other, other_refresh = await _login(client, user.email)
    client.cookies.clear()
    new = "a brand new passphrase"
    r = await client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": new},
        headers=bearer(current),
    )
    assert r.status_code == 204, r.text
    assert (await client.get(ME, headers=bearer(current))).status_code == 200
    assert (await client.get(ME, headers=bearer(other))).status_code == 401
    assert (await client.post(REFRESH, headers=_cookie(other_refresh))).status_code == 401
    bad = await client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
    assert bad.status_code == 401
    await _login(client, user.email, new)
    rows = await audit_rows(session, "password_changed", user.id)
    assert len(rows) == 1
    assert new not in str(rows[0].after) and PASSWORD not in str(rows[0].after)


async def test_password_change_checks(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, email="jonathan.doe@example.com")
    token = await token_for(session, settings, user)

    async def change(current: str, new: str) -> httpx.Response:
        return await client.post(
            "/api/v1/auth/password",
            json={"current_password": current, "new_password": new},
            headers=bearer(token),
        )

    r = await change("wrong current password", "a brand new passphrase")
    assert r.status_code == 400 and r.json()["code"] == "invalid_password"
    for weak in ["short", "x" * 129, "my name is jonathan.doe!!", "JONATHAN.DOE"]:
        r = await change(PASSWORD, weak)
        assert r.status_code == 422, weak
        assert r.json()["code"] == "weak_password"
        assert r.json()["field"] == "new_password"
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await change(PASSWORD, PASSWORD)
    assert r.status_code == 422 and r.json()["code"] == "weak_password"


async def test_password_change_attempts_are_rate_limited(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session)
    token = await token_for(session, settings, user)
    body = {"current_password": "guess guess guess", "new_password": "a brand new passphrase"}
    codes = [
        (await client.post("/api/v1/auth/password", json=body, headers=bearer(token))).status_code
        for _ in range(11)
    ]
    assert codes == [400] * 10 + [429]
