"""Identity actions leave audit rows, the chain stays valid, and no row holds a secret."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.audit.models import AuditLog
from niha.audit.service import verify_chain
from niha.config import Settings
from niha.identity.models import User
from niha.notifications.service import queued_emails
from tests.identity.factories import PASSWORD, bearer, make_user, token_for, unique_email

NEW = "the second passphrase"


async def test_no_secrets_in_audit_rows(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin = await make_user(session, role="super_admin")
    auth = bearer(await token_for(session, settings, admin))
    secrets: list[str] = [PASSWORD, NEW]

    login = await client.post(
        "/api/v1/auth/login", json={"email": admin.email, "password": PASSWORD}
    )
    secrets += [login.json()["access_token"], login.cookies["niha_refresh"]]
    await client.post("/api/v1/auth/login", json={"email": admin.email, "password": "wrong one!!"})
    enroll = await client.post("/api/v1/auth/totp/enroll", headers=auth)
    secrets.append(enroll.json()["secret"])
    email = unique_email()
    await client.post(
        "/api/v1/admin/users/invite",
        json={"email": email, "name": "I", "role": "admin"},
        headers=auth,
    )
    body = (await queued_emails(session, to=email))[0].text_body
    match = re.search(r"/invite/(\S+)", body)
    assert match
    secrets.append(match.group(1))
    await client.post(f"/api/v1/auth/invitations/{match.group(1)}/accept", json={"password": NEW})
    await client.post("/api/v1/auth/password-reset/request", json={"email": admin.email})
    body = (await queued_emails(session, to=admin.email))[0].text_body
    reset = re.search(r"/reset-password/(\S+)", body)
    assert reset
    secrets.append(reset.group(1))
    await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": reset.group(1), "password": NEW}
    )

    hashes = (await session.scalars(select(User.password_hash))).all()
    rows = (await session.scalars(select(AuditLog))).all()
    actions = {r.action for r in rows}
    assert {
        "login_succeeded", "login_failed", "totp_enrolled", "user_invited",
        "invitation_accepted", "password_reset_requested", "password_reset_completed",
    } <= actions  # fmt: skip
    for row in rows:
        text = f"{row.before} {row.after} {row.actor_email}"
        for secret in [*secrets, *(h for h in hashes if h)]:
            assert secret not in text, (row.action, secret[:6])
        assert "$argon2" not in text
    count, broken = await verify_chain(session)
    assert broken is None and count >= len(rows)
