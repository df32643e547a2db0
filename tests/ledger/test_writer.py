"""Group commit (``service.submit`` / :mod:`niha.ledger.writer`) on PostgreSQL, with real
concurrent callers and real commits."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from niha.core import events
from niha.core.db import Database, unit_of_work
from niha.core.errors import DomainError
from niha.core.events import Event
from niha.ledger import core, service, writer
from niha.ledger.cli import run_reconcile
from niha.ledger.core import AccountKey, TransferRequest
from niha.ledger.writer import LedgerUnavailable, LedgerWriter
from tests.outbox import EVENTS

BANK = AccountKey.platform("EUR", "bank")


def avail(e: uuid.UUID) -> AccountKey:
    return AccountKey.entity(e, "EUR", "available")


def reserved(e: uuid.UUID) -> AccountKey:
    return AccountKey.entity(e, "EUR", "reserved")


def pay(debit: AccountKey, credit: AccountKey, amount: int, key: str) -> TransferRequest:
    return TransferRequest(debit, credit, amount, "pay", key)


@pytest.fixture
async def db(fresh_database_url: str) -> AsyncIterator[Database]:
    database = Database(fresh_database_url, pool_size=20, max_overflow=0)
    yield database
    await writer.writer_for(database).drain()
    await database.dispose()


@pytest.fixture
def received() -> Iterator[list[Event]]:
    got: list[Event] = []

    async def publisher(event: Event) -> None:
        got.append(event)

    events.add_publisher(publisher)
    yield got
    events.remove_publisher(publisher)


async def fund(db: Database, entity: uuid.UUID, amount: int) -> None:
    await service.submit(db, [pay(BANK, avail(entity), amount, f"fund:{uuid.uuid4()}")])


async def balance(db: Database, key: AccountKey) -> int:
    async with db.maker() as session:
        return await service.account_balance(session, key)


async def scalar(db: Database, sql: str, **params: Any) -> Any:
    async with db.maker() as session:
        return await session.scalar(text(sql), params)


async def outcome(db: Database, transfers: list[TransferRequest]) -> str:
    try:
        batch = await service.submit(db, transfers)
    except DomainError as exc:
        return exc.code
    return "replayed" if batch.replayed else "ok"


async def test_50_concurrent_reservations_exactly_10_succeed(db: Database) -> None:
    entity = uuid.uuid4()
    await fund(db, entity, 10 * 250)
    w = writer.writer_for(db)
    flushes = w.flushes
    barrier = asyncio.Barrier(50)

    async def reserve(i: int) -> str:
        await barrier.wait()
        return await outcome(db, [pay(avail(entity), reserved(entity), 250, f"order:{i}")])

    outcomes = Counter(await asyncio.gather(*(reserve(i) for i in range(50))))
    assert outcomes == {"ok": 10, "insufficient_funds": 40}
    assert w.flushes - flushes < 50  # they were grouped
    assert await balance(db, avail(entity)) == 0
    assert await balance(db, reserved(entity)) == 2500
    negative = await scalar(
        db, "SELECT count(*) FROM ledger_account WHERE owner_type = 'entity' AND balance < 0"
    )
    assert negative == 0
    assert await run_reconcile(db) == 0
    await w.drain()  # every event published, and marked (most by the next group's statement)
    unpublished = await scalar(db, f"SELECT count(*) FROM {EVENTS} WHERE o.published_at IS NULL")
    assert unpublished == 0


async def test_a_group_of_malformed_batches_only(db: Database) -> None:
    a = uuid.uuid4()
    got = await asyncio.gather(
        outcome(db, [pay(avail(a), avail(a), 1, "bad:1")]),
        outcome(db, []),
        outcome(db, [pay(BANK, avail(a), 0, "bad:2")]),
    )
    assert got == ["invalid_transfer"] * 3
    assert await outcome(db, [pay(BANK, avail(a), 5, "good")]) == "ok"


async def test_one_group_one_transaction_each_batch_its_own_outcome(
    db: Database, received: list[Event]
) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 1000)
    w = writer.writer_for(db)
    await w.drain()
    received.clear()
    flushes = w.flushes
    results = await asyncio.gather(
        service.submit(db, [pay(avail(a), avail(b), 600, "g:1")]),
        service.submit(db, [pay(avail(a), avail(b), 600, "g:2")]),  # no longer fits
        service.submit(db, [pay(avail(a), avail(b), 400, "g:3")]),  # fits after g:1
        service.submit(db, [pay(avail(b), reserved(b), 1000, "g:4")]),  # spends g:1 + g:3
        service.submit(db, [pay(avail(a), avail(a), 1, "g:5")]),  # malformed
        return_exceptions=True,
    )
    assert w.flushes == flushes + 1
    first, second, third, fourth, fifth = results
    assert isinstance(first, service.PostedBatch) and not first.replayed
    assert first.balances[avail(a)] == 400 and first.balances[avail(b)] == 600
    assert isinstance(second, service.InsufficientFundsError)
    assert second.extra["shortfall"] == "2.00"
    assert isinstance(third, service.PostedBatch) and third.balances[avail(a)] == 0
    assert isinstance(fourth, service.PostedBatch) and fourth.balances[reserved(b)] == 1000
    assert isinstance(fifth, service.InvalidTransferError)
    assert len({first.created_at, third.created_at, fourth.created_at}) == 1
    assert (await balance(db, avail(a)), await balance(db, avail(b))) == (0, 0)
    assert await balance(db, reserved(b)) == 1000
    await w.drain()
    # one balances event per entity for the whole group, with the final balances
    by_entity = {e.entity_id: e.data for e in received if e.channel == "balances"}
    assert len([e for e in received if e.channel == "balances"]) == 2
    assert by_entity[str(a)]["changes"] == [
        {"asset": "EUR", "bucket": "available", "balance": "0.00"}
    ]
    assert by_entity[str(b)]["batch_ids"] == [str(first.id), str(third.id), str(fourth.id)]
    assert by_entity[str(b)]["batch_id"] == str(fourth.id)
    assert {c["bucket"]: c["balance"] for c in by_entity[str(b)]["changes"]} == {
        "available": "0.00",
        "reserved": "10.00",
    }
    assert await run_reconcile(db) == 0


async def test_duplicates_inside_one_group(db: Database) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 1000)
    same = [pay(avail(a), avail(b), 100, "dup:1"), pay(avail(a), avail(b), 1, "dup:2")]
    results = await asyncio.gather(
        service.submit(db, same),
        service.submit(db, same),  # exact repeat: a replay of the first
        service.submit(db, [pay(avail(a), avail(b), 999, "dup:1")]),  # other content
        service.submit(db, [same[0]]),  # part of the original batch
        return_exceptions=True,
    )
    original, replay, other, part = results
    assert isinstance(original, service.PostedBatch) and not original.replayed
    assert isinstance(replay, service.PostedBatch) and replay.replayed
    assert replay.id == original.id and replay.transfers == original.transfers
    assert isinstance(other, service.IdempotencyConflictError)
    assert isinstance(part, service.IdempotencyConflictError)
    assert await balance(db, avail(b)) == 101
    # ...and across groups, also against a batch posted by post_batch
    again = await service.submit(db, same)
    assert again.replayed and again.id == original.id
    assert [t.id for t in again.transfers] == [t.id for t in original.transfers]
    async with unit_of_work(db.maker) as session:
        direct = await service.post_batch(session, [pay(avail(a), avail(b), 5, "direct")])
    assert (await service.submit(db, [pay(avail(a), avail(b), 5, "direct")])).id == direct.id
    assert await outcome(db, [pay(avail(a), avail(b), 6, "direct")]) == "idempotency_conflict"
    assert await balance(db, avail(b)) == 106
    posted = await scalar(
        db,
        "SELECT count(*) FROM ledger_transfer "
        "WHERE idempotency_key LIKE 'dup:%' OR idempotency_key = 'direct'",
    )
    assert posted == 3
    assert await run_reconcile(db) == 0


async def test_a_replay_of_a_refused_batch_is_posted_on_its_own(db: Database) -> None:
    """A batch refused earlier in the group leaves its keys unused."""
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 100)
    got = await asyncio.gather(
        outcome(db, [pay(avail(a), avail(b), 500, "r:1")]),
        outcome(db, [pay(avail(a), avail(b), 50, "r:1")]),
    )
    assert got == ["insufficient_funds", "ok"]
    assert await balance(db, avail(b)) == 50


async def inject_failures(
    db: Database, monkeypatch: pytest.MonkeyPatch, sqlstate: str, times: int
) -> None:
    """Make the group write statement fail ``times`` times with ``sqlstate`` -- after its
    rows are written, so the transaction has something to roll back."""
    async with unit_of_work(db.maker) as session:
        await session.execute(text("CREATE SEQUENCE niha_test_attempts"))
        await session.execute(
            text(
                """
                CREATE FUNCTION niha_test_fail(code text, times int) RETURNS boolean AS $$
                BEGIN
                    IF nextval('niha_test_attempts') <= times THEN
                        RAISE EXCEPTION 'injected failure' USING ERRCODE = code;
                    END IF;
                    RETURN false;
                END $$ LANGUAGE plpgsql
                """
            )
        )
    final = "SELECT EXISTS (SELECT 1 FROM dup) AS duplicate"
    assert final in writer._WRITE_GROUP_SQL
    monkeypatch.setattr(
        writer,
        "_WRITE_GROUP_SQL",
        writer._WRITE_GROUP_SQL.replace(
            final,
            f"SELECT niha_test_fail('{sqlstate}', {times}) OR EXISTS (SELECT 1 FROM dup) "
            "AS duplicate",
        ),
    )


async def test_a_failing_flush_fails_all_its_callers_and_writes_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch, received: list[Event]
) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 1000)
    w = writer.writer_for(db)
    await w.drain()
    received.clear()
    transfers_before = await scalar(db, "SELECT count(*) FROM ledger_transfer")
    events_before = await scalar(db, f"SELECT count(*) FROM {EVENTS}")
    await inject_failures(db, monkeypatch, "XX000", 1)  # internal_error: not retried
    results = await asyncio.gather(
        *(service.submit(db, [pay(avail(a), avail(b), 10, f"f:{i}")]) for i in range(5)),
        return_exceptions=True,
    )
    assert all(isinstance(r, LedgerUnavailable) for r in results), results
    assert {r.code for r in results if isinstance(r, DomainError)} == {"ledger_unavailable"}
    assert len({id(r) for r in results}) == 5  # each caller its own error
    assert w.retries == 0
    assert await scalar(db, "SELECT count(*) FROM ledger_transfer") == transfers_before
    assert await scalar(db, f"SELECT count(*) FROM {EVENTS}") == events_before
    assert await balance(db, avail(a)) == 1000
    await w.drain()
    assert received == []

    # the writer goes on afterwards
    assert (await service.submit(db, [pay(avail(a), avail(b), 10, "f:0")])).replayed is False
    assert await balance(db, avail(b)) == 10
    assert await run_reconcile(db) == 0


async def test_a_lost_connection_fails_the_group_and_the_next_one_reconnects(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 1000)
    w = writer.writer_for(db)
    real_apply = core.apply_batches

    def apply_then_kill(*args: Any) -> Any:
        # between the lock and the write: the server ends the writer's session
        pid = w._driver.info.backend_pid
        with psycopg.connect(db.url, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return real_apply(*args)

    monkeypatch.setattr(core, "apply_batches", apply_then_kill)
    got = await asyncio.gather(
        *(outcome(db, [pay(avail(a), avail(b), 10, f"k:{i}")]) for i in range(3))
    )
    assert got == ["ledger_unavailable"] * 3
    monkeypatch.setattr(core, "apply_batches", real_apply)
    assert await outcome(db, [pay(avail(a), avail(b), 10, "k:0")]) == "ok"
    assert await balance(db, avail(b)) == 10
    assert await run_reconcile(db) == 0


async def test_deadlock_or_serialization_failure_runs_the_flush_again(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 1000)
    w = writer.writer_for(db)
    await w.drain()
    await inject_failures(db, monkeypatch, "40P01", 2)
    got = await asyncio.gather(
        *(outcome(db, [pay(avail(a), avail(b), 100, f"d:{i}")]) for i in range(3))
    )
    assert got == ["ok", "ok", "ok"]
    assert w.retries == 2
    assert await balance(db, avail(b)) == 300
    assert await run_reconcile(db) == 0


async def test_a_key_committed_by_another_transaction_meanwhile(db: Database) -> None:
    """Another transaction holds key ``k`` (uncommitted) on other accounts: the group's
    insert waits for it, fails on the unique key, and the flush runs again -- now the key
    is known and the batch is an ``idempotency_conflict``; the rest of the group posts."""
    a, b, c, d = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 1000)
    await fund(db, c, 1000)
    retries = writer.writer_for(db).retries
    async with unit_of_work(db.maker) as session:
        await service.post_batch(session, [pay(avail(c), avail(d), 1, "race")])
        submitted = asyncio.gather(
            outcome(db, [pay(avail(a), avail(b), 2, "race")]),
            outcome(db, [pay(avail(a), avail(b), 3, "race:other")]),
        )
        await asyncio.sleep(0.3)  # the writer is now waiting on the unique index
    assert await submitted == ["idempotency_conflict", "ok"]
    assert await balance(db, avail(b)) == 3
    assert await balance(db, avail(d)) == 1
    assert writer.writer_for(db).retries == retries + 1
    assert await run_reconcile(db) == 0


async def test_concurrent_groups_of_two_writers_do_not_deadlock(fresh_database_url: str) -> None:
    """Two processes' writers (two writers here) posting opposite transfers."""
    dbs = [Database(fresh_database_url, pool_size=2, max_overflow=0) for _ in range(2)]
    writers = [LedgerWriter(d, attempts=1) for d in dbs]  # any 40P01 would surface
    try:
        a, b = uuid.uuid4(), uuid.uuid4()
        await writers[0].submit([pay(BANK, avail(a), 100_000, "fa")])
        await writers[0].submit([pay(BANK, avail(b), 100_000, "fb")])

        async def one(i: int) -> None:
            src, dst = (a, b) if i % 2 else (b, a)
            await writers[i % 2].submit(
                [
                    pay(avail(src), avail(dst), 100 + i, f"p:{i}"),
                    pay(avail(src), AccountKey.platform("EUR", "fees"), 1, f"fee:{i}"),
                ]
            )

        await asyncio.gather(*(one(i) for i in range(60)))
        net = sum(100 + i for i in range(60) if i % 2 == 0) - sum(
            100 + i for i in range(60) if i % 2
        )
        assert await balance(dbs[0], avail(a)) == 100_000 + net - 30
        assert await balance(dbs[0], avail(b)) == 100_000 - net - 30
        assert await run_reconcile(dbs[0]) == 0
    finally:
        for w in writers:
            await w.drain()
        for d in dbs:
            await d.dispose()


