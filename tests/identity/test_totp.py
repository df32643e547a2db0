"""TOTP: enrolment, confirmation, login with code, wrong and replayed codes."""

from __future__ import annotations

import urllib.parse
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.identity import totp
from niha.identity.models import User
from niha.identity.service import find_user_by_email
from tests.identity.conftest import Clock
from tests.identity.factories import PASSWORD, audit_rows, bearer, make_user, reload_user, token_for

ENROLL = "/api/v1/auth/totp/enroll"
CONFIRM = "/api/v1/auth/totp/confirm"
LOGIN = "/api/v1/auth/login"


async def _enable(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, frozen: Clock, email: str
) -> tuple[str, str]:
    user = await make_user(session, role="compliance", email=email)
    token = await token_for(session, settings, user)
    r = await client.post(ENROLL, headers=bearer(token))
    assert r.status_code == 200, r.text
    secret = r.json()["secret"]
    uri = r.json()["otpauth_uri"]
    assert uri.startswith("otpauth://totp/")
    assert "issuer=Niha" in uri and urllib.parse.quote(email) in uri
    r = await client.post(
        CONFIRM, json={"code": totp.code_at(secret, frozen.now)}, headers=bearer(token)
    )
    assert r.status_code == 200, r.text
    assert r.json()["totp_enabled"] is True
    return secret, token


async def test_enrol_confirm_and_login_with_code(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, frozen: Clock
) -> None:
    email = "totp-user@example.com"
    secret, _ = await _enable(client, session, settings, frozen, email)
    user_id = (await reload_user_by_email(session, email)).id
    assert await audit_rows(session, "totp_enrolled", user_id)
    assert await audit_rows(session, "totp_confirmed", user_id)
    rows = await audit_rows(session, "totp_enrolled", user_id)
    assert secret not in str(rows[0].after)

    frozen.advance(seconds=30)
    r = await client.post(LOGIN, json={"email": email, "password": PASSWORD})
    assert r.status_code == 401 and r.json()["code"] == "totp_required"

    wrong = "000000" if totp.code_at(secret, frozen.now) != "000000" else "111111"
    r = await client.post(LOGIN, json={"email": email, "password": PASSWORD, "totp_code": wrong})
    assert r.status_code == 401 and r.json()["code"] == "totp_invalid"
    assert (await reload_user(session, user_id)).failed_login_count == 1  # counts as a failure

    code = totp.code_at(secret, frozen.now)
    r = await client.post(LOGIN, json={"email": email, "password": PASSWORD, "totp_code": code})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["totp_enabled"] is True

    # The same code again, within its window: refused.
    r = await client.post(LOGIN, json={"email": email, "password": PASSWORD, "totp_code": code})
    assert r.status_code == 401 and r.json()["code"] == "totp_invalid"
    failed = await audit_rows(session, "login_failed", user_id)
    assert failed[-1].after["reason"] == "totp_replayed"

    # The next step's code works.
    frozen.advance(seconds=30)
    code = totp.code_at(secret, frozen.now)
    r = await client.post(LOGIN, json={"email": email, "password": PASSWORD, "totp_code": code})
    assert r.status_code == 200


async def reload_user_by_email(session: AsyncSession, email: str) -> User:
    user = await find_user_by_email(session, email)
    assert user is not None
    return user


async def test_adjacent_steps_are_accepted_but_not_older(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, frozen: Clock
) -> None:
    email = "totp-window@example.com"
    secret, _ = await _enable(client, session, settings, frozen, email)
    frozen.advance(seconds=300)
    previous = totp.code_at(secret, frozen.now - timedelta(seconds=30))
    r = await client.post(LOGIN, json={"email": email, "password": PASSWORD, "totp_code": previous})
    assert r.status_code == 200
    frozen.advance(seconds=300)
    stale = totp.code_at(secret, frozen.now - timedelta(seconds=90))
    r = await client.post(LOGIN, json={"email": email, "password": PASSWORD, "totp_code": stale})
    assert r.status_code == 401 and r.json()["code"] == "totp_invalid"


