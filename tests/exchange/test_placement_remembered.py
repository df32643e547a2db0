"""Groups decided on what the slot remembers (niha.exchange.placement, the warm path).

After a group, the slot remembers the instrument row, the fee overrides, the entities
that passed the KYC gate and the accounts as that group left them; the next group is
decided on that and checks, in the one round trip that writes it, that it still holds.
Each test changes one of these behind the slot's back (another transaction, as another
process would) and checks that the next order gets the answer the database gives --
and that nothing of the stale decision was written.
"""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from niha.config import Settings
from niha.core.db import Database, unit_of_work
from niha.core.errors import DomainError
from niha.exchange import book_cache, placement
from niha.exchange import service as exchange
from niha.exchange.fees import fee
from niha.exchange.service import NewOrder
from tests.exchange.conftest import count_calls
from tests.exchange.trading import committed_entity, fund, place_committed


@pytest.fixture
def db(committed_db: Database) -> Database:
    return committed_db


@pytest.fixture
def reloads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts full loads of the book: a stale decision is undone, never reloaded."""
    return count_calls(monkeypatch, book_cache, "load_book")


async def _entity(db: Database, **kwargs: Any) -> uuid.UUID:
    return await committed_entity(db, name="Remembered Trader", **kwargs)


_place = place_committed


def _buy(quantity: int, price: int = 70_00, **extra: Any) -> NewOrder:
    return NewOrder(
        symbol="EUA-EUR", side="BUY", kind="LIMIT", quantity=quantity, price=price, **extra
    )


def _sql(url: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def _reserve(settings: Settings, quantity: int, price: int = 70_00) -> int:
    return price * quantity + fee(price * quantity, settings.exchange_taker_fee_bps)


async def _warm(
    db: Database, settings: Settings, entity_id: uuid.UUID, new: NewOrder | None = None
) -> book_cache.Slot:
    first = await _place(db, settings, entity_id, new or _buy(1, 60_00))
    assert isinstance(first, placement.PlacedOrder), first
    async with db.maker() as session:
        slot = book_cache.slot(session, first.order.instrument_id)
    assert slot.remembered is not None
    return slot


def _sell(quantity: int, price: int) -> NewOrder:
    return NewOrder(symbol="EUA-EUR", side="SELL", kind="LIMIT", quantity=quantity, price=price)


async def test_a_group_after_the_first_is_decided_on_what_the_slot_remembers(
    db: Database, settings: Settings, fresh_database_url: str, locked_groups: list[int]
) -> None:
    buyer = await _entity(db, eur=10**8)
    seller = await _entity(db, eua=100)
    await _warm(db, settings, buyer)  # a bid of 1 at 60.00
    await _warm(db, settings, seller, _sell(1, 62_00))  # a new entity: read under locks
    assert len(locked_groups) == 2
    sold = await _place(db, settings, seller, _sell(5, 59_00))
    bought = await _place(db, settings, buyer, _buy(5, 61_00))
    slot = await _warm(db, settings, buyer, _buy(1, 60_00, client_order_id="fresh-1"))
    assert len(locked_groups) == 2  # all three from memory (a new client_order_id too)
    assert isinstance(sold, placement.PlacedOrder) and isinstance(bought, placement.PlacedOrder)
    # The ask crossed the resting bid (at the bid's price); the bid took the rest of it.
    assert [(f.price, f.quantity) for f in sold.fills] == [(60_00, 1)]
    assert [(f.price, f.quantity) for f in bought.fills] == [(59_00, 4)]
    # What the slot remembers of every client account is what the database holds.
    assert slot.remembered is not None
    rows = _sql(
        fresh_database_url,
        "SELECT owner_id, asset, bucket, balance FROM ledger_account WHERE owner_id = ANY(%s)",
        [buyer, seller],
    )
    held = {(o, a, b): balance for o, a, b, balance in rows}
    remembered = {
        (k.owner_id, k.asset, k.bucket): a.balance
        for k, a in slot.remembered.accounts.items()
        if k.is_client
    }
    assert remembered and all(held[k] == v for k, v in remembered.items())


async def test_a_balance_moved_elsewhere_is_seen_before_the_order_is_decided(
    db: Database,
    settings: Settings,
    fresh_database_url: str,
    locked_groups: list[int],
    reloads: list[int],
) -> None:
    buyer = await _entity(db, eur=_reserve(settings, 1, 60_00) + _reserve(settings, 10))
    await _warm(db, settings, buyer)
    # Another transaction (a withdrawal, another process) takes half of what is left.
    _sql(
        fresh_database_url,
        "UPDATE ledger_account SET balance = balance - %s WHERE owner_id = %s "
        "AND asset = 'EUR' AND bucket = 'available'",
        _reserve(settings, 5),
        buyer,
    )
    refused = await _place(db, settings, buyer, _buy(10))
    assert isinstance(refused, DomainError) and refused.code == "insufficient_funds"
    placed = await _place(db, settings, buyer, _buy(5))
    assert isinstance(placed, placement.PlacedOrder)
    [(count,)] = _sql(
        fresh_database_url, "SELECT count(*) FROM exchange_order WHERE entity_id = %s", buyer
    )
    assert count == 2  # the warm-up and the last one: the refused order left nothing
    assert len(locked_groups) >= 2  # the stale decision was run again under locks
    assert len(reloads) == 1  # the first group's; every stale decision was undone


async def test_a_deposit_elsewhere_is_seen_before_the_order_is_decided(
    db: Database, settings: Settings, fresh_database_url: str, reloads: list[int]
) -> None:
    """Refusing on a remembered balance that has grown would be wrong, and no constraint
    would notice: the group must check the balances it decided on."""
    buyer = await _entity(db, eur=_reserve(settings, 1, 60_00))
    await _warm(db, settings, buyer)  # nothing left
    async with unit_of_work(db.maker) as session:
        await fund(session, buyer, eur=_reserve(settings, 2))  # a deposit, another way in
    placed = await _place(db, settings, buyer, _buy(2))
    assert isinstance(placed, placement.PlacedOrder), placed
    assert len(reloads) == 1  # the first group's; every stale decision was undone


async def test_an_instrument_changed_elsewhere_is_seen(
    db: Database, settings: Settings, fresh_database_url: str, reloads: list[int]
) -> None:
    buyer = await _entity(db, eur=10**8)
    await _warm(db, settings, buyer)
    # Halted by another process (its slot, not ours, ran the command).
    _sql(fresh_database_url, "UPDATE exchange_instrument SET status = 'HALTED' "
         "WHERE symbol = 'EUA-EUR'")  # fmt: skip
    halted = await _place(db, settings, buyer, _buy(1))
    assert isinstance(halted, DomainError) and halted.code == "market_halted"
    _sql(fresh_database_url, "UPDATE exchange_instrument SET status = 'OPEN' "
         "WHERE symbol = 'EUA-EUR'")  # fmt: skip
    assert isinstance(await _place(db, settings, buyer, _buy(1)), placement.PlacedOrder)
    assert len(reloads) == 1  # the first group's; every stale decision was undone


async def test_an_order_placed_by_another_process_is_on_the_book(
    db: Database, settings: Settings, fresh_database_url: str, reloads: list[int]
) -> None:
    buyer = await _entity(db, eur=10**8)
    seller = await _entity(db, eua=100)
    await _warm(db, settings, buyer)
    await _warm(db, settings, seller, _sell(1, 66_00))
    other = Database(fresh_database_url)  # another process: its own slots
    try:
        ask = await _place(other, settings, seller, NewOrder("EUA-EUR", "SELL", "LIMIT", 3, 65_00))
        assert isinstance(ask, placement.PlacedOrder)
    finally:
        await other.dispose()
    bought = await _place(db, settings, buyer, _buy(3))
    assert isinstance(bought, placement.PlacedOrder)
    assert bought.order.filled_quantity == 3
    assert [f.price for f in bought.fills] == [65_00]
    assert len(reloads) == 2  # one per process; the stale decision was undone


async def test_kyc_revoked_elsewhere_refuses_the_order(
    db: Database, settings: Settings, fresh_database_url: str, reloads: list[int]
) -> None:
    buyer = await _entity(db, eur=10**8)
    await _warm(db, settings, buyer)
    _sql(fresh_database_url,
         "UPDATE onboarding_entity SET kyc_status = 'REJECTED' WHERE id = %s", buyer)  # fmt: skip
    refused = await _place(db, settings, buyer, _buy(1))
    assert isinstance(refused, DomainError) and refused.code == "kyc_required"
    assert len(reloads) == 1  # the first group's; every stale decision was undone


async def test_a_fee_override_set_elsewhere_applies_to_the_next_order(
    db: Database, settings: Settings, fresh_database_url: str, reloads: list[int]
) -> None:
    buyer = await _entity(db, eur=10**8)
    await _warm(db, settings, buyer)
    _sql(
        fresh_database_url,
        "INSERT INTO exchange_fee_override (id, entity_id, instrument_id, maker_fee_bps, "
        "taker_fee_bps, reason, created_by, created_at, updated_at) "
        "SELECT gen_random_uuid(), %s, NULL, 0, 0, 'test', NULL, now(), now()",
        buyer,
    )
    placed = await _place(db, settings, buyer, _buy(2))
    assert isinstance(placed, placement.PlacedOrder)
    assert placed.order.reserved_amount == 70_00 * 2  # no taker fee reserved any more
    assert len(reloads) == 1  # the first group's; every stale decision was undone


async def test_a_client_order_id_taken_elsewhere_is_a_duplicate(
    db: Database, settings: Settings, fresh_database_url: str, reloads: list[int]
) -> None:
    buyer = await _entity(db, eur=10**8)
    async with unit_of_work(db.maker) as session:
        await fund(session, buyer, cea=10)
    await _warm(db, settings, buyer)
    other = Database(fresh_database_url)
    try:
        # On the other instrument, from other accounts: only the id is shared.
        first = await _place(
            other,
            settings,
            buyer,
            NewOrder("CEA-EUR", "SELL", "LIMIT", 1, 9_00, client_order_id="mine-1"),
        )
        assert isinstance(first, placement.PlacedOrder)
    finally:
        await other.dispose()
    again = await _place(db, settings, buyer, _buy(1, client_order_id="mine-1"))
    assert isinstance(again, DomainError) and again.code == "duplicate_client_order_id"
    assert len(reloads) == 2  # one per process; the stale decision was undone


async def test_a_stale_fill_is_undone_on_the_book_and_its_orders(
    db: Database, settings: Settings, fresh_database_url: str, reloads: list[int]
) -> None:
    """Decided on a book where an ask still rested, a buy fills it; but another process
    had cancelled that ask. The undo gives the ask back its row and its place, the
    group runs again on the book caught up with the cancel, and the buy rests."""
    buyer = await _entity(db, eur=10**8)
    seller = await _entity(db, eua=100)
    await _warm(db, settings, buyer)
    slot = await _warm(db, settings, seller, _sell(3, 61_00))
    ask = next(o for o in slot.resting.values() if o.side == "SELL")
    other = Database(fresh_database_url)
    try:
        async with unit_of_work(other.maker) as session:
            await exchange.cancel_order(session, ask.id, entity_id=seller, actor_id=None)
    finally:
        await other.dispose()
    bought = await _place(db, settings, buyer, _buy(3, 61_00))
    assert isinstance(bought, placement.PlacedOrder)
    assert bought.order.filled_quantity == 0 and bought.order.status == "OPEN"
    assert slot.book is not None and slot.book.get(ask.id) is None
    assert ask.id not in slot.resting
    [(status, filled)] = _sql(
        fresh_database_url,
        "SELECT status, filled_quantity FROM exchange_order WHERE id = %s",
        ask.id,
    )
    assert (status, filled) == ("CANCELLED", 0)
    assert len(reloads) == 2  # one per process: the stale fill was undone, not reloaded


def test_only_a_commit_the_server_refused_is_undone() -> None:
    """A connection lost at COMMIT leaves the outcome unknown: the book is dropped then,
    never undone (it may have committed)."""
    refused = psycopg.errors.SerializationFailure("stale")
    assert placement._refused(refused)
    try:
        try:
            raise psycopg.errors.UniqueViolation("taken")
        except psycopg.Error as exc:
            raise DomainError("mapped") from exc
    except DomainError as mapped:
        assert placement._refused(mapped)
    assert not placement._refused(psycopg.OperationalError("connection lost"))
    assert not placement._refused(RuntimeError("no answer"))


def test_forget_undoes_a_refused_group_and_drops_an_unknown_one() -> None:
    from types import SimpleNamespace

    from niha.exchange.matching import OrderBook, Side

    for unknown in (False, True):
        slot = book_cache.Slot()
        slot.book = OrderBook()
        slot.book.execute("resting", "x", Side.SELL, 5, 100)
        slot.book.savepoint()
        slot.book.execute("taker", "y", Side.BUY, 2, 100)
        g: Any = SimpleNamespace(book=slot.book, resting=slot.resting, originals={},
                                 inserted={})  # fmt: skip
        placement._forget(slot, g, unknown=unknown)
        assert slot.remembered is None
        if unknown:
            assert slot.book is None  # reloaded from the database by the next group
        else:
            assert slot.book is not None and slot.book.level(Side.SELL, 100).quantity == 5


async def test_the_answer_is_prepared_while_the_group_commits_and_again_on_a_retry(
    db: Database, settings: Settings, fresh_database_url: str, locked_groups: list[int]
) -> None:
    buyer = await _entity(db, eur=10**8)
    await _warm(db, settings, buyer)
    seen: list[placement.PlacedOrder] = []

    def prepare(placed: placement.PlacedOrder) -> str:
        seen.append(placed)
        return f"answer for {placed.order.id}"

    placed = await exchange.submit_order(db.maker, settings, buyer, None, _buy(1), None, prepare)
    assert placed.prepared == f"answer for {placed.order.id}" and seen == [placed]
    # Another process renames the instrument: the remembered way fails, the locked way
    # commits -- and the answer is the one prepared for what committed.
    _sql(
        fresh_database_url,
        "UPDATE exchange_instrument SET name = name || ' ' WHERE symbol = 'EUA-EUR'",
    )
    seen.clear()
    before = len(locked_groups)
    placed = await exchange.submit_order(db.maker, settings, buyer, None, _buy(2), None, prepare)
    assert len(locked_groups) == before + 1
    assert seen[-1] is placed and placed.prepared == f"answer for {placed.order.id}"
    # The failed attempt's order (prepared or not, as its failure showed) never existed.
    assert all(p.order.id != placed.order.id for p in seen[:-1])


async def test_an_answer_that_cannot_be_prepared_is_made_after_the_commit(
    db: Database, settings: Settings
) -> None:
    buyer = await _entity(db, eur=10**8)

    def prepare(placed: placement.PlacedOrder) -> str:
        raise RuntimeError("a bug in the caller's answer")

    placed = await exchange.submit_order(db.maker, settings, buyer, None, _buy(1), None, prepare)
    assert placed.prepared is None and placed.order.status == "OPEN"