async def test_events_published_after_commit_and_marked(
    db: Database, received: list[Event]
) -> None:
    a = uuid.uuid4()
    batch = await service.submit(db, [pay(BANK, avail(a), 250, "ev")])
    await writer.writer_for(db).drain()
    [event] = [e for e in received if e.channel == "balances"]
    assert event.entity_id == str(a)
    assert event.data == {
        "entity_id": str(a),
        "batch_id": str(batch.id),
        "changes": [{"asset": "EUR", "bucket": "available", "balance": "2.50"}],
    }
    unpublished = await scalar(db, f"SELECT count(*) FROM {EVENTS} WHERE o.published_at IS NULL")
    assert unpublished == 0


async def test_a_transactions_events_are_marked_by_their_outbox_row(
    db: Database, received: list[Event]
) -> None:
    """Two entities' balances events, one outbox row (its id is its first event's): the
    mark names that row."""
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 1000)
    await writer.writer_for(db).drain()
    await service.submit(db, [pay(avail(a), avail(b), 250, "ev:two")])
    await writer.writer_for(db).drain()
    assert {e.entity_id for e in received if e.channel == "balances"} >= {str(a), str(b)}
    unpublished = await scalar(db, f"SELECT count(*) FROM {EVENTS} WHERE o.published_at IS NULL")
    assert unpublished == 0


