"""The public contact form and staff handling of contact requests."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.identity.models import User
from niha.notifications.models import EmailMessageRow
from tests.identity.factories import audit_rows, make_user, unique_email
from tests.onboarding.helpers import events, staff

FORM: dict[str, Any] = {
    "name": "Mei Chen",
    "company": "Shanghai Green Energy Ltd",
    "country": "CN",
    "message": "We would like to buy CEA and swap some into EUA.",
    "interest": "EUA_AND_CEA",
}


def form(**overrides: Any) -> dict[str, Any]:
    return {**FORM, "email": unique_email("prospect"), **overrides}


async def submit(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/contact-requests", json=form(**overrides))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_public_form_creates_a_new_request_audits_and_tells_staff(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    r = await client.post(
        "/api/v1/contact-requests", json=form(email="Mei.Chen@Example.COM", country="cn")
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "NEW" and body["id"] and body["created_at"].endswith("Z")
    assert set(body) == {"id", "status", "created_at"}  # nothing echoed back

    [row] = await audit_rows(session, "contact_request_created", body["id"])
    assert row.actor_id is None and row.actor_email == "mei.chen@example.com"
    [event] = [
        e
        for e in await events(session, "backoffice", "contact_request.created")
        if e.data["id"] == body["id"]
    ]
    assert event.data["company"] == FORM["company"]

    reviewer = await staff(session, settings, "operations")
    r = await client.get("/api/v1/admin/contact-requests", headers=reviewer.headers)
    [item] = [i for i in r.json()["items"] if i["id"] == body["id"]]
    assert item["email"] == "mei.chen@example.com" and item["country"] == "CN"
    assert item["ip"] == "127.0.0.1"


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"country": "XX"}, "country"),
        ({"country": "DEU"}, "country"),
        ({"message": ""}, "message"),
        ({"message": "x" * 5001}, "message"),
        ({"interest": "GOLD"}, "interest"),
        ({"name": "Line\nbreak"}, "name"),
        ({"extra": "field"}, "extra"),
        ({"company": 12}, "company"),
    ],
)
async def test_bad_form_input_names_the_field(
    client: httpx.AsyncClient, overrides: dict[str, Any], field: str
) -> None:
    r = await client.post("/api/v1/contact-requests", json=form(**overrides))
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_error"
    assert field in {e["field"] for e in r.json()["errors"]}


async def test_company_is_optional_for_individuals(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/contact-requests", json=form(company="  "))
    assert r.status_code == 201


async def test_rate_limited_per_ip(app: Any, settings: Settings) -> None:
    settings.contact_rate_per_ip = "3/hour"
    codes = []
    for ip in ["10.0.0.1"] * 4 + ["10.0.0.2"]:
        transport = httpx.ASGITransport(app=app, client=(ip, 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            codes.append((await c.post("/api/v1/contact-requests", json=form())).status_code)
    assert codes == [201, 201, 201, 429, 201]


async def test_staff_list_filters_and_pages(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    marker = unique_email("filter").split("@")[0]
    ids = [
        (await submit(client, company=f"{marker} {i}", email=f"{marker}{i}@example.com"))["id"]
        for i in range(3)
    ]
    reviewer = await staff(session, settings, "operations")
    await client.patch(
        f"/api/v1/admin/contact-requests/{ids[0]}",
        json={"status": "CONTACTED"},
        headers=reviewer.headers,
    )
    r = await client.get(
        "/api/v1/admin/contact-requests",
        params={"search": marker, "limit": 2},
        headers=reviewer.headers,
    )
    page1 = r.json()
    assert [i["id"] for i in page1["items"]] == [ids[2], ids[1]]  # newest first
    r = await client.get(
        "/api/v1/admin/contact-requests",
        params={"search": marker, "limit": 2, "cursor": page1["next_cursor"]},
        headers=reviewer.headers,
    )
    assert [i["id"] for i in r.json()["items"]] == [ids[0]]
    assert r.json()["next_cursor"] is None

    r = await client.get(
        "/api/v1/admin/contact-requests",
        params={"search": marker, "status": "CONTACTED"},
        headers=reviewer.headers,
    )
    assert [i["id"] for i in r.json()["items"]] == [ids[0]]
    r = await client.get(
        "/api/v1/admin/contact-requests",
        params={"search": marker, "date_from": "2999-01-01T00:00:00Z"},
        headers=reviewer.headers,
    )
    assert r.json()["items"] == []
    r = await client.get(
        "/api/v1/admin/contact-requests", params={"status": "BOGUS"}, headers=reviewer.headers
    )
    assert r.status_code == 422


ALLOWED = {
    ("NEW", "CONTACTED"),
    ("NEW", "CLOSED"),
    ("CONTACTED", "CONVERTED"),
    ("CONTACTED", "CLOSED"),
}
PATHS = {
    "NEW": [],
    "CONTACTED": ["CONTACTED"],
    "CONVERTED": ["CONTACTED", "CONVERTED"],
    "CLOSED": ["CLOSED"],
}


@pytest.mark.parametrize("start", list(PATHS))
async def test_every_status_change_through_the_api(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, start: str
) -> None:
    reviewer = await staff(session, settings, "operations")
    for target in ["NEW", "CONTACTED", "CONVERTED", "CLOSED"]:
        if target == start:
            continue
        created = await submit(client)
        url = f"/api/v1/admin/contact-requests/{created['id']}"
        for step in PATHS[start]:
            r = await client.patch(url, json={"status": step}, headers=reviewer.headers)
            assert r.status_code == 200, r.text
        r = await client.patch(url, json={"status": target}, headers=reviewer.headers)
        if (start, target) in ALLOWED:
            assert r.status_code == 200, (start, target, r.text)
            assert r.json()["status"] == target
        else:
            assert r.status_code == 409, (start, target, r.text)
            assert r.json()["code"] == "invalid_transition"


async def test_notes_are_saved_audited_and_cleared(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    reviewer = await staff(session, settings, "admin")
    created = await submit(client)
    url = f"/api/v1/admin/contact-requests/{created['id']}"
    r = await client.patch(url, json={"notes": "Called, wants a demo"}, headers=reviewer.headers)
    assert r.json()["notes"] == "Called, wants a demo" and r.json()["status"] == "NEW"
    assert r.json()["handled_by"] == str(reviewer.user.id)
    r = await client.patch(url, json={"status": "CONTACTED"}, headers=reviewer.headers)
    assert r.json()["notes"] == "Called, wants a demo"  # untouched when not sent
    r = await client.patch(url, json={"notes": None}, headers=reviewer.headers)
    assert r.json()["notes"] is None
    rows = await audit_rows(session, "contact_request_updated", created["id"])
    assert [row.after for row in rows] == [
        {"status": "NEW", "notes": "Called, wants a demo"},
        {"status": "CONTACTED", "notes": "Called, wants a demo"},
        {"status": "CONTACTED", "notes": None},
    ]
    r = await client.patch(url, json={"notes": "x" * 5001}, headers=reviewer.headers)
    assert r.status_code == 422


async def test_invite_creates_an_invited_owner_and_converts(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    reviewer = await staff(session, settings, "operations")
    created = await submit(client, email=unique_email("invitee"))
    url = f"/api/v1/admin/contact-requests/{created['id']}/invite"
    r = await client.post(url, headers=reviewer.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "CONVERTED" and body["invited_at"]
    user = await session.get(User, body["invited_user_id"])
    assert user is not None
    assert (user.status, user.entity_role, user.entity_id, user.role) == (
        "invited",
        "owner",
        None,
        None,
    )
    assert user.email == body["email"]
    mail = await session.scalar(
        select(EmailMessageRow).where(EmailMessageRow.to_address == user.email)
    )
    assert mail is not None and "/invite/" in mail.text_body
    assert await audit_rows(session, "contact_request_invited", created["id"])

    # A converted request may be invited again (a fresh link), a closed one not.
    r = await client.post(url, json={"name": "Mei Chen-Wang"}, headers=reviewer.headers)
    assert r.status_code == 200
    assert (await session.get(User, body["invited_user_id"], populate_existing=True)).name == (
        "Mei Chen-Wang"
    )
    closed = await submit(client)
    await client.patch(
        f"/api/v1/admin/contact-requests/{closed['id']}",
        json={"status": "CLOSED"},
        headers=reviewer.headers,
    )
    r = await client.post(
        f"/api/v1/admin/contact-requests/{closed['id']}/invite", headers=reviewer.headers
    )
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"


async def test_invite_refuses_an_address_that_already_has_a_user(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    reviewer = await staff(session, settings, "admin")
    existing = await make_user(session, role="compliance")
    pending_staff = await make_user(
        session, role="operations", status="invited", with_password=False
    )
    for address in [existing.email, pending_staff.email]:
        created = await submit(client, email=address)
        r = await client.post(
            f"/api/v1/admin/contact-requests/{created['id']}/invite", headers=reviewer.headers
        )
        assert r.status_code == 409 and r.json()["code"] == "email_taken", address
        assert (await session.get(User, pending_staff.id, populate_existing=True)).role == (
            "operations"
        )


async def test_contact_requests_are_staff_only(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    created = await submit(client)
    compliance = await staff(session, settings, "compliance")
    r = await client.patch(
        f"/api/v1/admin/contact-requests/{created['id']}",
        json={"status": "CONTACTED"},
        headers=compliance.headers,
    )
    assert r.status_code == 403  # compliance reads, operations and admins handle
    r = await client.get("/api/v1/admin/contact-requests", headers=compliance.headers)
    assert r.status_code == 200
    r = await client.get("/api/v1/admin/contact-requests")
    assert r.status_code == 401


async def test_unknown_request_is_404(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    reviewer = await staff(session, settings, "admin")
    url = "/api/v1/admin/contact-requests/0190a0a0-0000-7000-8000-000000000000"
    r = await client.patch(url, json={"status": "CONTACTED"}, headers=reviewer.headers)
    assert r.status_code == 404 and r.json()["code"] == "contact_request_not_found"
    r = await client.post(url + "/invite", headers=reviewer.headers)
    assert r.status_code == 404
    r = await client.patch(
        "/api/v1/admin/contact-requests/not-a-uuid", json={}, headers=reviewer.headers
    )
    assert r.status_code == 422
