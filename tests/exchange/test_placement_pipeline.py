"""The group's transaction in pipeline mode (niha.exchange.placement, ledger.stage_batch).

On a committed database with an engine-bound Database, as in production: the group
sends its reads together, the ledger's write, its own rows, its outbox events and COMMIT
together, publishes after commit and has the events marked published by the next
group's write (or apart when none follows).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest

from niha.config import Settings
from niha.core import events
from niha.core.db import Database, driver_connection, send, unit_of_work
from niha.core.errors import DomainError
from niha.exchange import book_cache, placement
from niha.exchange.service import NewOrder
from niha.ledger import service as ledger
from niha.ledger.core import AccountKey, TransferRequest
from tests.exchange.trading import committed_entity, place_committed
from tests.outbox import EVENTS


@pytest.fixture
async def db(fresh_database_url: str) -> AsyncIterator[Database]:
    database = Database(fresh_database_url)
    yield database
    await database.dispose()


async def _entity(db: Database, **kwargs: Any) -> uuid.UUID:
    return await committed_entity(db, name="Pipeline Trader", **kwargs)


_place = place_committed


def _limit(side: str, quantity: int, price: int = 70_00) -> NewOrder:
    return NewOrder(symbol="EUA-EUR", side=side, kind="LIMIT", quantity=quantity, price=price)


async def test_events_are_published_in_order_and_all_marked(
    db: Database, settings: Settings, fresh_database_url: str
) -> None:
    sellers = [await _entity(db, eua=1000) for _ in range(4)]
    buyers = [await _entity(db, eur=10**8) for _ in range(4)]
    with psycopg.connect(fresh_database_url) as conn:
        before = conn.execute("SELECT coalesce(max(seq), 0) FROM core_outbox_batch").fetchone()
    seen: list[events.Event] = []

    async def collect(event: events.Event) -> None:
        seen.append(event)

    events.add_publisher(collect)
    try:
        for _ in range(3):  # several groups: the later ones carry the marks of the earlier
            results = await asyncio.gather(
                *(_place(db, settings, s, _limit("SELL", 5)) for s in sellers),
                *(_place(db, settings, b, _limit("BUY", 5)) for b in buyers),
            )
            assert all(isinstance(r, placement.PlacedOrder) for r in results), results
        await asyncio.sleep(placement.MARK_DELAY * 20)  # the last group's marks, apart
    finally:
        events.remove_publisher(collect)
    with psycopg.connect(fresh_database_url) as conn:
        rows = conn.execute(
            f"SELECT o.id::text, o.published_at IS NOT NULL FROM {EVENTS} "
            "WHERE o.seq > %s ORDER BY o.seq, o.n",
            before,
        ).fetchall()
    ours = seen
    # Published once each, in the order of the outbox (commit order, then emit order)...
    assert [e.id for e in ours] == [r[0] for r in rows]
    # ...and every row marked published (by a later group's write, or apart).
    assert all(published for _, published in rows)
    # Within a group, the order events come first, the ledger's balance events last.
    channels = [e.channel for e in ours]
    assert channels[0] == "book.EUA-EUR"
    assert "balances" in channels and channels[-1] == "balances"
    assert sum(1 for e in ours if e.event == "trade") == 12


async def test_while_groups_keep_coming_their_writes_carry_the_marks(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No statement apart marks events while each group comes sooner than MARK_DELAY
    after the last (the next write marks them); one does once the groups stop."""
    monkeypatch.setattr(placement, "MARK_DELAY", 0.2)
    apart: list[int] = []
    real = events.mark_published

    async def counting(maker: Any, ids: Any) -> None:
        apart.append(len(ids))
        await real(maker, ids)

    seller = await _entity(db, eua=1000)
    monkeypatch.setattr(events, "mark_published", counting)  # from here, the groups' only
    loop = asyncio.get_running_loop()
    stop = loop.time() + 1.0  # five times the delay, one group after another
    groups = 0
    while loop.time() < stop:
        placed = await _place(db, settings, seller, _limit("SELL", 1, price=80_00))
        assert isinstance(placed, placement.PlacedOrder), placed
        groups += 1
        await asyncio.sleep(0.01)
    assert groups > 10
    assert apart == []
    await asyncio.sleep(placement.MARK_DELAY * 3)
    assert len(apart) == 1  # the last group's batches, apart


