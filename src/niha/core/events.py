"""Domain events through a transactional outbox (ARCHITECTURE §8).

``emit`` adds an event to the outbox of the caller's transaction and arranges for it to
be published right after that transaction commits. The rows of a transaction are written
together, in one statement (no ORM), before the session's next statement or at commit;
events emitted inside a savepoint that rolls back are dropped. Nothing is published for a
rolled back transaction; a relay job sweeps rows a crash left unpublished. A writer that
builds its own statements (the ledger's group commit) uses :func:`new_event`,
:func:`outbox_insert_sql`, :func:`publish` and :func:`mark_published_sql` instead.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
import structlog
from psycopg.pq import TransactionStatus
from sqlalchemy import BigInteger, DateTime, Identity, Index, select, text, update
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, SessionTransaction, mapped_column

from niha.core.clock import isoformat_z, utcnow
from niha.core.db import Base, after_commit, uuid_pk
from niha.core.ids import new_id

log = structlog.get_logger("niha.events")


class OutboxBatch(Base):
    """The events of one transaction, in order (one row, however many events: an order
    placed writes about five). Its id is the id of its first event."""

    __tablename__ = "core_outbox_batch"
    __table_args__ = (
        Index(
            "ix_core_outbox_batch_unpublished",
            "created_at",
            postgresql_where="published_at IS NULL",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True, nullable=False)
    #: ``[{id, channel, event, data, entity_id, user_id, created_at}, ...]`` -- ``json``,
    #: the text as written: the relay reads it back whole, nothing queries inside it, and
    #: ``jsonb`` cost PostgreSQL a parse of every group's events on the way in.
    events: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


@dataclass(frozen=True)
class Event:
    """What subscribers receive. ``entity_id``/``user_id`` scope private channels."""

    channel: str
    event: str
    data: dict[str, Any]
    id: str
    ts: str
    entity_id: str | None = None
    user_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_message(self) -> dict[str, Any]:
        return {
            "type": "event",
            "id": self.id,
            "channel": self.channel,
            "event": self.event,
            "data": self.data,
            "ts": self.ts,
        }


Publisher = Callable[[Event], Awaitable[None]]
_publishers: list[Publisher] = []


def add_publisher(publisher: Publisher) -> None:
    if publisher not in _publishers:
        _publishers.append(publisher)


def remove_publisher(publisher: Publisher) -> None:
    if publisher in _publishers:
        _publishers.remove(publisher)


def stored_event(item: dict[str, Any]) -> Event:
    """An event as a batch row stores it (JSON: ids and times as text)."""
    return Event(
        channel=item["channel"],
        event=item["event"],
        data=item["data"],
        id=item["id"],
        ts=isoformat_z(datetime.fromisoformat(item["created_at"])),
        entity_id=item.get("entity_id"),
        user_id=item.get("user_id"),
    )


async def _publish(event: Event) -> None:
    for publisher in list(_publishers):
        try:
            await publisher(event)
        except Exception:  # a broken subscriber must not lose the others
            log.exception("publish_failed", channel=event.channel, event=event.event)


@dataclass(frozen=True)
class EmittedEvent:
    """An event written to the outbox by :func:`emit` (its row exists once flushed)."""

    id: uuid.UUID
    channel: str
    event: str
    data: dict[str, Any]
    entity_id: uuid.UUID | None
    user_id: uuid.UUID | None
    created_at: datetime

    def to_event(self) -> Event:
        return Event(
            channel=self.channel,
            event=self.event,
            data=self.data,
            id=str(self.id),
            ts=isoformat_z(self.created_at),
            entity_id=str(self.entity_id) if self.entity_id else None,
            user_id=str(self.user_id) if self.user_id else None,
        )


def new_event(
    channel: str,
    event: str,
    data: dict[str, Any],
    *,
    entity_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> EmittedEvent:
    """An event emitted now, or ``at`` the time of the command that emits it."""
    return EmittedEvent(
        id=new_id(),
        channel=channel,
        event=event,
        data=data,
        entity_id=entity_id,
        user_id=user_id,
        created_at=at if at is not None else utcnow(),
    )


# One row for every pending event of a transaction, in one statement (one round trip, no
# ORM); nothing when there is none. The events travel as one JSON document, the first
# event's id and time beside it (as ``json``, PostgreSQL only checks the document: reading
# them out of it would parse it again).
_INSERT_SQL = """
    INSERT INTO core_outbox_batch (id, events, created_at)
    SELECT b.id, b.events, b.created_at
    FROM (SELECT {first} AS id, {rows} AS events, {at} AS created_at) AS b
    WHERE b.id IS NOT NULL
