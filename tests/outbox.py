"""Reading the outbox in tests: one line per event, in order (the table holds batches)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from niha.core.events import EmittedEvent

#: Every stored event as a relation ``o``: the batch's ``seq`` and ``published_at``, the
#: event's place ``n`` in its batch and its own fields. For plain SQL too.
EVENTS = """(
    SELECT e.id, b.seq, e.n, e.channel, e.event, e.data, e.entity_id, e.user_id,
           e.created_at, b.published_at
    FROM core_outbox_batch AS b,
         ROWS FROM (json_to_recordset(b.events)
                        AS (id uuid, channel text, event text, data jsonb, entity_id uuid,
                            user_id uuid, created_at timestamptz)) WITH ORDINALITY
             AS e(id, channel, event, data, entity_id, user_id, created_at, n)
) AS o"""


@dataclass(frozen=True)
class StoredEvent(EmittedEvent):
    """An event as the outbox holds it: its batch's ``seq`` and ``published_at``, and its
    place ``n`` in the batch."""

    seq: int
    n: int
    published_at: datetime | None


async def stored_events(
    session: AsyncSession,
    channel: str | None = None,
    event: str | None = None,
    *,
    prefix: str | None = None,
) -> list[StoredEvent]:
    """The events in the outbox (oldest first), of ``channel``, named ``event`` or
    starting with ``prefix``."""
    where, params = ["true"], {}
    if channel is not None:
        where.append("o.channel = :channel")
        params["channel"] = channel
    if event is not None:
        where.append("o.event = :event")
        params["event"] = event
    if prefix is not None:
        where.append("starts_with(o.event, :prefix)")
        params["prefix"] = prefix
    rows = await session.execute(
        text(f"SELECT o.* FROM {EVENTS} WHERE {' AND '.join(where)} ORDER BY o.seq, o.n"),
        params,
    )
    return [StoredEvent(**row._mapping) for row in rows]
