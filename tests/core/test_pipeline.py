"""Statements sent straight through libpq's pipeline (``core.pipeline``), on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import pq

from niha.core.db import make_engine, send
from niha.core.pipeline import Statements, text


@pytest.fixture
async def conn(fresh_database_url: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    async with await psycopg.AsyncConnection.connect(fresh_database_url) as c:
        await c.execute("CREATE TABLE t (id int PRIMARY KEY, note text, at timestamptz)")
        await c.commit()
        yield c


async def _rows(c: psycopg.AsyncConnection[Any]) -> list[tuple[Any, ...]]:
    cur = await c.execute("SELECT id, note FROM t ORDER BY id")
    return await cur.fetchall()


async def _prepared(c: psycopg.AsyncConnection[Any]) -> int:
    cur = await c.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'niha_%'")
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


def test_parameters_as_text() -> None:
    at = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
    assert text(None) is None
    assert text(True) == b"t" and text(False) == b"f"
    assert text(-12) == b"-12" and text(Decimal("1.50")) == b"1.50"
    assert text(uuid.UUID(int=1)) == b"00000000000000000000000000000001"
    assert text(at) == b"2026-12-05T21:00:00+00:00"
    assert text(date(2026, 1, 2)) == b"2026-01-02"
    assert text([1, None, 3]) == b"{1,NULL,3}"
    # Arrays of one type go in one pass; the same text as element by element.
    assert text([uuid.UUID(int=1), uuid.UUID(int=2)]) == (
        b"{00000000000000000000000000000001,00000000000000000000000000000002}"
    )
    assert text([5, -1]) == b"{5,-1}" and text([]) == b"{}" and text([None]) == b"{NULL}"
    assert text(['a"b', None, "c\\d"]) == b'{"a\\"b",NULL,"c\\\\d"}'
    assert text([at, at]) == b"{2026-12-05T21:00:00+00:00,2026-12-05T21:00:00+00:00}"
    assert text([True, False]) == b"{t,f}"
    assert (
        text([uuid.UUID(int=2), at])
        == b"{00000000000000000000000000000002,2026-12-05T21:00:00+00:00}"
    )
    with pytest.raises(TypeError, match="naive"):
        text(datetime(2026, 1, 1))
    with pytest.raises(TypeError, match="float"):
        text(1.5)  # money is never a float


_ELEMENTS = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(_ELEMENTS, max_size=8))
def test_text_arrays_read_back_as_they_were(database_url: str, values: list[str | None]) -> None:
    """Quotes, backslashes, braces, commas, NULLs, empty strings: PostgreSQL reads the
    array text as the array that psycopg's own adapter sends."""
    literal = text(values)
    assert literal is not None
    with psycopg.connect(database_url) as c:
        row = c.execute(
            "SELECT %s::text::text[] IS NOT DISTINCT FROM %s::text[]", (literal.decode(), values)
        ).fetchone()
    assert row == (True,)