"""
_INSERT = text(
    _INSERT_SQL.format(
        first="CAST(:rows_first AS uuid)",
        rows="CAST(:rows AS json)",
        at="CAST(:rows_at AS timestamptz)",
    )
)


def outbox_insert_sql(param: str) -> str:
    """An INSERT of the events of :func:`outbox_params` bound to ``%(param)s`` (psycopg style),
    for a writer that puts its events into a statement of its own (see
    :mod:`niha.ledger.writer`); it then publishes them with :func:`publish` after commit.
    The text ends with its ``WHERE`` clause: an ``AND`` condition may follow."""
    return _INSERT_SQL.format(
        first=f"%({param}_first)s::uuid",
        rows=f"%({param})s::json",
        at=f"%({param}_at)s::timestamptz",
    )


def outbox_params(records: Sequence[EmittedEvent], param: str) -> dict[str, Any]:
    """The parameters of :func:`outbox_insert_sql` (``param``) for ``records``: the events
    as one JSON document, and the first one's id and time (none: no row is written)."""
    first = records[0] if records else None
    return {
        param: outbox_rows(records),
        f"{param}_first": first.id if first is not None else None,
        f"{param}_at": first.created_at if first is not None else None,
    }


# Keeps the first mark. Not "WHERE published_at IS NULL": that condition lets the planner
# combine the primary key with the partial index of unpublished batches, whose dead
# entries pile up between vacuums -- the lookup by id alone stays cheap.
_MARK = "published_at = coalesce(published_at, now())"


def mark_published_sql(param: str) -> str:
    """An UPDATE marking published the batches of the event ids bound to ``%(param)b``.

    A batch's id is the id of its first event, and a transaction's events are published
    together: marking the ids of published events marks the batches they open (the other
    ids match nothing)."""
    return f"UPDATE core_outbox_batch SET {_MARK} WHERE id = ANY(%({param})b::uuid[])"


def outbox_rows(records: Sequence[EmittedEvent]) -> str:
    # orjson writes the dataclasses (their fields, in order), UUIDs and aware datetimes
    # itself, several times faster than json (every order writes half a dozen events);
    # keys that are not strings become strings, as with json.
    return orjson.dumps(list(records), option=orjson.OPT_NON_STR_KEYS).decode()


async def publish(records: Sequence[EmittedEvent]) -> None:
    """Hand committed events to the subscribers of this process, in order."""
    await publish_events(to_publish(records))


def to_publish(records: Sequence[EmittedEvent]) -> list[Event]:
    """The events of ``records`` as subscribers receive them, for :func:`publish_events`
    once they have committed: a writer builds them while it waits for its commit. None
    when nobody listens in this process."""
    if not _publishers:
        return []
    return [record.to_event() for record in records]


async def publish_events(built: Sequence[Event]) -> None:
    """Hand committed events (built by :func:`to_publish`) to the subscribers, in order."""
    for event in built:
        await _publish(event)


@dataclass(eq=False)
class _Entry:
    record: EmittedEvent
    #: The savepoint the event was emitted in (``None``: the transaction itself).
    owner: SessionTransaction | None
    written: bool = False
    #: The savepoint that was current when the row was written (``None``: none).
    written_in: SessionTransaction | None = None
    committed: bool = False


