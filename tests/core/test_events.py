"""Outbox events: published after commit only, once, and never for rolled-back work."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import select, text

from niha.core import events
from niha.core.clock import isoformat_z, utcnow
from niha.core.db import unit_of_work
from niha.core.events import Event, OutboxBatch, emit, relay_unpublished
from tests.outbox import stored_events


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
        rows = await stored_events(s, event="thing.happened")
        assert len(rows) == 2 and all(r.published_at is not None for r in rows)
        assert rows[0].seq == rows[1].seq  # one row for the transaction's events


async def test_a_batch_keeps_the_events_as_written(db: Any, received: list[Event]) -> None:
    """The outbox stores the writer's JSON text as it is (``json``: nothing parsed into
    ``jsonb``, whose keys would come back reordered), under the first event's id and time."""
    async with unit_of_work(db.maker) as s:
        first = await emit(s, "backoffice", "kept.as.written", {"zeta": 1, "alpha": [2, 3]})
        second = await emit(s, "backoffice", "kept.as.written", {"n": 2})
    async with db.maker() as s:
        stored = (
            await s.execute(
                text("SELECT id, events::text, created_at FROM core_outbox_batch WHERE id = :id"),
                {"id": first.id},
            )
        ).one()
    assert stored[1] == events.outbox_rows([first, second])
    assert (stored[0], stored[2]) == (first.id, first.created_at)


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
    then = utcnow() - timedelta(minutes=1)
    first, second = (
        events.new_event("backoffice", "orphan", {"n": 1}),
        events.new_event("backoffice", "orphan", {"n": 2}),
    )
    row = OutboxBatch(
        id=first.id,
        events=orjson.loads(events.outbox_rows([first, second])),
        created_at=then,
    )
    session.add(row)
    await session.flush()
    assert await relay_unpublished(session) >= 2
    orphans = [e for e in received if e.event == "orphan"]
    assert [e.data["n"] for e in orphans] == [1, 2]  # every event of the batch, in order
    assert orphans[0].id == str(first.id) and orphans[0].ts == isoformat_z(first.created_at)
    assert row.published_at is not None
    count = len(received)
    await relay_unpublished(session)  # marked: not published again
    assert "orphan" not in [e.event for e in received[count:]]


async def test_outer_event_written_inside_a_rolled_back_savepoint_survives(
    db: Any, received: list[Event]
) -> None:
    """An event of the outer level whose row is first written inside a savepoint (a query
    there flushes the outbox) is written again after that savepoint rolls back."""
    async with unit_of_work(db.maker) as s:
        outer = await emit(s, "backoffice", "outer", {})
        try:
            async with s.begin_nested():
                await emit(s, "backoffice", "inner", {})
                seen = [e.event for e in await stored_events(s) if e.id == outer.id]
                assert seen == ["outer"]  # visible to the transaction's own queries
                raise RuntimeError("inner")
        except RuntimeError:
            pass
    assert [e.event for e in received] == ["outer"]
    async with db.maker() as s:
        rows = [e.event for e in await stored_events(s) if e.event in ("outer", "inner")]
    assert rows == ["outer"]


async def test_released_savepoint_keeps_its_events_until_an_outer_one_rolls_back(
    db: Any, received: list[Event]
) -> None:
    async with unit_of_work(db.maker) as s:
        await emit(s, "backoffice", "a", {})
        try:
            async with s.begin_nested():
                async with s.begin_nested():
                    await emit(s, "backoffice", "b", {})
                await s.execute(select(1))  # writes "a" and "b" inside the outer savepoint
                async with s.begin_nested():
                    await emit(s, "backoffice", "c", {})
                raise RuntimeError("outer savepoint")
        except RuntimeError:
            pass
        async with s.begin_nested():
            await emit(s, "backoffice", "d", {})
    assert [e.event for e in received] == ["a", "d"]
    async with db.maker() as s:
        rows = [e.event for e in await stored_events(s) if e.event in ("a", "b", "c", "d")]
    assert rows == ["a", "d"]


async def test_one_statement_for_all_events_of_a_transaction(db: Any) -> None:
    from sqlalchemy import event as sa_event

    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "core_outbox_batch" in statement:
            statements.append(statement)

    sa_event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with unit_of_work(db.maker) as s:
            for n in range(5):
                await emit(s, "backoffice", "many", {"n": n})
            assert statements == []  # nothing until the transaction needs the rows
    finally:
        sa_event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert len([st for st in statements if "INSERT" in st]) == 1


async def test_session_reused_after_a_rollback_publishes_only_the_committed(
    db: Any, received: list[Event]
) -> None:
    from niha.core.db import run_after_commit

    async with db.maker() as s:
        s.info["maker"] = db.maker
        await emit(s, "backoffice", "rolled-back", {})
        await s.execute(select(1))
        await s.rollback()
        await emit(s, "backoffice", "committed", {})
        await s.commit()
        await run_after_commit(s)
    assert [e.event for e in received] == ["committed"]
