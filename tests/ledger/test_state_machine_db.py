"""The ledger state machine through the database service (fewer examples than the pure run).

Each example runs in its own transaction, rolled back at the end, on the worker's
migrated database; the invariants read the balances and the transfer sums back from
PostgreSQL after every step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import ClassVar

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from niha.core.db import make_engine
from niha.core.errors import DomainError
from niha.ledger import core, service
from niha.ledger.core import AccountKey, TransferRequest
from niha.ledger.reconcile import _FIGURES_SQL
from tests.ledger.machine import Ledger, LedgerMachine


class DatabaseLedger:
    def __init__(self, loop: asyncio.AbstractEventLoop, engine: AsyncEngine) -> None:
        self.loop = loop
        self.connection: AsyncConnection = loop.run_until_complete(engine.connect())
        self.transaction = loop.run_until_complete(self.connection.begin())
        self.session = AsyncSession(bind=self.connection, expire_on_commit=False)

    def close(self) -> None:
        self.loop.run_until_complete(self.session.close())
        self.loop.run_until_complete(self.transaction.rollback())
        self.loop.run_until_complete(self.connection.close())

    def post(self, transfers: Sequence[TransferRequest]) -> str:
        async def run() -> str:
            try:
                async with self.session.begin_nested():
                    batch = await service.post_batch(self.session, transfers)
            except DomainError as exc:
                return exc.code
            return "replayed" if batch.replayed else "ok"

        return self.loop.run_until_complete(run())

    def figures(self) -> list[core.AccountFigures]:
        """Every account, with all of history inside the "day" window."""
        window = {
            "start": datetime(2000, 1, 1, tzinfo=UTC),
            "end": datetime(2200, 1, 1, tzinfo=UTC),
        }
        rows = self.loop.run_until_complete(self.session.execute(_FIGURES_SQL, window)).all()
        return [
            core.AccountFigures(
                account_id=r[0],
                key=AccountKey(r[1], r[2], r[3], r[4]),
                balance=int(r[5]),
                transfer_sum=int(r[6]),
                opening=int(r[7]),
                debits=int(r[8]),
                credits=int(r[9]),
            )
            for r in rows
        ]

    def balances(self) -> dict[AccountKey, int]:
        return {f.key: f.balance for f in self.figures()}


class DatabaseMachine(LedgerMachine):
    loop: ClassVar[asyncio.AbstractEventLoop]
    engine: ClassVar[AsyncEngine]

    def make_ledger(self) -> Ledger:
        self.db_ledger = DatabaseLedger(self.loop, self.engine)
        return self.db_ledger

    def teardown(self) -> None:
        self.db_ledger.close()


def test_ledger_state_machine_on_postgresql(database_url: str) -> None:
    loop = asyncio.new_event_loop()
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    DatabaseMachine.loop, DatabaseMachine.engine = loop, engine
    try:
        run_state_machine_as_test(
            DatabaseMachine,
            settings=settings(
                max_examples=25,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                database=None,
            ),
        )
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()
