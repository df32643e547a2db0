"""A fee override changes what a trade charges: the taker's fee, the maker's fee, a BUY's
reservation and a MARKET BUY's budget, each from the paying entity's own schedule.

Defaults in these tests: the configuration's 5 bps maker / 10 bps taker (the instruments
have no fees of their own unless a test sets them).
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from tests.exchange.trading import Trader, balance, fees_balance, ok, place, trader
from tests.funding.helpers import Person, person


async def _set(
    client: httpx.AsyncClient,
    admin: Person,
    t: Trader,
    instrument: str | None,
    maker: int,
    taker: int,
) -> Any:
    body = {"instrument": instrument, "maker_fee_bps": maker, "taker_fee_bps": taker,
            "reason": "negotiated rate"}  # fmt: skip
    r = await client.put(f"/api/v1/admin/entities/{t.entity_id}/fees", json=body,
                         headers=admin.headers)  # fmt: skip
    assert r.status_code in (200, 201), r.text
    return r.json()


async def _my_fee(client: httpx.AsyncClient, t: Trader) -> list[tuple[str, str]]:
    trades = ok(await client.get("/api/v1/trades/my-trades", headers=t.headers))
    return [(i["liquidity"], i["fee"]) for i in trades["items"]]


async def test_taker_override_and_maker_override(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin = await person(session, settings, role="admin")
    seller = await trader(session, settings, eua=100)
    buyer = await trader(session, settings, eur=1_000_000)
    await _set(client, admin, seller, "EUA-EUR", 0, 40)  # the maker pays nothing
    await _set(client, admin, buyer, None, 1, 25)  # all instruments: 25 bps as taker
    fees_before = await fees_balance(session)

    ok(await place(client, seller, order_type="SELL", quantity=10, price="70.00"), 201)
    buy = ok(await place(client, buyer, order_type="BUY", quantity=10, price="70.00"), 201)
    assert buy["status"] == "FILLED"
    # 10 x 70.00 = 700.00 EUR; taker 25 bps = 1.75 EUR (default 10 bps: 0.70)
    assert buy["fees"] == "1.75"
    assert await balance(session, buyer.entity_id, "EUR", "available") == 1_000_000 - 70_000 - 175
    assert await balance(session, buyer.entity_id, "EUR", "reserved") == 0
    # maker 0 bps (default 5 bps: 0.35)
    assert await balance(session, seller.entity_id, "EUR", "settling") == 70_000
    assert await fees_balance(session) - fees_before == 175
    assert await _my_fee(client, buyer) == [("TAKER", "1.75")]
    assert await _my_fee(client, seller) == [("MAKER", "0.00")]


async def test_resting_buy_reserves_with_its_taker_override_and_pays_its_maker_override(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin = await person(session, settings, role="admin")
    buyer = await trader(session, settings, eur=1_000_000)
    seller = await trader(session, settings, eua=100)
    await _set(client, admin, buyer, "EUA-EUR", 12, 30)
    await _set(client, admin, seller, None, 50, 99)  # all instruments...
    await _set(client, admin, seller, "EUA-EUR", 3, 7)  # ...but EUA-EUR's own wins

    ok(await place(client, buyer, order_type="BUY", quantity=4, price="50.00"), 201)
    # 4 x 50.00 = 200.00 + the buyer's taker 30 bps = 0.60 (default 10 bps: 0.20)
    assert await balance(session, buyer.entity_id, "EUR", "reserved") == 20_000 + 60
    sell = ok(await place(client, seller, order_type="SELL", quantity=4, price="50.00"), 201)
    assert sell["status"] == "FILLED"
    # The seller (taker) pays 7 bps: 0.14; the buyer (maker) 12 bps: 0.24.
    assert sell["fees"] == "0.14"
    assert await balance(session, seller.entity_id, "EUR", "settling") == 20_000 - 14
    assert await balance(session, buyer.entity_id, "EUR", "reserved") == 0
    assert await balance(session, buyer.entity_id, "EUR", "available") == 1_000_000 - 20_000 - 24
    assert await _my_fee(client, buyer) == [("MAKER", "0.24")]
    assert await _my_fee(client, seller) == [("TAKER", "0.14")]


async def test_market_buy_budget_uses_the_taker_override(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    """With exactly the notional in EUR and a 0 bps taker override, the whole order fills
    (at the default 10 bps, 100.00 EUR would buy only 9 units at 10.00)."""
    admin = await person(session, settings, role="admin")
    seller = await trader(session, settings, eua=100)
    buyer = await trader(session, settings, eur=10_000)
    await _set(client, admin, buyer, None, 0, 0)
    ok(await place(client, seller, order_type="SELL", quantity=10, price="10.00"), 201)
    buy = ok(await place(client, buyer, order_type="BUY", order_kind="MARKET", quantity=10), 201)
    assert (buy["status"], buy["filled_quantity"], buy["fees"]) == ("FILLED", 10, "0.00")
    assert await balance(session, buyer.entity_id, "EUR", "available") == 0
    assert await balance(session, buyer.entity_id, "EUR", "reserved") == 0
    # The seller has no override: default maker 5 bps on 100.00 = 0.05.
    assert await balance(session, seller.entity_id, "EUR", "settling") == 10_000 - 5


async def test_other_instruments_and_removed_overrides_do_not_apply(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin = await person(session, settings, role="admin")
    seller = await trader(session, settings, eua=100)
    buyer = await trader(session, settings, eur=1_000_000)
    # An instrument's own fees beat the configuration...
    r = await client.patch("/api/v1/admin/instruments/EUA-EUR", json={"taker_fee_bps": 20},
                           headers=admin.headers)  # fmt: skip
    assert r.status_code == 200, r.text
    # ...an override on another instrument does not apply to EUA-EUR.
    await _set(client, admin, buyer, "CEA-EUR", 0, 0)
    ok(await place(client, seller, order_type="SELL", quantity=5, price="80.00"), 201)
    buy = ok(await place(client, buyer, order_type="BUY", quantity=5, price="80.00"), 201)
    assert buy["fees"] == "0.80"  # 400.00 at the instrument's 20 bps
    # An override applies from the next order on; once removed, the instrument's fees again.
    await _set(client, admin, buyer, "EUA-EUR", 0, 2)
    ok(await place(client, seller, order_type="SELL", quantity=5, price="80.00"), 201)
    buy = ok(await place(client, buyer, order_type="BUY", quantity=5, price="80.00"), 201)
    assert buy["fees"] == "0.08"  # 400.00 at 2 bps
    r = await client.request("DELETE", f"/api/v1/admin/entities/{buyer.entity_id}/fees",
                             params={"instrument": "EUA-EUR"}, json={"reason": "deal over"},
                             headers=admin.headers)  # fmt: skip
    assert r.status_code == 204, r.text
    ok(await place(client, seller, order_type="SELL", quantity=5, price="80.00"), 201)
    buy = ok(await place(client, buyer, order_type="BUY", quantity=5, price="80.00"), 201)
    assert buy["fees"] == "0.80"
    # The seller paid the default maker 5 bps (0.20) on each of the three trades.
    assert await balance(session, seller.entity_id, "EUR", "settling") == 3 * (40_000 - 20)


async def test_a_client_sees_the_fees_it_pays(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin = await person(session, settings, role="admin")
    t = await trader(session, settings)
    standard = ok(await client.get("/api/v1/fees", headers=t.headers))
    assert {f["instrument"] for f in standard} == {"EUA-EUR", "CEA-EUR"}
    assert all(not f["negotiated"] for f in standard)
    await _set(client, admin, t, "CEA-EUR", 2, 7)
    mine = {f["instrument"]: f for f in ok(await client.get("/api/v1/fees", headers=t.headers))}
    assert mine["CEA-EUR"] == {"instrument": "CEA-EUR", "maker_fee_bps": 2, "taker_fee_bps": 7,
                               "negotiated": True}  # fmt: skip
    assert mine["EUA-EUR"]["negotiated"] is False
    assert mine["EUA-EUR"]["taker_fee_bps"] == settings.exchange_taker_fee_bps