async def test_confirm_with_wrong_code_and_double_enrol(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, frozen: Clock
) -> None:
    user = await make_user(session, role="operations")
    token = await token_for(session, settings, user)
    r = await client.post(CONFIRM, json={"code": "123456"}, headers=bearer(token))
    assert r.status_code == 409 and r.json()["code"] == "totp_not_enrolled"
    secret = (await client.post(ENROLL, headers=bearer(token))).json()["secret"]
    wrong = "000000" if totp.code_at(secret, frozen.now) != "000000" else "111111"
    r = await client.post(CONFIRM, json={"code": wrong}, headers=bearer(token))
    assert r.status_code == 400 and r.json()["code"] == "totp_invalid"
    r = await client.post(CONFIRM, json={"code": "abc"}, headers=bearer(token))
    assert r.status_code == 400 and r.json()["code"] == "totp_invalid"
    assert (await reload_user(session, user.id)).totp_enabled is False
    # Not enabled yet: logging in needs no code.
    r = await client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
    assert r.status_code == 200
    r = await client.post(
        CONFIRM, json={"code": totp.code_at(secret, frozen.now)}, headers=bearer(token)
    )
    assert r.status_code == 200
    r = await client.post(ENROLL, headers=bearer(token))
    assert r.status_code == 409 and r.json()["code"] == "totp_already_enabled"


RESET = "/api/v1/admin/users/{}/reset-totp"


async def test_staff_reset_a_lost_authenticator(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, frozen: Clock
) -> None:
    """The user lost their phone: an admin turns two-factor off (reason audited), every
    session of the user dies, the user is emailed and signs in with the password alone,
    then enrols again."""
    from niha.notifications.service import queued_emails

    email = "lost-phone@example.com"
    _, user_token = await _enable(client, session, settings, frozen, email)
    user = await reload_user_by_email(session, email)
    admin = await make_user(session, role="admin", email="reset-admin@example.com")
    admin_token = await token_for(session, settings, admin)

    r = await client.post(RESET.format(user.id), json={"reason": "x"}, headers=bearer(admin_token))
    assert r.status_code == 422 and r.json()["code"] == "validation_error"  # a real reason
    r = await client.post(
        RESET.format(user.id), json={"reason": "Lost phone, identity checked by call-back"},
        headers=bearer(admin_token),
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["totp_enabled"] is False
    reloaded = await reload_user(session, user.id)
    assert reloaded.totp_secret is None and reloaded.totp_last_step is None
    [row] = await audit_rows(session, "totp_reset", user.id)
    assert row.after is not None and row.after["reason"].startswith("Lost phone")
    assert row.after["sessions_revoked"] >= 1
    [mail] = await queued_emails(session, to=email)
    assert "Lost phone" in mail.text_body and "Security page" in mail.html_body

    r = await client.get("/api/v1/auth/me", headers=bearer(user_token))
    assert r.status_code == 401  # signed out everywhere
    r = await client.post(LOGIN, json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text  # no code asked any more
    r = await client.post(ENROLL, headers=bearer(r.json()["access_token"]))
    assert r.status_code == 200  # and two-factor can be set up again

    r = await client.post(
        RESET.format(user.id), json={"reason": "again"}, headers=bearer(admin_token)
    )  # a pending enrolment is reset too; then there is nothing left to reset
    assert r.status_code == 200
    r = await client.post(
        RESET.format(user.id), json={"reason": "again"}, headers=bearer(admin_token)
    )
    assert r.status_code == 409 and r.json()["code"] == "totp_not_enabled"


async def test_reset_refuses_your_own_a_super_admin_and_unknown_users(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, frozen: Clock
) -> None:
    import uuid

    admin = await make_user(session, role="admin", email="self-reset@example.com")
    token = await token_for(session, settings, admin)
    r = await client.post(RESET.format(admin.id), json={"reason": "my own"}, headers=bearer(token))
    assert r.status_code == 409 and r.json()["code"] == "cannot_modify_self"
    boss = await make_user(session, role="super_admin", email="boss-reset@example.com")
    r = await client.post(
        RESET.format(boss.id), json={"reason": "not yours"}, headers=bearer(token)
    )
    assert r.status_code == 403
    r = await client.post(
        RESET.format(uuid.uuid4()), json={"reason": "nobody"}, headers=bearer(token)
    )
    assert r.status_code == 404
    ops = await make_user(session, role="operations", email="ops-reset@example.com")
    r = await client.post(
        RESET.format(boss.id), json={"reason": "no permission"},
        headers=bearer(await token_for(session, settings, ops)),
    )  # fmt: skip
    assert r.status_code == 403
