"""Real concurrent transactions on PostgreSQL (separate connections, real commits)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from niha.core.db import Database, unit_of_work
from niha.core.errors import DomainError
from niha.core.retry import is_retryable, retrying
from niha.ledger import service
from niha.ledger.cli import run_reconcile
from niha.ledger.core import AccountKey

BANK = AccountKey.platform("EUR", "bank")


@pytest.fixture
async def db(fresh_database_url: str) -> AsyncIterator[Database]:
    database = Database(fresh_database_url, pool_size=50, max_overflow=0, pool_pre_ping=False)
    yield database
    await database.dispose()


async def fund(db: Database, entity: uuid.UUID, amount: int) -> None:
    async with unit_of_work(db.maker) as session:
        await service.transfer(
            session,
            BANK,
            AccountKey.entity(entity, "EUR", "available"),
            amount,
            kind="deposit",
            key=f"fund:{uuid.uuid4()}",
        )


async def balance(db: Database, key: AccountKey) -> int:
    async with db.maker() as session:
        return await service.account_balance(session, key)


async def test_50_concurrent_reservations_exactly_10_succeed(db: Database) -> None:
    entity = uuid.uuid4()
    await fund(db, entity, 10 * 250)
    barrier = asyncio.Barrier(50)

    async def reserve(i: int) -> str:
        try:
            async with unit_of_work(db.maker) as session:
                await session.execute(text("SELECT 1"))  # each holds its own connection
                await barrier.wait()  # ...and they all post at once
                await service.move(
                    session,
                    entity,
                    "EUR",
                    "available",
                    "reserved",
                    250,
                    kind="reserve",
                    key=f"order:{i}",
                )
        except DomainError as exc:
            return exc.code
        return "ok"

    outcomes = Counter(await asyncio.gather(*(reserve(i) for i in range(50))))
    assert outcomes == {"ok": 10, "insufficient_funds": 40}
    assert await balance(db, AccountKey.entity(entity, "EUR", "available")) == 0
    assert await balance(db, AccountKey.entity(entity, "EUR", "reserved")) == 2500
    async with db.maker() as session:
        negative = await session.scalar(
            text("SELECT count(*) FROM ledger_account WHERE owner_type = 'entity' AND balance < 0")
        )
    assert negative == 0
    assert await run_reconcile(db) == 0


async def test_opposite_transfers_do_not_deadlock(db: Database) -> None:
    """A->B and B->A at the same time: accounts are locked in id order, so no deadlock
    (no retry is used here: any 40P01 would fail the test)."""
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 100_000)
    await fund(db, b, 100_000)
    barrier = asyncio.Barrier(40)

    async def pay(i: int) -> None:
        src, dst = (a, b) if i % 2 else (b, a)
        async with unit_of_work(db.maker) as session:
            await session.execute(text("SELECT 1"))
            await barrier.wait()
            await service.post_batch(
                session,
                [
                    service.TransferRequest(
                        AccountKey.entity(src, "EUR", "available"),
                        AccountKey.entity(dst, "EUR", "available"),
                        100 + i,
                        "pay",
                        f"pay:{i}",
                    ),
                    service.TransferRequest(
                        AccountKey.entity(src, "EUR", "available"),
                        AccountKey.platform("EUR", "fees"),
                        1,
                        "fee",
                        f"fee:{i}",
                    ),
                ],
            )

    await asyncio.gather(*(pay(i) for i in range(40)))
    got_a = await balance(db, AccountKey.entity(a, "EUR", "available"))
    got_b = await balance(db, AccountKey.entity(b, "EUR", "available"))
    net = sum(100 + i for i in range(40) if i % 2 == 0) - sum(100 + i for i in range(40) if i % 2)
    assert got_a == 100_000 + net - 20
    assert got_b == 100_000 - net - 20
    assert await run_reconcile(db) == 0


async def test_concurrent_duplicates_post_once(db: Database) -> None:
    """The same deposit submitted by 20 transactions at once is posted exactly once."""
    entity = uuid.uuid4()
    barrier = asyncio.Barrier(20)

    async def deposit() -> bool:
        async with unit_of_work(db.maker) as session:
            await session.execute(text("SELECT 1"))
            await barrier.wait()
            batch = await service.transfer(
                session,
                BANK,
                AccountKey.entity(entity, "EUR", "available"),
                999,
                kind="deposit",
                key=f"deposit:{entity}",
            )
        return batch.replayed

    replayed = Counter(await asyncio.gather(*(deposit() for _ in range(20))))
    assert replayed == {False: 1, True: 19}
    assert await balance(db, AccountKey.entity(entity, "EUR", "available")) == 999


async def test_retrying_cures_a_deadlock(db: Database) -> None:
    """Two transactions locking two rows in opposite orders: PostgreSQL kills one (40P01),
    :func:`retrying` runs it again and both complete."""
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(db, a, 10)
    await fund(db, b, 10)
    first_locked = [asyncio.Event(), asyncio.Event()]
    attempts = Counter[int]()
    errors: list[BaseException] = []

    async def work(me: int, session: AsyncSession) -> None:
        attempts[me] += 1
        order = [a, b] if me == 0 else [b, a]
        lock = text(
            "SELECT balance FROM ledger_account WHERE owner_id = :o AND bucket = 'available' "
            "FOR UPDATE"
        )
        await session.execute(lock, {"o": order[0]})
        if attempts[me] == 1:
            first_locked[me].set()
            await first_locked[1 - me].wait()
        await session.execute(lock, {"o": order[1]})

    async def run(me: int) -> None:
        try:
            await retrying(db.maker, lambda s: work(me, s))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    await asyncio.wait_for(asyncio.gather(run(0), run(1)), timeout=30)
    assert not errors
    assert sorted(attempts.values()) == [1, 2]


def test_is_retryable() -> None:
    class Fake(Exception):
        sqlstate = "40P01"

    class Other(Exception):
        sqlstate = "23505"

    wrapped = RuntimeError("outer")
    wrapped.__cause__ = Fake()
    assert is_retryable(Fake()) and is_retryable(wrapped)
    assert not is_retryable(Other()) and not is_retryable(ValueError())


class _Moved(Exception):
    sqlstate = "40001"


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The pauses of :func:`retrying` (recorded, not slept)."""
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr("niha.core.retry.asyncio.sleep", sleep)
    return waited


@pytest.mark.parametrize("stale", [False, True])
async def test_retrying_waits_unless_the_failure_was_of_stale_memory(
    db: Database, waits: list[float], stale: bool
) -> None:
    """Contention clears with time: a retry waits, longer each time. A unit of work that
    failed on what its caller remembered reads it the next time: no reason to wait."""
    attempts: list[int] = []

    async def work(session: AsyncSession) -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise _Moved()
        return "done"

    def failures() -> float:
        return REGISTRY.get_sample_value("niha_db_retries_total", {"sqlstate": "40001"}) or 0.0

    before = failures()
    assert await retrying(db.maker, work, at_once=lambda _: stale) == "done"
    assert len(attempts) == 3
    assert len(waits) == (0 if stale else 2)
    assert failures() == before + 2


async def test_retrying_caps_its_waits(db: Database, waits: list[float]) -> None:
    """``max_delay``: a caller whose every waiting client waits with it (a group of
    orders) retries more often rather than longer."""

    async def work(session: AsyncSession) -> str:
        if len(waits) < 8:
            raise _Moved()
        return "done"

    assert await retrying(db.maker, work, attempts=10, max_delay=0.05) == "done"
    assert len(waits) == 8 and max(waits) <= 0.05 * 1.5
    assert waits[-1] >= 0.05 * 0.5  # grown to the cap
