"""Helpers for onboarding and KYC API tests: users, a complete entity, uploads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.identity.models import User
from tests.identity.factories import bearer, make_user, reload_user, token_for
from tests.kyc import samples
from tests.outbox import StoredEvent, stored_events

COMPANY: dict[str, Any] = {
    "entity_type": "COMPANY",
    "legal_name": "Acme Carbon GmbH",
    "registration_number": "HRB 123456",
    "jurisdiction": "DE",
    "address_line1": "Unter den Linden 1",
    "city": "Berlin",
    "postal_code": "10117",
    "country": "DE",
    "tax_id": "DE136695976",
    "incorporation_date": "2015-03-01",
    "website": "https://acme.example",
}
INDIVIDUAL: dict[str, Any] = {
    "entity_type": "INDIVIDUAL",
    "legal_name": "Erika Mustermann",
    "registration_number": "C01X00T47",
    "jurisdiction": "DE",
    "address_line1": "Heidestrasse 17",
    "city": "Köln",
    "postal_code": "51147",
    "country": "DE",
}
COMPANY_DOCS = [
    "company_registration",
    "articles_of_association",
    "shareholder_register",
    "ubo_declaration",
    "passport",
]
INDIVIDUAL_DOCS = ["passport", "proof_of_address"]


@dataclass
class Client:
    """An entity member with a token (``user`` is reloaded on demand)."""

    user: User
    headers: dict[str, str]


async def staff(session: AsyncSession, settings: Settings, role: str = "compliance") -> Client:
    user = await make_user(session, role=role)
    return Client(user, bearer(await token_for(session, settings, user)))


async def new_owner(session: AsyncSession, settings: Settings) -> Client:
    """An owner invited by staff who has not created an entity yet."""
    user = await make_user(session, entity_role="owner")
    user.entity_id = None
    await session.flush()
    return Client(user, bearer(await token_for(session, settings, user)))


async def member(
    session: AsyncSession, settings: Settings, entity_id: Any, role: str = "trader"
) -> Client:
    user = await make_user(session, entity_role=role, entity_id=entity_id)
    return Client(user, bearer(await token_for(session, settings, user)))


async def create_entity(
    client: httpx.AsyncClient, who: Client, payload: dict[str, Any] | None = None
) -> dict[str, Any]:
    r = await client.post("/api/v1/onboarding/entity", json=payload or COMPANY, headers=who.headers)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def upload(
    client: httpx.AsyncClient,
    who: Client,
    document_type: str,
    data: bytes | None = None,
    filename: str = "doc.pdf",
    content_type: str = "application/pdf",
    notes: str | None = None,
) -> httpx.Response:
    form = {"document_type": document_type}
    if notes is not None:
        form["client_notes"] = notes
    return await client.post(
        "/api/v1/kyc/documents/upload",
        files={
            "file": (
                filename,
                data if data is not None else samples.pdf(document_type),
                content_type,
            )
        },
        data=form,
        headers=who.headers,
    )


async def upload_all(
    client: httpx.AsyncClient, who: Client, kinds: list[str]
) -> dict[str, dict[str, Any]]:
    docs = {}
    for kind in kinds:
        r = await upload(client, who, kind)
        assert r.status_code == 201, r.text
        docs[kind] = r.json()
    return docs


async def submitted_entity(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, individual: bool = False
) -> tuple[Client, dict[str, Any], dict[str, dict[str, Any]]]:
    """An owner with a complete entity (a company unless ``individual``) in PENDING_REVIEW and
    its documents pending."""
    owner = await new_owner(session, settings)
    entity = await create_entity(client, owner, INDIVIDUAL if individual else COMPANY)
    docs = await upload_all(client, owner, INDIVIDUAL_DOCS if individual else COMPANY_DOCS)
    r = await client.post(f"/api/v1/onboarding/entity/{entity['id']}/submit", headers=owner.headers)
    assert r.status_code == 200, r.text
    return owner, r.json(), docs


async def approved_entity(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    reviewer: Client,
    individual: bool = False,
) -> tuple[Client, dict[str, Any]]:
    owner, entity, docs = await submitted_entity(client, session, settings, individual)
    for d in docs.values():
        r = await client.post(
            f"/api/v1/admin/kyc/documents/{d['id']}/approve", headers=reviewer.headers
        )
        assert r.status_code == 200, r.text
    r = await client.post(
        f"/api/v1/admin/entities/{entity['id']}/approve", headers=reviewer.headers
    )
    assert r.status_code == 200, r.text
    return owner, r.json()


async def events(
    session: AsyncSession, channel: str, event: str | None = None
) -> list[StoredEvent]:
    return await stored_events(session, channel, event)


__all__ = ["reload_user"]
