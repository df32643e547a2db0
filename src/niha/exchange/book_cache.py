"""The per-instrument sequencer and the cached in-memory books (ARCHITECTURE §6).

One command at a time per instrument, across all processes:

1. take the instrument's asyncio lock (commands of this process queue here, so they
   do not all wait on the database row lock holding a connection each);
2. ``SELECT ... FOR UPDATE`` the instrument row (commands of other processes);
3. compare the cached book's ``sequence`` with the row's; reload the open orders when
   another process (or a rolled-back transaction) moved it;
4. the caller plans with the pure matcher and writes orders, fills, trades, ledger
   transfers and outbox events, and bumps ``sequence``;
5. **commit**, and only then apply the plan to the cached book and release the lock.

This is the one place outside the session dependency that commits: the commit must
happen while the sequencer is held, so that the cache moves in the order the database
did. A failed commit drops the cached book (the next command reloads it). Events are
published by the request's unit of work right after (the transaction is already
committed, so they describe durable facts).

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
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from niha.exchange.matching import OrderBook, RestingOrder, Side
from niha.exchange.models import Instrument


@dataclass
class _Slot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    book: OrderBook | None = None


_caches: weakref.WeakKeyDictionary[Any, dict[uuid.UUID, _Slot]] = weakref.WeakKeyDictionary()


def _slot(session: AsyncSession, instrument_id: uuid.UUID) -> _Slot:
    bind: Any = session.bind
    slots = _caches.get(bind)
    if slots is None:
        slots = _caches[bind] = {}
    slot = slots.get(instrument_id)
    if slot is None:
        slot = slots[instrument_id] = _Slot()
    return slot


_OPEN_ORDERS = text(
    """
    SELECT id, entity_id, side, price, quantity - filled_quantity
    FROM exchange_order
    WHERE instrument_id = :instrument_id AND status IN ('OPEN', 'PARTIALLY_FILLED')
    ORDER BY sequence, id
    """
)


async def load_book(session: AsyncSession, instrument_id: uuid.UUID, sequence: int) -> OrderBook:
    """The book of ``instrument_id`` as the database holds it (open orders, time priority)."""
    rows = (await session.execute(_OPEN_ORDERS, {"instrument_id": instrument_id})).all()
    book = OrderBook()
    book.load(
        (RestingOrder(r[0], r[1], Side(r[2]), int(r[3]), int(r[4])) for r in rows),
        sequence=sequence,
    )
    return book


@dataclass
class Command:
    """What a command sees inside the sequencer: the locked row and the current book."""

    instrument: Instrument
    book: OrderBook
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

    The body must leave ``instrument.sequence`` bumped by one when it wrote anything
    (``bump`` does it); a body that raises commits nothing and leaves the cache as it was.
    """
    slot = _slot(session, instrument_id)
    async with slot.lock:
        instrument = (
            await session.scalars(
                select(Instrument)
                .where(Instrument.id == instrument_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).one()
        book = slot.book
        if book is None or book.sequence != instrument.sequence:
            book = slot.book = await load_book(session, instrument_id, instrument.sequence)
        command = Command(instrument, book)
        yield command
        try:
            await session.commit()
        except BaseException:
            slot.book = None
            raise
        try:
            for callback in command._after:
                callback(book)
        except Exception:  # the cache disagrees with what committed: rebuild it next time
            slot.book = None
        if book.sequence != instrument.sequence:
            slot.book = None


def drop_cache(session: AsyncSession, instrument_id: uuid.UUID) -> None:
    _slot(session, instrument_id).book = None
