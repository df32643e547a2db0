"""Domain events through a transactional outbox (ARCHITECTURE §8).

``emit`` writes an outbox row in the caller's transaction and arranges for it to be
published right after that transaction commits. Nothing is published for a rolled
back transaction; a relay job sweeps rows a crash left unpublished.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import BigInteger, DateTime, Identity, Index, String, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
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
    the transaction and marks them published in one statement.
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
    pending: list[Event] | None = session.info.get("outbox_pending")
    if pending is None:
        pending = []
        session.info["outbox_pending"] = pending
        maker = session.info.get("maker")

        async def _after() -> None:
            events = list(pending)
            pending.clear()
            session.info.pop("outbox_pending", None)
            if isinstance(maker, async_sessionmaker) and events:
                await _publish_committed(maker, events)
            else:
                for item in events:
                    await _publish(item)

        after_commit(session, _after)
    pending.append(_to_event(row))
    return row


async def _publish_committed(maker: async_sessionmaker[AsyncSession], events: list[Event]) -> None:
    """Publish the events whose rows committed (a rolled-back savepoint drops its rows),
    then mark them published, in one short transaction."""
    ids = [uuid.UUID(e.id) for e in events]
    async with maker() as s2, s2.begin():
        # Losing the marker in a crash only means the relay publishes again (subscribers
        # de-duplicate by event id), so this commit need not wait for the WAL flush.
        await s2.execute(text("SET LOCAL synchronous_commit = off"))
        committed = set(
            (await s2.scalars(select(OutboxEvent.id).where(OutboxEvent.id.in_(ids)))).all()
        )
        for item in events:
            if uuid.UUID(item.id) in committed:
                await _publish(item)
        await s2.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id.in_(committed), OutboxEvent.published_at.is_(None))
            .values(published_at=utcnow())
        )


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
