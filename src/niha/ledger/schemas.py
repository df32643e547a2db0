"""Ledger API shapes.

Every amount is a decimal **string** at the asset's scale, for every asset: EUR
``"1234.50"``, certificates ``"10"`` — one type for one field whatever the asset.
Inputs accept a decimal string (or a JSON integer, read as whole units) and are
refused with more decimals than the asset allows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from niha.core.money import format_amount
from niha.ledger.adjustments import AdjustmentView
from niha.ledger.core import AssetBalance
from niha.ledger.models import LedgerAccount, LedgerTransfer
from niha.ledger.reconcile import ReconciliationResult

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL

AmountIn = Annotated[
    StrictStr | StrictInt,
    Field(
        description='signed decimal string at the asset\'s scale, e.g. "-12.50"',
        examples=["150.00", "-12.50", "10"],
    ),
]


class AssetBalanceOut(BaseModel):
    asset: str
    available: str
    reserved: str
    on_hold: str
    settling: str
    total: str

    @classmethod
    def of(cls, b: AssetBalance) -> AssetBalanceOut:
        return cls(
            asset=b.asset,
            available=format_amount(b.available, b.scale),
            reserved=format_amount(b.reserved, b.scale),
            on_hold=format_amount(b.on_hold, b.scale),
            settling=format_amount(b.settling, b.scale),
            total=format_amount(b.total, b.scale),
        )


class BalancesOut(BaseModel):
    entity_id: uuid.UUID
    balances: list[AssetBalanceOut]


class AccountOut(BaseModel):
    id: uuid.UUID
    owner_type: str
    owner_id: uuid.UUID
    asset: str
    bucket: str
    balance: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: LedgerAccount, scale: int) -> AccountOut:
        return cls(
            id=row.id,
            owner_type=row.owner_type,
            owner_id=row.owner_id,
            asset=row.asset,
            bucket=row.bucket,
            balance=format_amount(row.balance, scale),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class TransferOut(BaseModel):
    id: uuid.UUID
    batch_id: uuid.UUID
    debit_account_id: uuid.UUID
    credit_account_id: uuid.UUID
    asset: str
    amount: str
    kind: str
    reference_type: str | None
    reference_id: str | None
    idempotency_key: str
    created_at: datetime

    @classmethod
    def of(cls, row: LedgerTransfer, scale: int) -> TransferOut:
        return cls(
            id=row.id,
            batch_id=row.batch_id,
            debit_account_id=row.debit_account_id,
            credit_account_id=row.credit_account_id,
            asset=row.asset,
            amount=format_amount(row.amount, scale),
            kind=row.kind,
            reference_type=row.reference_type,
            reference_id=row.reference_id,
            idempotency_key=row.idempotency_key,
            created_at=row.created_at,
        )


class AdjustmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity_id: uuid.UUID
    asset: Annotated[str, Field(min_length=1, max_length=12, pattern=NO_NUL, examples=["EUR"])]
    bucket: Annotated[
        str, Field(min_length=1, max_length=16, pattern=NO_NUL, examples=["available"])
    ]
    amount: AmountIn
    reason: Annotated[str, Field(min_length=1, max_length=1000, pattern=NO_NUL)]


class AdjustmentDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str | None, Field(max_length=1000, pattern=NO_NUL)] = None


class AdjustmentOut(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    asset: str
    bucket: str
    amount: str
    reason: str
    status: str
    requested_by: uuid.UUID
    requested_at: datetime
    decided_by: uuid.UUID | None
    decided_at: datetime | None
    decision_note: str | None
    batch_id: uuid.UUID | None

    @classmethod
    def of(cls, view: AdjustmentView) -> AdjustmentOut:
        r = view.row
        return cls(
            id=r.id,
            entity_id=r.entity_id,
            asset=r.asset,
            bucket=r.bucket,
            amount=view.amount,
            reason=r.reason,
            status=r.status,
            requested_by=r.requested_by,
            requested_at=r.requested_at,
            decided_by=r.decided_by,
            decided_at=r.decided_at,
            decision_note=r.decision_note,
            batch_id=r.batch_id,
        )


class ReconciliationOut(BaseModel):
    date: dt.date
    ran_at: datetime
    ok: bool
    accounts_checked: int
    transfers_checked: int
    discrepancies: list[dict[str, Any]]
    totals: list[dict[str, Any]]

    @classmethod
    def of(cls, r: ReconciliationResult) -> ReconciliationOut:
        return cls(
            date=r.day,
            ran_at=r.ran_at,
            ok=r.ok,
            accounts_checked=r.accounts_checked,
            transfers_checked=r.transfers_checked,
            discrepancies=r.discrepancies,
            totals=r.totals,
        )