async def test_statements_run_in_one_transaction_and_commit(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    at = datetime(2026, 12, 5, tzinfo=UTC)
    batch = Statements(conn)
    batch.add("INSERT INTO t VALUES (%(id)s, %(note)s, %(at)s)", {"id": 1, "note": "one", "at": at})
    await send(batch, "INSERT INTO t VALUES (%s, %s, now())", (2, "two"))  # as core.db sends
    batch.add("COMMIT")
    assert conn.pgconn.transaction_status == pq.TransactionStatus.ACTIVE  # on their way
    seen: list[int] = []
    await batch.execute(lambda: seen.append(conn.pgconn.pipeline_status))
    assert seen == [pq.PipelineStatus.ON]  # called while the statements were out
    assert conn.pgconn.pipeline_status == pq.PipelineStatus.OFF
    assert conn.pgconn.transaction_status == pq.TransactionStatus.IDLE
    assert await _rows(conn) == [(1, "one"), (2, "two")]


async def test_without_commit_the_transaction_stays_open(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    batch = Statements(conn)
    batch.add("INSERT INTO t VALUES (%(id)s, 'x', now())", {"id": 1})
    await batch.execute()
    assert conn.pgconn.transaction_status == pq.TransactionStatus.INTRANS
    await conn.rollback()
    assert await _rows(conn) == []


async def test_each_statement_is_prepared_once_per_connection(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    for n in range(3):
        batch = Statements(conn)
        batch.add("INSERT INTO t VALUES (%(id)s, 'x', now())", {"id": n})
        batch.add("INSERT INTO t VALUES (%(id)s, 'y', now())", {"id": n + 10})
        batch.add("COMMIT")
        await batch.execute()
    assert await _prepared(conn) == 4  # BEGIN, two inserts, COMMIT
    assert len(await _rows(conn)) == 6


async def test_an_error_is_psycopgs_and_nothing_is_written(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    batch = Statements(conn)
    batch.add("INSERT INTO t VALUES (1, 'a', now())")
    batch.add("INSERT INTO t VALUES (1, 'b', now())")  # the same key
    batch.add("INSERT INTO t VALUES (3, 'c', now())")
    batch.add("COMMIT")
    with pytest.raises(psycopg.errors.UniqueViolation) as caught:
        await batch.execute()
    assert caught.value.diag.constraint_name == "t_pkey"
    assert conn.pgconn.transaction_status == pq.TransactionStatus.INERROR
    await conn.rollback()
    assert await _rows(conn) == []
    # The statements that never ran were not prepared: the next run prepares them.
    again = Statements(conn)
    again.add("INSERT INTO t VALUES (3, 'c', now())")
    again.add("COMMIT")
    await again.execute()
    assert await _rows(conn) == [(3, "c")]


async def test_its_own_transaction_sent_again_when_its_statements_were_deallocated(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    def batch(n: int) -> Statements:
        b = Statements(conn)
        b.add("INSERT INTO t VALUES (%(id)s, 'x', now())", {"id": n})
        b.add("INSERT INTO t VALUES (%(id)s + 100, 'y', now())", {"id": n})
        b.add("COMMIT")
        return b

    await batch(1).execute()
    await conn.execute("DEALLOCATE ALL")
    await conn.commit()
    await batch(2).execute()  # rolled back, prepared again and sent again: once
    assert await _rows(conn) == [(1, "x"), (2, "x"), (101, "y"), (102, "y")]
    assert await _prepared(conn) == 4


async def test_a_rollback_through_psycopg_does_not_lose_a_placement(
    fresh_database_url: str,
) -> None:
    """psycopg sends DEALLOCATE ALL after a ROLLBACK on a connection where it prepared
    statements of its own (the service's connections let it: ``prepare_threshold`` 5)."""
    engine = make_engine(fresh_database_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as sa:
            raw = await sa.get_raw_connection()
            driver: Any = raw.driver_connection
            await driver.execute("CREATE TABLE t (id int PRIMARY KEY)")
            await driver.commit()
            first = Statements(driver)
            first.add("INSERT INTO t VALUES (%(id)s)", {"id": 1})
            first.add("COMMIT")
            await first.execute()
            for _ in range(8):  # often enough for psycopg to prepare it
                await driver.execute("SELECT count(*) FROM t WHERE id = %s", (1,))
            await driver.rollback()
            await driver.execute("SELECT 1")  # psycopg's DEALLOCATE ALL goes out first
            await driver.commit()
            second = Statements(driver)
            second.add("INSERT INTO t VALUES (%(id)s)", {"id": 2})
            second.add("COMMIT")
            await second.execute()
            cur = await driver.execute("SELECT array_agg(id ORDER BY id) FROM t")
            assert await cur.fetchone() == ([1, 2],)
    finally:
        await engine.dispose()


async def test_inside_an_open_transaction_statements_go_unnamed(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    """A failure there could not be taken back and sent again: nothing is prepared, so
    nothing can be deallocated behind its back."""
    await conn.execute("SELECT 1")  # psycopg opened a transaction
    batch = Statements(conn)
    batch.add("INSERT INTO t VALUES (%(id)s, 'x', now())", {"id": 1})
    await batch.execute()
    assert conn.pgconn.transaction_status == pq.TransactionStatus.INTRANS
    await conn.execute("DEALLOCATE ALL")
    again = Statements(conn)
    again.add("INSERT INTO t VALUES (%(id)s, 'x', now())", {"id": 2})
    again.add("COMMIT")
    await again.execute()
    assert await _prepared(conn) == 0
    assert await _rows(conn) == [(1, "x"), (2, "x")]


async def test_discard_reads_what_was_sent(conn: psycopg.AsyncConnection[Any]) -> None:
    batch = Statements(conn)
    batch.add("INSERT INTO t VALUES (1, 'x', now())")
    await batch.discard()
    assert conn.pgconn.pipeline_status == pq.PipelineStatus.OFF
    await conn.rollback()
    assert await _rows(conn) == []
    await batch.discard()  # nothing more to read: nothing happens


async def test_what_meanwhile_raises_comes_after_the_results(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    batch = Statements(conn)
    batch.add("INSERT INTO t VALUES (1, 'x', now())")
    batch.add("COMMIT")

    def broken() -> None:
        raise RuntimeError("answer failed")

    with pytest.raises(RuntimeError, match="answer failed"):
        await batch.execute(broken)
    assert conn.pgconn.pipeline_status == pq.PipelineStatus.OFF
    assert await _rows(conn) == [(1, "x")]  # committed: the results were read first


async def test_arrays_of_ids_numbers_and_times_read_back(
    conn: psycopg.AsyncConnection[Any],
) -> None:
    ids = [uuid.uuid4(), uuid.uuid4()]
    amounts = [0, -5, 10**15]
    times = [datetime(2026, 12, 5, 21, 0, 0, 123456, tzinfo=UTC)]
    cur = await conn.execute(
        "SELECT %s::text::uuid[] = %s::uuid[], %s::text::bigint[] = %s::bigint[],"
        " %s::text::timestamptz[] = %s::timestamptz[]",
        [
            (text(ids) or b"").decode(), ids,
            (text(amounts) or b"").decode(), amounts,
            (text(times) or b"").decode(), times,
        ],
    )  # fmt: skip
    assert await cur.fetchone() == (True, True, True)
    await conn.rollback()


async def test_rows_of_the_statements_that_ask_for_them(conn: psycopg.AsyncConnection[Any]) -> None:
    at = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)
    batch = Statements(conn)
    batch.add("INSERT INTO t VALUES (1, 'one', %(at)s)", {"at": at})
    batch.add("SELECT id, note, at, id = 1 FROM t ORDER BY id", rows=True)
    batch.add(
        "SELECT %(x)s::uuid, %(n)s::bigint WHERE false", {"x": uuid.UUID(int=3), "n": 1}, rows=True
    )
    batch.add("SELECT %(x)s::uuid[]", {"x": [uuid.UUID(int=3)]}, rows=True)
    batch.add("COMMIT")
    assert await batch.execute() == [[(1, "one", at, True)], [], [([uuid.UUID(int=3)],)]]
    # Again, after its statements were deallocated: sent again, the same rows.
    await conn.execute("DEALLOCATE ALL")
    await conn.commit()
    again = Statements(conn)
    again.add("SELECT id, note, at, id = 1 FROM t ORDER BY id", rows=True)
    again.add("COMMIT")
    assert await again.execute() == [[(1, "one", at, True)]]
