"""A cached book catching up with another process's commands (book_cache.catch_up).

Pure: ``OrderBook.add`` / ``reduce``. On PostgreSQL: two databases objects on one
database stand for two ``niha serve`` processes (each has its own cached books); after
commands interleaved between them, each cache equals the book rebuilt from the database.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest

from niha.config import Settings
from niha.core.db import Database, unit_of_work
from niha.exchange import book_cache, service
from niha.exchange.matching import OrderBook, OrderKind, RestingOrder, Side, TimeInForce
from tests.exchange.trading import fund
from tests.funding.helpers import make_entity


def _book(*orders: RestingOrder) -> OrderBook:
    book = OrderBook()
    book.load(orders)
    return book


def test_add_rests_at_the_back_of_its_level_and_refuses_a_cross() -> None:
    book = _book(RestingOrder("a", "x", Side.SELL, 7000, 5))
    book.add(RestingOrder("b", "y", Side.SELL, 7000, 3))
    book.add(RestingOrder("c", "y", Side.BUY, 6900, 2))
    assert book.level(Side.SELL, 7000).quantity == 8
    plan = book.plan("t", "z", Side.BUY, 6, 7000, kind=OrderKind.LIMIT, tif=TimeInForce.IOC)
    assert [(f.maker_order_id, f.quantity) for f in plan.fills] == [("a", 5), ("b", 1)]
    with pytest.raises(ValueError):
        book.add(RestingOrder("d", "y", Side.BUY, 7000, 1))  # would cross
    with pytest.raises(ValueError):
        book.add(RestingOrder("a", "y", Side.SELL, 7100, 1))  # duplicate id


def test_reduce_keeps_time_priority() -> None:
    book = _book(
        RestingOrder("a", "x", Side.SELL, 7000, 5), RestingOrder("b", "y", Side.SELL, 7000, 5)
    )
    book.reduce("a", 2)
    assert book.level(Side.SELL, 7000).quantity == 7
    plan = book.plan("t", "z", Side.BUY, 3, 7000, kind=OrderKind.LIMIT, tif=TimeInForce.IOC)
    assert [(f.maker_order_id, f.quantity) for f in plan.fills] == [("a", 2), ("b", 1)]
    with pytest.raises(ValueError):
        book.reduce("a", 3)  # never grows
    with pytest.raises(KeyError):
        book.reduce("nope", 1)


_load_book = book_cache.load_book


async def _state(db: Database, instrument_id: uuid.UUID) -> tuple[list[object], list[object]]:
    async with unit_of_work(db.maker) as session:
        row = await session.get(service.Instrument, instrument_id)
        assert row is not None
        book, resting = await _load_book(session, instrument_id, row.sequence)
    return book.depth(Side.BUY) + book.depth(Side.SELL), sorted(str(i) for i in resting)


async def test_two_processes_caches_follow_each_other(
    fresh_database_url: str, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    reloads = 0

    async def counting_load_book(*args: Any, **kwargs: Any) -> Any:
        nonlocal reloads
        reloads += 1
        return await _load_book(*args, **kwargs)

    monkeypatch.setattr(book_cache, "load_book", counting_load_book)
    a, b = Database(fresh_database_url), Database(fresh_database_url)
    try:
        async with unit_of_work(a.maker) as session:
            entities = []
            for _ in range(4):
                e = await make_entity(session, legal_name="Sync Trader")
                await fund(session, e.id, eur=10**9, eua=10**6)
                entities.append(e.id)
            inst = await service.get_instrument(session, "EUA-EUR")
            instrument_id = inst.id
        rng = random.Random(3)
        for step in range(40):
            db = a if rng.random() < 0.5 else b
            async with unit_of_work(db.maker) as session:
                await service.place_order(
                    session, settings, rng.choice(entities), None,
                    service.NewOrder(symbol="EUA-EUR", side=rng.choice(["BUY", "SELL"]),
                                     kind="LIMIT", quantity=rng.randint(1, 9),
                                     price=7000 + rng.randint(-4, 4),
                                     time_in_force=rng.choice(["GTC", "GTC", "IOC"])),
                )  # fmt: skip
            if step % 7 == 3:  # a cancellation through the other process
                other = b if db is a else a
                async with unit_of_work(other.maker) as session:
                    slot = book_cache.slot(session, instrument_id)
                    if slot.resting:
                        victim = next(iter(slot.resting))
                        await service.cancel_order(session, victim, entity_id=None, actor_id=None)
            # Whichever process acts next catches up from the rows changed since its book.
            expected = await _state(a, instrument_id)
            for db_ in (a, b):
                async with unit_of_work(db_.maker) as session:
                    slot = book_cache.slot(session, instrument_id)
                    await book_cache.lock_instrument(session, slot, instrument_id)
                    assert slot.book is not None
                    got = (
                        slot.book.depth(Side.BUY) + slot.book.depth(Side.SELL),
                        sorted(str(i) for i in slot.resting),
                    )
                    assert got == expected, f"step {step}"
                    remaining = {
                        str(i): o.quantity - o.filled_quantity for i, o in slot.resting.items()
                    }
                    assert all(q > 0 for q in remaining.values())
        # One full load per process; every later change came in incrementally.
        assert reloads == 2
    finally:
        await a.dispose()
        await b.dispose()
