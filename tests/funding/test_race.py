"""Real concurrency on PostgreSQL: separate connections, real commits."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from niha.config import Settings
from niha.core.clock import utcnow
from niha.core.db import Database, unit_of_work
from niha.funding.models import BankAccount
from niha.ledger import service as ledger
from niha.ledger.cli import run_reconcile
from niha.ledger.core import AccountKey
from tests.funding.helpers import make_entity
from tests.identity.factories import bearer, make_user, token_for

N = 50


@pytest.fixture
async def real_db(fresh_database_url: str) -> AsyncIterator[Database]:
    database = Database(fresh_database_url, pool_size=N + 5, max_overflow=0, pool_pre_ping=False)
    yield database
    await database.dispose()


async def test_50_concurrent_withdrawals_of_the_whole_balance_exactly_one_accepted(
    real_db: Database, tmp_path: Path
) -> None:
    settings = Settings(
        env="test",
        var_dir=tmp_path / "var",
        secret_key="test-secret-key-" + "x" * 40,
        api_key_pepper="test-pepper-" + "y" * 40,
        web_dist=tmp_path / "dist",
        run_worker_in_serve=False,
    )
    async with unit_of_work(real_db.maker) as session:
        entity = await make_entity(session)
        owner = await make_user(session, entity_role="owner", entity_id=entity.id)
        token = await token_for(session, settings, owner)
        now = utcnow()
        account = BankAccount(
            entity_id=entity.id,
            account_name="Acme Carbon GmbH",
            iban="DE89370400440532013000",
            bic="COBADEFFXXX",
            bank_name="Commerzbank",
            country="DE",
            status="VERIFIED",
            is_primary=True,
            name_mismatch=False,
            verified_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(account)
        await ledger.transfer(
            session,
            AccountKey.platform("EUR", "bank"),
            AccountKey.entity(entity.id, "EUR", "available"),
            123_456,
            kind="deposit",
            key=f"test-fund:{uuid.uuid4()}",
        )
    from niha.app import create_app

    app = create_app(settings, db=real_db, start_background=False)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 12345))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

        async def withdraw() -> httpx.Response:
            return await client.post(
                "/api/v1/funding/withdrawals/request",
                json={"amount": "1234.56", "bank_account_id": str(account.id)},
                headers=bearer(token),
            )

        replies = await asyncio.gather(*(withdraw() for _ in range(N)))
    outcomes = Counter(
        (r.status_code, r.json().get("code") if r.status_code != 201 else "created")
        for r in replies
    )
    assert outcomes == {(201, "created"): 1, (422, "insufficient_funds"): N - 1}, outcomes

    async with real_db.maker() as session:
        [eur] = [b for b in await ledger.balances(session, entity.id) if b.asset == "EUR"]
        assert (eur.available, eur.reserved) == (0, 123_456)
    assert await run_reconcile(real_db, utcnow().date()) == 0
