"""Funding test helpers: an approved client entity with its users, staff, shortcuts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.core.clock import isoformat_z, utcnow
from niha.core.ids import new_id
from niha.ledger import service as ledger
from niha.onboarding.models import Entity
from tests.identity.factories import bearer, make_user, token_for
from tests.kyc import samples

Headers = dict[str, str]

VALID_IBANS = [
    # (IBAN, a BIC of that country, the country)
    ("DE89370400440532013000", "COBADEFFXXX", "DE"),
    ("GB82WEST12345698765432", "NWBKGB2L", "GB"),
    ("FR1420041010050500013M02606", "PSSTFRPP", "FR"),
    ("NL91ABNA0417164300", "ABNANL2A", "NL"),
    ("ES9121000418450200051332", "CAIXESBB", "ES"),
    ("IT60X0542811101000000123456", "BLOPIT22", "IT"),
    ("BE68539007547034", "GEBABEBB", "BE"),
    ("AT611904300234573201", "BKAUATWW", "AT"),
    ("CH9300762011623852957", "UBSWCHZH80A", "CH"),
    ("PL61109010140000071219812874", "WBKPPLPP", "PL"),
]


@dataclass
class Person:
    user_id: uuid.UUID
    headers: Headers


@dataclass
class World:
    entity_id: uuid.UUID
    owner: Person
    viewer: Person
    ops: Person  # operations: confirms deposits, completes withdrawals
    compliance: Person  # releases holds, approves withdrawals
    admin: Person
    admin2: Person


async def make_entity(
    session: AsyncSession,
    *,
    legal_name: str = "Acme Carbon GmbH",
    jurisdiction: str = "DE",
    country: str = "DE",
    status: str = "APPROVED",
    kyc_status: str = "APPROVED",
) -> Entity:
    now = utcnow()
    entity = Entity(
        id=new_id(),
        entity_type="COMPANY",
        legal_name=legal_name,
        registration_number="HRB 123456",
        jurisdiction=jurisdiction,
        country=country,
        status=status,
        kyc_status=kyc_status,
        status_updated_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(entity)
    await session.flush()
    return entity


async def person(
    session: AsyncSession,
    settings: Settings,
    *,
    role: str | None = None,
    entity_role: str | None = None,
    entity_id: uuid.UUID | None = None,
) -> Person:
    user = await make_user(session, role=role, entity_role=entity_role, entity_id=entity_id)
    return Person(user.id, bearer(await token_for(session, settings, user)))


async def make_world(session: AsyncSession, settings: Settings, **entity: Any) -> World:
    e = await make_entity(session, **entity)
    return World(
        entity_id=e.id,
        owner=await person(session, settings, entity_role="owner", entity_id=e.id),
        viewer=await person(session, settings, entity_role="viewer", entity_id=e.id),
        ops=await person(session, settings, role="operations"),
        compliance=await person(session, settings, role="compliance"),
        admin=await person(session, settings, role="admin"),
        admin2=await person(session, settings, role="admin"),
    )


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    return body


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


async def balance(
    session: AsyncSession, entity_id: uuid.UUID, asset: str = "EUR"
) -> dict[str, str]:
    for b in await ledger.balances(session, entity_id):
        if b.asset == asset:
            from niha.core.money import format_amount

            return {
                "available": format_amount(b.available, b.scale),
                "reserved": format_amount(b.reserved, b.scale),
                "on_hold": format_amount(b.on_hold, b.scale),
                "settling": format_amount(b.settling, b.scale),
            }
    raise AssertionError(f"no {asset} balance")


async def announce(
    client: httpx.AsyncClient, w: World, amount: str = "1000.00", **extra: Any
) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/funding/deposits/announce",
        json={"amount": amount, "currency": "EUR", **extra},
        headers=w.owner.headers,
    )
    return ok(r, 201)  # type: ignore[no-any-return]


def receipt(amount: str = "1000.00", at: datetime | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "actual_amount": amount,
        "actual_currency": "EUR",
        "received_at": isoformat_z(at or utcnow()),
        **extra,
    }


async def confirm(
    client: httpx.AsyncClient, w: World, deposit_id: str, amount: str = "1000.00", **extra: Any
) -> dict[str, Any]:
    r = await client.post(
        f"/api/v1/admin/deposits/{deposit_id}/confirm",
        json=receipt(amount, **extra),
        headers=w.ops.headers,
    )
    return ok(r)  # type: ignore[no-any-return]


async def hold_of(client: httpx.AsyncClient, w: World, deposit_id: str) -> dict[str, Any]:
    r = await client.get(
        "/api/v1/admin/aml/holds", params={"limit": 200}, headers=w.compliance.headers
    )
    for h in ok(r)["items"]:
        if h["deposit_id"] == deposit_id:
            return h  # type: ignore[no-any-return]
    raise AssertionError("no hold for the deposit")


async def funded(client: httpx.AsyncClient, w: World, amount: str = "1000.00") -> dict[str, Any]:
    """A deposit announced, received and released: ``amount`` available."""
    d = await announce(client, w, amount)
    await confirm(client, w, d["id"], amount)
    h = await hold_of(client, w, d["id"])
    ok(
        await client.post(
            f"/api/v1/admin/aml/holds/{h['id']}/release", headers=w.compliance.headers
        )
    )
    return d


async def add_account(
    client: httpx.AsyncClient,
    w: World,
    iban: str = "DE89370400440532013000",
    swift: str = "COBADEFFXXX",
    country: str = "DE",
    name: str = "Acme Carbon GmbH",
) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/funding/bank-accounts",
        json={
            "account_name": name,
            "iban": iban,
            "swift": swift,
            "bank_name": "Commerzbank",
            "country": country,
        },
        headers=w.owner.headers,
    )
    return ok(r, 201)  # type: ignore[no-any-return]


async def verify(client: httpx.AsyncClient, w: World, account_id: str) -> dict[str, Any]:
    r = await client.post(
        f"/api/v1/admin/bank-accounts/{account_id}/verify",
        files={"file": ("statement.pdf", samples.pdf("Bank statement"), "application/pdf")},
        data={"notes": "Statement matches"},
        headers=w.compliance.headers,
    )
    return ok(r)  # type: ignore[no-any-return]


async def verified_account(client: httpx.AsyncClient, w: World, **kw: Any) -> dict[str, Any]:
    account = await add_account(client, w, **kw)
    return await verify(client, w, account["id"])
