"""Entities: the client's draft, submission, staff review, members, and isolation."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.identity.models import User
from tests.identity.factories import audit_rows, reload_user, unique_email
from tests.onboarding.helpers import (
    COMPANY,
    COMPANY_DOCS,
    INDIVIDUAL,
    INDIVIDUAL_DOCS,
    approved_entity,
    create_entity,
    events,
    member,
    new_owner,
    staff,
    submitted_entity,
    upload_all,
)

BASE = "/api/v1/onboarding/entity"


async def test_invited_owner_creates_a_draft_and_becomes_its_owner(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await new_owner(session, settings)
    r = await client.get(BASE, headers=owner.headers)
    assert r.status_code == 404 and r.json()["code"] == "entity_not_found"

    entity = await create_entity(
        client, owner, {**COMPANY, "country": "de", "website": "acme.example"}
    )
    assert entity["status"] == "DRAFT" and entity["kyc_status"] == "NOT_STARTED"
    assert entity["country"] == "DE" and entity["website"] == "https://acme.example"
    assert entity["status_updated_by"] == str(owner.user.id)
    assert entity["status_updated_at"].endswith("Z")
    user = await reload_user(session, owner.user.id)
    assert (user.entity_id, user.entity_role) == (entity["id"], "owner") or (
        str(user.entity_id),
        user.entity_role,
    ) == (entity["id"], "owner")

    r = await client.get(BASE, headers=owner.headers)
    assert r.json()["id"] == entity["id"]
    assert await audit_rows(session, "entity_created", entity["id"])
    assert await audit_rows(session, "user_attached_to_entity", owner.user.id)

    r = await client.post(BASE, json=COMPANY, headers=owner.headers)
    assert r.status_code == 409 and r.json()["code"] == "entity_exists"


async def test_a_draft_may_be_incomplete_and_submit_lists_what_is_missing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await new_owner(session, settings)
    entity = await create_entity(
        client, owner, {"entity_type": "COMPANY", "legal_name": "Half Done"}
    )
    assert entity["registration_number"] is None
    r = await client.post(f"{BASE}/{entity['id']}/submit", headers=owner.headers)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "incomplete_entity"
    assert body["missing_fields"] == [
        "registration_number",
        "jurisdiction",
        "address_line1",
        "city",
        "postal_code",
        "country",
        "incorporation_date",
    ]
    assert body["missing_documents"] == COMPANY_DOCS
    assert "registration_number" in body["detail"] and "ubo_declaration" in body["detail"]

    r = await client.put(f"{BASE}/{entity['id']}", json=COMPANY, headers=owner.headers)
    assert r.status_code == 200 and r.json()["legal_name"] == COMPANY["legal_name"]
    await upload_all(client, owner, COMPANY_DOCS[:3])
    r = await client.post(f"{BASE}/{entity['id']}/submit", headers=owner.headers)
    assert r.json()["missing_fields"] == []
    assert r.json()["missing_documents"] == COMPANY_DOCS[3:]
    await upload_all(client, owner, COMPANY_DOCS[3:])
    r = await client.post(f"{BASE}/{entity['id']}/submit", headers=owner.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "PENDING_REVIEW" and r.json()["kyc_status"] == "SUBMITTED"
    assert r.json()["submitted_at"]
    [event] = [
        e
        for e in await events(session, "backoffice", "entity.submitted")
        if e.data["entity_id"] == entity["id"]
    ]
    assert event.data["legal_name"] == COMPANY["legal_name"]
    assert await audit_rows(session, "entity_submitted", entity["id"])


async def test_individuals_need_fewer_fields_and_documents(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await new_owner(session, settings)
    entity = await create_entity(client, owner, INDIVIDUAL)
    await upload_all(client, owner, INDIVIDUAL_DOCS)
    r = await client.post(f"{BASE}/{entity['id']}/submit", headers=owner.headers)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "overrides,field,code",
    [
        ({"entity_type": "TRUST"}, "entity_type", "validation_error"),
        ({"country": "XX"}, "country", "validation_error"),
        ({"jurisdiction": "XX-YY"}, "jurisdiction", "validation_error"),
        ({"incorporation_date": "2999-01-01"}, "incorporation_date", "validation_error"),
        ({"incorporation_date": "yesterday"}, "incorporation_date", "validation_error"),
        ({"website": "javascript:alert(1)"}, "website", "validation_error"),
        ({"legal_name": "x" * 201}, "legal_name", "validation_error"),
        ({"legal_name": "Two\nLines"}, "legal_name", "validation_error"),
        ({"postal_code": "<b>"}, "postal_code", "validation_error"),
        ({"contact_email": "nope"}, "contact_email", "validation_error"),
        ({"contact_phone": "call me"}, "contact_phone", "validation_error"),
        ({"status": "APPROVED"}, "status", "validation_error"),  # clients cannot set it
        ({"tax_id": "DE136695977"}, "tax_id", "invalid_tax_id"),
        ({"tax_id": "12345", "jurisdiction": "FR", "country": "FR"}, "tax_id", "invalid_tax_id"),
    ],
)
async def test_bad_entity_fields_are_refused_with_the_field(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    overrides: dict[str, Any],
    field: str,
    code: str,
) -> None:
    owner = await new_owner(session, settings)
    r = await client.post(BASE, json={**COMPANY, **overrides}, headers=owner.headers)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code
    assert field in {e["field"] for e in r.json()["errors"]}
    user = await reload_user(session, owner.user.id)
    assert user.entity_id is None  # nothing was created


async def test_tax_id_is_checked_against_the_jurisdiction(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await new_owner(session, settings)
    payload = {**COMPANY, "jurisdiction": "CN", "country": "CN", "tax_id": "91110000600037341L"}
    entity = await create_entity(client, owner, payload)
    assert entity["tax_id"] == "91110000600037341L"
    r = await client.put(
        f"{BASE}/{entity['id']}",
        json={**payload, "tax_id": "91110000600037341X"},
        headers=owner.headers,
    )
    assert r.status_code == 422 and r.json()["code"] == "invalid_tax_id"


async def test_edits_only_in_draft_or_changes_requested(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    reviewer = await staff(session, settings)
    owner, entity, _ = await submitted_entity(client, session, settings)
    url = f"{BASE}/{entity['id']}"
    r = await client.put(url, json={**COMPANY, "city": "Hamburg"}, headers=owner.headers)
    assert r.status_code == 409 and r.json()["code"] == "entity_not_editable"
    r = await client.post(f"{url}/submit", headers=owner.headers)
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"

    r = await client.post(
        f"/api/v1/admin/entities/{entity['id']}/request-changes",
        json={"comments": "Registration number does not match the extract."},
        headers=reviewer.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "CHANGES_REQUESTED"
    assert r.json()["review_comments"] == "Registration number does not match the extract."
    assert r.json()["status_updated_by"] == str(reviewer.user.id)

    r = await client.get(BASE, headers=owner.headers)
    assert r.json()["review_comments"].startswith("Registration number")
    r = await client.put(
        url, json={**COMPANY, "registration_number": "HRB 654321"}, headers=owner.headers
    )
    assert r.status_code == 200
    [row] = await audit_rows(session, "entity_updated", entity["id"])
    assert row.before == {"registration_number": "HRB 123456"}
    assert row.after == {"registration_number": "HRB 654321"}
    r = await client.post(f"{url}/submit", headers=owner.headers)
    assert r.status_code == 200 and r.json()["status"] == "PENDING_REVIEW"


async def test_approval_needs_every_required_document_approved(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    reviewer = await staff(session, settings)
    owner, entity, docs = await submitted_entity(client, session, settings)
    approve = f"/api/v1/admin/entities/{entity['id']}/approve"
    r = await client.post(approve, headers=reviewer.headers)
    assert r.status_code == 409 and r.json()["code"] == "kyc_incomplete"
    assert r.json()["documents"] == COMPANY_DOCS
    for kind in COMPANY_DOCS[:-1]:
        await client.post(
            f"/api/v1/admin/kyc/documents/{docs[kind]['id']}/approve", headers=reviewer.headers
        )
    r = await client.post(approve, headers=reviewer.headers)
    assert r.status_code == 409 and r.json()["documents"] == ["passport"]
    await client.post(
        f"/api/v1/admin/kyc/documents/{docs['passport']['id']}/approve", headers=reviewer.headers
    )
    r = await client.post(approve, headers=reviewer.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["kyc_status"]) == ("APPROVED", "APPROVED")
    assert body["approved_at"] and body["status_updated_by"] == str(reviewer.user.id)

    [row] = await audit_rows(session, "entity_approved", entity["id"])
    assert row.actor_id == reviewer.user.id
    notes = [
        e
        for e in await events(session, "notifications", "entity.approved")
        if e.data["entity_id"] == entity["id"]
    ]
    assert len(notes) == 1 and str(notes[0].entity_id) == entity["id"]
    assert [
        e
        for e in await events(session, "backoffice", "entity.approved")
        if e.data["entity_id"] == entity["id"]
    ]
    r = await client.get("/api/v1/kyc/status", headers=owner.headers)
    assert r.json()["status"] == "APPROVED"

    r = await client.post(approve, headers=reviewer.headers)
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"


async def test_suspend_and_reactivate(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    reviewer = await staff(session, settings)
    owner, entity = await approved_entity(client, session, settings, reviewer)
    admin = f"/api/v1/admin/entities/{entity['id']}"
    r = await client.post(f"{admin}/suspend", json={"reason": ""}, headers=reviewer.headers)
    assert r.status_code == 422
    r = await client.post(
        f"{admin}/suspend", json={"reason": "Sanctions screening hit"}, headers=reviewer.headers
    )
    assert r.status_code == 200 and r.json()["status"] == "SUSPENDED"
    assert r.json()["kyc_status"] == "REJECTED"
    r = await client.get("/api/v1/kyc/status", headers=owner.headers)
    assert r.json()["status"] == "REJECTED"
    assert r.json()["comments"][0]["text"] == "Sanctions screening hit"
    r = await client.post(f"{admin}/suspend", json={"reason": "again"}, headers=reviewer.headers)
    assert r.status_code == 409
    r = await client.post(f"{admin}/reactivate", headers=reviewer.headers)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["kyc_status"]) == ("APPROVED", "APPROVED")
    r = await client.post(f"{admin}/reactivate", headers=reviewer.headers)
    assert r.status_code == 409
    assert await audit_rows(session, "entity_suspended", entity["id"])
    assert await audit_rows(session, "entity_reactivated", entity["id"])
    for event in ["entity.suspended", "entity.reactivated"]:
        [note] = [
            e
            for e in await events(session, "notifications", event)
            if e.data["entity_id"] == entity["id"]
        ]
        assert str(note.entity_id) == entity["id"]
        assert [
            e
            for e in await events(session, "backoffice", event)
            if e.data["entity_id"] == entity["id"]
        ]


ACTIONS = {
    "approve": None,
    "request-changes": {"comments": "Please fix"},
    "suspend": {"reason": "Review"},
    "reactivate": None,
}
ALLOWED = {
    ("DRAFT", "suspend"): False,
    ("PENDING_REVIEW", "approve"): True,
    ("PENDING_REVIEW", "request-changes"): True,
    ("PENDING_REVIEW", "suspend"): True,
    ("CHANGES_REQUESTED", "suspend"): True,
    ("APPROVED", "suspend"): True,
    ("SUSPENDED", "reactivate"): True,
}


async def _entity_in(
    status: str, client: httpx.AsyncClient, session: AsyncSession, settings: Settings, reviewer: Any
) -> str:
    if status == "DRAFT":
        owner = await new_owner(session, settings)
        return str((await create_entity(client, owner, INDIVIDUAL))["id"])
    if status == "APPROVED" or status == "SUSPENDED":
        _, entity = await approved_entity(client, session, settings, reviewer, individual=True)
        if status == "SUSPENDED":
            await client.post(
                f"/api/v1/admin/entities/{entity['id']}/suspend",
                json={"reason": "x"},
                headers=reviewer.headers,
            )
        return str(entity["id"])
    _, entity, docs = await submitted_entity(client, session, settings, individual=True)
    if status == "CHANGES_REQUESTED":
        await client.post(
            f"/api/v1/admin/entities/{entity['id']}/request-changes",
            json={"comments": "x"},
            headers=reviewer.headers,
        )
    else:
        for d in docs.values():
            await client.post(
                f"/api/v1/admin/kyc/documents/{d['id']}/approve", headers=reviewer.headers
            )
    return str(entity["id"])


@pytest.mark.parametrize(
    "status", ["DRAFT", "PENDING_REVIEW", "CHANGES_REQUESTED", "APPROVED", "SUSPENDED"]
)
async def test_every_staff_decision_from_every_status(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, status: str
) -> None:
    reviewer = await staff(session, settings)
    for action, body in ACTIONS.items():
        entity_id = await _entity_in(status, client, session, settings, reviewer)
        r = await client.post(
            f"/api/v1/admin/entities/{entity_id}/{action}", json=body, headers=reviewer.headers
        )
        if ALLOWED.get((status, action)):
            assert r.status_code == 200, (status, action, r.text)
        else:
            assert r.status_code == 409, (status, action, r.text)
            assert r.json()["code"] == "invalid_transition"


async def test_clients_never_reach_another_entity(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    a = await new_owner(session, settings)
    b = await new_owner(session, settings)
    entity_a = await create_entity(client, a)
    await create_entity(client, b, INDIVIDUAL)
    ida = entity_a["id"]
    for method, path, body in [
        ("PUT", f"{BASE}/{ida}", COMPANY),
        ("POST", f"{BASE}/{ida}/submit", None),
        ("GET", f"{BASE}/{ida}/members", None),
        (
            "POST",
            f"{BASE}/{ida}/members",
            {"email": unique_email(), "name": "X", "entity_role": "viewer"},
        ),
    ]:
        r = await client.request(method, path, json=body, headers=b.headers)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["code"] == "entity_not_found"
    r = await client.get(BASE, headers=b.headers)
    assert r.json()["id"] != ida
    # the same answer as for an id that does not exist at all
    r = await client.put(
        f"{BASE}/0190a0a0-0000-7000-8000-000000000000", json=COMPANY, headers=b.headers
    )
    assert r.status_code == 404 and r.json()["code"] == "entity_not_found"


async def test_traders_and_viewers_read_but_do_not_edit(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await new_owner(session, settings)
    entity = await create_entity(client, owner)
    for role in ["trader", "viewer"]:
        m = await member(session, settings, entity["id"], role)
        assert (await client.get(BASE, headers=m.headers)).json()["id"] == entity["id"]
        r = await client.put(f"{BASE}/{entity['id']}", json=COMPANY, headers=m.headers)
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
        r = await client.post(f"{BASE}/{entity['id']}/submit", headers=m.headers)
        assert r.status_code == 403
    staff_user = await staff(session, settings, "super_admin")
    r = await client.get(BASE, headers=staff_user.headers)
    assert r.status_code == 403  # staff use /admin/entities


async def test_owner_invites_members(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await new_owner(session, settings)
    entity = await create_entity(client, owner)
    email = unique_email("colleague")
    url = f"{BASE}/{entity['id']}/members"
    r = await client.post(
        url,
        json={"email": email, "name": "Col League", "entity_role": "trader"},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["entity_role"]) == ("invited", "trader")
    invited = await session.scalar(select(User).where(User.email == email))
    assert invited is not None and str(invited.entity_id) == entity["id"]
    r = await client.get(url, headers=owner.headers)
    assert {m["email"] for m in r.json()} == {owner.user.email, email}
    assert await audit_rows(session, "entity_member_invited", entity["id"])

    # re-inviting the same pending colleague sends a fresh link; anyone else's address is taken
    r = await client.post(
        url,
        json={"email": email, "name": "Col League", "entity_role": "viewer"},
        headers=owner.headers,
    )
    assert r.status_code == 201 and r.json()["entity_role"] == "viewer"
    other_owner = await new_owner(session, settings)
    other = await create_entity(client, other_owner, INDIVIDUAL)
    r = await client.post(
        f"{BASE}/{other['id']}/members",
        json={"email": email, "name": "Hijack", "entity_role": "owner"},
        headers=other_owner.headers,
    )
    assert r.status_code == 409 and r.json()["code"] == "email_taken"
    assert str((await reload_user(session, invited.id)).entity_id) == entity["id"]
    r = await client.post(
        url,
        json={"email": owner.user.email, "name": "Me", "entity_role": "viewer"},
        headers=owner.headers,
    )
    assert r.status_code == 409


async def test_owner_changes_roles_and_removes_access(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await new_owner(session, settings)
    entity = await create_entity(client, owner)
    url = f"{BASE}/{entity['id']}/members"
    trader = await member(session, settings, entity["id"], "trader")
    assert (await client.get("/api/v1/auth/me", headers=trader.headers)).status_code == 200

    r = await client.patch(f"{url}/{trader.user.id}", json={"entity_role": "viewer"},
                           headers=owner.headers)  # fmt: skip
    assert r.status_code == 200 and r.json()["entity_role"] == "viewer", r.text
    r = await client.patch(f"{url}/{trader.user.id}", json={"status": "disabled"},
                           headers=owner.headers)  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "disabled"
    # their sessions end at once
    assert (await client.get("/api/v1/auth/me", headers=trader.headers)).status_code == 401
    r = await client.patch(f"{url}/{trader.user.id}", json={"status": "active"},
                           headers=owner.headers)  # fmt: skip
    assert r.status_code == 200 and r.json()["status"] == "active"
    rows = await audit_rows(session, "entity_member_updated", entity["id"])
    assert [(row.before or {}).get("entity_role") for row in rows] == ["trader", "viewer", "viewer"]

    # nothing to change, a bad role, an unknown field
    for body in ({}, {"entity_role": "admin"}, {"status": "invited"}, {"role": "admin"}):
        r = await client.patch(f"{url}/{trader.user.id}", json=body, headers=owner.headers)
        assert r.status_code == 422 and r.json()["code"] == "validation_error", body


async def test_member_changes_stay_in_the_entity(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await new_owner(session, settings)
    entity = await create_entity(client, owner)
    url = f"{BASE}/{entity['id']}/members"
    r = await client.patch(f"{url}/{owner.user.id}", json={"entity_role": "viewer"},
                           headers=owner.headers)  # fmt: skip
    assert r.status_code == 409 and r.json()["code"] == "cannot_modify_self"
    second = await member(session, settings, entity["id"], "owner")
    r = await client.patch(f"{url}/{owner.user.id}", json={"entity_role": "trader"},
                           headers=second.headers)  # fmt: skip
    assert r.status_code == 200, r.text  # another active owner remains: the caller
    other_owner = await new_owner(session, settings)
    other = await create_entity(client, other_owner, INDIVIDUAL)
    outsider = await member(session, settings, other["id"], "trader")
    admin = await staff(session, settings, "admin")
    for target in (outsider.user.id, admin.user.id, "0190a0a0-0000-7000-8000-000000000000"):
        r = await client.patch(f"{url}/{target}", json={"status": "disabled"},
                               headers=second.headers)  # fmt: skip
        assert r.status_code == 404 and r.json()["code"] == "member_not_found", target
    r = await client.patch(f"{BASE}/{other['id']}/members/{outsider.user.id}",
                           json={"status": "disabled"}, headers=second.headers)  # fmt: skip
    assert r.status_code == 404 and r.json()["code"] == "entity_not_found"
    trader = await member(session, settings, entity["id"], "trader")
    r = await client.patch(f"{url}/{second.user.id}", json={"status": "disabled"},
                           headers=trader.headers)  # fmt: skip
    assert r.status_code == 403


async def test_two_owners_removing_each_other_leave_one(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """A and B, the only owners, demote each other at the same moment. Both requests
    passed the permission check; the entity's lock orders them, and the second finds
    that its caller is no owner any more and the target is the last one: refused."""
    from niha.audit.service import Actor
    from niha.onboarding import service as onboarding

    a = await new_owner(session, settings)
    entity = await create_entity(client, a)
    b = await member(session, settings, entity["id"], "owner")
    r = await client.patch(f"{BASE}/{entity['id']}/members/{b.user.id}",
                           json={"entity_role": "trader"}, headers=a.headers)  # fmt: skip
    assert r.status_code == 200  # A's request first
    b_actor = Actor(id=b.user.id, email=b.user.email)
    entity_id = uuid.UUID(entity["id"])
    with pytest.raises(onboarding.LastOwner):  # B's request, already past its checks
        await onboarding.update_member(
            session, entity_id, a.user.id, caller_entity_id=entity_id, actor=b_actor,
            entity_role="trader",
        )  # fmt: skip
    assert (await reload_user(session, a.user.id)).entity_role == "owner"


async def test_staff_list_and_detail(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    reviewer = await staff(session, settings, "operations")
    compliance = await staff(session, settings)
    owner, entity, docs = await submitted_entity(client, session, settings)
    await client.post(
        f"/api/v1/admin/kyc/documents/{docs['passport']['id']}/reject",
        json={"reason": "Photo page cut off"},
        headers=compliance.headers,
    )
    r = await client.get(
        "/api/v1/admin/entities",
        params={"search": "Acme Carbon", "status": "PENDING_REVIEW"},
        headers=reviewer.headers,
    )
    assert entity["id"] in {e["id"] for e in r.json()["items"]}
    for params, present in [
        ({"jurisdiction": "de"}, True),
        ({"jurisdiction": "FR"}, False),
        ({"entity_type": "INDIVIDUAL"}, False),
        ({"kyc_status": "REJECTED"}, True),
        ({"kyc_status": "APPROVED"}, False),
        ({"status": "DRAFT"}, False),
    ]:
        r = await client.get(
            "/api/v1/admin/entities", params={**params, "limit": 200}, headers=reviewer.headers
        )
        assert r.status_code == 200, r.text
        assert (entity["id"] in {e["id"] for e in r.json()["items"]}) is present, params
    r = await client.get(
        "/api/v1/admin/entities", params={"kyc_status": "NOPE"}, headers=reviewer.headers
    )
    assert r.status_code == 422

    r = await client.get(f"/api/v1/admin/entities/{entity['id']}", headers=reviewer.headers)
    assert r.status_code == 200, r.text
    detail = r.json()
    assert [m["email"] for m in detail["members"]] == [owner.user.email]
    assert len(detail["documents"]) == 5
    assert detail["kyc"]["missing"] == ["passport"]
    actions = [h["action"] for h in detail["history"]]
    assert actions[0] == "entity_created" and "entity_submitted" in actions
    assert "kyc_document_rejected" in actions
    # operations read entities but do not decide
    r = await client.post(
        f"/api/v1/admin/entities/{entity['id']}/approve", headers=reviewer.headers
    )
    assert r.status_code == 403
    r = await client.get(
        "/api/v1/admin/entities/0190a0a0-0000-7000-8000-000000000000", headers=reviewer.headers
    )
    assert r.status_code == 404
