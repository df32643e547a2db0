"""Reconciliation: healthy ledgers pass; any tampering is found and named."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.core import clock
from niha.core.db import Database, unit_of_work
from niha.ledger import service
from niha.ledger.cli import run_reconcile
from niha.ledger.core import AccountKey
from niha.ledger.models import LedgerDailyBalance
from niha.ledger.reconcile import DateInFuture, get_reconciliation, reconcile_day
from tests.outbox import stored_events

BANK = AccountKey.platform("EUR", "bank")
D1 = date(2026, 3, 10)
D2 = D1 + timedelta(days=1)


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[None]:
    yield
    clock.freeze(None)


def avail(e: uuid.UUID) -> AccountKey:
    return AccountKey.entity(e, "EUR", "available")


async def deposit(session: AsyncSession, e: uuid.UUID, amount: int) -> None:
    await service.transfer(
        session, BANK, avail(e), amount, kind="deposit", key=f"dep:{uuid.uuid4()}"
    )


async def test_daily_figures_chain_from_day_to_day(session: AsyncSession, frozen: None) -> None:
    e = uuid.uuid4()
    clock.freeze(at(D1, 9))
    await deposit(session, e, 10_000)
    clock.freeze(at(D2, 9))
    await deposit(session, e, 2_500)
    await service.move(session, e, "EUR", "available", "reserved", 1_000, kind="r", key=f"r:{e}")

    clock.freeze(at(D2, 0) + timedelta(minutes=15))  # the job's hour, for the day before
    first = await reconcile_day(session, D1)
    assert first.ok, first.report()
    clock.freeze(at(D2 + timedelta(days=1), 0) + timedelta(minutes=15))
    second = await reconcile_day(session, D2)
    assert second.ok, second.report()
    eur = next(t for t in second.totals if t["asset"] == "EUR")
    assert eur["closing"] == "0.00" and eur["balance_sum"] == "0.00"

    account_ids = {
        k: v
        for k, v in (
            await session.execute(
                text("SELECT bucket, id FROM ledger_account WHERE owner_id = :o"), {"o": e}
            )
        ).all()
    }
    rows = {
        (r.day, r.account_id): r
        for r in (
            await session.scalars(
                select(LedgerDailyBalance).where(
                    LedgerDailyBalance.account_id.in_(account_ids.values())
                )
            )
        ).all()
    }
    d1 = rows[(D1, account_ids["available"])]
    assert (d1.opening, d1.credits, d1.debits, d1.closing) == (0, 10_000, 0, 10_000)
    d2 = rows[(D2, account_ids["available"])]
    assert (d2.opening, d2.credits, d2.debits, d2.closing) == (10_000, 2_500, 1_000, 11_500)
    stored = await get_reconciliation(session, D2)
    assert stored.ok and stored.day == D2


async def test_history_rewrite_is_found(session: AsyncSession, frozen: None) -> None:
    """Someone with superuser rights edits a past transfer *and* the balances to match:
    the current-state checks pass, the day-to-day chain does not."""
    a, b = uuid.uuid4(), uuid.uuid4()
    clock.freeze(at(D1, 9))
    await deposit(session, a, 10_000)
    await service.transfer(session, avail(a), avail(b), 3_000, kind="pay", key=f"pay:{a}")
    clock.freeze(at(D2, 1))
    assert (await reconcile_day(session, D1)).ok

    await session.execute(text("ALTER TABLE ledger_transfer DISABLE TRIGGER USER"))
    await session.execute(
        text("UPDATE ledger_transfer SET amount = 2000 WHERE idempotency_key = :k"),
        {"k": f"pay:{a}"},
    )
    await session.execute(text("ALTER TABLE ledger_transfer ENABLE TRIGGER USER"))
    await session.execute(
        text(
            "UPDATE ledger_account SET balance = balance + :d "
            "WHERE owner_id = :o AND bucket = 'available'"
        ),
        [{"d": 1000, "o": a}, {"d": -1000, "o": b}],
    )
    clock.freeze(at(D2 + timedelta(days=1), 1))
    again = await reconcile_day(session, D1)
    assert not again.ok
    assert {d["code"] for d in again.discrepancies} == {"history_changed"}
    nxt = await reconcile_day(session, D2)
    assert {d["code"] for d in nxt.discrepancies} == {"opening_mismatch"}
    failures = await stored_events(session, event="ledger.reconciliation_failed")
    assert failures and failures[-1].channel == "backoffice"


async def test_future_date_is_refused(session: AsyncSession) -> None:
    with pytest.raises(DateInFuture):
        await reconcile_day(session, clock.utcnow().date() + timedelta(days=1))


@pytest.fixture
async def fresh_db(fresh_database_url: str) -> AsyncIterator[Database]:
    database = Database(fresh_database_url, pool_size=2, max_overflow=0)
    yield database
    await database.dispose()


async def test_tampered_balance_fails_and_is_named(
    fresh_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    e = uuid.uuid4()
    async with unit_of_work(fresh_db.maker) as session:
        await deposit(session, e, 5_000)
        await service.move(session, e, "EUR", "available", "on_hold", 200, kind="h", key="h")
    assert await run_reconcile(fresh_db) == 0
    assert "OK" in capsys.readouterr().out

    async with unit_of_work(fresh_db.maker) as session:
        account_id = await session.scalar(
            text("SELECT id FROM ledger_account WHERE owner_id = :o AND bucket = 'on_hold'"),
            {"o": e},
        )
        await session.execute(
            text("UPDATE ledger_account SET balance = balance + 1 WHERE id = :i"),
            {"i": account_id},
        )
    assert await run_reconcile(fresh_db) == 1
    report = capsys.readouterr().err
    assert "FAILED" in report and str(account_id) in report
    assert "balance_mismatch" in report and "asset_sum_nonzero" in report


def test_cli_reconcile_exit_codes(fresh_database_url: str, tmp_path: object) -> None:
    """``niha reconcile`` as a process exits 1 after tampering, naming the account
    (exit 0 on a healthy database is covered in-process above)."""
    import psycopg

    env = {**os.environ, "NIHA_DATABASE_URL": fresh_database_url, "NIHA_VAR_DIR": str(tmp_path)}

    def niha(*args: str) -> subprocess.CompletedProcess[str]:
        code = "import sys; from niha.cli import main; sys.argv = ['niha', *sys.argv[1:]]; main()"
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    with psycopg.connect(fresh_database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE ledger_account SET balance = balance - 100 "
            "WHERE owner_type = 'platform' AND asset = 'EUA' AND bucket = 'fees'"
        )
        account_id = conn.execute(
            "SELECT id FROM ledger_account "
            "WHERE owner_type = 'platform' AND asset = 'EUA' AND bucket = 'fees'"
        ).fetchone()[0]  # type: ignore[index]
    broken = niha("reconcile", "--date", clock.utcnow().date().isoformat())
    assert broken.returncode == 1
    assert str(account_id) in broken.stderr and "platform:EUA:fees" in broken.stderr


def test_cli_refuses_a_malformed_date() -> None:
    from typer.testing import CliRunner

    from niha.cli import app

    result = CliRunner().invoke(app, ["reconcile", "--date", "yesterday"])
    assert result.exit_code == 2


async def test_daily_job_reconciles_the_day_before(
    session: AsyncSession, settings: Settings, frozen: None
) -> None:
    from niha.jobs.registry import JobContext, get_job

    spec = get_job("ledger.daily_reconciliation")
    assert spec.cron == "15 0 * * *" and spec.lock == spec.name
    clock.freeze(at(D1, 10))
    await deposit(session, uuid.uuid4(), 4_200)
    run_at = at(D2, 0) + timedelta(minutes=15)
    clock.freeze(run_at)
    ctx = JobContext(session=session, settings=settings, runtime=None, job_id=1, attempts=0)  # type: ignore[arg-type]
    await spec.func(ctx, timestamp=int(run_at.timestamp()))
    stored = await get_reconciliation(session, D1)
    assert stored.ok and stored.ran_at == run_at
    eur = next(t for t in stored.totals if t["asset"] == "EUR")
    assert eur["credits"] == eur["debits"] and eur["credits"] != "0.00"
