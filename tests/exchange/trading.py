"""Exchange test helpers: funded, approved trading entities and shortcuts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.core.db import Database, unit_of_work
from niha.core.errors import DomainError
from niha.ledger import service as ledger
from niha.ledger.core import AccountKey
from tests.funding.helpers import make_entity, person

Headers = dict[str, str]


@dataclass
class Trader:
    entity_id: uuid.UUID
    user_id: uuid.UUID
    headers: Headers


async def fund(
    session: AsyncSession, entity_id: uuid.UUID, *, eur: int = 0, eua: int = 0, cea: int = 0
) -> None:
    """Give an entity available balances (EUR in cents, certificates in units)."""
    for asset, amount, source in (("EUR", eur, "bank"), ("EUA", eua, "registry"),
                                  ("CEA", cea, "registry")):  # fmt: skip
        if amount:
            await ledger.transfer(
                session,
                AccountKey.platform(asset, source),
                AccountKey.entity(entity_id, asset, "available"),
                amount,
                kind="test_funding",
                key=f"test-fund:{entity_id}:{asset}:{uuid.uuid4()}",
            )


async def trader(
    session: AsyncSession,
    settings: Settings,
    *,
    eur: int = 0,
    eua: int = 0,
    cea: int = 0,
    role: str = "trader",
    **entity: Any,
) -> Trader:
    e = await make_entity(session, legal_name=f"Trader {uuid.uuid4().hex[:6]} GmbH", **entity)
    p = await person(session, settings, entity_role=role, entity_id=e.id)
    await fund(session, e.id, eur=eur, eua=eua, cea=cea)
    return Trader(e.id, p.user_id, p.headers)


async def balance(session: AsyncSession, entity_id: uuid.UUID, asset: str, bucket: str) -> int:
    return await ledger.account_balance(session, AccountKey.entity(entity_id, asset, bucket))


async def fees_balance(session: AsyncSession) -> int:
    return await ledger.account_balance(session, AccountKey.platform("EUR", "fees"))


async def place(client: httpx.AsyncClient, t: Trader, **body: Any) -> httpx.Response:
    body.setdefault("certificate_type", "EUA")
    body.setdefault("order_kind", "LIMIT")
    return await client.post("/api/v1/orders/place", json=body, headers=t.headers)


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    return body


async def committed_entity(
    db: Database,
    *,
    eur: int = 0,
    eua: int = 0,
    cea: int = 0,
    kyc: str = "APPROVED",
    name: str = "Trader",
) -> uuid.UUID:
    """An approved entity with available balances, committed (for tests on ``db``'s engine)."""
    async with unit_of_work(db.maker) as session:
        e = await make_entity(session, legal_name=name, kyc_status=kyc)
        await fund(session, e.id, eur=eur, eua=eua, cea=cea)
        return e.id


async def place_committed(db: Database, settings: Settings, entity_id: uuid.UUID, new: Any) -> Any:
    """``service.place_order`` in a unit of work of its own: the placed order, or the
    domain error that refused it."""
    from niha.exchange import service as exchange

    try:
        async with unit_of_work(db.maker) as session:
            return await exchange.place_order(session, settings, entity_id, None, new)
    except DomainError as exc:
        return exc