async def test_a_cancelled_caller_before_its_group_is_not_posted(db: Database) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 100)
    task = asyncio.ensure_future(service.submit(db, [pay(avail(a), avail(b), 10, "gone")]))
    await asyncio.sleep(0)  # the batch is queued...
    assert writer.writer_for(db)._queue
    task.cancel()  # ...and its caller gone before the flusher ran
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (await service.submit(db, [pay(avail(a), avail(b), 20, "kept")])).replayed is False
    assert await balance(db, avail(b)) == 20


async def test_a_caller_holding_a_lock_cannot_stall_the_writer(db: Database) -> None:
    """Submitting from inside a transaction that locks one of the batch's accounts (don't:
    use post_batch there) fails that group after the lock timeout instead of hanging."""
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 100)
    w = LedgerWriter(db, lock_timeout=0.3)
    with pytest.raises(LedgerUnavailable):
        async with unit_of_work(db.maker) as session:
            await service.post_batch(session, [pay(avail(a), avail(b), 1, "held")])
            await asyncio.wait_for(w.submit([pay(avail(a), avail(b), 1, "stuck")]), 10)
    assert (await w.submit([pay(avail(a), avail(b), 2, "free")])).balances[avail(b)] == 2
    await w.drain()


# --------------------------------------------------------------------------- one round trip
# A group whose accounts the writer has seen is planned on the balances it last saw and
# posted in one round trip; the write statement checks, under the locks, that those are
# still the balances (else nothing is written and the group goes the locked way).


