"""The backoffice market lists: entity names on both sides, filters (rolled back)."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.onboarding import service as onboarding
from tests.exchange.trading import ok, place, problem, trader


async def test_staff_orders_and_trades_carry_entity_names_and_filter(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    from tests.funding.helpers import person

    seller = await trader(session, settings, eua=100, cea=100)
    buyer = await trader(session, settings, eur=10_000_000)
    other = await trader(session, settings, eur=10_000_000)
    names = await onboarding.entity_names(
        session, {seller.entity_id, buyer.entity_id, other.entity_id}
    )
    assert all(names.values())
    ok(await place(client, seller, order_type="SELL", quantity=10, price="70.00"), 201)
    ok(await place(client, buyer, order_type="BUY", quantity=4, price="70.00"), 201)
    ok(await place(client, other, order_type="BUY", quantity=2, price="69.00"), 201)
    ok(await place(client, seller, certificate_type="CEA", order_type="SELL", quantity=5,
                   price="12.00"), 201)  # fmt: skip
    compliance = await person(session, settings, role="compliance")
    h = compliance.headers

    orders = ok(await client.get("/api/v1/admin/orders?status=ACTIVE&instrument=EUA-EUR",
                                 headers=h))["items"]  # fmt: skip
    mine = {o["entity_id"]: o for o in orders if o["entity_id"] in {str(seller.entity_id),
                                                                    str(other.entity_id)}}  # fmt: skip
    assert mine[str(seller.entity_id)]["entity_name"] == names[seller.entity_id]
    assert mine[str(seller.entity_id)]["remaining_quantity"] == 6
    assert mine[str(other.entity_id)]["entity_name"] == names[other.entity_id]
    assert all(o["instrument"] == "EUA-EUR" for o in orders)
    sells = ok(await client.get(
        f"/api/v1/admin/orders?status=ACTIVE&order_type=SELL&entity_id={seller.entity_id}",
        headers=h))["items"]  # fmt: skip
    assert {(o["instrument"], o["order_type"]) for o in sells} == {
        ("EUA-EUR", "SELL"), ("CEA-EUR", "SELL")}  # fmt: skip

    trades = ok(await client.get(f"/api/v1/admin/trades?entity_id={buyer.entity_id}",
                                 headers=h))["items"]  # fmt: skip
    assert len(trades) == 1
    trade = trades[0]
    assert trade["buyer_entity_name"] == names[buyer.entity_id]
    assert trade["seller_entity_name"] == names[seller.entity_id]
    assert (trade["price"], trade["quantity"], trade["instrument"]) == ("70.00", 4, "EUA-EUR")
    by_seller = ok(
        await client.get(
            f"/api/v1/admin/trades?entity_id={seller.entity_id}&instrument=EUA-EUR", headers=h
        )
    )
    assert [t["id"] for t in by_seller["items"]] == [trade["id"]]  # fmt: skip
    none = ok(await client.get(
        f"/api/v1/admin/trades?entity_id={other.entity_id}", headers=h))["items"]  # fmt: skip
    assert none == []
    cea = ok(
        await client.get(
            f"/api/v1/admin/trades?entity_id={seller.entity_id}&instrument=CEA-EUR", headers=h
        )
    )
    assert cea["items"] == []  # fmt: skip

    # Unknown instruments are a 404, malformed ones a validation error; clients are refused.
    problem(await client.get("/api/v1/admin/trades?instrument=XYZ-EUR", headers=h), 404,
            "instrument_not_found")  # fmt: skip
    problem(await client.get("/api/v1/admin/orders?instrument=eua", headers=h), 422,
            "validation_error")  # fmt: skip
    problem(await client.get("/api/v1/admin/trades", headers=buyer.headers), 403, "forbidden")


async def test_staff_trades_paginate_with_a_cursor(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    from tests.funding.helpers import person

    seller = await trader(session, settings, eua=100)
    buyer = await trader(session, settings, eur=10_000_000)
    ok(await place(client, seller, order_type="SELL", quantity=5, price="70.00"), 201)
    for _ in range(5):
        ok(await place(client, buyer, order_type="BUY", quantity=1, price="70.00"), 201)
    ops = await person(session, settings, role="operations")
    url = f"/api/v1/admin/trades?entity_id={buyer.entity_id}&limit=2"
    seen: list[str] = []
    cursor = None
    while True:
        page = ok(await client.get(url + (f"&cursor={cursor}" if cursor else ""),
                                   headers=ops.headers))  # fmt: skip
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5
    assert seen == sorted(seen, reverse=True)  # newest first