def _within(txn: SessionTransaction | None, boundary: SessionTransaction) -> bool:
    """Whether ``txn`` is ``boundary`` or nested inside it."""
    while txn is not None:
        if txn is boundary:
            return True
        txn = txn.parent
    return False


class _Outbox:
    """The events of one session not yet published, and where their rows stand.

    Rows are written lazily, all at once: before the next statement the session
    executes (so a query in the same transaction sees them), and before commit. A
    savepoint that rolls back drops the events emitted inside it; events of an outer
    level whose rows happened to be written inside it are written again.
    """

    def __init__(self) -> None:
        self.entries: list[_Entry] = []
        self.unwritten = 0

    def add(self, entry: _Entry) -> None:
        self.entries.append(entry)
        self.unwritten += 1

    def write(self, session: Session) -> None:
        todo = [e for e in self.entries if not e.written]
        self.unwritten = 0
        if not todo:
            return
        session.connection().execute(_INSERT, outbox_params([e.record for e in todo], "rows"))
        where = session.get_nested_transaction()
        for e in todo:
            e.written = True
            e.written_in = where

    def rolled_back(self, boundary: SessionTransaction) -> None:
        if boundary.parent is None:  # the whole transaction
            self.entries = [e for e in self.entries if e.committed]
        else:  # a savepoint
            kept = []
            for e in self.entries:
                if e.committed:
                    kept.append(e)
                elif not _within(e.owner, boundary):
                    if e.written and _within(e.written_in, boundary):
                        e.written, e.written_in = False, None  # its row went too
                    kept.append(e)
            self.entries = kept
        self.unwritten = sum(1 for e in self.entries if not e.written)

    def committed(self) -> None:
        for e in self.entries:
            e.committed = e.committed or e.written

    def take_committed(self) -> list[EmittedEvent]:
        done = [e.record for e in self.entries if e.committed]
        self.entries = [e for e in self.entries if not e.committed]
        return done


_OUTBOX = "outbox"


def _outbox_of(session: Session) -> _Outbox | None:
    outbox: _Outbox | None = session.info.get(_OUTBOX)
    return outbox


@sa_event.listens_for(Session, "do_orm_execute")
def _write_before_statement(state: ORMExecuteState) -> None:
    outbox = _outbox_of(state.session)
    if outbox is not None and outbox.unwritten:
        outbox.write(state.session)


@sa_event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    outbox = _outbox_of(session)
    if outbox is not None and outbox.unwritten:
        outbox.write(session)


@sa_event.listens_for(Session, "after_commit")
def _note_commit(session: Session) -> None:
    outbox = _outbox_of(session)
    if outbox is not None and session.get_nested_transaction() is None:  # the root committed
        outbox.committed()


@sa_event.listens_for(Session, "after_soft_rollback")
def _note_rollback(session: Session, previous: SessionTransaction) -> None:
    outbox = _outbox_of(session)
    if outbox is None:
        return
    boundary: SessionTransaction | None = previous  # what was really rolled back
    while boundary is not None and not boundary.nested and boundary.parent is not None:
        boundary = boundary.parent
    if boundary is not None:
        outbox.rolled_back(boundary)