async def move_directly(db: Database, debit: AccountKey, credit: AccountKey, amount: int) -> None:
    """A transaction of its own, beside the writer (as another process would post)."""
    async with unit_of_work(db.maker) as session:
        await service.post_batch(session, [pay(debit, credit, amount, f"direct:{uuid.uuid4()}")])


async def test_known_accounts_go_in_one_round_trip(db: Database, received: list[Event]) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 1000)
    await fund(db, b, 1)
    w = writer.writer_for(db)
    planned, stale = w.planned, w.stale
    first = await service.submit(db, [pay(avail(a), avail(b), 300, "rt:1")])
    assert w.planned == planned + 1 and w.stale == stale  # planned on the balances seen
    assert first.balances == {avail(a): 700, avail(b): 301}
    assert [t.key for t in first.transfers] == ["rt:1"]
    assert await balance(db, avail(a)) == 700
    got = await asyncio.gather(
        outcome(db, [pay(avail(a), avail(b), 600, "rt:2")]),
        outcome(db, [pay(avail(a), avail(b), 600, "rt:3")]),  # no longer fits
        outcome(db, [pay(avail(a), avail(b), 100, "rt:4")]),
    )
    assert got == ["ok", "insufficient_funds", "ok"]
    assert w.planned == planned + 2 and w.stale == stale
    assert (await balance(db, avail(a)), await balance(db, avail(b))) == (0, 1001)
    # a replay of an earlier group on the same accounts: found by the write statement
    again = await service.submit(db, [pay(avail(a), avail(b), 300, "rt:1")])
    assert again.replayed and again.id == first.id
    await w.drain()
    events_of_b = [e for e in received if e.channel == "balances" and e.entity_id == str(b)]
    assert events_of_b[-1].data["changes"][0]["balance"] == "10.01"
    assert await run_reconcile(db) == 0


