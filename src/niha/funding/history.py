"""A client's unified transaction history, read from the ledger's transfers.

Every transfer touching one of the entity's accounts is a row: deposits, holds clearing or
returned, withdrawals, and whatever other domains post (fees, trades, settlements,
adjustments) without this module knowing them in advance — ``type`` comes from the
transfer's ``kind``. Rows are newest first, keyset-paged on the transfer id (time-ordered),
through the ledger's own paging of each of the entity's accounts.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.core.money import format_amount
from niha.core.pagination import PageParams, encode_cursor
from niha.funding import banking
from niha.funding.common import (
    KIND_DEPOSIT,
    KIND_DEPOSIT_CLEARED,
    KIND_DEPOSIT_RETURNED,
    KIND_WITHDRAWAL,
    KIND_WITHDRAWAL_RELEASE,
    KIND_WITHDRAWAL_RESERVE,
    REF_DEPOSIT,
    REF_WITHDRAWAL,
)
from niha.funding.models import Deposit, Withdrawal
from niha.ledger import service as ledger
from niha.ledger.core import OwnerType

TYPES = ("deposit", "withdrawal", "hold", "fee", "trade", "settlement", "adjustment", "other")
EXTERNAL = "external"
#: At most this many ledger pages are read to fill one filtered page (then the page is
#: returned short, with a cursor to go on).
MAX_WINDOWS = 20

_DESCRIPTIONS = {
    KIND_DEPOSIT: "Deposit {ref} received, on hold",
    KIND_DEPOSIT_CLEARED: "Deposit {ref} cleared, funds available",
    KIND_DEPOSIT_RETURNED: "Deposit {ref} returned to the sender",
    KIND_WITHDRAWAL_RESERVE: "Withdrawal to {ref} requested, funds reserved",
    KIND_WITHDRAWAL_RELEASE: "Withdrawal to {ref} stopped, funds available",
    KIND_WITHDRAWAL: "Withdrawal to {ref} sent",
}


def transaction_type(kind: str) -> str:
    if kind == KIND_DEPOSIT:
        return "deposit"
    if kind in (KIND_DEPOSIT_CLEARED, KIND_DEPOSIT_RETURNED):
        return "hold"
    if kind.startswith("withdrawal"):
        return "withdrawal"
    if "fee" in kind:
        return "fee"
    if kind.startswith(("trade", "fill", "order", "swap")):
        return "trade"
    if kind.startswith("settle"):
        return "settlement"
    if kind.startswith(("adjust", "reversal")):
        return "adjustment"
    return "other"


@dataclass(frozen=True)
class TransactionFilter:
    type: str | None = None
    status: str | None = None
    currency: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None


@dataclass(frozen=True)
class Transaction:
    id: uuid.UUID
    created_at: datetime
    type: str
    kind: str
    description: str
    asset: str
    amount: str
    net_change: str
    from_bucket: str
    to_bucket: str
    status: str | None
    reference_type: str | None
    reference_id: str | None
    reference: str | None


@dataclass(frozen=True)
class _Window:
    items: list[Any]  # ledger transfers, newest first
    has_more: bool
    scales: dict[str, int]


async def _accounts(
    session: AsyncSession, entity_id: uuid.UUID, currency: str | None
) -> dict[uuid.UUID, str]:
    """The entity's ledger accounts: id -> bucket."""
    found: dict[uuid.UUID, str] = {}
    page = PageParams(limit=200)
    while True:
        result = await ledger.list_accounts(
            session,
            ledger.AccountFilter(
                owner_id=entity_id, owner_type=OwnerType.ENTITY.value, asset=currency
            ),
            page,
        )
        found.update({a.id: a.bucket for a in result.items})
        if result.next_cursor is None:
            return found
        page = PageParams(limit=200, cursor=result.next_cursor)


async def _window(
    session: AsyncSession,
    accounts: dict[uuid.UUID, str],
    f: TransactionFilter,
    cursor: str | None,
    limit: int,
) -> _Window:
    """The next ``limit`` transfers over all the accounts (each account read by the ledger)."""
    merged: dict[uuid.UUID, Any] = {}
    has_more = False
    scales: dict[str, int] = {}
    page = PageParams(limit=limit, cursor=cursor)
    for account_id in accounts:
        result = await ledger.list_transfers(
            session,
            ledger.TransferFilter(
                account_id=account_id,
                asset=f.currency,
                date_from=f.date_from,
                date_to=f.date_to,
            ),
            page,
        )
        scales.update(result.scales)
        has_more = has_more or result.next_cursor is not None
        for t in result.items:
            merged[t.id] = t
    ordered = sorted(merged.values(), key=lambda t: t.id, reverse=True)
    if len(ordered) > limit:
        has_more = True
        ordered = ordered[:limit]
    return _Window(ordered, has_more, scales)