async def emit(
    session: AsyncSession,
    channel: str,
    event: str,
    data: dict[str, Any],
    *,
    entity_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> EmittedEvent:
    """Write an event to the outbox of ``session``'s transaction.

    No statement per event: the rows of a transaction go to the database in one
    multi-row INSERT, before the session's next statement or at commit. One
    after-commit callback publishes the committed events of the transaction (events
    emitted in a savepoint that rolled back are left out) and marks them published
    in one statement shared with concurrent requests.
    """
    record = new_event(channel, event, data, entity_id=entity_id, user_id=user_id)
    sync = session.sync_session
    outbox = _outbox_of(sync)
    if outbox is None:
        outbox = sync.info[_OUTBOX] = _Outbox()
        after_commit(session, _publisher(session, outbox))
    outbox.add(_Entry(record, sync.get_nested_transaction()))
    return record


def _publisher(session: AsyncSession, outbox: _Outbox) -> Callable[[], Awaitable[None]]:
    maker = session.info.get("maker")

    async def _after() -> None:
        if session.info.get(_OUTBOX) is outbox:
            del session.info[_OUTBOX]
        records = outbox.take_committed()
        await publish(records)
        if records and isinstance(maker, async_sessionmaker):
            await mark_published(maker, [r.id for r in records])

    return _after


async def mark_published(
    maker: async_sessionmaker[AsyncSession] | AsyncEngine, ids: list[uuid.UUID]
) -> None:
    """Mark published events (coalesced with concurrent marks when there is an engine)."""
    bind = maker if isinstance(maker, AsyncEngine) else maker.kw.get("bind")
    if isinstance(bind, AsyncEngine):
        await _marker(bind).mark(ids)
    elif isinstance(maker, async_sessionmaker):  # bound to one connection (tests)
        async with maker() as s2, s2.begin():
            await s2.execute(
                update(OutboxBatch)
                .where(OutboxBatch.id.in_(ids), OutboxBatch.published_at.is_(None))
                .values(published_at=utcnow())
            )


class _Marker:
    """Marks published events, coalescing the marks of concurrent requests into one
    statement on one connection (one round trip, no WAL flush wait: losing a mark in a
    crash only means the relay publishes again, and subscribers de-duplicate by id)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.waiting: list[tuple[list[uuid.UUID], asyncio.Future[None]]] = []
        self.lock = asyncio.Lock()

    async def mark(self, ids: list[uuid.UUID]) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append((ids, future))
        async with self.lock:
            if future.done():  # the holder before us marked ours too
                return
            batch, self.waiting = self.waiting, []
            try:
                await self._write([i for batch_ids, _ in batch for i in batch_ids])
            except Exception as exc:  # published already: the relay marks them later
                log.warning("outbox_mark_failed", error=repr(exc))
            finally:
                for _, f in batch:
                    if not f.done():
                        f.set_result(None)

    async def _write(self, ids: list[uuid.UUID]) -> None:
        # UUIDs are formatted by uuid.UUID (hex and dashes only): safe to inline. One
        # simple-protocol query = one round trip for the whole transaction.
        listed = ",".join(f"'{uuid.UUID(str(i))}'" for i in ids)
        sql = (
            "BEGIN; SET LOCAL synchronous_commit = off; "
            f"UPDATE core_outbox_batch SET {_MARK} WHERE id IN ({listed}); COMMIT"
        )
        async with self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            await conn.commit()  # end the (empty) SQLAlchemy-level transaction
            previous = driver.autocommit
            await driver.set_autocommit(True)
            try:
                await driver.execute(sql)
            finally:
                if driver.info.transaction_status != TransactionStatus.IDLE:
                    await driver.execute("ROLLBACK")  # a failed statement left it open
                await driver.set_autocommit(previous)


_markers: weakref.WeakKeyDictionary[AsyncEngine, _Marker] = weakref.WeakKeyDictionary()


def _marker(engine: AsyncEngine) -> _Marker:
    marker = _markers.get(engine)
    if marker is None:
        marker = _markers[engine] = _Marker(engine)
    return marker


async def relay_unpublished(session: AsyncSession, older_than_seconds: float = 5.0) -> int:
    """Publish committed events nobody published (the process crashed after commit); the
    number of events."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    rows = (
        await session.scalars(
            select(OutboxBatch)
            .where(OutboxBatch.published_at.is_(None), OutboxBatch.created_at < cutoff)
            .order_by(OutboxBatch.seq)
            .limit(100)
            .with_for_update(skip_locked=True)
        )
    ).all()
    published = 0
    for row in rows:
        for item in row.events:
            await _publish(stored_event(item))
            published += 1
        row.published_at = utcnow()
    return published