async def test_a_wrong_guess_of_the_instruments_assets_changes_nothing(
    db: Database, settings: Settings, fresh_database_url: str
) -> None:
    """The balance lock goes out with the instrument's, on the assets the slot saw last;
    when they do not match the locked row, the group locks the right accounts itself."""
    rich = await _entity(db, eur=10**8)
    poor = await _entity(db, eur=100)
    refused = await _entity(db, kyc="SUBMITTED")
    first = await _place(db, settings, rich, _limit("BUY", 1))
    assert isinstance(first, placement.PlacedOrder)
    async with db.maker() as session:
        slot = book_cache.slot(session, first.order.instrument_id)
    assert slot.assets == ("EUA", "EUR")
    slot.assets = ("CEA", "XXX")  # a stale guess
    results = await asyncio.gather(
        _place(db, settings, rich, _limit("BUY", 2)),
        _place(db, settings, poor, _limit("BUY", 2)),
        _place(db, settings, refused, _limit("BUY", 2)),
    )
    assert isinstance(results[0], placement.PlacedOrder)
    assert isinstance(results[1], DomainError) and results[1].code == "insufficient_funds"
    assert isinstance(results[2], DomainError) and results[2].code == "kyc_required"
    assert slot.assets == ("EUA", "EUR")  # corrected from the locked row
    with psycopg.connect(fresh_database_url) as conn:
        reserved = conn.execute(
            "SELECT sum(reserved_remaining) FROM exchange_order WHERE entity_id = %s", (rich,)
        ).fetchone()
        # a refused order leaves no trace, not even an account
        accounts = conn.execute(
            "SELECT count(*) FROM ledger_account WHERE owner_id = %s", (refused,)
        ).fetchone()
    fee = exchange_fee(settings, 70_00)
    assert reserved == (3 * (70_00 + fee),)
    assert accounts == (0,)


def exchange_fee(settings: Settings, notional: int) -> int:
    from niha.exchange.fees import fee

    return fee(notional, settings.exchange_taker_fee_bps)


def _funding(owner: uuid.UUID, amount: int, key: str) -> TransferRequest:
    return TransferRequest(
        AccountKey.platform("EUR", "bank"),
        AccountKey.entity(owner, "EUR", "available"),
        amount,
        "test_funding",
        key,
    )


async def test_a_staged_batch_commits_with_its_caller_in_one_pipeline(
    db: Database, fresh_database_url: str
) -> None:
    owner = await _entity(db)
    async with unit_of_work(db.maker) as session:
        driver = await driver_connection(session)
        async with driver.pipeline():
            staged = await ledger.stage_batch(session, [_funding(owner, 500, "stage:1")])
            await send(driver, "COMMIT")
    assert staged.balances[AccountKey.entity(owner, "EUR", "available")] == 500
    [event] = staged.events
    assert event.channel == "balances" and event.data["changes"][0]["balance"] == "5.00"
    with psycopg.connect(fresh_database_url) as conn:
        balance = conn.execute(
            "SELECT balance FROM ledger_account WHERE owner_id = %s AND bucket = 'available'",
            (owner,),
        ).fetchone()
        written = conn.execute(
            f"SELECT count(*) FROM {EVENTS} WHERE o.id = %s", (event.id,)
        ).fetchone()
    assert balance == (500,)
    assert written == (1,)  # its event row went with the batch


async def test_a_staged_batch_with_a_used_key_fails_its_callers_commit(
    db: Database, fresh_database_url: str
) -> None:
    owner = await _entity(db)
    async with unit_of_work(db.maker) as session:
        await ledger.post_batch(session, [_funding(owner, 500, "stage:used")])
    with pytest.raises(psycopg.errors.UniqueViolation) as caught:
        async with unit_of_work(db.maker) as session:
            driver = await driver_connection(session)
            async with driver.pipeline():
                await ledger.stage_batch(session, [_funding(owner, 700, "stage:used")])
                await send(driver, "INSERT INTO core_outbox_batch (id, events, created_at) "
                           "VALUES (gen_random_uuid(), '[{\"channel\": \"x\"}]', now())")  # fmt: skip
                await send(driver, "COMMIT")
    error = ledger.integrity_error(caught.value)
    assert error is not None and error.code == "idempotency_conflict"
    assert ledger.integrity_error(RuntimeError("other")) is None
    with psycopg.connect(fresh_database_url) as conn:
        balance = conn.execute(
            "SELECT balance FROM ledger_account WHERE owner_id = %s AND bucket = 'available'",
            (owner,),
        ).fetchone()
        others = conn.execute(f"SELECT count(*) FROM {EVENTS} WHERE o.channel = 'x'")
        assert others.fetchone() == (0,)  # nothing of the transaction was written
    assert balance == (500,)
