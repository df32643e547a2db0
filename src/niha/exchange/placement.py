"""Order placement with group commit: the queued orders of an instrument, one transaction.

ARCHITECTURE §6 sequences commands per instrument. Placing one order per transaction
made the instrument's critical section (row lock, a dozen statements, commit) the limit
of the whole venue: every other order of the instrument waited for it. Here the orders
that arrive while a transaction is in flight queue up, and the next transaction takes
them all, like PostgreSQL's own group commit or TigerBeetle's batches:

1. a request checks what needs no lock (tick, lot, limits: :func:`service.place_order`)
   and queues its order on the instrument's slot; one runner task per slot drains the
   queue (a client's cancellation of a resting order queues the same way and is decided
   in its place in the group: :func:`_cancel_one`);
2. the runner takes the slot's asyncio lock (the commands of this process, every
   instrument's: :class:`book_cache.Shared`) and, in one unit of work,
   ``SELECT ... FOR UPDATE`` the instrument row (the other processes),
   checks the cached book against ``sequence`` (reloads it when another process moved
   it), checks KYC and ``client_order_id`` for the whole group in one query each, and
   reads the takers' ``available`` balances (:func:`ledger.open_balances`; not locked:
   see below);
3. each order, in arrival order, is decided exactly as if it were alone: halted market,
   band, funds against that balance (less what earlier orders of the group
   reserved, plus what they released), then the pure matcher plans it against the book
   as the earlier orders left it. A refused order gets its own 4xx and leaves no trace;
   an accepted one gets the next ``sequence`` and its plan is applied to the cached book
   at once, so the next order of the group sees it;
4. one ledger batch for the whole group (reservations, fills, fees, releases; the
   ledger's rules check every transfer again), multi-row writes of orders, fills and
   trades, the instrument's ``sequence``, the outbox events; **commit**; then the events
   are published and every caller gets its result (durable before acknowledgement).

Accounts are locked once, all together, in id order: the ledger locks every account of
the group's batch, and the takers' balances the group was decided on, in one statement
and checks that each still holds at least what the group was decided on (``expect``; a
serialization failure otherwise, and the group runs again). A group that locked its
takers' accounts first and the rest of its batch later (counterparties, fees) could
deadlock with another instrument's group doing the same for an entity that trades both.

Round trips: the transaction runs in psycopg's pipeline mode on the session's
connection. The locked way (:func:`_decide_locked`): BEGIN, the instrument's lock and
the group's reads (``client_order_id``, fee overrides, the reserve accounts' balances --
on the assets the slot saw last, checked against the locked row -- and KYC) travel
together; the ledger's lock (:func:`ledger.stage_batch`) is the second; the group's rows
and events, the ledger's write and COMMIT the third. The remembered way
(:func:`_decide_remembered`, most groups): the group is decided on what the previous
group read and left (``book_cache.Remembered``), and everything -- the checks that it
still holds, the rows, the ledger's write, COMMIT -- goes in one round trip; a check
that fails is a serialization failure. The events of a group are marked published by
the next group's write (or by a statement apart when no group follows within
``MARK_DELAY``).

A group's changes to the cached book are recorded from its first order
(``OrderBook.savepoint``). When its transaction did not commit, they are undone, with
the open orders' rows it changed (:func:`_forget`); only a commit of unknown outcome
drops the book (the next group reloads it from the database, the truth). The group is
retried on a serialization failure or deadlock; otherwise every order of the group
fails with the error. A request that goes away
while its order is queued does not cancel the group (the order is placed regardless,
as it would be had the response been lost on the wire).

Matching is immediate (inside the placing command), so there is no background matching
job: an order that can trade has traded when it is acknowledged.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import psycopg
import structlog
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from niha.config import Settings
from niha.core import events
from niha.core.clock import utcnow
from niha.core.db import (
    Expectation,
    driver_connection,
    insert_records,
    json_rows,
    send,
    send_expectations,
    update_records,
)
from niha.core.errors import Conflict, DomainError
from niha.core.ids import new_id
from niha.core.pipeline import Statements
from niha.core.retry import retrying, sqlstates
from niha.exchange import book_cache
from niha.exchange import fees as feecalc
from niha.exchange.book_cache import Slot
from niha.exchange.fee_schedule import FeeSchedule, expect_fee_schedule, send_fee_schedule
from niha.exchange.matching import OrderBook, OrderKind, Outcome, Plan, Side, TimeInForce
from niha.exchange.models import Instrument, Order, OrderFill, Trade
from niha.exchange.rows import FillRow, OrderRow, TradeRow
from niha.identity import service as identity
from niha.identity.principal import Principal
from niha.kyc import service as kyc
from niha.ledger import core as ledger_core
from niha.ledger import service as ledger
from niha.ledger.core import AccountKey, TransferRequest

log = structlog.get_logger("niha.exchange.placement")

#: At most this many orders per transaction (bounds the transaction's locks and size).
MAX_GROUP = 64

OPEN_STATUSES = ("OPEN", "PARTIALLY_FILLED")


@dataclass
class PlacedOrder:
    """An order as its group left it: placed (with its fills), or cancelled."""

    order: OrderRow
    fills: list[FillRow] = field(default_factory=list)
    #: What the caller's ``prepare`` made of it while its group committed (its answer).
    prepared: Any = None


#: Makes a caller's answer from its placed order (see :func:`submit`).
Prepare = Callable[[PlacedOrder], Any]


@dataclass(frozen=True)
class NewOrder:
    """An order as a client asked for it (amounts in minor units)."""

    symbol: str
    side: str  # BUY | SELL
    kind: str  # LIMIT | MARKET
    quantity: int
    price: int | None = None  # cents (LIMIT)
    time_in_force: str = "GTC"
    post_only: bool = False
    client_order_id: str | None = None


@dataclass(frozen=True)
class CancelOrder:
    """A client's cancellation of its own resting order, decided in its instrument's next
    group like an order placed (see :func:`_cancel_one`)."""

    order_id: uuid.UUID


class OrderNotCancellable(Conflict):
    code = "order_not_cancellable"
    title = "The order is not open"


class NotResting(OrderNotCancellable):
    """The order to cancel is not resting on the group's book as its entity's: the caller
    cancels it the long way, as one command, which tells why (not found, not open)."""


@dataclass
class _Queued:
    new: NewOrder | CancelOrder
    entity_id: uuid.UUID
    user_id: uuid.UUID | None
    future: asyncio.Future[PlacedOrder]
    # The caller as the request saw it, checked again in the group's transaction.
    principal: Principal | None = None
    prepare: Prepare | None = None


# The rules that need the locked instrument row live in service.py; it hands them in.
Checks = Callable[[NewOrder, Instrument], None]


@dataclass
class _Runner:
    maker: async_sessionmaker[AsyncSession]
    settings: Settings
    checks: Checks
    publish: Callable[..., Any]


async def submit(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    instrument_id: uuid.UUID,
    entity_id: uuid.UUID,
    user_id: uuid.UUID | None,
    new: NewOrder | CancelOrder,
    checks: Checks,
    publish: Callable[..., Any],
    principal: Principal | None = None,
    prepare: Prepare | None = None,
) -> PlacedOrder:
    """Queue ``new`` (an order to place, or a cancellation) on its instrument and wait
    until its group has committed (the group runs in units of work of its own, made by
    ``maker``).

    ``prepare``: makes the caller's answer from the placed order (:attr:`PlacedOrder.
    prepared`) while the group's transaction commits -- work the process would otherwise
    do after the commit, while the server is the one busy. Used only if it commits."""
    slot = book_cache.slot_of(maker.kw.get("bind"), instrument_id)
    future: asyncio.Future[PlacedOrder] = asyncio.get_running_loop().create_future()
    queued = _Queued(new, entity_id, user_id, future, principal, prepare)
    _enqueue(slot, queued, lambda: _Runner(maker, settings, checks, publish), instrument_id)
    # Shielded: a request that goes away does not cancel the group its order is in.
    return await asyncio.shield(future)


def _enqueue(
    slot: Slot, queued: _Queued, runner: Callable[[], _Runner], instrument_id: uuid.UUID
) -> None:
    """Queue an order on its slot; start the slot's runner unless it runs."""
    slot.queue.append(queued)
    if slot.wanted and len(slot.queue) >= slot.wanted:
        slot.gathered.set()
    if slot.runner is None or slot.runner.done():
        slot.runner = asyncio.create_task(_drain(runner(), slot, instrument_id))


#: After a group, how long the runner waits at most for as many orders as that group had
#: before it starts the next one (seconds). See :func:`_drain`.
GATHER_SECONDS = 0.005


async def _drain(runner: _Runner, slot: Slot, instrument_id: uuid.UUID) -> None:
    """Run groups while orders come.

    Callers answered together tend to send their next orders together, a moment later
    (the time for the reply to reach them and their next request to come in). Taking the
    queue at once would split the active callers into two cohorts -- those answered by
    the last group and those who queued while it ran -- whose groups then alternate, each
    paying a transaction's fixed costs for half the orders. So after a group the runner
    waits, at most :data:`GATHER_SECONDS`, until the queue holds as many orders as there
    were callers in play (those just answered plus those already queued). A lone client
    is not slowed down: its next order is the one awaited.
    """
    expected = 0
    while True:
        if len(slot.queue) < expected:
            await _gather(slot, expected)
        if not slot.queue:
            return
        group: list[_Queued] = slot.queue[:MAX_GROUP]
        del slot.queue[:MAX_GROUP]
        async with slot.lock:
            await _run_group(runner, slot, instrument_id, group)
        expected = min(len(group) + len(slot.queue), MAX_GROUP)


async def _gather(slot: Slot, wanted: int) -> None:
    slot.wanted = wanted
    slot.gathered.clear()
    try:
        async with asyncio.timeout(GATHER_SECONDS):  # no task of its own, unlike wait_for
            await slot.gathered.wait()
    except TimeoutError:
        pass
    finally:
        slot.wanted = 0


async def _run_group(
    runner: _Runner, slot: Slot, instrument_id: uuid.UUID, group: list[_Queued]
) -> None:
    results: list[PlacedOrder | DomainError] = []
    batches: list[uuid.UUID] = []
    built: list[events.Event] = []

    # Whether the last attempt was decided on what the slot remembered: if it failed, the
    # slot has forgotten and the next attempt reads under locks, at once (see retrying).
    warm = False

    async def attempt(session: AsyncSession) -> None:
        nonlocal warm
        results.clear()
        marks, slot.unmarked = slot.unmarked, []
        remembered = slot.remembered
        warm = remembered is not None and _fits(remembered, slot, group)
        try:
            placed, written = await _place_group(
                session, runner, slot, instrument_id, group, marks, warm
            )
        except BaseException:
            slot.unmarked = marks + slot.unmarked  # not marked: the next write carries them
            raise
        results.extend(placed)
        batches[:] = written.batches
        built[:] = written.built

    try:
        await retrying(
            runner.maker,
            attempt,
            attempts=GROUP_ATTEMPTS,
            max_delay=GROUP_MAX_DELAY,
            at_once=lambda _: warm,
        )
    except BaseException as exc:
        slot.drop()
        for q in group:
            if not q.future.done():
                q.future.set_exception(exc)
        _consume(group)
        if not isinstance(exc, Exception):
            raise
        return
    # Committed: publish, in commit order (the slot's lock is held), before answering.
    await events.publish_events(built)
    slot.unmarked.extend(batches)
    if not isinstance(runner.maker.kw.get("bind"), AsyncEngine):
        # Sessions that share one connection (tests): mark now, before anyone else uses it.
        await _mark(runner, slot)
    for q, result in zip(group, results, strict=True):
        if q.future.done():  # pragma: no cover - only this runner resolves them
            continue
        if isinstance(result, DomainError):
            q.future.set_exception(result)
        else:
            q.future.set_result(result)
    _consume(group)
    if slot.unmarked and (slot.marker is None or slot.marker.done()):
        # The next group's write marks them; when none comes soon, a statement apart.
        slot.marker = asyncio.create_task(_mark_later(runner, slot))


#: A group runs again after a serialization failure, a deadlock or a balance that moved
#: (another process moved the same clients' accounts meanwhile) up to this many times in
#: all, waiting longer each time but at most about this long (seconds): every order of
#: the group waits for it, and with two processes trading the same clients the first
#: few attempts can all meet a balance the other one has just moved.
GROUP_ATTEMPTS = 10
GROUP_MAX_DELAY = 0.05


#: How long published events wait for a group to mark them before a statement of their own.
MARK_DELAY = 0.02


async def _mark_later(runner: _Runner, slot: Slot) -> None:
    """Mark the slot's published events apart once no group has come for
    :data:`MARK_DELAY`. While groups keep coming, each write carries the marks of the
    groups before it, and no statement apart is needed: a group that starts takes
    ``slot.unmarked`` (a new list is left in its place), so the same list still there
    after the delay means that none came."""
    while True:
        waiting = slot.unmarked
        await asyncio.sleep(MARK_DELAY)
        if slot.unmarked is waiting:
            break
    await _mark(runner, slot)


async def _mark(runner: _Runner, slot: Slot) -> None:
    """Mark the slot's published events apart (a mark lost only means the relay
    publishes them again: subscribers de-duplicate by id)."""
    ids, slot.unmarked = slot.unmarked, []
    if not ids:
        return
    try:
        await events.mark_published(runner.maker, ids)
    except Exception as exc:
        log.warning("outbox_mark_failed", error=repr(exc))


def _consume(group: Sequence[_Queued]) -> None:
    """Mark every outcome retrieved (a caller that went away must not log a warning)."""
    for q in group:
        q.future.add_done_callback(lambda f: f.cancelled() or f.exception())


# --------------------------------------------------------------------------- one group


_ORDERS = cast(Table, Order.__table__)
_ORDER_CHANGES = (
    "filled_quantity", "filled_notional", "taker_notional", "fee_total",
    "reserved_remaining", "status", "reason", "reason_detail", "cancelled_by", "updated_at",
    "last_sequence",
)  # fmt: skip
_TRADES = cast(Table, Trade.__table__)
_FILLS = cast(Table, OrderFill.__table__)
_ORDER_COLUMNS = [c.key for c in _ORDERS.columns]
_TRADE_COLUMNS = [c.key for c in _TRADES.columns]
_FILL_COLUMNS = [c.key for c in _FILLS.columns]
# The group's rows in one statement (one round trip): data-modifying CTEs all run.
_WRITE_GROUP = f"""
    WITH new_orders AS ({insert_records(_ORDERS, "orders")} RETURNING 1),
         changed_orders AS ({update_records(_ORDERS, "id", _ORDER_CHANGES, "changed")}
                            RETURNING 1),
         trades AS ({insert_records(_TRADES, "trades")} RETURNING 1),
         fills AS ({insert_records(_FILLS, "fills")} RETURNING 1),
         outbox AS ({events.outbox_insert_sql("events")} RETURNING 1),
         marks AS ({events.mark_published_sql("marks")} RETURNING 1)
    UPDATE exchange_instrument
    SET sequence = %(sequence)s, last_price = %(last_price)s,
        reference_price = %(reference_price)s, updated_at = %(updated_at)s
    WHERE id = %(instrument_id)s
"""


@dataclass(frozen=True)
class _Written:
    """A committed group's events: the ids of their outbox rows (to mark them published),
    and the events built for publishing."""

    batches: list[uuid.UUID]
    built: list[events.Event]


@dataclass
class _Group:
    """What the orders of one group share while they are decided one by one."""

    runner: _Runner
    inst: Instrument
    book: OrderBook
    resting: dict[uuid.UUID, OrderRow]
    schedule: FeeSchedule
    available: dict[AccountKey, int]
    scales: dict[str, int]
    now: datetime
    transfers: list[TransferRequest] = field(default_factory=list)
    inserted: dict[uuid.UUID, OrderRow] = field(default_factory=dict)
    changed: dict[uuid.UUID, OrderRow] = field(default_factory=dict)
    trades: list[TradeRow] = field(default_factory=list)
    fills: list[FillRow] = field(default_factory=list)
    records: list[events.EmittedEvent] = field(default_factory=list)
    #: Certificates traded by the group's orders (its one ticker event).
    traded: int = 0
    #: Orders the group's cancellations took off the book.
    cancelled: int = 0
    #: Balances the group was decided on without reading them (the ledger checks them).
    expect: dict[AccountKey, int] = field(default_factory=dict)
    #: The open orders the group changed, as they were before it (to undo it).
    originals: dict[uuid.UUID, OrderRow] = field(default_factory=dict)


async def _stage(
    session: AsyncSession,
    g: _Group,
    conn: Any,
    remembered: book_cache.Remembered,
    marks: Sequence[uuid.UUID],
) -> tuple[list[events.EmittedEvent], list[uuid.UUID]]:
    """Send the group's rows and events, then the ledger's lock and write, on ``conn`` (a
    connection in pipeline mode, or :class:`Statements`): the events to publish and the
    ids of their outbox rows (to mark them published)."""
    if g.inserted or g.cancelled:
        # One ticker for the group (subscribers take it as "the market moved"): the state
        # after its last order, what its orders traded.
        g.records.append(events.new_event(*_ticker(g), at=g.now))
    # The group's rows and events first (their outbox rows come before the ledger's, as
    # they were emitted), then the ledger's lock and write.
    await _write(g, conn, marks)
    records = g.records
    batches = [g.records[0].id] if g.records else []
    accounts = remembered.accounts
    via = conn if isinstance(conn, Statements) else None
    if g.transfers:
        staged = await ledger.stage_batch(
            session, g.transfers, known=accounts, expect=g.expect, via=via
        )
        records = records + staged.events
        batches += [staged.events[0].id] if staged.events else []
        accounts.update(staged.accounts)
    elif g.expect:
        await ledger.send_expect_balances(session, accounts, g.expect, via=via)
    return records, batches


async def _place_group(
    session: AsyncSession,
    runner: _Runner,
    slot: Slot,
    instrument_id: uuid.UUID,
    group: Sequence[_Queued],
    marks: list[uuid.UUID],
    warm: bool,
) -> tuple[list[PlacedOrder | DomainError], _Written]:
    """Decide and write one group; committed when this returns (see the module).

    When ``warm`` -- the slot remembers what the last group saw and left, and that covers
    this group (:func:`_fits`) -- the group is decided on it and everything goes in ONE
    round trip straight through libpq (:class:`~niha.core.pipeline.Statements`): the
    checks that it still holds (:func:`_decide_remembered`), the group's rows and events,
    the ledger's write and COMMIT. (When the ledger must read an account the slot has not seen, the
    checks end that round trip and the rest goes through psycopg's pipeline mode, with
    the ledger's reads.)
    Otherwise, in psycopg's pipeline mode, the group reads what it needs under locks first
    (:func:`_decide_locked`: one round trip, and one more for the ledger's lock when it
    does not know every account). The events are returned, for publication.
    """
    scales = dict(await ledger.asset_scales(session))
    driver = await driver_connection(session)
    # A session bound to an engine owns its transaction: COMMIT rides the last round trip.
    # (One joined to an outer connection -- tests -- ends its savepoint through SQLAlchemy.)
    owns = isinstance(session.bind, AsyncEngine)
    deciding: list[_Group] = []  # the group, once its orders start changing the book
    commit_sent = False
    built: list[events.Event] = []
    try:
        try:
            remembered = slot.remembered
            decided = done = False
            if warm and remembered is not None:
                # The remembered way: every statement straight through libpq, unread, sent
                # as it is made (the server takes the locks and runs the checks meanwhile).
                batch = Statements(driver)
                try:
                    g, results = await _decide_remembered(
                        runner, slot, remembered, batch, group, scales, deciding
                    )
                    decided = True
                    if ledger.knows(remembered.accounts, g.transfers, g.expect):
                        records, batches = await _stage(session, g, batch, remembered, marks)
                        if owns:
                            batch.add("COMMIT")
                            commit_sent = True

                        def meanwhile() -> None:
                            # While the server runs the group: the answers, the events.
                            _prepare_answers(group, results)
                            built.extend(events.to_publish(records))

                        await batch.execute(meanwhile)
                        done = True
                    else:
                        # The ledger must read an account the slot has not seen: the checks
                        # end this round trip (the transaction stays open), psycopg goes on.
                        await batch.execute()
                finally:
                    await batch.discard()  # after an error of ours: what was sent, read
            if not done:
                async with driver.pipeline():
                    if not decided:
                        g, results, remembered = await _decide_locked(
                            session, runner, slot, instrument_id, driver, group, scales, deciding
                        )
                    assert remembered is not None
                    records, batches = await _stage(session, g, driver, remembered, marks)
                    if owns:
                        # Sent, not awaited: the pipeline's closing sync carries it with the
                        # writes.
                        await send(driver, "COMMIT")
                        commit_sent = True
                    # While the server runs the group: the answers, the events to publish.
                    _prepare_answers(group, results)
                    built = events.to_publish(records)
        except psycopg.errors.IntegrityError as exc:
            # The ledger's write failed with the others (a key that exists, a CHECK).
            error = ledger.integrity_error(exc)
            if error is None:
                raise
            raise error from exc
    except BaseException as exc:
        _forget(slot, deciding[0] if deciding else None, unknown=commit_sent and not _refused(exc))
        raise
    g.book.release()
    assert remembered is not None
    # What this group saw and left, for the next one (any failure forgets it).
    remembered.instrument = g.inst
    remembered.schedule = g.schedule
    slot.remembered = remembered
    return results, _Written(batches, built)


def _prepare_answers(
    group: Sequence[_Queued], results: Sequence[PlacedOrder | DomainError]
) -> None:
    """Each caller's answer, made from its placed order by its ``prepare``: discarded
    unless the group commits (a retry decides and prepares again)."""
    for q, result in zip(group, results, strict=True):
        if q.prepare is not None and isinstance(result, PlacedOrder):
            try:
                result.prepared = q.prepare(result)
            except Exception:  # its caller makes the answer itself then
                log.exception("prepare_failed")
                result.prepared = None


def _refused(exc: BaseException) -> bool:
    """Whether the server answered ``exc`` (then the transaction did not commit); a lost
    connection (SQLSTATE class 08, or none) leaves the commit's outcome unknown."""
    return any(not state.startswith("08") for state in sqlstates(exc))


def _forget(slot: Slot, g: _Group | None, *, unknown: bool) -> None:
    """After a failed transaction: forget what the slot remembered, and undo the group's
    changes to the book and its open orders -- or, when whether it committed is unknown,
    drop the book (the next group reloads it from the database, the truth)."""
    slot.forget()
    if g is None:
        return  # nothing decided: the book is the database's
    if unknown or slot.book is not g.book:
        slot.drop()
        return
    g.book.rollback()
    for order_id, row in g.originals.items():
        if order_id not in g.inserted:
            g.resting[order_id] = row
    for order_id in g.inserted:
        g.resting.pop(order_id, None)


def _fits(remembered: book_cache.Remembered, slot: Slot, group: Sequence[_Queued]) -> bool:
    """Whether the group can be decided on what the slot remembers: the book is the one
    the remembered row describes, every entity passed the KYC gate, and every order's
    reserve account is known."""
    inst = remembered.instrument
    if slot.book is None or slot.book.sequence != inst.sequence:
        return False
    base, quote = inst.base_asset, inst.quote_asset
    return all(
        type(q.new) is CancelOrder
        or (
            q.entity_id in remembered.approved
            and _reserve_key(q, base, quote) in remembered.accounts
        )
        for q in group
    )


async def _decide_remembered(
    runner: _Runner,
    slot: Slot,
    remembered: book_cache.Remembered,
    driver: Any,
    group: Sequence[_Queued],
    scales: dict[str, int],
    deciding: list[_Group],
) -> tuple[_Group, list[PlacedOrder | DomainError]]:
    """Decide ``group`` on what the slot remembers, after sending -- not reading -- the
    checks that it still holds: the instrument row (locked first, as every command does),
    the entities' KYC gate, the callers' sessions, the fee overrides, and that no
    ``client_order_id`` is taken. The balances the orders were decided on are checked
    with the ledger's lock (``expect``). Any check that fails makes the transaction fail
    as a serialization failure: nothing is written, the slot forgets (its book too) and
    the group runs again, the locked way."""
    inst = remembered.instrument
    await book_cache.send_lock(driver, inst.id)
    placing = _placing(group)
    expectations = [
        book_cache.expect_instrument(inst),
        kyc.expect_approved({q.entity_id for q in placing}),
        expect_fee_schedule(remembered.schedule),
    ]
    principals = identity.expect_principals([q.principal for q in group if q.principal is not None])
    if principals is not None:
        expectations.append(principals)
    with_cid = _with_cid(placing)
    if with_cid:
        expectations.append(_expect_new_cids(with_cid))
    # One statement, after the lock: its snapshot sees the last commit.
    await send_expectations(driver, expectations)
    assert slot.book is not None
    keys = {_reserve_key(q, inst.base_asset, inst.quote_asset) for q in placing}
    available = {k: remembered.accounts[k].balance for k in keys}
    g = _Group(
        runner=runner,
        inst=inst,
        book=slot.book,
        resting=slot.resting,
        schedule=remembered.schedule,
        available=dict(available),
        scales=scales,
        now=utcnow(),
        expect=available,
    )
    return g, await _decide(g, group, set(), {}, {}, deciding)


async def _decide_locked(
    session: AsyncSession,
    runner: _Runner,
    slot: Slot,
    instrument_id: uuid.UUID,
    driver: Any,
    group: Sequence[_Queued],
    scales: dict[str, int],
    deciding: list[_Group],
) -> tuple[_Group, list[PlacedOrder | DomainError], book_cache.Remembered]:
    """Decide ``group`` on what it reads under the instrument's lock: BEGIN, the lock and
    the group's reads (``client_order_id``, fee overrides, the takers' balances -- on the
    assets the slot saw last, checked against the locked row; the ledger's lock checks
    them again (``expect``) -- the callers' sessions and KYC) in one round trip. Returns
    what the slot will remember: what it remembered before unless another process wrote
    the instrument since (checked when used anyway), updated with what was read."""
    placing = _placing(group)
    entities = {q.entity_id for q in placing}
    row_sent = await book_cache.send_lock_instrument_row(driver, instrument_id)
    with_cid = _with_cid(placing)
    cids_sent = await send(driver, _CLIENT_ORDER_IDS, _cid_params(with_cid)) if with_cid else None
    fees_sent = await send_fee_schedule(session, instrument_id)
    # Every entity's reserve accounts, KYC not known yet -- read, not locked: the ledger
    # locks every account of the group's batch at once, and checks these (``expect``).
    guessed = slot.assets
    balances_sent = (
        await ledger.send_read_balances(session, {_reserve_key(q, *guessed) for q in placing})
        if guessed is not None
        else None
    )
    callers = await identity.send_principal_check(
        driver, [q.principal for q in group if q.principal is not None]
    )
    refused = await kyc.approval_errors(session, entities)  # reads all of the above
    stale = await callers.stale()
    [row] = await row_sent.rows()
    taken = {(r[0], str(r[1])): r[2] for r in await cids_sent.rows()} if cids_sent else {}
    inst, book, resting = await book_cache.locked_instrument(session, slot, instrument_id, row)
    schedule = await fees_sent.result(runner.settings, inst)
    keys = {_reserve_key(q, inst.base_asset, inst.quote_asset)
            for q in placing if q.entity_id not in refused}  # fmt: skip
    prior = slot.remembered
    if prior is not None and prior.instrument.sequence != inst.sequence:
        # Another process ran commands meanwhile: what it moved is unknown.
        prior = None
        slot.shared.accounts.clear()
    remembered = book_cache.Remembered(
        inst,
        schedule,
        set(prior.approved) if prior is not None else set(),
        slot.shared.accounts,
    )
    found: dict[AccountKey, ledger.AccountState] = {}
    if balances_sent is not None:
        found, _ = await balances_sent.result()
    if any(k not in found for k in keys):
        # First group, a wrong guess, or an account to create: read them now.
        found.update(await ledger.open_balances(session, keys))
    remembered.accounts.update(found)
    available = {k: found[k].balance for k in keys}
    remembered.approved -= set(refused)
    remembered.approved |= entities - set(refused)
    g = _Group(
        runner=runner,
        inst=inst,
        book=book,
        resting=resting,
        schedule=schedule,
        available=dict(available),
        scales=scales,
        now=utcnow(),
        expect=available,
    )
    return g, await _decide(g, group, stale, refused, taken, deciding), remembered


async def _decide(
    g: _Group,
    group: Sequence[_Queued],
    stale: set[uuid.UUID],
    refused: Mapping[uuid.UUID, DomainError],
    taken: dict[tuple[uuid.UUID, str], uuid.UUID],
    deciding: list[_Group],
) -> list[PlacedOrder | DomainError]:
    """Each order of the group in arrival order, as if alone (see the module): its
    result, or the error that refuses it (it then leaves no trace). The book records
    its changes from here on (a savepoint), for :func:`_forget`."""
    deciding.append(g)
    g.book.savepoint()
    results: list[PlacedOrder | DomainError] = []
    for q in group:
        try:
            if q.principal is not None and q.principal.session_id in stale:
                raise identity.SessionChanged()
            if type(q.new) is CancelOrder:
                results.append(_cancel_one(g, q, q.new))
                continue
            if q.entity_id in refused:
                raise refused[q.entity_id]
            new = cast(NewOrder, q.new)
            cid = new.client_order_id
            if cid is not None:
                existing = taken.get((q.entity_id, cid))
                if existing is not None:
                    raise _duplicate(existing)
            g.runner.checks(new, g.inst)
            placed = await _place_one(g, q)
            if cid is not None:
                taken[(q.entity_id, cid)] = placed.order.id
            results.append(placed)
        except DomainError as exc:
            results.append(exc)
    return results


def _placing(group: Sequence[_Queued]) -> list[_Queued]:
    """The orders to place of ``group`` (not its cancellations)."""
    return [q for q in group if type(q.new) is NewOrder]


def _with_cid(placing: Sequence[_Queued]) -> list[_Queued]:
    return [q for q in placing if cast(NewOrder, q.new).client_order_id]


_CLIENT_ORDER_IDS = (
    "SELECT entity_id, client_order_id, id FROM exchange_order "
    "WHERE entity_id = ANY(%s) AND client_order_id = ANY(%s)"
)


_NEW_CIDS = """NOT EXISTS (
    SELECT 1 FROM exchange_order AS o
    JOIN unnest(%(entities)s::uuid[], %(cids)s::text[]) AS p(entity_id, client_order_id)
      ON o.entity_id = p.entity_id AND o.client_order_id = p.client_order_id
)"""


def _expect_new_cids(group: Sequence[_Queued]) -> Expectation:
    """That no order uses the ``client_order_id`` of an order of ``group`` yet (the group
    was decided as if none did)."""
    return Expectation(
        _NEW_CIDS,
        {
            "entities": [q.entity_id for q in group],
            "cids": [cast(str, cast(NewOrder, q.new).client_order_id) for q in group],
        },
        "a client_order_id",
    )


def _cid_params(group: Sequence[_Queued]) -> tuple[list[uuid.UUID], list[str]]:
    return (
        list({q.entity_id for q in group}),
        list({cast(str, cast(NewOrder, q.new).client_order_id) for q in group}),
    )


def _duplicate(order_id: uuid.UUID) -> DomainError:
    from niha.exchange.service import DuplicateOrder

    return DuplicateOrder(
        "an order with this client_order_id exists",
        field="client_order_id",
        order_id=str(order_id),
    )


def _reserve_key(q: _Queued, base_asset: str, quote_asset: str) -> AccountKey:
    asset = quote_asset if cast(NewOrder, q.new).side == "BUY" else base_asset
    return AccountKey.entity(q.entity_id, asset, "available")


async def _place_one(g: _Group, q: _Queued) -> PlacedOrder:
    """Decide one order against the group's state; raises before changing anything."""
    from niha.exchange.service import PostOnlyWouldCross, protection_price

    new, inst, book = cast(NewOrder, q.new), g.inst, g.book
    entity_id = q.entity_id
    side = Side(new.side)
    taker_fees = g.schedule.for_entity(entity_id)
    key = _reserve_key(q, inst.base_asset, inst.quote_asset)
    have = g.available.get(key, 0)
    protection = protection_price(new.side, inst) if new.kind == "MARKET" else None
    max_quote = None
    if new.kind == "MARKET" and side is Side.BUY:
        max_quote = feecalc.max_notional_within(max(have, 0), taker_fees.taker_bps)
    order_id = new_id()
    plan = book.plan(
        order_id,
        entity_id,
        side,
        new.quantity,
        new.price,
        kind=OrderKind(new.kind),
        tif=TimeInForce(new.time_in_force),
        post_only=new.post_only,
        protection_price=protection,
        max_quote=max_quote,
    )
    if plan.outcome is Outcome.REJECTED:
        raise PostOnlyWouldCross("the order would trade immediately", field="post_only")
    if side is Side.BUY:
        # A LIMIT BUY reserves its limit; a MARKET BUY exactly what its fills cost.
        limit = new.price if new.kind == "LIMIT" else None
        notional = limit * new.quantity if limit is not None else plan.filled_notional
        reserved = notional + feecalc.fee(notional, taker_fees.taker_bps)
    else:
        reserved = new.quantity
    if reserved > have:
        shortfall = ledger_core.InsufficientFunds(key, reserved - have, g.scales[key.asset])
        raise ledger.domain_error(shortfall)

    # Accepted: from here on nothing is refused.
    g.available[key] = have - reserved
    seq = inst.sequence + 1
    now = g.now
    taker = OrderRow(
        id=order_id,
        instrument_id=inst.id,
        entity_id=entity_id,
        user_id=q.user_id,
        client_order_id=new.client_order_id,
        side=new.side,
        kind=new.kind,
        time_in_force=new.time_in_force,
        post_only=new.post_only,
        price=new.price,
        protection_price=protection,
        quantity=new.quantity,
        filled_quantity=0,
        filled_notional=0,
        taker_notional=0,
        fee_total=0,
        reserved_asset=key.asset,
        reserved_amount=reserved,
        reserved_remaining=reserved,
        status="OPEN",
        reason=None,
        reason_detail=None,
        sequence=seq,
        cancelled_by=None,
        created_at=now,
        updated_at=now,
        last_sequence=seq,
    )
    if reserved:
        g.transfers.append(
            _move(entity_id, key.asset, "available", "reserved", reserved,
                  "order_reserve", f"exo:{order_id}:reserve", order_id)
        )  # fmt: skip
    quote, base = inst.quote_asset, inst.base_asset
    block = g.runner.settings.exchange_block_size
    makers: dict[uuid.UUID, OrderRow] = {}
    trades: list[TradeRow] = []
    fills: list[FillRow] = []
    taker_fills: list[FillRow] = []
    for f in plan.fills:
        maker_id = cast(uuid.UUID, f.maker_order_id)
        maker = makers[maker_id] = g.resting[maker_id]
        if maker_id not in g.originals:
            g.originals[maker_id] = dataclasses.replace(maker)
        maker_fees = g.schedule.for_entity(maker.entity_id)
        trade_id = new_id()
        notional = f.price * f.quantity
        buy, sell = (taker, maker) if side is Side.BUY else (maker, taker)
        taker_fee = _fill_fee(taker, notional, f.quantity, taker_fees.taker_bps,
                              taker_fees.taker_bps, is_maker=False)  # fmt: skip
        maker_fee = _fill_fee(maker, notional, f.quantity, maker_fees.maker_bps,
                              maker_fees.taker_bps, is_maker=True)  # fmt: skip
        for o, fee_amount, is_maker in ((taker, taker_fee, False), (maker, maker_fee, True)):
            o.filled_quantity += f.quantity
            o.filled_notional += notional
            if not is_maker:
                o.taker_notional += notional
            o.fee_total += fee_amount
            o.last_sequence = seq
            if o.side == "BUY":
                o.reserved_remaining -= notional + fee_amount
            else:
                o.reserved_remaining -= f.quantity
            o.updated_at = now
        buyer_fee, seller_fee = (
            (taker_fee, maker_fee) if side is Side.BUY else (maker_fee, taker_fee)
        )
        trade = TradeRow(
            id=trade_id,
            instrument_id=inst.id,
            sequence=seq,
            price=f.price,
            quantity=f.quantity,
            buy_order_id=buy.id,
            sell_order_id=sell.id,
            buyer_entity_id=buy.entity_id,
            seller_entity_id=sell.entity_id,
            maker_side=maker.side,
            buyer_fee=buyer_fee,
            seller_fee=seller_fee,
            status="PENDING" if block and f.quantity >= block else "CONFIRMED",
            settlement_batch_id=None,
            confirmed_by=None,
            confirmed_at=None,
            created_at=now,
        )
        trades.append(trade)
        ref = str(trade_id)
        g.transfers.append(
            TransferRequest(
                AccountKey.entity(buy.entity_id, quote, "reserved"),
                AccountKey.entity(sell.entity_id, quote, "settling"),
                notional, "trade_quote", f"ext:{trade_id}:quote", "exchange_trade", ref,
            )
        )  # fmt: skip
        g.transfers.append(
            TransferRequest(
                AccountKey.entity(sell.entity_id, base, "reserved"),
                AccountKey.entity(buy.entity_id, base, "settling"),
                f.quantity, "trade_base", f"ext:{trade_id}:base", "exchange_trade", ref,
            )
        )  # fmt: skip
        if buyer_fee:
            g.transfers.append(
                TransferRequest(
                    AccountKey.entity(buy.entity_id, quote, "reserved"),
                    AccountKey.platform(quote, "fees"),
                    buyer_fee, "trade_fee", f"ext:{trade_id}:fee:buyer", "exchange_trade", ref,
                )
            )  # fmt: skip
        if seller_fee:
            g.transfers.append(
                TransferRequest(
                    AccountKey.entity(sell.entity_id, quote, "settling"),
                    AccountKey.platform(quote, "fees"),
                    seller_fee, "trade_fee", f"ext:{trade_id}:fee:seller", "exchange_trade", ref,
                )
            )  # fmt: skip
        for o, fee_amount, liquidity in ((taker, taker_fee, "TAKER"), (maker, maker_fee, "MAKER")):
            fill = FillRow(
                id=new_id(),
                order_id=o.id,
                trade_id=trade_id,
                instrument_id=inst.id,
                entity_id=o.entity_id,
                side=o.side,
                liquidity=liquidity,
                price=f.price,
                quantity=f.quantity,
                fee=fee_amount,
                created_at=now,
            )
            fills.append(fill)
            if o is taker:
                taker_fills.append(fill)
        maker.status = "FILLED" if f.maker_remaining == 0 else "PARTIALLY_FILLED"

    # Self-trade prevention: the resting orders of the same entity are cancelled.
    stp = [g.resting[cast(uuid.UUID, c.order_id)] for c in plan.cancelled_resting]
    for o in stp:
        if o.id not in g.originals:
            g.originals[o.id] = dataclasses.replace(o)
    for c, o in zip(plan.cancelled_resting, stp, strict=True):
        o.status = "CANCELLED"
        o.reason = c.reason.value
        o.reason_detail = f"self-trade prevention: cancelled by order {order_id}"
        o.updated_at = now
        o.last_sequence = seq

    if plan.outcome is Outcome.FILLED:
        taker.status = "FILLED"
    elif plan.outcome is Outcome.RESTED:
        taker.status = "PARTIALLY_FILLED" if plan.filled_quantity else "OPEN"
    else:
        taker.status = "EXPIRED"
        taker.reason = plan.reason.value if plan.reason else None

    # Releases: every order that is done gives back what it no longer needs.
    done = [taker] if taker.status not in OPEN_STATUSES else []
    done += [m for m in makers.values() if m.status == "FILLED"]
    done += stp
    for o in done:
        _release_rest(g, o)

    inst.sequence = seq
    if plan.fills:
        inst.last_price = inst.reference_price = plan.fills[-1].price
    inst.updated_at = now
    others = list(makers.values()) + stp
    g.traded += sum(t.quantity for t in trades)
    for channel, event, data, owner in g.runner.publish(
        inst, book, plan, seq, taker, others, trades, fills, now, ticker=False
    ):
        g.records.append(events.new_event(channel, event, data, entity_id=owner, at=now))
    # The book and the resting orders move now, so the next order of the group sees them.
    _apply(book, g.resting, plan, seq, taker, done)
    g.inserted[taker.id] = taker
    for o in others:
        if o.id not in g.inserted:
            g.changed[o.id] = o
    g.trades += trades
    g.fills += fills
    return PlacedOrder(taker, taker_fills)


def _cancel_one(g: _Group, q: _Queued, cancel: CancelOrder) -> PlacedOrder:
    """Cancel one resting order of the caller's entity, as :func:`service.cancel_order`
    does in a command of its own: the order CANCELLED (``cancelled_by_client``), the rest
    of its reservation released, the book's level and the order's events."""
    from niha.exchange.service import level_change

    o = g.resting.get(cancel.order_id)
    if o is None or o.entity_id != q.entity_id:
        raise NotResting()
    inst, book, now = g.inst, g.book, g.now
    seq = inst.sequence + 1
    assert o.price is not None
    level = book.level(Side(o.side), o.price)
    if o.id not in g.originals:
        g.originals[o.id] = dataclasses.replace(o)
    removed = book.cancel(o.id, seq)
    book.sequence = seq
    changes = [
        level_change(
            o.side, o.price, level.quantity - removed, level.orders - 1 if removed else level.orders
        )
    ]
    _release_rest(g, o)
    o.status = "CANCELLED"
    o.reason = "cancelled_by_client"
    o.reason_detail = None
    o.cancelled_by = q.user_id
    o.updated_at = now
    o.last_sequence = seq
    del g.resting[o.id]
    inst.sequence = seq
    inst.updated_at = now
    for channel, event, data, owner in g.runner.publish(
        inst, book, None, seq, None, [o], [], [], now, changes, ticker=False
    ):
        g.records.append(events.new_event(channel, event, data, entity_id=owner, at=now))
    if o.id not in g.inserted:
        g.changed[o.id] = o
    g.cancelled += 1
    return PlacedOrder(o)


def _release_rest(g: _Group, o: OrderRow) -> None:
    """A finished order gives back what it still holds (the group's later orders of the
    same entity may use it)."""
    if o.reserved_remaining:
        g.transfers.append(release(o))
        back = AccountKey.entity(o.entity_id, o.reserved_asset, "available")
        if back in g.available:
            g.available[back] += o.reserved_remaining
        o.reserved_remaining = 0


def _ticker(g: _Group) -> tuple[str, str, dict[str, Any]]:
    from niha.exchange.service import ticker_event

    channel, event, data, _ = ticker_event(
        g.inst, g.book.best_bid(), g.book.best_ask(), g.inst.sequence, g.traded
    )
    return channel, event, data


def _apply(
    book: OrderBook,
    resting: dict[uuid.UUID, OrderRow],
    plan: Plan,
    seq: int,
    taker: OrderRow,
    done: Sequence[OrderRow],
) -> None:
    book.apply(plan)
    book.sequence = seq
    for o in done:
        resting.pop(o.id, None)
    if taker.status in OPEN_STATUSES:
        resting[taker.id] = taker


def _move(
    owner: uuid.UUID, asset: str, frm: str, to: str, amount: int, kind: str, key: str,
    order_id: uuid.UUID,
) -> TransferRequest:  # fmt: skip
    return TransferRequest(
        AccountKey.entity(owner, asset, frm),
        AccountKey.entity(owner, asset, to),
        amount,
        kind,
        key,
        "exchange_order",
        str(order_id),
    )


def release(o: Order | OrderRow) -> TransferRequest:
    """Give back what a finished (filled, expired, cancelled) order still holds."""
    return _move(o.entity_id, o.reserved_asset, "reserved", "available", o.reserved_remaining,
                 "order_release", f"exo:{o.id}:release", o.id)  # fmt: skip


def _fill_fee(
    order: OrderRow, notional: int, quantity: int, bps: int, taker_bps: int, *, is_maker: bool
) -> int:
    """The fee of one fill of ``order`` (cumulative per liquidity class, BUY capped).

    A BUY's fee is capped so that what stays reserved still covers the rest of the
    order at its limit plus the taker fee it reserved for (``taker_bps``).
    """
    prior = (order.filled_notional - order.taker_notional) if is_maker else order.taker_notional
    amount = feecalc.incremental_fee(prior, notional, bps)
    if order.side == "BUY" and order.kind == "LIMIT":
        assert order.price is not None
        rest = order.quantity - order.filled_quantity - quantity
        need = order.price * rest + feecalc.fee(order.price * rest, taker_bps) if rest else 0
        amount = max(0, min(amount, order.reserved_remaining - notional - need))
    return amount


async def _write(g: _Group, driver: Any, marks: Sequence[uuid.UUID]) -> None:
    """Send the group's rows and events in one statement (the ledger sent its own); it
    also marks the events of earlier groups published (``marks``)."""
    inst = g.inst
    params = {
        "orders": json_rows(g.inserted.values(), _ORDER_COLUMNS),
        "changed": json_rows(g.changed.values(), ("id", *_ORDER_CHANGES)),
        "trades": json_rows(g.trades, _TRADE_COLUMNS),
        "fills": json_rows(g.fills, _FILL_COLUMNS),
        **events.outbox_params(g.records, "events"),
        "marks": list(marks),
        "instrument_id": inst.id,
        "sequence": inst.sequence,
        "last_price": inst.last_price,
        "reference_price": inst.reference_price,
        "updated_at": inst.updated_at,
    }
    await send(driver, _WRITE_GROUP, params)
