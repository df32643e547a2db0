"""The ledger service on PostgreSQL (each test in a rolled-back transaction)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from niha.core.pagination import PageParams
from niha.ledger import service
from niha.ledger.core import PLATFORM_BUCKETS, AccountKey, TransferRequest
from niha.ledger.models import LedgerAccount, LedgerAsset, LedgerBatch, LedgerTransfer
from tests.outbox import stored_events

BANK = AccountKey.platform("EUR", "bank")


def avail(e: uuid.UUID, asset: str = "EUR") -> AccountKey:
    return AccountKey.entity(e, asset, "available")


async def fund(session: AsyncSession, e: uuid.UUID, amount: int, asset: str = "EUR") -> None:
    outside = AccountKey.platform(asset, "bank" if asset == "EUR" else "registry")
    await service.transfer(
        session, outside, avail(e, asset), amount, kind="deposit", key=f"fund:{uuid.uuid4()}"
    )


async def count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(text("count(*)")).select_from(model)) or 0)


async def test_reference_data(session: AsyncSession) -> None:
    assets = {a.code: a.scale for a in (await session.scalars(select(LedgerAsset))).all()}
    assert assets == {"EUR": 2, "EUA": 0, "CEA": 0}
    platform = (
        await session.execute(
            select(LedgerAccount.asset, LedgerAccount.bucket).where(
                LedgerAccount.owner_type == "platform"
            )
        )
    ).all()
    assert {(a, b) for a, b in platform} == {(a, str(b)) for a in assets for b in PLATFORM_BUCKETS}


async def test_transfer_moves_balances_and_is_recorded(session: AsyncSession) -> None:
    e = uuid.uuid4()
    batch = await service.transfer(
        session,
        BANK,
        avail(e),
        123450,
        kind="deposit",
        key=f"dep:{e}",
        reference_type="deposit",
        reference_id="D-1",
    )
    assert not batch.replayed
    assert batch.balances[avail(e)] == 123450
    assert await service.account_balance(session, avail(e)) == 123450
    [t] = batch.transfers
    row = await session.get(LedgerTransfer, t.id)
    assert row is not None
    assert (row.amount, row.asset, row.kind, row.reference_id) == (123450, "EUR", "deposit", "D-1")
    assert row.batch_id == batch.id
    lines = {b.asset: b for b in await service.balances(session, e)}
    assert lines["EUR"].available == 123450 and lines["EUR"].total == 123450
    assert lines["EUA"].total == 0


async def test_platform_may_go_negative_client_may_not(session: AsyncSession) -> None:
    e = uuid.uuid4()
    await fund(session, e, 1000)
    assert await service.account_balance(session, BANK) < 0
    with pytest.raises(service.InsufficientFundsError) as info:
        await service.move(session, e, "EUR", "available", "reserved", 1001, kind="x", key="k")
    assert info.value.status == 422
    assert info.value.extra == {"asset": "EUR", "bucket": "available", "shortfall": "0.01"}
    assert await service.account_balance(session, avail(e)) == 1000


async def test_database_refuses_negative_client_bucket(session: AsyncSession) -> None:
    e = uuid.uuid4()
    await fund(session, e, 10)
    with pytest.raises(IntegrityError, match="client_nonnegative"):
        async with session.begin_nested():
            await session.execute(
                text(
                    "UPDATE ledger_account SET balance = -1 "
                    "WHERE owner_id = :o AND bucket = 'available'"
                ),
                {"o": e},
            )


async def test_transfers_and_batches_are_append_only(session: AsyncSession) -> None:
    e = uuid.uuid4()
    await fund(session, e, 10)
    for statement in (
        "UPDATE ledger_transfer SET amount = amount + 1",
        "DELETE FROM ledger_transfer",
        "DELETE FROM ledger_batch",
        "TRUNCATE ledger_transfer CASCADE",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with session.begin_nested():
                await session.execute(text(statement))


async def test_batch_is_atomic(session: AsyncSession) -> None:
    """A failing leg leaves nothing behind: no batch, no transfer, no balance change."""
    e = uuid.uuid4()
    await fund(session, e, 500)
    transfers_before = await count(session, LedgerTransfer)
    batches_before = await count(session, LedgerBatch)
    with pytest.raises(service.InsufficientFundsError):
        await service.post_batch(
            session,
            [
                TransferRequest(avail(e), AccountKey.entity(e, "EUR", "reserved"), 400, "r", "a"),
                TransferRequest(avail(e), AccountKey.entity(e, "EUR", "reserved"), 200, "r", "b"),
            ],
        )
    assert await count(session, LedgerTransfer) == transfers_before
    assert await count(session, LedgerBatch) == batches_before
    assert await service.account_balance(session, avail(e)) == 500


async def test_same_key_same_content_returns_the_original(session: AsyncSession) -> None:
    e = uuid.uuid4()
    first = await service.transfer(session, BANK, avail(e), 700, kind="deposit", key=f"d:{e}")
    again = await service.transfer(session, BANK, avail(e), 700, kind="deposit", key=f"d:{e}")
    assert again.replayed and again.id == first.id
    assert [t.id for t in again.transfers] == [t.id for t in first.transfers]
    assert await service.account_balance(session, avail(e)) == 700


async def test_replay_is_a_noop_even_after_funds_moved(session: AsyncSession) -> None:
    e = uuid.uuid4()
    await fund(session, e, 100)
    reserve = dict(kind="reserve", key=f"r:{e}")
    first = await service.move(session, e, "EUR", "available", "reserved", 100, **reserve)
    again = await service.move(session, e, "EUR", "available", "reserved", 100, **reserve)
    assert again.replayed and again.id == first.id


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 701},
        {"kind": "other"},
        {"reference_id": "X"},
        {"credit": "other-entity"},
    ],
)
async def test_same_key_different_content_is_a_conflict(
    session: AsyncSession, change: dict[str, object]
) -> None:
    e = uuid.uuid4()
    await service.transfer(session, BANK, avail(e), 700, kind="deposit", key=f"d:{e}")
    args: dict[str, object] = {"amount": 700, "kind": "deposit", "reference_id": None}
    credit = avail(e)
    for name, value in change.items():
        if name == "credit":
            credit = avail(uuid.uuid4())
        else:
            args[name] = value
    with pytest.raises(service.IdempotencyConflictError) as info:
        await service.transfer(
            session,
            BANK,
            credit,
            args["amount"],  # type: ignore[arg-type]
            kind=args["kind"],  # type: ignore[arg-type]
            key=f"d:{e}",
            reference_id=args["reference_id"],  # type: ignore[arg-type]
        )
    assert info.value.status == 409 and info.value.code == "idempotency_conflict"


async def test_partial_overlap_with_an_earlier_batch_is_a_conflict(session: AsyncSession) -> None:
    e = uuid.uuid4()
    first = TransferRequest(BANK, avail(e), 10, "deposit", f"a:{e}")
    await service.post_batch(session, [first])
    with pytest.raises(service.IdempotencyConflictError):
        await service.post_batch(
            session, [first, TransferRequest(BANK, avail(e), 10, "deposit", f"b:{e}")]
        )


@pytest.mark.parametrize(
    ("debit", "credit", "amount"),
    [
        (BANK, BANK, 1),
        (BANK, AccountKey.entity(uuid.UUID(int=7), "EUA", "available"), 1),
        (BANK, AccountKey.entity(uuid.UUID(int=7), "EUR", "available"), 0),
        (BANK, AccountKey.entity(uuid.UUID(int=7), "XXX", "available"), 1),
        (BANK, AccountKey.entity(uuid.UUID(int=7), "EUR", "wallet"), 1),
    ],
)
async def test_invalid_transfers(
    session: AsyncSession, debit: AccountKey, credit: AccountKey, amount: int
) -> None:
    with pytest.raises(service.InvalidTransferError) as info:
        await service.transfer(session, debit, credit, amount, kind="x", key="k")
    assert info.value.status == 422


async def test_reverse_posts_the_opposite_once(session: AsyncSession) -> None:
    e = uuid.uuid4()
    batch = await service.transfer(session, BANK, avail(e), 300, kind="deposit", key=f"d:{e}")
    reversal = await service.reverse(session, batch.transfers[0].id)
    [r] = reversal.transfers
    assert (r.debit, r.credit, r.amount, r.reference_id) == (
        avail(e),
        BANK,
        300,
        str(batch.transfers[0].id),
    )
    assert await service.account_balance(session, avail(e)) == 0
    assert (await service.reverse(session, batch.transfers[0].id)).replayed
    with pytest.raises(service.TransferNotFound):
        await service.reverse(session, uuid.uuid4())


async def test_balance_events_once_per_batch_per_entity(session: AsyncSession) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    await fund(session, a, 1000)
    await fund(session, b, 10)
    batch = await service.post_batch(
        session,
        [
            TransferRequest(avail(a), AccountKey.entity(b, "EUR", "settling"), 300, "fill", "f1"),
            TransferRequest(avail(a), AccountKey.platform("EUR", "fees"), 5, "fee", "f2"),
            TransferRequest(avail(b), AccountKey.platform("EUR", "fees"), 1, "fee", "f3"),
        ],
    )
    events = [
        e for e in await stored_events(session, "balances") if e.data["batch_id"] == str(batch.id)
    ]
    by_entity = {ev.entity_id: ev for ev in events}
    assert set(by_entity) == {a, b} and len(events) == 2
    assert by_entity[a].data["changes"] == [
        {"asset": "EUR", "bucket": "available", "balance": "6.95"}
    ]
    assert sorted(c["bucket"] for c in by_entity[b].data["changes"]) == ["available", "settling"]
    # A replay emits nothing.
    before = len(await stored_events(session))
    await service.transfer(session, BANK, avail(a), 1, kind="deposit", key="once")
    await service.transfer(session, BANK, avail(a), 1, kind="deposit", key="once")
    assert len(await stored_events(session)) == before + 1


async def test_open_accounts_is_idempotent(session: AsyncSession) -> None:
    e = uuid.uuid4()
    await service.open_accounts(session, e)
    await service.open_accounts(session, e)
    n = await session.scalar(
        select(text("count(*)")).select_from(LedgerAccount).where(LedgerAccount.owner_id == e)
    )
    assert n == 12  # 3 assets x 4 client buckets


async def test_list_transfers_filters_and_pages(session: AsyncSession) -> None:
    e = uuid.uuid4()
    for i in range(5):
        await service.transfer(
            session,
            BANK,
            avail(e),
            100 + i,
            kind="deposit",
            key=f"d{i}:{e}",
            reference_type="deposit",
            reference_id=f"R{i}",
        )
    await service.move(session, e, "EUR", "available", "reserved", 50, kind="reserve", key=f"m:{e}")
    [account] = (
        await service.list_accounts(
            session,
            service.AccountFilter(owner_id=e, bucket="available"),
            PageParams(limit=10),
        )
    ).items
    seen: list[uuid.UUID] = []
    cursor = None
    while True:
        page = await service.list_transfers(
            session,
            service.TransferFilter(account_id=account.id),
            PageParams(limit=2, cursor=cursor),
        )
        seen.extend(r.id for r in page.items)
        cursor = page.next_cursor
        if not cursor:
            break
    assert len(seen) == 6 and seen == sorted(seen, reverse=True)
    only = await service.list_transfers(
        session, service.TransferFilter(reference_type="deposit", reference_id="R3"), PageParams()
    )
    assert [r.amount for r in only.items] == [103]
    kinds = await service.list_transfers(
        session, service.TransferFilter(account_id=account.id, kind="reserve"), PageParams()
    )
    assert [r.amount for r in kinds.items] == [50]
