"""Orders over HTTP: validation, matching, reservations, fees, cancels (rolled back)."""

from __future__ import annotations

import re

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from tests.exchange.trading import balance, fees_balance, ok, place, problem, trader


async def test_limit_sell_then_buy_trades_and_moves_money(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    seller = await trader(session, settings, eua=100)
    buyer = await trader(session, settings, eur=1_000_000)
    sell = ok(await place(client, seller, order_type="SELL", quantity=10, price="70.00"), 201)
    assert sell["status"] == "OPEN"
    assert await balance(session, seller.entity_id, "EUA", "reserved") == 10
    buy = ok(await place(client, buyer, order_type="BUY", quantity=4, price="71.00"), 201)
    assert buy["status"] == "FILLED"
    assert buy["average_fill_price"] == "70.0000"
    assert len(buy["fills"]) == 1 and buy["fills"][0]["liquidity"] == "TAKER"
    # buyer: 4 x 70.00 = 280.00 + taker 10 bps = 0.28; reserve of 4 x 71 + fee released
    assert await balance(session, buyer.entity_id, "EUR", "available") == 1_000_000 - 28_000 - 28
    assert await balance(session, buyer.entity_id, "EUR", "reserved") == 0
    assert await balance(session, buyer.entity_id, "EUA", "settling") == 4
    # seller: 280.00 - maker 5 bps = 0.14
    assert await balance(session, seller.entity_id, "EUR", "settling") == 28_000 - 14
    assert await balance(session, seller.entity_id, "EUA", "reserved") == 6
    assert await fees_balance(session) >= 42
    mine = ok(await client.get(f"/api/v1/orders/{sell['id']}", headers=seller.headers))
    assert mine["status"] == "PARTIALLY_FILLED" and mine["filled_quantity"] == 4
    assert len(mine["trades"]) == 1


async def test_validation_errors(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    t = await trader(session, settings, eur=10_000_000, eua=100)
    cases = [
        ({"order_type": "BUY", "quantity": 1, "price": "70.001"}, 422, "invalid_price"),
        ({"order_type": "BUY", "quantity": 1, "price": "abc"}, 422, "invalid_price"),
        ({"order_type": "BUY", "quantity": 1, "price": "-1.00"}, 422, "invalid_price"),
        ({"order_type": "BUY", "quantity": 1, "price": "0"}, 422, "invalid_price"),
        ({"order_type": "BUY", "quantity": 1}, 422, "invalid_price"),
        ({"order_type": "BUY", "quantity": 1, "price": "1.00", "order_kind": "MARKET"}, 422,
         "invalid_price"),
        ({"order_type": "BUY", "quantity": 0, "price": "70.00"}, 422, "invalid_quantity"),
        ({"order_type": "BUY", "quantity": -5, "price": "70.00"}, 422, "invalid_quantity"),
        ({"order_type": "BUY", "quantity": 10**13, "price": "70.00"}, 422, "invalid_quantity"),
        ({"order_type": "BUY", "quantity": "5", "price": "70.00"}, 422, "validation_error"),
        ({"order_type": "BUY", "quantity": 1.5, "price": "70.00"}, 422, "validation_error"),
        ({"order_type": "HOLD", "quantity": 1, "price": "70.00"}, 422, "validation_error"),
        ({"order_type": "BUY", "quantity": 1, "price": "70.00", "time_in_force": "IOC",
          "post_only": True}, 422, "invalid_order"),
        ({"order_type": "BUY", "quantity": 1, "price": "70.00", "certificate_type": "XYZ"}, 422,
         "validation_error"),
        ({"order_type": "BUY", "quantity": 1, "price": "70.00", "certificate_type": None,
          "instrument": "ABC-EUR"}, 404, "instrument_not_found"),
        ({"order_type": "BUY", "quantity": 1, "price": "70.00", "certificate_type": None}, 422,
         "invalid_order"),
        ({"order_type": "BUY", "quantity": 1, "price": "700000000.00"}, 422,
         "insufficient_funds"),
        ({"order_type": "SELL", "quantity": 101, "price": "70.00"}, 422, "insufficient_funds"),
    ]  # fmt: skip
    for body, status, code in cases:
        problem(await place(client, t, **body), status, code)
    # The shortfall, as people read amounts (and as the canonical decimal for programs).
    short = problem(await place(client, t, order_type="SELL", quantity=1_100, price="70.00"),
                    422, "insufficient_funds")  # fmt: skip
    assert (short["detail"], short["shortfall"]) == ("Available EUA is short by 1,000 EUA", "1000")
    short = problem(await place(client, t, order_type="BUY", quantity=1, price="700000000.00"),
                    422, "insufficient_funds")  # fmt: skip
    assert re.fullmatch(r"Available EUR is short by 70\d,\d{3},\d{3}\.\d\d EUR", short["detail"])
    r = await client.post("/api/v1/orders/place", content=b"{", headers=t.headers)
    assert r.status_code == 422
    # Nothing was reserved by any refused order.
    assert await balance(session, t.entity_id, "EUR", "reserved") == 0
    assert await balance(session, t.entity_id, "EUA", "reserved") == 0


async def test_kyc_gate_and_permissions(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    pending = await trader(session, settings, eur=100_000, kyc_status="SUBMITTED")
    problem(await place(client, pending, order_type="BUY", quantity=1, price="70.00"), 403,
            "kyc_required")  # fmt: skip
    unapproved = await trader(session, settings, eur=100_000, status="PENDING_REVIEW")
    problem(await place(client, unapproved, order_type="BUY", quantity=1, price="70.00"), 403,
            "kyc_required")  # fmt: skip
    viewer = await trader(session, settings, eur=100_000, role="viewer")
    problem(await place(client, viewer, order_type="BUY", quantity=1, price="70.00"), 403,
            "forbidden")  # fmt: skip
    r = await client.post("/api/v1/orders/place", json={"order_type": "BUY", "quantity": 1})
    assert r.status_code == 401


async def test_band_and_halt(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    from tests.funding.helpers import person

    admin = await person(session, settings, role="admin")
    t = await trader(session, settings, eur=10_000_000, eua=100)
    url = "/api/v1/admin/instruments/EUA-EUR"
    inst = ok(await client.patch(url, json={"reference_price": "70.00"}, headers=admin.headers))
    assert (inst["band_low"], inst["band_high"]) == ("63.00", "77.00")
    problem(await place(client, t, order_type="BUY", quantity=1, price="77.01"), 422,
            "price_out_of_band")  # fmt: skip
    problem(await place(client, t, order_type="SELL", quantity=1, price="62.99"), 422,
            "price_out_of_band")  # fmt: skip
    ok(await place(client, t, order_type="BUY", quantity=1, price="77.00"), 201)
    # Halting needs a reason; a halt refuses new orders and cancels nothing.
    problem(await client.patch(url, json={"status": "HALTED"}, headers=admin.headers), 422,
            "unprocessable")  # fmt: skip
    halted = ok(await client.patch(url, json={"status": "HALTED", "reason": "registry outage"},
                                   headers=admin.headers))  # fmt: skip
    assert halted["status"] == "HALTED"
    problem(await place(client, t, order_type="BUY", quantity=1, price="70.00"), 409,
            "market_halted")  # fmt: skip
    mine = ok(await client.get("/api/v1/orders/my-orders?status=ACTIVE", headers=t.headers))
    assert len(mine["items"]) == 1
    ok(await client.patch(url, json={"status": "OPEN", "reason": "registry back"},
                          headers=admin.headers))  # fmt: skip
    ok(await place(client, t, order_type="BUY", quantity=1, price="70.00"), 201)
    # A client may not touch instruments.
    problem(await client.patch(url, json={"status": "HALTED", "reason": "nope"},
                               headers=t.headers), 403, "forbidden")  # fmt: skip


async def test_partial_fill_then_cancel_refunds_exactly(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    buyer = await trader(session, settings, eur=1_000_000)
    seller = await trader(session, settings, eua=50)
    buy = ok(await place(client, buyer, order_type="BUY", quantity=10, price="70.00"), 201)
    assert await balance(session, buyer.entity_id, "EUR", "reserved") == 70_000 + 70
    sell = ok(await place(client, seller, order_type="SELL", quantity=4, price="69.00"), 201)
    assert sell["status"] == "FILLED" and sell["average_fill_price"] == "70.0000"  # maker price
    # buyer was maker: 280.00 + 5 bps (0.14)
    assert await balance(session, buyer.entity_id, "EUR", "reserved") == 70_070 - 28_000 - 14
    r = ok(await client.post(f"/api/v1/orders/{buy['id']}/cancel", headers=buyer.headers))
    assert r["status"] == "CANCELLED" and r["filled_quantity"] == 4
    assert await balance(session, buyer.entity_id, "EUR", "reserved") == 0
    assert await balance(session, buyer.entity_id, "EUR", "available") == 1_000_000 - 28_014
    # seller was taker: 10 bps on 280.00
    assert await balance(session, seller.entity_id, "EUR", "settling") == 28_000 - 28
    assert await balance(session, seller.entity_id, "EUA", "available") == 46
    # Cancelling again, or someone else's order, is refused.
    problem(await client.post(f"/api/v1/orders/{buy['id']}/cancel", headers=buyer.headers), 409,
            "order_not_cancellable")  # fmt: skip
    other = await trader(session, settings, eur=100)
    resting = ok(await place(client, buyer, order_type="BUY", quantity=1, price="65.00"), 201)
    problem(await client.post(f"/api/v1/orders/{resting['id']}/cancel", headers=other.headers),
            404, "order_not_found")  # fmt: skip
    problem(await client.get(f"/api/v1/orders/{resting['id']}", headers=other.headers), 404,
            "order_not_found")  # fmt: skip


async def test_buy_filled_below_limit_gets_the_excess_back(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    seller = await trader(session, settings, eua=50)
    buyer = await trader(session, settings, eur=1_000_000)
    ok(await place(client, seller, order_type="SELL", quantity=3, price="60.00"), 201)
    ok(await place(client, seller, order_type="SELL", quantity=3, price="61.00"), 201)
    buy = ok(await place(client, buyer, order_type="BUY", quantity=5, price="75.00"), 201)
    assert buy["status"] == "FILLED"
    notional = 3 * 6000 + 2 * 6100
    fee = -(-notional * 10 // 10_000)
    assert buy["fees"] == f"{fee // 100}.{fee % 100:02d}"
    assert await balance(session, buyer.entity_id, "EUR", "reserved") == 0
    assert await balance(session, buyer.entity_id, "EUR", "available") == 1_000_000 - notional - fee
    assert [f["price"] for f in buy["fills"]] == ["60.00", "61.00"]


async def test_self_trade_prevention_cancels_the_resting_order(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    t = await trader(session, settings, eur=1_000_000, eua=10)
    sell = ok(await place(client, t, order_type="SELL", quantity=5, price="70.00"), 201)
    buy = ok(await place(client, t, order_type="BUY", quantity=5, price="70.00"), 201)
    assert buy["status"] == "OPEN" and buy["filled_quantity"] == 0
    s = ok(await client.get(f"/api/v1/orders/{sell['id']}", headers=t.headers))
    assert s["status"] == "CANCELLED" and s["reason"] == "self_trade_prevention"
    assert await balance(session, t.entity_id, "EUA", "reserved") == 0
    assert await balance(session, t.entity_id, "EUA", "available") == 10
    book = ok(await client.get("/api/v1/market/EUA-EUR/book"))
    assert book["asks"] == [] and book["bids"][0]["price"] == "70.00"


async def test_ioc_fok_post_only(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    seller = await trader(session, settings, eua=50)
    buyer = await trader(session, settings, eur=1_000_000)
    ok(await place(client, seller, order_type="SELL", quantity=4, price="70.00"), 201)
    fok = ok(await place(client, buyer, order_type="BUY", quantity=5, price="70.00",
                         time_in_force="FOK"), 201)  # fmt: skip
    assert (fok["status"], fok["reason"], fok["filled_quantity"]) == (
        "EXPIRED", "fok_unfillable", 0)  # fmt: skip
    assert await balance(session, buyer.entity_id, "EUR", "available") == 1_000_000
    problem(await place(client, buyer, order_type="BUY", quantity=1, price="70.00",
                        post_only=True), 422, "post_only_would_cross")  # fmt: skip
    po = ok(await place(client, buyer, order_type="BUY", quantity=1, price="69.99",
                        post_only=True), 201)  # fmt: skip
    assert po["status"] == "OPEN"
    ioc = ok(await place(client, buyer, order_type="BUY", quantity=6, price="70.00",
                         time_in_force="IOC"), 201)  # fmt: skip
    assert (ioc["status"], ioc["reason"], ioc["filled_quantity"]) == ("EXPIRED", "ioc_remainder", 4)
    # Only the resting post-only order still holds a reservation.
    assert await balance(session, buyer.entity_id, "EUR", "reserved") == 6999 + 7
    assert await balance(session, buyer.entity_id, "EUA", "settling") == 4


async def test_market_orders(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    seller = await trader(session, settings, eua=50)
    ok(await place(client, seller, order_type="SELL", quantity=5, price="70.00"), 201)
    ok(await place(client, seller, order_type="SELL", quantity=5, price="71.00"), 201)
    # Enough EUR for 3 units at 70.00 plus the fee, not for a 4th.
    poor = await trader(session, settings, eur=3 * 7000 + 21 + 6999)
    m = ok(await place(client, poor, order_type="BUY", order_kind="MARKET", quantity=8), 201)
    assert (m["status"], m["filled_quantity"], m["reason"]) == ("EXPIRED", 3, "max_quote_reached")
    assert await balance(session, poor.entity_id, "EUR", "available") == 6999
    assert await balance(session, poor.entity_id, "EUR", "reserved") == 0
    rich = await trader(session, settings, eur=10_000_000)
    m2 = ok(await place(client, rich, order_type="BUY", order_kind="MARKET", quantity=20), 201)
    assert (m2["status"], m2["filled_quantity"], m2["reason"]) == (
        "EXPIRED", 7, "market_no_liquidity")  # fmt: skip
    sell = await trader(session, settings, eua=5)
    m3 = ok(await place(client, sell, order_type="SELL", order_kind="MARKET", quantity=5), 201)
    assert m3["status"] == "EXPIRED" and m3["filled_quantity"] == 0
    assert await balance(session, sell.entity_id, "EUA", "available") == 5


async def test_duplicates_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    t = await trader(session, settings, eur=1_000_000)
    body = {"order_type": "BUY", "quantity": 1, "price": "50.00", "client_order_id": "abc-1"}
    first = ok(await place(client, t, **body), 201)
    dup = problem(await place(client, t, **body), 409, "duplicate_client_order_id")
    assert dup["order_id"] == first["id"]
    h = {**t.headers, "Idempotency-Key": "k-1"}
    payload = {"certificate_type": "EUA", "order_type": "BUY", "quantity": 1, "price": "50.00"}
    r1 = await client.post("/api/v1/orders/place", json=payload, headers=h)
    r2 = await client.post("/api/v1/orders/place", json=payload, headers=h)
    assert r1.status_code == r2.status_code == 201
    assert r1.json()["id"] == r2.json()["id"]
    mine = ok(await client.get("/api/v1/orders/my-orders", headers=t.headers))
    assert len(mine["items"]) == 2
    assert await balance(session, t.entity_id, "EUR", "reserved") == 2 * (5000 + 5)


async def test_cancel_all_and_staff_cancel(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    from tests.funding.helpers import person

    t = await trader(session, settings, eur=1_000_000, eua=20, cea=20)
    for price in ("50.00", "51.00"):
        ok(await place(client, t, order_type="BUY", quantity=2, price=price), 201)
    ok(await place(client, t, certificate_type="CEA", order_type="SELL", quantity=3,
                   price="9.00"), 201)  # fmt: skip
    victim = ok(await place(client, t, order_type="SELL", quantity=1, price="90.00"), 201)
    ops = await person(session, settings, role="operations")
    r = await client.post(
        f"/api/v1/admin/orders/{victim['id']}/cancel",
        json={"reason": "fat finger reported by phone"},
        headers=ops.headers,
    )
    assert ok(r)["status"] == "CANCELLED" and ok(r)["reason"] == "cancelled_by_staff"
    log = ok(
        await client.get(
            f"/api/v1/admin/audit-logs/exchange_order/{victim['id']}",
            headers=(await person(session, settings, role="admin")).headers,
        )
    )
    assert log
    res = ok(await client.post("/api/v1/orders/cancel-all", headers=t.headers))
    assert res["cancelled"] == 3
    for asset in ("EUR", "EUA", "CEA"):
        assert await balance(session, t.entity_id, asset, "reserved") == 0
    assert await balance(session, t.entity_id, "EUR", "available") == 1_000_000


async def test_my_trades_hide_the_counterparty_and_block_trades_need_confirmation(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    from tests.funding.helpers import person

    settings.exchange_block_size = 10
    seller = await trader(session, settings, eua=50)
    buyer = await trader(session, settings, eur=10_000_000)
    ok(await place(client, seller, order_type="SELL", quantity=15, price="70.00"), 201)
    ok(await place(client, buyer, order_type="BUY", quantity=12, price="70.00"), 201)
    ok(await place(client, buyer, order_type="BUY", quantity=3, price="70.00"), 201)
    mine = ok(await client.get("/api/v1/trades/my-trades?certificate_type=EUA",
                               headers=buyer.headers))["items"]  # fmt: skip
    assert len(mine) == 2
    text = str(mine)
    assert str(seller.entity_id) not in text and "seller" not in text
    pending = [x for x in mine if x["status"] == "PENDING"]
    assert len(pending) == 1 and pending[0]["quantity"] == 12
    ops = await person(session, settings, role="operations")
    problem(await client.post(f"/api/v1/trades/{pending[0]['id']}/confirm",
                              headers=buyer.headers), 403, "forbidden")  # fmt: skip
    done = ok(await client.post(f"/api/v1/trades/{pending[0]['id']}/confirm", headers=ops.headers))
    assert done["status"] == "CONFIRMED" and done["seller_entity_id"] == str(seller.entity_id)
    problem(await client.post(f"/api/v1/trades/{pending[0]['id']}/confirm", headers=ops.headers),
            409, "trade_not_pending")  # fmt: skip
    staff = ok(await client.get("/api/v1/admin/trades", headers=ops.headers))["items"]
    assert {t["buyer_entity_id"] for t in staff} >= {str(buyer.entity_id)}


async def test_market_data_and_marketplace(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    seller = await trader(session, settings, eua=50)
    buyer = await trader(session, settings, eur=10_000_000)
    ok(await place(client, seller, order_type="SELL", quantity=5, price="72.00"), 201)
    ok(await place(client, seller, order_type="SELL", quantity=5, price="71.00"), 201)
    ok(await place(client, buyer, order_type="BUY", quantity=2, price="71.00"), 201)
    ok(await place(client, buyer, order_type="BUY", quantity=2, price="69.00"), 201)
    book = ok(await client.get("/api/v1/market/EUA-EUR/book?depth=10"))
    assert book["asks"] == [
        {"price": "71.00", "quantity": 3, "orders": 1},
        {"price": "72.00", "quantity": 5, "orders": 1},
    ]
    assert book["bids"] == [{"price": "69.00", "quantity": 2, "orders": 1}]
    assert book["sequence"] >= 4
    tick = ok(await client.get("/api/v1/market/EUA-EUR/ticker"))
    assert (tick["last"], tick["bid"], tick["ask"], tick["volume_24h"]) == (
        "71.00", "69.00", "71.00", 2)  # fmt: skip
    tape = ok(await client.get("/api/v1/market/EUA-EUR/trades"))["items"]
    assert tape[0]["price"] == "71.00" and tape[0]["taker_side"] == "BUY"
    candles = ok(await client.get("/api/v1/market/EUA-EUR/candles?interval=1m"))["candles"]
    assert candles[-1]["close"] == "71.00" and candles[-1]["volume"] == 2
    problem(await client.get("/api/v1/market/EUA-EUR/candles?interval=1m&from=2020-01-01T00:00:00Z"),
            422, "invalid_range")  # fmt: skip
    problem(await client.get("/api/v1/market/NOPE-EUR/book"), 404, "instrument_not_found")
    problem(await client.get("/api/v1/market/EUA-EUR/book?depth=0"), 422, "validation_error")
    certs = ok(await client.get("/api/v1/marketplace/certificates?sort=price_asc"))["items"]
    eua = next(c for c in certs if c["certificate_type"] == "EUA")
    assert eua["best_ask"] == "71.00" and eua["available_quantity"] == 8
    only = ok(await client.get("/api/v1/marketplace/certificates?certificate_type=CEA"))["items"]
    assert [c["certificate_type"] for c in only] == ["CEA"]
    detail = ok(await client.get("/api/v1/marketplace/certificates/EUA"))
    assert detail["sellers_ladder"][0] == {"price": "71.00", "quantity": 3, "orders": 1}
    assert "entity" not in str(detail["sellers_ladder"])
    problem(await client.get("/api/v1/marketplace/certificates/XYZ"), 404, "certificate_not_found")
    hist = ok(await client.get("/api/v1/marketplace/price-history?certificate_type=EUA"))
    assert hist["points"][-1]["close"] == "71.00"
    stats = ok(await client.get("/api/v1/marketplace/statistics"))
    assert {c["certificate_type"] for c in stats["certificates"]} == {"EUA", "CEA"}
