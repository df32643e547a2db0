"""Staff user management: create, list, invite -> accept -> login, patch rules, audit."""

from __future__ import annotations

import re
import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.notifications.service import queued_emails
from tests.identity.conftest import Clock
from tests.identity.factories import (
    PASSWORD,
    audit_rows,
    bearer,
    make_user,
    token_for,
    unique_email,
)

USERS = "/api/v1/admin/users"
INVITE = "/api/v1/admin/users/invite"
NEW_PASSWORD = "welcome aboard, friend"


async def _staff(
    session: AsyncSession, settings: Settings, role: str = "admin"
) -> tuple[uuid.UUID, dict[str, str]]:
    user = await make_user(session, role=role)
    return user.id, bearer(await token_for(session, settings, user))


async def _invitation_token(session: AsyncSession, settings: Settings, email: str) -> str:
    emails = await queued_emails(session, to=email)
    assert emails, f"no email to {email}"
    match = re.search(
        re.escape(settings.public_url) + r"/invite/([A-Za-z0-9_\-]+)", emails[-1].text_body
    )
    assert match
    return match.group(1)


async def test_create_staff_user(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin_id, auth = await _staff(session, settings)
    email = unique_email("ops")
    r = await client.post(
        USERS,
        json={"email": email.upper(), "name": "Olga", "role": "operations", "password": PASSWORD},
        headers=auth,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["email"] == email and body["role"] == "operations" and body["status"] == "active"
    rows = await audit_rows(session, "user_created", body["id"])
    assert rows[0].actor_id == admin_id
    assert "password" not in str(rows[0].after).lower()
    assert PASSWORD not in str(rows[0].after)

    dup = await client.post(
        USERS,
        json={"email": email, "name": "Olga", "role": "operations", "password": PASSWORD},
        headers=auth,
    )
    assert dup.status_code == 409 and dup.json()["code"] == "email_taken"
    weak = await client.post(
        USERS,
        json={"email": unique_email(), "name": "W", "role": "operations", "password": "short"},
        headers=auth,
    )
    assert weak.status_code == 422 and weak.json()["code"] == "weak_password"
    assert weak.json()["field"] == "password"


async def test_only_super_admin_grants_super_admin(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, admin = await _staff(session, settings, "admin")
    _, root = await _staff(session, settings, "super_admin")
    body = {"email": unique_email(), "name": "Su", "role": "super_admin", "password": PASSWORD}
    r = await client.post(USERS, json=body, headers=admin)
    assert r.status_code == 403 and r.json()["code"] == "super_admin_required"
    r = await client.post(USERS, json=body, headers=root)
    assert r.status_code == 201

    target = await make_user(session, role="operations")
    r = await client.patch(f"{USERS}/{target.id}", json={"role": "super_admin"}, headers=admin)
    assert r.status_code == 403 and r.json()["code"] == "super_admin_required"
    root_user = await make_user(session, role="super_admin")
    r = await client.patch(f"{USERS}/{root_user.id}", json={"status": "disabled"}, headers=admin)
    assert r.status_code == 403 and r.json()["code"] == "super_admin_required"
    r = await client.patch(f"{USERS}/{target.id}", json={"role": "super_admin"}, headers=root)
    assert r.status_code == 200 and r.json()["role"] == "super_admin"


async def test_role_change_is_audited_with_before_and_after(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin_id, auth = await _staff(session, settings)
    target = await make_user(session, role="operations")
    r = await client.patch(f"{USERS}/{target.id}", json={"role": "compliance"}, headers=auth)
    assert r.status_code == 200 and r.json()["role"] == "compliance"
    rows = await audit_rows(session, "role_changed", target.id)
    assert len(rows) == 1
    assert rows[0].before == {"role": "operations"} and rows[0].after == {"role": "compliance"}
    assert rows[0].actor_id == admin_id
    # Staff role on an entity member is refused, and vice versa.
    member = await make_user(session, entity_role="viewer")
    r = await client.patch(f"{USERS}/{member.id}", json={"role": "admin"}, headers=auth)
    assert r.status_code == 409 and r.json()["code"] == "role_kind_mismatch"
    r = await client.patch(f"{USERS}/{member.id}", json={"entity_role": "trader"}, headers=auth)
    assert r.status_code == 200 and r.json()["entity_role"] == "trader"
    r = await client.patch(f"{USERS}/{target.id}", json={"entity_role": "trader"}, headers=auth)
    assert r.status_code == 409


async def test_cannot_modify_self(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin_id, auth = await _staff(session, settings, "super_admin")
    for body in ({"role": "operations"}, {"status": "disabled"}):
        r = await client.patch(f"{USERS}/{admin_id}", json=body, headers=auth)
        assert r.status_code == 409 and r.json()["code"] == "cannot_modify_self"
    assert (await client.get("/api/v1/auth/me", headers=auth)).json()["role"] == "super_admin"


async def test_patch_unknown_user_and_bad_status(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, auth = await _staff(session, settings)
    r = await client.patch(f"{USERS}/{uuid.uuid4()}", json={"status": "disabled"}, headers=auth)
    assert r.status_code == 404 and r.json()["code"] == "user_not_found"
    target = await make_user(session, role="operations")
    r = await client.patch(f"{USERS}/{target.id}", json={"status": "invited"}, headers=auth)
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    r = await client.patch(f"{USERS}/not-a-uuid", json={}, headers=auth)
    assert r.status_code == 422
    r = await client.get(f"{USERS}/{target.id}", headers=auth)
    assert r.status_code == 200 and r.json()["id"] == str(target.id)


async def test_list_filters_and_keyset_pages(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, auth = await _staff(session, settings, "operations")
    tag = uuid.uuid4().hex[:8]
    made = []
    for i in range(5):
        made.append(
            await make_user(
                session, role="compliance", email=f"list-{tag}-{i}@example.com", name=f"N {i}"
            )
        )
    await make_user(
        session, role="compliance", email=f"list-{tag}-x@example.com", status="disabled"
    )
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"search": f"LIST-{tag}", "status": "active", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        r = await client.get(USERS, params=params, headers=auth)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 2
        seen += [u["email"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(u.email for u in made)
    assert len(seen) == len(set(seen))
    r = await client.get(USERS, params={"search": tag, "role": "admin"}, headers=auth)
    assert r.json()["items"] == []
    # LIKE wildcards in the search are literal.
    r = await client.get(USERS, params={"search": "%"}, headers=auth)
    assert r.status_code == 200 and r.json()["items"] == []
    r = await client.get(USERS, params={"cursor": "garbage!"}, headers=auth)
    assert r.status_code == 400 and r.json()["code"] == "invalid_cursor"
    r = await client.get(USERS, params={"role": "emperor"}, headers=auth)
    assert r.status_code == 422


async def test_invite_accept_login(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin_id, auth = await _staff(session, settings)
    email = unique_email("invitee")
    r = await client.post(
        INVITE, json={"email": email, "name": "Ivy", "role": "compliance"}, headers=auth
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "invited"
    user_id = r.json()["id"]
    token = await _invitation_token(session, settings, email)
    assert "Ivy" in (await queued_emails(session, to=email))[0].text_body

    r = await client.get(f"/api/v1/auth/invitations/{token}")
    assert r.status_code == 200
    info = r.json()
    assert info["email"] == email and info["role"] == "compliance" and info["entity_role"] is None
    assert info["expires_at"].endswith("Z")

    # Not active yet: cannot log in.
    assert (
        await client.post("/api/v1/auth/login", json={"email": email, "password": NEW_PASSWORD})
    ).status_code == 401

    weak = await client.post(f"/api/v1/auth/invitations/{token}/accept", json={"password": "x"})
    assert weak.status_code == 422 and weak.json()["code"] == "weak_password"
    r = await client.post(
        f"/api/v1/auth/invitations/{token}/accept",
        json={"password": NEW_PASSWORD, "name": "Ivy Green"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "active" and r.json()["name"] == "Ivy Green"

    r = await client.post("/api/v1/auth/login", json={"email": email, "password": NEW_PASSWORD})
    assert r.status_code == 200
    assert r.json()["user"]["role"] == "compliance"

    again = await client.post(
        f"/api/v1/auth/invitations/{token}/accept", json={"password": NEW_PASSWORD}
    )
    assert again.status_code == 409 and again.json()["code"] == "invitation_used"
    assert (await client.get(f"/api/v1/auth/invitations/{token}")).status_code == 409

    invited = await audit_rows(session, "user_invited", user_id)
    assert invited[0].actor_id == admin_id and token not in str(invited[0].after)
    accepted = await audit_rows(session, "invitation_accepted", user_id)
    assert accepted[0].actor_id == uuid.UUID(user_id)

    taken = await client.post(
        INVITE, json={"email": email, "name": "Ivy", "role": "compliance"}, headers=auth
    )
    assert taken.status_code == 409 and taken.json()["code"] == "email_taken"


async def test_invite_entity_member(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, auth = await _staff(session, settings)
    entity_id = uuid.uuid4()
    email = unique_email("trader")
    r = await client.post(
        INVITE,
        json={"email": email, "name": "Tom", "entity_role": "trader", "entity_id": str(entity_id)},
        headers=auth,
    )
    assert r.status_code == 201, r.text
    assert r.json()["entity_id"] == str(entity_id) and r.json()["role"] is None
    for bad in (
        {"email": unique_email(), "name": "A"},
        {"email": unique_email(), "name": "A", "role": "admin", "entity_role": "owner"},
        {"email": unique_email(), "name": "A", "role": "admin", "entity_id": str(entity_id)},
    ):
        r = await client.post(INVITE, json=bad, headers=auth)
        assert r.status_code == 422 and r.json()["code"] == "validation_error", bad


async def test_reinvite_replaces_the_link(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, auth = await _staff(session, settings)
    email = unique_email()
    body = {"email": email, "name": "Re", "role": "operations"}
    assert (await client.post(INVITE, json=body, headers=auth)).status_code == 201
    first = await _invitation_token(session, settings, email)
    assert (await client.post(INVITE, json=body, headers=auth)).status_code == 201
    second = await _invitation_token(session, settings, email)
    assert first != second
    r = await client.get(f"/api/v1/auth/invitations/{first}")
    assert r.status_code == 410 and r.json()["code"] == "invitation_revoked"
    assert (await client.get(f"/api/v1/auth/invitations/{second}")).status_code == 200


async def test_expired_and_unknown_invitations(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, frozen: Clock
) -> None:
    _, auth = await _staff(session, settings)
    email = unique_email()
    r = await client.post(
        INVITE, json={"email": email, "name": "Ex", "entity_role": "viewer"}, headers=auth
    )
    assert r.status_code == 201
    token = await _invitation_token(session, settings, email)
    frozen.advance(hours=settings.invitation_ttl_hours, seconds=1)
    r = await client.get(f"/api/v1/auth/invitations/{token}")
    assert r.status_code == 410 and r.json()["code"] == "invitation_expired"
    r = await client.post(
        f"/api/v1/auth/invitations/{token}/accept", json={"password": NEW_PASSWORD}
    )
    assert r.status_code == 410 and r.json()["code"] == "invitation_expired"
    r = await client.get("/api/v1/auth/invitations/nope")
    assert r.status_code == 404 and r.json()["code"] == "invitation_not_found"
    r = await client.post("/api/v1/auth/invitations/nope/accept", json={"password": NEW_PASSWORD})
    assert r.status_code == 404


async def test_disabling_an_invited_user_kills_the_invitation(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    _, auth = await _staff(session, settings)
    email = unique_email()
    r = await client.post(
        INVITE, json={"email": email, "name": "D", "role": "operations"}, headers=auth
    )
    token = await _invitation_token(session, settings, email)
    user_id = r.json()["id"]
    r = await client.patch(f"{USERS}/{user_id}", json={"status": "disabled"}, headers=auth)
    assert r.status_code == 200
    r = await client.get(f"/api/v1/auth/invitations/{token}")
    assert r.status_code == 410
    # Enabling again brings them back to "invited" (no password yet): a new invite is needed.
    r = await client.patch(f"{USERS}/{user_id}", json={"status": "active"}, headers=auth)
    assert r.json()["status"] == "invited"
    assert (
        await client.post(
            INVITE, json={"email": email, "name": "D", "role": "operations"}, headers=auth
        )
    ).status_code == 201
