"""A client's cancellation decided in its instrument's next group of orders.

``POST /orders/{id}/cancel`` of an order this process's book holds resting is queued
with the orders being placed and decided in arrival order in their group's transaction
(:func:`niha.exchange.placement._cancel_one`); anything else -- someone else's order, an
order no longer resting, one the process has not seen -- is one command of its own
(:func:`niha.exchange.service.cancel_order`), which says why. On a committed database.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import psycopg
import pytest

from niha.config import Settings
from niha.core.db import Database, unit_of_work
from niha.core.errors import DomainError
from niha.exchange import book_cache, placement
from niha.exchange import service as exchange
from niha.exchange.service import NewOrder
from niha.identity.principal import Principal
from niha.identity.service import principal_from_token
from tests.exchange.conftest import count_calls
from tests.exchange.trading import fund
from tests.funding.helpers import make_entity
from tests.identity.factories import make_user, token_for
from tests.outbox import EVENTS


@pytest.fixture
def db(committed_db: Database) -> Database:
    return committed_db


@pytest.fixture
def long_way(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts cancellations run as commands of their own (not in a group)."""
    return count_calls(monkeypatch, exchange, "cancel_order")


async def _client(db: Database, settings: Settings, *, eur: int = 0, eua: int = 0) -> Principal:
    async with unit_of_work(db.maker) as session:
        e = await make_entity(session, legal_name="Cancelling Trader")
        user = await make_user(session, entity_role="trader", entity_id=e.id)
        await fund(session, e.id, eur=eur, eua=eua)
        token = await token_for(session, settings, user)
    principal = await principal_from_token(db, settings, token)
    assert principal is not None
    return principal


def _order(side: str, quantity: int, price: int) -> NewOrder:
    return NewOrder(symbol="EUA-EUR", side=side, kind="LIMIT", quantity=quantity, price=price)


async def _place(db: Database, settings: Settings, who: Principal, new: NewOrder) -> Any:
    try:
        return await exchange.submit_order(db.maker, settings, who.entity_id, who.user_id, new, who)
    except DomainError as exc:
        return exc


async def _cancel(db: Database, settings: Settings, who: Principal, order_id: uuid.UUID) -> Any:
    try:
        async with unit_of_work(db.maker) as session:
            return await exchange.cancel_own_order(session, settings, order_id, who)
    except DomainError as exc:
        return exc


async def _resting_sell(db: Database, settings: Settings) -> tuple[Principal, Principal, Any]:
    """A seller's 5 EUA resting at 70.00, and a buyer; the process knows both (terms, book)."""
    seller = await _client(db, settings, eua=100)
    buyer = await _client(db, settings, eur=10_000_000)
    await _place(db, settings, buyer, _order("BUY", 1, 60_00))
    return seller, buyer, await _place(db, settings, seller, _order("SELL", 5, 70_00))


