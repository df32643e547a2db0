"""The per-instrument sequencer and the cached in-memory books (ARCHITECTURE §6).

One command at a time per instrument, across all processes:

1. take the process's asyncio lock (commands of this process queue here, so they
   do not all wait on the database row lock holding a connection each; one lock for
   every instrument, see :class:`Shared`);
2. ``SELECT ... FOR UPDATE`` the instrument row (commands of other processes);
3. compare the cached book's ``sequence`` with the row's; when another process moved
   it, read the orders its commands wrote (``last_sequence`` after the book's) and apply
   them (:func:`catch_up`); reload all open orders only without a book or when the cache
   is ahead of the database (a commit that failed);
4. plan with the pure matcher and write orders, fills, trades, ledger transfers and
   outbox events, and bump ``sequence``;
5. **commit**, and only then let callers see the result.

Order placement queues on the slot and runs in groups, one transaction per group
(:mod:`niha.exchange.placement`); cancellations and staff changes run one at a time
through :func:`sequenced`. Both hold the slot's lock, so the cache moves in the order
the database did. A failed command drops the cached book (the next command reloads
it); a failed group undoes its changes to it (book savepoints, see placement). Besides the book, a slot caches the open orders' rows (fills, fees, what is still
reserved): a group decides fees and releases from them without reading them back.

This is the one place outside the session dependency that commits: the commit must
happen while the sequencer is held.

Caches are kept per database binding (engine, or the connection a test session joins),
so two databases in one process never share a book.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.core.db import Expectation, Sent, fetch, send
from niha.exchange.matching import OrderBook, RestingOrder, Side
from niha.exchange.models import Instrument, Order
from niha.exchange.rows import OrderRow

if TYPE_CHECKING:
    from niha.exchange.fee_schedule import FeeSchedule
    from niha.ledger.core import AccountKey
    from niha.ledger.service import AccountState


@dataclass
class Remembered:
    """What the last group of orders saw and left, for the next one to decide on without
    reading it again (placement's warm path; the transaction checks that it still holds).

    Dropped with the book: by any failure, and by every command run through
    :func:`sequenced` (it may change the row, balances or the book).
    """

    #: The instrument row as written by the last group (detached; matches ``book``).
    instrument: Instrument
    schedule: FeeSchedule
    #: Entities that passed the KYC gate.
    approved: set[uuid.UUID]
    #: Accounts as the last transactions left them (id; balance exact for client ones):
    #: the slots' shared ones (:attr:`Shared.accounts`).
    accounts: dict[AccountKey, AccountState]


@dataclass
class Shared:
    """What the slots of one database binding share: one lock for all their commands, and
    the accounts as this process's last transactions left them.

    The instruments trade against the same clients' euro accounts and the same fees
    account. Run side by side, one instrument's group moved balances another had decided
    on, which then failed its checks and ran again; and before every account of a group
    was locked at once, they deadlocked. One command at a time per process costs nothing
    measurable (two instruments side by side placed no more orders than one, docs/
    exchange.md), and the accounts remembered stay the database's as long as no other
    process or service moves them (the checks catch that)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    accounts: dict[AccountKey, AccountState] = field(default_factory=dict)


@dataclass
class Slot:
    shared: Shared = field(default_factory=Shared)
    book: OrderBook | None = None
    #: The open orders of ``book`` as rows (not attached to any session).
    resting: dict[uuid.UUID, OrderRow] = field(default_factory=dict)
    #: Orders waiting for the next group, and the task that runs the groups.
    queue: list[Any] = field(default_factory=list)
    runner: asyncio.Task[None] | None = None
    #: While the runner gathers the next group: how many queued orders it waits for, and
    #: the event set when they are there (placement's ``_gather``).
    wanted: int = 0
    gathered: asyncio.Event = field(default_factory=asyncio.Event)
    #: The instrument's (base, quote) assets as last locked (they never change): the
    #: next group sends its balance lock with the instrument's before reading the row.
    assets: tuple[str, str] | None = None
    #: Outbox events published but not yet marked: the next group's write marks them.
    unmarked: list[uuid.UUID] = field(default_factory=list)
    marker: asyncio.Task[None] | None = None
    remembered: Remembered | None = None

    @property
    def lock(self) -> asyncio.Lock:
        """The commands' lock: the binding's (:class:`Shared`), across its instruments."""
        return self.shared.lock

    def forget(self) -> None:
        """Forget what the last group saw and left, the accounts of every slot included
        (one may be what made a transaction fail)."""
        self.remembered = None
        self.shared.accounts.clear()

    def drop(self) -> None:
        self.book = None
        self.resting = {}
        self.forget()


_caches: weakref.WeakKeyDictionary[Any, dict[uuid.UUID, Slot]] = weakref.WeakKeyDictionary()
_shared: weakref.WeakKeyDictionary[Any, Shared] = weakref.WeakKeyDictionary()


def slot(session: AsyncSession, instrument_id: uuid.UUID) -> Slot:
    return slot_of(session.bind, instrument_id)


def slot_of(bind: Any, instrument_id: uuid.UUID) -> Slot:
    """The slot of ``instrument_id`` for the database binding ``bind`` (an engine, or in
    tests one connection): the sessions of one binding share their books."""
    slots = _caches.get(bind)
    if slots is None:
        slots = _caches[bind] = {}
    found = slots.get(instrument_id)
    if found is None:
        shared = _shared.get(bind)
        if shared is None:
            shared = _shared[bind] = Shared()
        found = slots[instrument_id] = Slot(shared)
    return found


def resting_order(bind: Any, order_id: uuid.UUID) -> OrderRow | None:
    """The open order ``order_id`` as a cached book of ``bind`` holds it, if one does (a
    hint: the command that acts on it checks it again under the instrument's lock)."""
    for found in (_caches.get(bind) or {}).values():
        row = found.resting.get(order_id)
        if row is not None:
            return row
    return None


_ORDER_COLUMNS = [c.key for c in Order.__table__.columns]
# Plain SQL (also inside a group's pipeline): the rows as OrderRow fields, in order.
_OPEN_ORDERS = (
    f"SELECT {', '.join(_ORDER_COLUMNS)} FROM exchange_order "
    "WHERE instrument_id = %s AND status IN ('OPEN', 'PARTIALLY_FILLED') ORDER BY sequence, id"
)


async def load_book(
    session: AsyncSession, instrument_id: uuid.UUID, sequence: int
) -> tuple[OrderBook, dict[uuid.UUID, OrderRow]]:
    """The book of ``instrument_id`` as the database holds it (open orders, time priority)."""
    rows = await fetch(session, _OPEN_ORDERS, (instrument_id,))
    resting = {r[0]: OrderRow(*r) for r in rows}
    book = OrderBook()
    book.load(
        (
            RestingOrder(o.id, o.entity_id, Side(o.side), int(o.price or 0),
                         int(o.quantity - o.filled_quantity))
            for o in resting.values()
        ),
        sequence=sequence,
    )  # fmt: skip
    return book, resting


_CHANGED_ORDERS = (
    f"SELECT {', '.join(_ORDER_COLUMNS)} FROM exchange_order "
    "WHERE instrument_id = %s AND last_sequence > %s ORDER BY sequence, id"
)


async def catch_up(
    session: AsyncSession, found: Slot, instrument_id: uuid.UUID, sequence: int
) -> None:
    """Bring the slot's book to ``sequence`` (the locked row's).

    Behind (another process ran commands): read only the orders those commands wrote
    (``last_sequence`` after the book's) and apply them: new open orders join the back of
    their level (they are newer than every order the book holds), partly filled ones
    shrink in place, finished ones leave. Anything else (no book yet, a book ahead of the
    database after a rolled-back commit, a change that does not fit): reload it all.
    """
    book = found.book
    if book is not None and book.sequence == sequence:
        return
    if book is not None and book.sequence < sequence:
        rows = await fetch(session, _CHANGED_ORDERS, (instrument_id, book.sequence))
        try:
            _apply_changes(book, found.resting, [OrderRow(*r) for r in rows])
            book.sequence = sequence
            return
        except (KeyError, ValueError):
            pass  # does not fit the cached book: reload below
    found.book, found.resting = await load_book(session, instrument_id, sequence)


def _apply_changes(
    book: OrderBook, resting: dict[uuid.UUID, OrderRow], rows: list[OrderRow]
) -> None:
    for row in rows:
        remaining = row.quantity - row.filled_quantity
        is_open = row.status in ("OPEN", "PARTIALLY_FILLED")
        if row.id in resting:
            if is_open:
                book.reduce(row.id, remaining)
                resting[row.id] = row
            else:
                book.cancel(row.id)
                del resting[row.id]
        elif is_open:
            book.add(
                RestingOrder(row.id, row.entity_id, Side(row.side), int(row.price or 0), remaining)
            )
            resting[row.id] = row


async def lock_instrument(
    session: AsyncSession, found: Slot, instrument_id: uuid.UUID
) -> tuple[Instrument, OrderBook, dict[uuid.UUID, OrderRow]]:
    """Lock the instrument row; the slot's book, reloaded when the row's sequence moved.

    The caller holds ``found.lock``.
    """
    instrument = (
        await session.scalars(
            select(Instrument)
            .where(Instrument.id == instrument_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one()
    await catch_up(session, found, instrument_id, instrument.sequence)
    assert found.book is not None
    return instrument, found.book, found.resting


_INSTRUMENT_COLUMNS = [c.key for c in Instrument.__table__.columns]
_LOCK_INSTRUMENT = (
    f"SELECT {', '.join(_INSTRUMENT_COLUMNS)} FROM exchange_instrument WHERE id = %s FOR UPDATE"
)


async def send_lock_instrument_row(driver: Any, instrument_id: uuid.UUID) -> Sent:
    """The instrument row's lock for a group (plain SQL, the row as columns), sent on a
    psycopg connection in pipeline mode (it travels with the statements sent after it);
    :func:`locked_instrument` takes its row. The group writes the row back itself."""
    return await send(driver, _LOCK_INSTRUMENT, (instrument_id,))


_LOCK_ROW = "SELECT 1 FROM exchange_instrument WHERE id = %s FOR UPDATE"


async def send_lock(driver: Any, instrument_id: uuid.UUID) -> None:
    """The instrument row's lock, sent in pipeline mode (not read)."""
    await send(driver, _LOCK_ROW, (instrument_id,))


def expect_instrument(instrument: Instrument) -> Expectation:
    """That the instrument row is still ``instrument``, every column (for a group decided
    on the slot's remembered row; checked after :func:`send_lock`). The row travels as
    one JSON document, read back into the table's own row type."""
    values = {name: getattr(instrument, name) for name in _INSTRUMENT_COLUMNS}
    return Expectation(
        "(SELECT t IS NOT DISTINCT FROM jsonb_populate_record(NULL::exchange_instrument, "
        "%(row)s::jsonb) FROM exchange_instrument AS t WHERE t.id = %(id)s)",
        {"row": orjson.dumps(values, default=str).decode(), "id": instrument.id},
        "the instrument",
    )


async def locked_instrument(
    session: AsyncSession, found: Slot, instrument_id: uuid.UUID, row: tuple[Any, ...]
) -> tuple[Instrument, OrderBook, dict[uuid.UUID, OrderRow]]:
    """The locked row as a detached object; the slot's book caught up with it."""
    instrument = Instrument(**dict(zip(_INSTRUMENT_COLUMNS, row, strict=True)))
    found.assets = (instrument.base_asset, instrument.quote_asset)
    await catch_up(session, found, instrument_id, instrument.sequence)
    assert found.book is not None
    return instrument, found.book, found.resting


@dataclass
class Command:
    """What a command sees inside the sequencer: the locked row and the current book."""

    instrument: Instrument
    book: OrderBook
    resting: dict[uuid.UUID, OrderRow]
    _after: list[Callable[[OrderBook], None]] = field(default_factory=list)

    @property
    def next_sequence(self) -> int:
        return self.instrument.sequence + 1

    def on_commit(self, callback: Callable[[OrderBook], None]) -> None:
        """Run ``callback(book)`` once the command has committed (apply the plan)."""
        self._after.append(callback)


@asynccontextmanager
async def sequenced(session: AsyncSession, instrument_id: uuid.UUID) -> AsyncIterator[Command]:
    """Run one command on an instrument; commits ``session`` when the body succeeds.

    The body must leave ``instrument.sequence`` bumped by one when it wrote anything;
    a body that raises commits nothing and leaves the cache as it was.
    """
    found = slot(session, instrument_id)
    async with found.lock:
        found.forget()  # this command may change what a group would remember
        instrument, book, resting = await lock_instrument(session, found, instrument_id)
        command = Command(instrument, book, resting)
        yield command
        try:
            await session.commit()
        except BaseException:
            found.drop()
            raise
        try:
            for callback in command._after:
                callback(book)
        except Exception:  # the cache disagrees with what committed: rebuild it next time
            found.drop()
        if book.sequence != instrument.sequence:
            found.drop()