async def test_a_balance_moved_by_another_transaction_is_seen(db: Database) -> None:
    """The writer saw 100 in ``a``; another transaction spends it; the next group must
    be refused for the real balance (not posted on the old one, nor fail on the check
    constraint) -- and accepted again once the funds are back."""
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 100)
    await fund(db, b, 1)
    w = writer.writer_for(db)
    await move_directly(db, avail(a), reserved(a), 100)
    stale = w.stale
    with pytest.raises(service.InsufficientFundsError) as refused:
        await service.submit(db, [pay(avail(a), avail(b), 50, "seen:1")])
    assert refused.value.extra["shortfall"] == "0.50"
    assert refused.value.extra["asset"] == "EUR"
    assert w.stale == stale + 1
    # the other way round: the writer saw 0, the funds came back meanwhile
    await move_directly(db, reserved(a), avail(a), 100)
    posted = await service.submit(db, [pay(avail(a), avail(b), 60, "seen:2")])
    assert posted.balances == {avail(a): 40, avail(b): 61}
    assert w.stale == stale + 2
    assert (await balance(db, avail(a)), await balance(db, avail(b))) == (40, 61)
    assert await run_reconcile(db) == 0


async def test_stale_balances_cannot_pass_a_batch_that_the_group_would_refund(
    db: Database,
) -> None:
    """The check constraint alone would not do: the writer saw 100 in ``a`` (really 0
    now); a group that first spends 50 of ``a`` and then credits 50 to it ends at 0 --
    allowed by the constraint -- but the first batch does not fit the real balance."""
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 100)
    await fund(db, b, 1)
    await fund(db, c, 100)
    await move_directly(db, avail(a), reserved(a), 100)
    got = await asyncio.gather(
        outcome(db, [pay(avail(a), avail(b), 50, "refund:1")]),
        outcome(db, [pay(avail(c), avail(a), 50, "refund:2")]),
    )
    assert got == ["insufficient_funds", "ok"]
    assert (await balance(db, avail(a)), await balance(db, avail(b))) == (50, 1)
    assert await run_reconcile(db) == 0


