"""unit_of_work: commits what the body did, and skips the commit of a body that did nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from niha.core.clock import utcnow
from niha.core.db import after_commit, has_work, make_sessionmaker, unit_of_work
from niha.ledger.models import LedgerAsset as Asset


async def test_a_pending_object_without_a_transaction_is_still_committed(engine: Any) -> None:
    # session.add() opens no transaction: a unit of work that only adds must still flush it.
    maker = make_sessionmaker(engine)
    async with maker() as s, s.begin():
        await s.execute(delete(Asset).where(Asset.code == "XUOW"))
    async with unit_of_work(maker) as s:
        s.add(
            Asset(
                code="XUOW",
                name="Unit of work test",
                scale=0,
                kind="certificate",
                created_at=utcnow(),
            )
        )
        assert has_work(s)
    async with maker() as s, s.begin():
        assert await s.scalar(select(Asset.name).where(Asset.code == "XUOW")) is not None
        await s.execute(delete(Asset).where(Asset.code == "XUOW"))


async def test_a_unit_that_did_nothing_has_no_work(db: Any) -> None:
    async with unit_of_work(db.maker) as s:
        assert not has_work(s)


async def test_a_callback_waiting_for_the_commit_is_work(db: Any) -> None:
    ran: list[str] = []

    async def callback() -> None:
        ran.append("after")

    async with unit_of_work(db.maker) as s:
        after_commit(s, callback)
        assert has_work(s)
    assert ran == ["after"]


async def test_a_dirty_object_after_a_commit_is_work(db: Any) -> None:
    async with unit_of_work(db.maker) as s:
        s.add(Asset(code="XUO2", name="before", scale=0, kind="certificate", created_at=utcnow()))
        await s.commit()
        asset = await s.scalar(select(Asset).where(Asset.code == "XUO2"))
        assert asset is not None
        await s.commit()  # the transaction ends; the object stays in the session
        asset.name = "after"
        assert has_work(s)
    async with db.maker() as s:
        assert await s.scalar(select(Asset.name).where(Asset.code == "XUO2")) == "after"
