"""The unified transaction history, from the ledger: filters, pages, CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.core.clock import isoformat_z, utcnow
from niha.ledger import service as ledger
from niha.ledger.core import AccountKey
from tests.funding.helpers import (
    World,
    announce,
    confirm,
    funded,
    make_world,
    ok,
    problem,
    verified_account,
)

URL = "/api/v1/funding/transactions"


async def journey(client: httpx.AsyncClient, w: World) -> dict[str, str]:
    d = await funded(client, w, "1000.00")
    account = await verified_account(client, w)
    wd = ok(
        await client.post(
            "/api/v1/funding/withdrawals/request",
            json={"amount": "250.00", "bank_account_id": account["id"]},
            headers=w.owner.headers,
        ),
        201,
    )
    ok(
        await client.post(
            f"/api/v1/admin/withdrawals/{wd['id']}/approve", headers=w.compliance.headers
        )
    )
    ok(
        await client.post(
            f"/api/v1/admin/withdrawals/{wd['id']}/complete",
            json={"wire_reference": "W-1", "executed_at": isoformat_z(utcnow())},
            headers=w.ops.headers,
        )
    )
    return {"deposit": d["id"], "reference": d["reference_code"], "withdrawal": wd["id"]}


async def test_history_rows_from_the_ledger(client: httpx.AsyncClient, world: World) -> None:
    w = world
    ids = await journey(client, w)
    rows = ok(await client.get(URL, headers=w.owner.headers))["items"]
    assert [
        (r["kind"], r["type"], r["net_change"], r["from_bucket"], r["to_bucket"]) for r in rows
    ] == [
        ("withdrawal", "withdrawal", "-250.00", "reserved", "external"),
        ("withdrawal_reserve", "withdrawal", "0.00", "available", "reserved"),
        ("deposit_cleared", "hold", "0.00", "on_hold", "available"),
        ("deposit", "deposit", "1000.00", "external", "on_hold"),
    ]
    deposit_row = rows[-1]
    assert deposit_row["reference"] == ids["reference"]
    assert deposit_row["status"] == "CLEARED"
    assert deposit_row["reference_id"] == ids["deposit"]
    assert ids["reference"] in deposit_row["description"]
    assert rows[0]["status"] == "COMPLETED" and rows[0]["reference"] == "DE89 •••• 3000"
    assert all(r["asset"] == "EUR" and r["amount"] in {"1000.00", "250.00"} for r in rows)


async def test_filters_and_pages(client: httpx.AsyncClient, world: World) -> None:
    w = world
    await journey(client, w)
    h = w.owner.headers

    async def kinds(**params: str) -> list[str]:
        return [r["kind"] for r in ok(await client.get(URL, params=params, headers=h))["items"]]

    assert await kinds(type="deposit") == ["deposit"]
    assert await kinds(type="withdrawal") == ["withdrawal", "withdrawal_reserve"]
    assert await kinds(type="hold") == ["deposit_cleared"]
    assert await kinds(type="trade") == []
    assert await kinds(status="completed") == ["withdrawal", "withdrawal_reserve"]
    assert await kinds(currency="EUA") == []
    assert await kinds(date_from=isoformat_z(utcnow() + timedelta(minutes=5))) == []
    assert len(await kinds(date_to=isoformat_z(utcnow() + timedelta(minutes=5)))) == 4

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        page = ok(await client.get(URL, params=params, headers=h))
        seen += [r["kind"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["withdrawal", "withdrawal_reserve", "deposit_cleared", "deposit"]
    # a filtered page is filled across ledger pages
    page = ok(await client.get(URL, params={"type": "deposit", "limit": "1"}, headers=h))
    assert [r["kind"] for r in page["items"]] == ["deposit"]
    problem(await client.get(URL, params={"type": "nope"}, headers=h), 422, "validation_error")
    problem(await client.get(URL, params={"cursor": "!!"}, headers=h), 400, "invalid_cursor")


async def test_other_domains_transfers_appear(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    await ledger.transfer(
        session,
        AccountKey.platform("EUA", "registry"),
        AccountKey.entity(world.entity_id, "EUA", "available"),
        10,
        kind="settlement_delivery",
        key="test:settlement",
    )
    await ledger.move(
        session, world.entity_id, "EUA", "available", "reserved", 3, kind="order_reserve", key="t:o"
    )
    rows = ok(await client.get(URL, headers=world.owner.headers))["items"]
    assert [(r["type"], r["asset"], r["amount"], r["net_change"]) for r in rows] == [
        ("trade", "EUA", "3", "0"),
        ("settlement", "EUA", "10", "10"),
    ]
    assert rows[1]["description"] == "Settlement delivery" and rows[1]["status"] is None


async def test_csv_export(client: httpx.AsyncClient, world: World) -> None:
    w = world
    ids = await journey(client, w)
    r = await client.get(URL, params={"format": "csv"}, headers=w.owner.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["type"] for row in rows] == ["withdrawal", "withdrawal", "hold", "deposit"]
    assert rows[0]["status"] == "COMPLETED" and rows[0]["net_change"] == "-250.00"
    assert rows[-1]["reference"] == ids["reference"]
    only = await client.get(
        URL, params={"format": "csv", "type": "deposit"}, headers=w.owner.headers
    )
    assert len(list(csv.DictReader(io.StringIO(only.text)))) == 1


async def test_history_is_private(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    other = await make_world(session, settings)
    d = await announce(client, other, "10.00")
    await confirm(client, other, d["id"], "10.00")
    assert ok(await client.get(URL, headers=world.owner.headers))["items"] == []
    assert ok(await client.get(URL, headers=world.viewer.headers))["items"] == []
    problem(await client.get(URL, headers=world.admin.headers), 403, "forbidden")
