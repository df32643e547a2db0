"""Outbox events: published after commit only, once, and never for rolled-back work."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from niha.core import events
from niha.core.db import unit_of_work
from niha.core.events import Event, OutboxEvent, emit, relay_unpublished


@pytest.fixture
def received() -> Any:
    got: list[Event] = []

    async def publisher(event: Event) -> None:
        got.append(event)

    events.add_publisher(publisher)
    yield got
    events.remove_publisher(publisher)


async def test_published_after_commit_and_marked(db: Any, received: list[Event]) -> None:
    async with unit_of_work(db.maker) as s:
        await emit(s, "backoffice", "thing.happened", {"n": 1})
        await emit(s, "backoffice", "thing.happened", {"n": 2})
        assert received == []  # nothing before commit
    assert [e.data["n"] for e in received] == [1, 2]
    async with db.maker() as s:
        rows = (
            await s.scalars(select(OutboxEvent).where(OutboxEvent.event == "thing.happened"))
        ).all()
        assert len(rows) == 2 and all(r.published_at is not None for r in rows)


async def test_nothing_published_on_rollback(db: Any, received: list[Event]) -> None:
    with pytest.raises(RuntimeError):
        async with unit_of_work(db.maker) as s:
            await emit(s, "backoffice", "never", {})
            raise RuntimeError("boom")
    assert received == []


async def test_rolled_back_savepoint_publishes_nothing(db: Any, received: list[Event]) -> None:
    async with unit_of_work(db.maker) as s:
        await emit(s, "backoffice", "kept", {})
        try:
            async with s.begin_nested():
                await emit(s, "backoffice", "dropped", {})
                raise RuntimeError("inner")
        except RuntimeError:
            pass
    assert [e.event for e in received] == ["kept"]


async def test_relay_publishes_leftovers(session: Any, received: list[Event]) -> None:
    row = OutboxEvent(
        channel="backoffice",
        event="orphan",
        data={},
        created_at=events.utcnow() - events.timedelta(minutes=1),
    )
    session.add(row)
    await session.flush()
    assert await relay_unpublished(session) >= 1
    assert "orphan" in [e.event for e in received]
    assert row.published_at is not None
