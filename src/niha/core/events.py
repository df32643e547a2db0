"""Domain events through a transactional outbox (ARCHITECTURE §8).

``emit`` writes an outbox row in the caller's transaction and arranges for it to be
published right after that transaction commits. Nothing is published for a rolled
back transaction; a relay job sweeps rows a crash left unpublished.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from psycopg.pq import TransactionStatus
from sqlalchemy import BigInteger, DateTime, Identity, Index, String, inspect, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from niha.core.clock import isoformat_z, utcnow
from niha.core.db import Base, after_commit, uuid_pk
from niha.core.ids import new_id

log = structlog.get_logger("niha.events")


class OutboxEvent(Base):
    __tablename__ = "core_outbox_event"
    __table_args__ = (
        Index(
            "ix_core_outbox_event_unpublished",
            "created_at",
            postgresql_where="published_at IS NULL",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True, nullable=False)
    channel: Mapped[str] = mapped_column(String(100), nullable=False)
    event: Mapped[str] = mapped_column(String(100), nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    entity_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
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


def _to_event(row: OutboxEvent) -> Event:
    return Event(
        channel=row.channel,
        event=row.event,
        data=row.data,
        id=str(row.id),
        ts=isoformat_z(row.created_at),
        entity_id=str(row.entity_id) if row.entity_id else None,
        user_id=str(row.user_id) if row.user_id else None,
    )


async def _publish(event: Event) -> None:
    for publisher in list(_publishers):
        try:
            await publisher(event)
        except Exception:  # a broken subscriber must not lose the others
            log.exception("publish_failed", channel=event.channel, event=event.event)


async def emit(
    session: AsyncSession,
    channel: str,
    event: str,
    data: dict[str, Any],
    *,
    entity_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> OutboxEvent:
    """Write an event to the outbox of ``session``'s transaction.

    No flush per event: the rows go to the database with the transaction's next flush
    (one multi-row INSERT), and one after-commit callback publishes all the events of
    the transaction (from memory: the rows a rolled-back savepoint dropped are left out)
    and marks them published in one statement shared with concurrent requests.
    """
    row = OutboxEvent(
        id=new_id(),
        channel=channel,
        event=event,
        data=data,
        entity_id=entity_id,
        user_id=user_id,
        created_at=utcnow(),
    )
    session.add(row)
    pending: list[tuple[Event, OutboxEvent]] | None = session.info.get("outbox_pending")
    if pending is None:
        pending = []
        session.info["outbox_pending"] = pending
        maker = session.info.get("maker")

        async def _after() -> None:
            # A rolled-back savepoint expunges the rows it added: those never committed.
            items = [(e, r) for e, r in pending if inspect(r).has_identity]
            pending.clear()
            session.info.pop("outbox_pending", None)
            for item, _ in items:
                await _publish(item)
            if not items or not isinstance(maker, async_sessionmaker):
                return
            ids = [r.id for _, r in items]
            bind = maker.kw.get("bind")
            if isinstance(bind, AsyncEngine):
                await _marker(bind).mark(ids)
            else:  # sessions bound to one connection (tests): a session of their own
                async with maker() as s2, s2.begin():
                    await s2.execute(
                        update(OutboxEvent)
                        .where(OutboxEvent.id.in_(ids), OutboxEvent.published_at.is_(None))
                        .values(published_at=utcnow())
                    )

        after_commit(session, _after)
    pending.append((_to_event(row), row))
    return row


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
            "UPDATE core_outbox_event SET published_at = now() "
            f"WHERE id IN ({listed}) AND published_at IS NULL; COMMIT"
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
    """Publish committed events nobody published (the process crashed after commit)."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    rows = (
        await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.published_at.is_(None), OutboxEvent.created_at < cutoff)
            .order_by(OutboxEvent.seq)
            .limit(500)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for row in rows:
        await _publish(_to_event(row))
        row.published_at = utcnow()
    return len(rows)