async def test_two_writers_on_the_same_accounts_stay_exact(fresh_database_url: str) -> None:
    """Two processes' writers (two writers here) see each other's balances only through
    the database: every plan on an outdated balance is caught and redone."""
    dbs = [Database(fresh_database_url, pool_size=2, max_overflow=0) for _ in range(2)]
    writers = [LedgerWriter(d) for d in dbs]
    try:
        a, b = uuid.uuid4(), uuid.uuid4()
        await writers[0].submit([pay(BANK, avail(a), 1000, "fa")])
        await writers[1].submit([pay(BANK, avail(b), 10, "fb")])
        for w in writers:  # both have seen both accounts
            await w.submit([pay(avail(a), avail(b), 1, f"warm:{id(w)}")])

        async def one(i: int) -> str:
            src, dst = (a, b) if i % 3 else (b, a)
            try:
                await writers[i % 2].submit([pay(avail(src), avail(dst), 7, f"p:{i}")])
            except DomainError as exc:
                return exc.code
            return "ok"

        got = Counter(await asyncio.gather(*(one(i) for i in range(120))))
        assert set(got) <= {"ok", "insufficient_funds"}
        assert sum(w.stale for w in writers) > 0  # they did get in each other's way
        total = await balance(dbs[0], avail(a)) + await balance(dbs[0], avail(b))
        assert total == 1010
        negative = await scalar(
            dbs[0],
            "SELECT count(*) FROM ledger_account WHERE owner_type = 'entity' AND balance < 0",
        )
        assert negative == 0
        assert await run_reconcile(dbs[0]) == 0
    finally:
        for w in writers:
            await w.drain()
        for d in dbs:
            await d.dispose()


async def test_failures_in_the_single_round_trip(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 1000)
    await fund(db, b, 1)
    w = writer.writer_for(db)
    await w.drain()
    planned = w.planned
    await inject_failures(db, monkeypatch, "40001", 2)
    got = await asyncio.gather(
        *(outcome(db, [pay(avail(a), avail(b), 100, f"one:{i}")]) for i in range(3))
    )
    assert got == ["ok", "ok", "ok"]
    assert w.planned == planned + 3 and w.retries == 2
    assert await balance(db, avail(b)) == 301
    assert await run_reconcile(db) == 0


