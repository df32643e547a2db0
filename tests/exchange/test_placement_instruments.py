"""Orders on both instruments at once (niha.exchange.placement, book_cache.Shared).

An entity that trades EUA and CEA reserves the euros of both from one account, and every
group credits the one fees account. So the two instruments' groups meet on accounts:

- in one process they run one at a time and share the accounts they remember, so a
  client alternating between the instruments is decided on what the process remembers
  (its other instrument's group moved its euro balance);
- a group locks every account it touches in ONE statement, in id order, and only checks
  the balances it decided on there. Had it locked its takers' accounts first and the
  rest (counterparties, fees) later, two processes -- or two instruments -- could lock
  the same accounts in opposite orders and deadlock (PostgreSQL then kills one after a
  second).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import psycopg
import pytest
from prometheus_client import REGISTRY

from niha.config import Settings
from niha.core.clock import utcnow
from niha.core.db import Database, unit_of_work
from niha.core.errors import DomainError
from niha.exchange import placement
from niha.exchange.service import NewOrder
from niha.ledger import service as ledger
from niha.ledger.core import AccountKey, TransferRequest
from niha.ledger.reconcile import reconcile_day
from tests.exchange.trading import committed_entity, place_committed


def _order(symbol: str, side: str, quantity: int, price: int) -> NewOrder:
    return NewOrder(symbol=symbol, side=side, kind="LIMIT", quantity=quantity, price=price)


def _retries(state: str) -> float:
    """Units of work run again after ``state`` (niha_db_retries_total)."""
    return REGISTRY.get_sample_value("niha_db_retries_total", {"sqlstate": state}) or 0.0


async def test_a_client_on_both_instruments_is_decided_on_what_the_process_remembers(
    committed_db: Database, settings: Settings, locked_groups: list[int]
) -> None:
    db = committed_db
    trader = await committed_entity(db, eur=10**9, name="Both Markets")
    for symbol in ("EUA-EUR", "CEA-EUR"):  # each slot's first group reads under locks
        placed = await place_committed(db, settings, trader, _order(symbol, "BUY", 1, 50_00))
        assert isinstance(placed, placement.PlacedOrder), placed
    assert len(locked_groups) == 2
    serialization_failures = _retries("40001")
    for i in range(6):
        symbol = ("EUA-EUR", "CEA-EUR")[i % 2]
        placed = await place_committed(db, settings, trader, _order(symbol, "BUY", 1, 50_00))
        assert isinstance(placed, placement.PlacedOrder), placed
    # Each order moved the euro balance the other instrument's slot had seen last: with a
    # memory per slot, every one of them failed its check and ran again under locks.
    assert len(locked_groups) == 2
    assert _retries("40001") == serialization_failures


async def test_a_group_read_under_the_instrument_lock_holds_no_account_lock(
    committed_db: Database,
    settings: Settings,
    fresh_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While the group decides (its reads done), another transaction can still lock the
    taker's account: the group locks its accounts only with the ledger's one statement."""
    db = committed_db
    trader = await committed_entity(db, eur=10**9, name="Lock Order")
    seen: list[str] = []
    original = placement._decide

    async def deciding(g: Any, group: Any, *args: Any) -> Any:
        key = AccountKey.entity(trader, "EUR", "available")
        with psycopg.connect(fresh_database_url, autocommit=True) as other:
            try:
                other.execute("SET lock_timeout = '2s'")
                other.execute(
                    "SELECT 1 FROM ledger_account WHERE owner_id = %s AND asset = %s "
                    "AND bucket = %s FOR NO KEY UPDATE NOWAIT",
                    (key.owner_id, key.asset, key.bucket),
                )
                seen.append("free")
            except psycopg.errors.LockNotAvailable:
                seen.append("locked")
        return await original(g, group, *args)

    monkeypatch.setattr(placement, "_decide", deciding)
    placed = await place_committed(db, settings, trader, _order("EUA-EUR", "BUY", 2, 50_00))
    assert isinstance(placed, placement.PlacedOrder), placed
    assert seen == ["free"]