def _sql(url: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def _balance(url: str, entity_id: uuid.UUID, asset: str, bucket: str) -> int:
    rows = _sql(
        url,
        "SELECT balance FROM ledger_account WHERE owner_type = 'entity' AND owner_id = %s "
        "AND asset = %s AND bucket = %s",
        entity_id, asset, bucket,
    )  # fmt: skip
    return int(rows[0][0]) if rows else 0


def _sequence(url: str) -> int:
    return int(_sql(url, "SELECT sequence FROM exchange_instrument WHERE symbol = 'EUA-EUR'")[0][0])


async def test_a_resting_order_is_cancelled_in_a_group(
    db: Database,
    settings: Settings,
    fresh_database_url: str,
    long_way: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = fresh_database_url
    seller = await _client(db, settings, eua=100)
    placed = await _place(db, settings, seller, _order("SELL", 10, 72_00))
    other = await _place(db, settings, seller, _order("SELL", 4, 72_00))
    assert _balance(url, seller.entity_id, "EUA", "reserved") == 14
    before = _sequence(url)
    [(last_batch,)] = _sql(url, "SELECT max(seq) FROM core_outbox_batch")
    runs = count_calls(monkeypatch, placement, "_run_group")

    cancelled = await _cancel(db, settings, seller, placed.order.id)

    assert long_way == [] and runs == [1]
    assert cancelled.status == "CANCELLED" and cancelled.reason == "cancelled_by_client"
    [row] = _sql(
        url,
        "SELECT status, reason, cancelled_by, reserved_remaining, last_sequence "
        "FROM exchange_order WHERE id = %s",
        placed.order.id,
    )
    assert row == ("CANCELLED", "cancelled_by_client", seller.user_id, 0, before + 1)
    assert _sequence(url) == before + 1
    assert _balance(url, seller.entity_id, "EUA", "reserved") == 4
    assert _balance(url, seller.entity_id, "EUA", "available") == 96
    # Its events: the level without it, the order cancelled, the balances, a ticker.
    events = _sql(
        url,
        f"SELECT o.event, o.data FROM {EVENTS} WHERE o.seq > %s ORDER BY o.seq, o.n",
        last_batch,
    )
    names = [e for e, _ in events]
    assert names[:2] == ["book.delta", "order.updated"]
    assert "ticker" in names and "balances.updated" in names
    delta = events[0][1]
    assert delta["sequence"] == before + 1
    assert delta["changes"] == [{"side": "SELL", "price": "72.00", "quantity": 4, "orders": 1}]
    assert events[1][1]["status"] == "CANCELLED"
    # The book the process keeps agrees with the database.
    async with db.maker() as session:
        slot = book_cache.slot(session, placed.order.instrument_id)
    assert slot.book is not None and slot.book.sequence == before + 1
    assert placed.order.id not in slot.resting and other.order.id in slot.resting
    assert slot.book.level(placement.Side.SELL, 72_00).quantity == 4


async def test_cancel_then_crossing_order_in_one_group_go_in_arrival_order(
    db: Database, settings: Settings, fresh_database_url: str, long_way: list[int]
) -> None:
    url = fresh_database_url
    seller, buyer, sell = await _resting_sell(db, settings)
    sizes: list[int] = []
    original = placement._run_group

    async def run_group(runner: Any, slot: Any, instrument_id: Any, group: Any) -> None:
        sizes.append(len(group))
        await original(runner, slot, instrument_id, group)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(placement, "_run_group", run_group)
        cancelled, bought = await asyncio.gather(
            _cancel(db, settings, seller, sell.order.id),
            _place(db, settings, buyer, _order("BUY", 5, 70_00)),
        )
    assert sizes == [2] and long_way == []
    assert cancelled.status == "CANCELLED"
    assert bought.order.status == "OPEN" and bought.fills == []  # nothing left to buy
    assert _sql(url, "SELECT count(*) FROM exchange_trade")[0][0] == 0
    assert _balance(url, seller.entity_id, "EUA", "available") == 100


async def test_crossing_order_then_cancel_in_one_group_the_cancel_is_refused(
    db: Database, settings: Settings, fresh_database_url: str, long_way: list[int]
) -> None:
    url = fresh_database_url
    seller, buyer, sell = await _resting_sell(db, settings)
    bought, refused = await asyncio.gather(
        _place(db, settings, buyer, _order("BUY", 5, 70_00)),
        _cancel(db, settings, seller, sell.order.id),
    )
    assert bought.order.status == "FILLED"
    # The group found it filled; the long way says so.
    assert long_way == [1]
    assert isinstance(refused, exchange.OrderNotCancellable)
    assert refused.extra.get("order_status") == "FILLED"
    assert _balance(url, seller.entity_id, "EUA", "reserved") == 0
    assert _balance(url, seller.entity_id, "EUA", "settling") == 0
    assert _balance(url, buyer.entity_id, "EUA", "settling") == 5


async def test_someone_elses_order_or_an_unknown_one_is_not_found(
    db: Database, settings: Settings, long_way: list[int]
) -> None:
    seller = await _client(db, settings, eua=100)
    stranger = await _client(db, settings, eua=100)
    sell = await _place(db, settings, seller, _order("SELL", 5, 70_00))
    refused = await _cancel(db, settings, stranger, sell.order.id)
    assert isinstance(refused, exchange.OrderNotFound)
    assert isinstance(await _cancel(db, settings, seller, uuid.uuid4()), exchange.OrderNotFound)
    assert long_way == [1, 1]  # neither was queued
    assert (await _cancel(db, settings, seller, sell.order.id)).status == "CANCELLED"


async def test_a_halted_market_still_cancels(
    db: Database, settings: Settings, fresh_database_url: str, long_way: list[int]
) -> None:
    seller = await _client(db, settings, eua=100)
    sell = await _place(db, settings, seller, _order("SELL", 5, 70_00))
    await _place(db, settings, seller, _order("SELL", 1, 71_00))  # the slot remembers
    _sql(
        fresh_database_url,
        "UPDATE exchange_instrument SET status = 'HALTED' WHERE symbol = 'EUA-EUR'",
    )
    # (Behind the slot's back, as another process would: the warm group fails its check,
    # its changes to the book and the order's row are undone, and it runs again, the
    # locked way, on the same book: the order is still resting there.)
    assert (await _cancel(db, settings, seller, sell.order.id)).status == "CANCELLED"
    assert long_way == []
    assert _balance(fresh_database_url, seller.entity_id, "EUA", "available") == 99
    assert isinstance(
        await _place(db, settings, seller, _order("SELL", 1, 71_00)), exchange.MarketHalted
    )


async def test_a_cancel_in_a_group_that_fails_leaves_the_order_resting(
    db: Database,
    settings: Settings,
    fresh_database_url: str,
    long_way: list[int],
) -> None:
    url = fresh_database_url
    seller = await _client(db, settings, eua=100)
    sell = await _place(db, settings, seller, _order("SELL", 5, 70_00))
    await _place(db, settings, seller, _order("SELL", 1, 71_00))
    sequence = _sequence(url)

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise psycopg.errors.UndefinedTable("no such table")  # not retried

    with pytest.MonkeyPatch.context() as mp, pytest.raises(psycopg.errors.UndefinedTable):
        mp.setattr(placement, "_write", broken)
        await _cancel(db, settings, seller, sell.order.id)
    assert _sequence(url) == sequence
    assert _sql(url, "SELECT status FROM exchange_order WHERE id = %s", sell.order.id) == [
        ("OPEN",)
    ]
    assert _balance(url, seller.entity_id, "EUA", "reserved") == 6
    # The process dropped its book (reloaded by the next command); cancelling again works.
    async with db.maker() as session:
        slot = book_cache.slot(session, sell.order.instrument_id)
    assert slot.book is None and slot.resting == {}
    assert (await _cancel(db, settings, seller, sell.order.id)).status == "CANCELLED"
    assert long_way == [1]
    assert _balance(url, seller.entity_id, "EUA", "reserved") == 1