async def test_statements_deallocated_behind_the_writers_back(fresh_database_url: str) -> None:
    db = Database(fresh_database_url, pool_size=1, max_overflow=0)  # one connection: ours
    try:
        a, b = uuid.uuid4(), uuid.uuid4()
        await fund(db, a, 1000)
        await fund(db, b, 1)
        w = writer.writer_for(db)
        await service.submit(db, [pay(avail(a), avail(b), 1, "dealloc:1")])
        await w.drain()
        async with db.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            prepared = await (
                await driver.execute("SELECT count(*) FROM pg_prepared_statements")
            ).fetchone()
            assert prepared[0] >= 2
            await driver.execute("DEALLOCATE ALL")
            await conn.commit()
        planned, retries = w.planned, w.retries
        got = await service.submit(db, [pay(avail(a), avail(b), 1, "dealloc:2")])
        assert got.replayed is False and got.balances[avail(b)] == 3
        # Sent again at once in the same round of the writer, prepared anew.
        assert w.planned == planned + 1 and w.retries == retries
        assert await balance(db, avail(b)) == 3
    finally:
        await writer.writer_for(db).drain()
        await db.dispose()


async def test_a_failed_single_round_trip_writes_nothing_and_leaves_the_connection_clean(
    fresh_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(fresh_database_url, pool_size=1, max_overflow=0)  # one connection: ours
    try:
        a, b = uuid.uuid4(), uuid.uuid4()
        await fund(db, a, 1000)
        await fund(db, b, 1)
        w = writer.writer_for(db)
        await w.drain()
        await inject_failures(db, monkeypatch, "XX000", 1)
        planned = w.planned
        assert await outcome(db, [pay(avail(a), avail(b), 5, "x:1")]) == "ledger_unavailable"
        assert w.planned == planned + 1
        assert await balance(db, avail(b)) == 1
        assert await outcome(db, [pay(avail(a), avail(b), 5, "x:1")]) == "ok"
        await w.drain()
        async with db.engine.connect() as conn:  # back in the pool as it was lent
            raw = await conn.get_raw_connection()
            assert raw.driver_connection.autocommit is False
        assert await balance(db, avail(b)) == 6
    finally:
        await writer.writer_for(db).drain()
        await db.dispose()


async def test_a_replay_is_a_replay_even_when_the_balances_moved_on(db: Database) -> None:
    """Resubmitting a posted batch that would no longer fit is still a replay (as with
    ``post_batch``), by a writer that knows the accounts and by one that does not."""
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 300)
    first = await service.submit(db, [pay(avail(a), avail(b), 300, "moved:1")])
    assert await balance(db, avail(a)) == 0
    again = await service.submit(db, [pay(avail(a), avail(b), 300, "moved:1")])
    assert again.replayed and again.id == first.id
    fresh = LedgerWriter(db)  # knows no account: the locked way
    try:
        got = await asyncio.gather(
            fresh.submit([pay(avail(a), avail(b), 300, "moved:1")]),
            fresh.submit([pay(avail(a), avail(b), 1, "moved:2")]),  # does not fit
            return_exceptions=True,
        )
    finally:
        await fresh.drain()
    assert isinstance(got[0], service.PostedBatch) and got[0].replayed
    assert got[0].id == first.id
    assert isinstance(got[1], service.InsufficientFundsError)
    assert await balance(db, avail(b)) == 300


async def test_text_travels_intact_in_the_single_round_trip(db: Database) -> None:
    """The group's data goes as literals of one simple query: quotes, backslashes and
    non-ASCII text must arrive as sent (and never end the literal)."""
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 100)
    await fund(db, b, 1)
    w = writer.writer_for(db)
    planned = w.planned
    odd = "l'été \\ \"x\" ''); DROP TABLE ledger_transfer; --"
    posted = await service.submit(
        db, [TransferRequest(avail(a), avail(b), 5, "pay'o", f"k'{odd}", "t'ype", odd)]
    )
    assert w.planned == planned + 1
    async with db.maker() as session:
        got = (
            await session.execute(
                text(
                    "SELECT kind, idempotency_key, reference_type, reference_id "
                    "FROM ledger_transfer WHERE id = :id"
                ),
                {"id": posted.transfers[0].id},
            )
        ).one()
    assert tuple(got) == ("pay'o", f"k'{odd}", "t'ype", odd)
    again = await service.submit(
        db, [TransferRequest(avail(a), avail(b), 5, "pay'o", f"k'{odd}", "t'ype", odd)]
    )
    assert again.replayed and again.id == posted.id
