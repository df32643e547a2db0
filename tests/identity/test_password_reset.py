"""Password reset: uniform reply, emailed single-use link, expiry, sessions revoked."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.notifications.service import queued_emails
from tests.identity.conftest import Clock
from tests.identity.factories import PASSWORD, audit_rows, bearer, make_user, token_for

REQUEST = "/api/v1/auth/password-reset/request"
CONFIRM = "/api/v1/auth/password-reset/confirm"
NEW = "another long passphrase"


async def _reset_token(session: AsyncSession, settings: Settings, email: str) -> str:
    emails = await queued_emails(session, to=email)
    assert len(emails) == 1
    match = re.search(
        re.escape(settings.public_url) + r"/reset-password/([A-Za-z0-9_\-]+)", emails[0].text_body
    )
    assert match, emails[0].text_body
    assert match.group(0) in emails[0].html_body
    return match.group(1)


async def test_same_reply_for_known_and_unknown_addresses(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, name="Rita")
    known = await client.post(REQUEST, json={"email": user.email.upper()})
    unknown = await client.post(REQUEST, json={"email": "nobody-here@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json() == {"status": "ok"}
    assert await queued_emails(session, to="nobody-here@example.com") == []
    token = await _reset_token(session, settings, user.email)
    emails = await queued_emails(session, to=user.email)
    assert "Rita" in emails[0].text_body and "60 minutes" in emails[0].text_body
    rows = await audit_rows(session, "password_reset_requested")
    assert all(token not in str(r.after) for r in rows)
    assert {r.after["sent"] for r in rows} == {True, False}


async def test_disabled_user_gets_no_reset_email(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, status="disabled")
    assert (await client.post(REQUEST, json={"email": user.email})).status_code == 202
    assert await queued_emails(session, to=user.email) == []


async def test_confirm_is_single_use_and_revokes_sessions(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session)
    old_token = await token_for(session, settings, user)
    await client.post(REQUEST, json={"email": user.email})
    token = await _reset_token(session, settings, user.email)

    weak = await client.post(CONFIRM, json={"token": token, "password": "short"})
    assert weak.status_code == 422 and weak.json()["code"] == "weak_password"
    assert weak.json()["field"] == "password"

    r = await client.post(CONFIRM, json={"token": token, "password": NEW})
    assert r.status_code == 204, r.text
    assert (await client.get("/api/v1/auth/me", headers=bearer(old_token))).status_code == 401
    again = await client.post(CONFIRM, json={"token": token, "password": NEW + "!"})
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"

    login = await client.post("/api/v1/auth/login", json={"email": user.email, "password": NEW})
    assert login.status_code == 200
    old = await client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    assert old.status_code == 401
    rows = await audit_rows(session, "password_reset_completed", user.id)
    assert len(rows) == 1 and rows[0].actor_id == user.id


async def test_confirm_refuses_unknown_and_expired_tokens(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, frozen: Clock
) -> None:
    r = await client.post(CONFIRM, json={"token": "no-such-token", "password": NEW})
    assert r.status_code == 400 and r.json()["code"] == "invalid_token"

    user = await make_user(session)
    await client.post(REQUEST, json={"email": user.email})
    token = await _reset_token(session, settings, user.email)
    frozen.advance(minutes=settings.password_reset_ttl_minutes, seconds=1)
    r = await client.post(CONFIRM, json={"token": token, "password": NEW})
    assert r.status_code == 400 and r.json()["code"] == "invalid_token"


async def test_reset_unlocks_a_locked_account(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session)
    for _ in range(5):
        await client.post("/api/v1/auth/login", json={"email": user.email, "password": "nope nope"})
    await client.post(REQUEST, json={"email": user.email})
    token = await _reset_token(session, settings, user.email)
    assert (await client.post(CONFIRM, json={"token": token, "password": NEW})).status_code == 204
    login = await client.post("/api/v1/auth/login", json={"email": user.email, "password": NEW})
    assert login.status_code == 200


async def test_reset_requests_are_rate_limited_per_address(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    codes = [(await client.post(REQUEST, json={"email": user.email})).status_code for _ in range(6)]
    assert codes == [202] * 5 + [429]
    assert len(await queued_emails(session, to=user.email)) == 5
    # Unknown addresses are limited the same way (the reply tells nothing).
    codes = [
        (await client.post(REQUEST, json={"email": "ghost@example.com"})).status_code
        for _ in range(6)
    ]
    assert codes == [202] * 5 + [429]