async def test_the_ledger_locks_a_batch_and_its_expected_balances_in_one_statement(
    committed_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = committed_db
    payer = await committed_entity(db, eur=1_000, name="Payer")
    watched = await committed_entity(db, eur=5, name="Watched")
    statements: list[list[AccountKey]] = []
    original = ledger._lock_accounts

    async def locking(driver: Any, keys: Any) -> Any:
        statements.append(list(keys))
        return await original(driver, keys)

    monkeypatch.setattr(ledger, "_lock_accounts", locking)
    debit = AccountKey.entity(payer, "EUR", "available")
    credit = AccountKey.entity(payer, "EUR", "reserved")
    also = AccountKey.entity(watched, "EUR", "available")
    async with unit_of_work(db.maker) as session:
        await ledger.stage_batch(
            session,
            [TransferRequest(debit, credit, 100, kind="test", key=f"t:{uuid.uuid4()}")],
            expect={debit: 1_000, also: 5},
        )
    assert statements == [sorted([debit, credit, also])]
    with pytest.raises(ledger.BalanceMoved):
        async with unit_of_work(db.maker) as session:
            await ledger.stage_batch(
                session,
                [TransferRequest(debit, credit, 100, kind="test", key=f"t:{uuid.uuid4()}")],
                expect={debit: 900, also: 6},
            )


async def test_a_balance_that_moved_up_since_it_was_read_leaves_the_batch_standing(
    committed_db: Database,
) -> None:
    """The locked way decides on balances read without a lock; the ledger's lock checks
    each is at least that. Moved up (a deposit, an order elsewhere filled), every
    decision stands; moved down, the group runs again. (An exact check failed groups of
    a client trading through two processes attempt after attempt.)"""
    db = committed_db
    payer = await committed_entity(db, eur=1_000, name="Payer")
    debit = AccountKey.entity(payer, "EUR", "available")
    credit = AccountKey.entity(payer, "EUR", "reserved")

    def move(amount: int) -> list[TransferRequest]:
        return [TransferRequest(debit, credit, amount, kind="test", key=f"t:{uuid.uuid4()}")]

    async with unit_of_work(db.maker) as session:  # read as 600, now 1,000
        staged = await ledger.stage_batch(session, move(600), expect={debit: 600})
    assert staged.accounts[debit].balance == 400  # planned on the locked balance
    async with unit_of_work(db.maker) as session:
        balances = await ledger.open_balances(session, [debit, credit])
    assert balances[debit].balance == 400 and balances[credit].balance == 600
    with pytest.raises(ledger.BalanceMoved):  # read as 500, now 400
        async with unit_of_work(db.maker) as session:
            await ledger.stage_batch(session, move(100), expect={debit: 500})


async def test_a_balance_remembered_short_is_read_again_not_refused(
    committed_db: Database,
) -> None:
    """A group decided on remembered balances may find a client account short by them
    when another process moved it up meanwhile (a client trading both instruments
    through two processes): that is stale memory -- run again, reading -- not a refusal.
    (It refused the whole group with "Reserved EUR is short by ...".)"""
    db = committed_db
    payer = await committed_entity(db, eur=1_000, name="Payer")
    debit = AccountKey.entity(payer, "EUR", "available")
    credit = AccountKey.entity(payer, "EUR", "reserved")
    async with unit_of_work(db.maker) as session:
        seen = await ledger.open_balances(session, [debit, credit])
    remembered = {**seen, debit: ledger.AccountState(seen[debit].id, 100)}  # before a deposit

    def move(amount: int) -> list[TransferRequest]:
        return [TransferRequest(debit, credit, amount, kind="test", key=f"t:{uuid.uuid4()}")]

    with pytest.raises(ledger.BalanceMoved):
        async with unit_of_work(db.maker) as session:
            await ledger.stage_batch(session, move(500), known=remembered)
    async with unit_of_work(db.maker) as session:  # read again: it holds
        await ledger.stage_batch(session, move(500))
    with pytest.raises(DomainError) as refused:  # a real shortfall is refused
        async with unit_of_work(db.maker) as session:
            await ledger.stage_batch(session, move(501))
    assert refused.value.code == "insufficient_funds"


async def test_two_processes_trading_both_instruments_do_not_deadlock(
    settings: Settings, fresh_database_url: str
) -> None:
    """Two processes (two database bindings: a book, a lock and a memory each), clients
    each on both instruments, crossing one another: every order answered, no deadlock,
    the ledger reconciles."""
    first, second = Database(fresh_database_url), Database(fresh_database_url)
    try:
        traders = [
            await committed_entity(first, eur=10**10, eua=10**6, cea=10**6, name=f"Both {i}")
            for i in range(4)
        ]
        deadlocks = _retries("40P01")

        async def trade(db: Database, trader: uuid.UUID, seed: int) -> list[str]:
            rng = random.Random(seed)
            answers = []
            for _ in range(60):
                new = _order(
                    rng.choice(("EUA-EUR", "CEA-EUR")),
                    rng.choice(("BUY", "SELL")),
                    rng.randint(1, 5),
                    70_00 + rng.randint(-2, 2),
                )
                placed = await place_committed(db, settings, trader, new)
                assert isinstance(placed, placement.PlacedOrder), placed
                answers.append(placed.order.status)
            return answers

        callers = [
            trade(db, trader, i * 2 + n)
            for i, trader in enumerate(traders)
            for n, db in enumerate((first, second))
        ]
        done = await asyncio.gather(*callers)
        assert sum(len(d) for d in done) == 4 * 2 * 60
        assert any(status != "OPEN" for d in done for status in d)  # they traded
        assert _retries("40P01") == deadlocks
        async with unit_of_work(first.maker) as session:
            result = await reconcile_day(session, utcnow().date())
        assert result.ok, result.discrepancies
    finally:
        await first.dispose()
        await second.dispose()
