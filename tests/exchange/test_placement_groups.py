"""Group commit of order placement (niha.exchange.placement) with real concurrent requests.

Orders that arrive while a group's transaction is in flight are decided together in the
next one, each exactly as if it were alone: a refused order gets its own 4xx and leaves
no trace, the others of its group go through. On a committed database (separate
connections), through the HTTP API of one in-process app.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import psycopg
import pytest

from niha.config import Settings
from niha.core.db import Database, unit_of_work
from niha.exchange.fees import fee
from tests.exchange.trading import fund
from tests.funding.helpers import make_entity
from tests.identity.factories import make_user, token_for
from tests.outbox import EVENTS


@pytest.fixture
async def live(fresh_database_url: str, settings: Settings) -> AsyncIterator[tuple[Any, Database]]:
    from niha.app import create_app

    db = Database(fresh_database_url)
    app = create_app(settings, db=db, start_background=False)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 12345))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http, db
    await db.dispose()


async def _trader(db: Database, settings: Settings, *, eur: int = 0, eua: int = 0) -> str:
    async with unit_of_work(db.maker) as session:
        e = await make_entity(session, legal_name="Group Trader")
        user = await make_user(session, entity_role="trader", entity_id=e.id)
        await fund(session, e.id, eur=eur, eua=eua)
        return await token_for(session, settings, user)


def _buy(price: str, quantity: int) -> dict[str, Any]:
    return {"certificate_type": "EUA", "order_type": "BUY", "order_kind": "LIMIT",
            "quantity": quantity, "price": price}  # fmt: skip


async def test_concurrent_orders_against_exact_funds_only_those_covered_pass(
    live: tuple[Any, Database], settings: Settings, fresh_database_url: str
) -> None:
    http, db = live
    one = 70_00 * 10
    reserve = one + fee(one, settings.exchange_taker_fee_bps)
    token = await _trader(db, settings, eur=3 * reserve)
    headers = {"Authorization": f"Bearer {token}"}

    responses = await asyncio.gather(
        *(http.post("/api/v1/orders/place", json=_buy("70.00", 10), headers=headers)
          for _ in range(8))
    )  # fmt: skip
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 3 + [422] * 5, [r.text for r in responses]
    for r in responses:
        if r.status_code == 422:
            body = r.json()
            assert body["code"] == "insufficient_funds"
            assert body["asset"] == "EUR"
    with psycopg.connect(fresh_database_url) as conn:
        orders = conn.execute("SELECT count(*), sum(reserved_remaining) FROM exchange_order")
        assert orders.fetchone() == (3, 3 * reserve)
        sequences = [r[0] for r in conn.execute("SELECT sequence FROM exchange_order ORDER BY 1")]
        assert sequences == [1, 2, 3]  # refused orders take no sequence number
        neg = conn.execute("SELECT count(*) FROM ledger_account WHERE balance < 0 "
                           "AND owner_type = 'entity'").fetchone()  # fmt: skip
        assert neg == (0,)


async def test_orders_arriving_together_share_one_transaction(
    live: tuple[Any, Database], settings: Settings, fresh_database_url: str
) -> None:
    http, db = live
    tokens = [await _trader(db, settings, eur=10**9) for _ in range(10)]
    responses = await asyncio.gather(
        *(http.post("/api/v1/orders/place", json=_buy(f"6{i}.00", 1),
                    headers={"Authorization": f"Bearer {t}"})
          for i, t in enumerate(tokens))
    )  # fmt: skip
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    with psycopg.connect(fresh_database_url) as conn:
        groups = conn.execute("SELECT count(DISTINCT created_at) FROM exchange_order").fetchone()
        seqs = [r[0] for r in conn.execute("SELECT sequence FROM exchange_order ORDER BY 1")]
    # Ten orders, fewer transactions (each group stamps its orders with one time), and
    # still one sequence number per order, without a gap.
    assert groups is not None and groups[0] < 10
    assert seqs == list(range(1, 11))
    book = (await http.get("/api/v1/market/EUA-EUR/book")).json()
    assert book["sequence"] == 10
    assert sum(level["quantity"] for level in book["bids"]) == 10


async def test_one_ticker_per_group_with_what_the_group_traded(
    live: tuple[Any, Database], settings: Settings, fresh_database_url: str
) -> None:
    http, db = live
    seller = {"Authorization": f"Bearer {await _trader(db, settings, eua=100)}"}
    buyers = [{"Authorization": f"Bearer {await _trader(db, settings, eur=10**8)}"}
              for _ in range(4)]  # fmt: skip
    sell = {**_buy("60.00", 10), "order_type": "SELL"}
    assert (await http.post("/api/v1/orders/place", json=sell, headers=seller)).status_code == 201
    responses = await asyncio.gather(
        *(http.post("/api/v1/orders/place", json=_buy("61.00", 2), headers=h) for h in buyers)
    )
    assert all(r.status_code == 201 for r in responses)
    with psycopg.connect(fresh_database_url) as conn:
        groups = conn.execute("SELECT count(DISTINCT created_at) FROM exchange_order").fetchone()
        tickers = [r[0] for r in conn.execute(
            f"SELECT o.data FROM {EVENTS} WHERE o.channel = 'ticker' ORDER BY o.seq, o.n")]  # fmt: skip
    assert groups is not None and len(tickers) == groups[0]
    assert tickers[0]["traded"] == 0 and sum(t["traded"] for t in tickers) == 8
    assert tickers[-1]["sequence"] == 5 and tickers[-1]["ask"] == "60.00"
    assert tickers[-1]["last"] == "60.00"


@pytest.mark.parametrize("gather", [5.0, 0.0])
async def test_callers_answered_together_are_gathered_into_the_next_group(
    monkeypatch: pytest.MonkeyPatch, gather: float
) -> None:
    """Three callers answered together come back a moment apart: the runner waits for as
    many orders as were in play (at most GATHER_SECONDS), so they share the next group."""
    from niha.exchange import placement
    from niha.exchange.book_cache import Slot

    groups: list[int] = []

    async def run_group(runner: Any, slot: Slot, instrument_id: Any, group: list[Any]) -> None:
        groups.append(len(group))
        await asyncio.sleep(0.001)  # the transaction
        for q in group:
            q.future.set_result(None)

    monkeypatch.setattr(placement, "_run_group", run_group)
    monkeypatch.setattr(placement, "GATHER_SECONDS", gather)
    slot, loop = Slot(), asyncio.get_running_loop()
    new = placement.NewOrder("EUA-EUR", "BUY", "LIMIT", 1, 100)

    async def caller(i: int) -> None:
        for _ in range(4):
            q = placement._Queued(new, uuid.uuid4(), None, loop.create_future())
            placement._enqueue(slot, q, lambda: cast(Any, None), uuid.uuid4())
            await q.future
            await asyncio.sleep(0.01 * (i + 1))  # each caller's own pace

    await asyncio.wait_for(asyncio.gather(*(caller(i) for i in range(3))), 10)
    if gather:
        assert groups == [3, 3, 3, 3]
    else:  # taken as they come: more, smaller groups
        assert groups[0] == 3 and len(groups) > 4


def test_rows_mirror_the_tables() -> None:
    """The order path writes its rows column by column: a column added to a model must be
    added to its row too (else the group's writes would leave it NULL)."""
    from dataclasses import fields

    from niha.exchange.models import Order, OrderFill, Trade
    from niha.exchange.rows import FillRow, OrderRow, TradeRow

    for row, model in ((OrderRow, Order), (TradeRow, Trade), (FillRow, OrderFill)):
        assert [f.name for f in fields(row)] == [c.key for c in model.__table__.columns]