async def _references(
    session: AsyncSession, transfers: list[Any]
) -> tuple[dict[str, Deposit], dict[str, Withdrawal]]:
    deposit_ids = {t.reference_id for t in transfers if t.reference_type == REF_DEPOSIT}
    withdrawal_ids = {t.reference_id for t in transfers if t.reference_type == REF_WITHDRAWAL}
    deposits: dict[str, Deposit] = {}
    withdrawals: dict[str, Withdrawal] = {}
    if deposit_ids:
        rows = await session.scalars(
            select(Deposit).where(Deposit.id.in_([uuid.UUID(i) for i in deposit_ids]))
        )
        deposits = {str(d.id): d for d in rows.all()}
    if withdrawal_ids:
        rows2 = await session.scalars(
            select(Withdrawal).where(Withdrawal.id.in_([uuid.UUID(i) for i in withdrawal_ids]))
        )
        withdrawals = {str(w.id): w for w in rows2.all()}
    return deposits, withdrawals


def _row(
    t: Any,
    accounts: dict[uuid.UUID, str],
    scale: int,
    deposits: dict[str, Deposit],
    withdrawals: dict[str, Withdrawal],
) -> Transaction:
    from_bucket = accounts.get(t.debit_account_id, EXTERNAL)
    to_bucket = accounts.get(t.credit_account_id, EXTERNAL)
    net = 0
    if from_bucket == EXTERNAL:
        net = t.amount
    elif to_bucket == EXTERNAL:
        net = -t.amount
    status: str | None = None
    ref: str | None = None
    if t.reference_type == REF_DEPOSIT and t.reference_id in deposits:
        d = deposits[t.reference_id]
        status, ref = d.status, d.reference_code
    elif t.reference_type == REF_WITHDRAWAL and t.reference_id in withdrawals:
        w = withdrawals[t.reference_id]
        status, ref = w.status, banking.mask_iban(w.iban)
    template = _DESCRIPTIONS.get(t.kind)
    if template is not None:
        description = template.format(ref=ref or "")
    else:
        description = t.kind.replace("_", " ").capitalize()
    return Transaction(
        id=t.id,
        created_at=t.created_at,
        type=transaction_type(t.kind),
        kind=t.kind,
        description=description,
        asset=t.asset,
        amount=format_amount(t.amount, scale),
        net_change=format_amount(net, scale),
        from_bucket=from_bucket,
        to_bucket=to_bucket,
        status=status,
        reference_type=t.reference_type,
        reference_id=t.reference_id,
        reference=ref,
    )


def _matches(row: Transaction, f: TransactionFilter) -> bool:
    if f.type is not None and row.type != f.type:
        return False
    return f.status is None or (row.status or "").upper() == f.status.upper()


async def transactions(
    session: AsyncSession,
    entity_id: uuid.UUID | None,
    f: TransactionFilter,
    page: PageParams,
) -> tuple[list[Transaction], str | None]:
    """One page of the entity's history, newest first."""
    if entity_id is None:
        return [], None
    accounts = await _accounts(session, entity_id, f.currency)
    if not accounts:
        return [], None
    rows: list[Transaction] = []
    cursor = page.cursor
    for _ in range(MAX_WINDOWS):
        window = await _window(session, accounts, f, cursor, page.limit)
        deposits, withdrawals = await _references(session, window.items)
        for i, t in enumerate(window.items):
            row = _row(t, accounts, window.scales.get(t.asset, 0), deposits, withdrawals)
            if _matches(row, f):
                rows.append(row)
            if len(rows) == page.limit:
                more = i + 1 < len(window.items) or window.has_more
                return rows, encode_cursor([t.id]) if more else None
        if not window.has_more or not window.items:
            return rows, None
        cursor = encode_cursor([window.items[-1].id])
    return rows, cursor


async def stream_transactions(
    session: AsyncSession, entity_id: uuid.UUID, f: TransactionFilter, *, batch: int = 200
) -> AsyncIterator[Transaction]:
    """Every matching row, newest first (for the CSV export)."""
    cursor: str | None = None
    while True:
        rows, cursor = await transactions(
            session, entity_id, f, PageParams(limit=batch, cursor=cursor)
        )
        for row in rows:
            yield row
        if cursor is None:
            return
