"""Ledger tables. Only ``niha.ledger`` reads or writes them (a test enforces it).

``ledger_transfer`` and ``ledger_batch`` are append-only (a trigger refuses UPDATE,
DELETE and TRUNCATE); ``ledger_account.balance`` changes only together with the
transfers that explain it, in ``niha.ledger.service``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from niha.core.db import Base, uuid_pk

CLIENT_BUCKETS_SQL = "'available', 'reserved', 'on_hold', 'settling'"
PLATFORM_BUCKETS_SQL = "'bank', 'registry', 'fees', 'suspense'"


class LedgerAsset(Base):
    """Reference data: what can be held, and its number of decimals."""

    __tablename__ = "ledger_asset"
    __table_args__ = (
        CheckConstraint("scale >= 0 AND scale <= 8", name="scale_range"),
        CheckConstraint("kind IN ('currency', 'certificate')", name="kind_valid"),
    )

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    scale: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class LedgerAccount(Base):
    __tablename__ = "ledger_account"
    __table_args__ = (
        UniqueConstraint("owner_type", "owner_id", "asset", "bucket"),
        CheckConstraint("owner_type IN ('entity', 'platform')", name="owner_type_valid"),
        CheckConstraint(
            f"(owner_type = 'entity' AND bucket IN ({CLIENT_BUCKETS_SQL})) OR "
            f"(owner_type = 'platform' AND bucket IN ({PLATFORM_BUCKETS_SQL}))",
            name="bucket_valid",
        ),
        # A client bucket can never go negative, whatever the code does.
        CheckConstraint("owner_type = 'platform' OR balance >= 0", name="client_nonnegative"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_type: Mapped[str] = mapped_column(String(16), nullable=False)
    owner_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    asset: Mapped[str] = mapped_column(ForeignKey("ledger_asset.code"), nullable=False)
    bucket: Mapped[str] = mapped_column(String(16), nullable=False)
    balance: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class LedgerBatch(Base):
    """Transfers that were posted together, atomically."""

    __tablename__ = "ledger_batch"
    __table_args__ = (CheckConstraint("transfer_count > 0", name="transfer_count_positive"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    transfer_count: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class LedgerTransfer(Base):
    __tablename__ = "ledger_transfer"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("debit_account_id <> credit_account_id", name="distinct_accounts"),
        Index("ix_ledger_transfer_debit", "debit_account_id", "id"),
        Index("ix_ledger_transfer_credit", "credit_account_id", "id"),
        Index("ix_ledger_transfer_reference", "reference_type", "reference_id"),
        Index("ix_ledger_transfer_batch", "batch_id"),
        Index("ix_ledger_transfer_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_batch.id"), nullable=False)
    debit_account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ledger_account.id"), nullable=False
    )
    credit_account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ledger_account.id"), nullable=False
    )
    # No foreign key here on purpose: both accounts already pin the asset, and a
    # key-share lock on the one hot asset row per transfer would serialise writers.
    asset: Mapped[str] = mapped_column(String(12), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    reference_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reference_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class LedgerAdjustment(Base):
    """A staff correction: requested by one staff user, posted when another approves."""

    __tablename__ = "ledger_adjustment"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_nonzero"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_valid"),
        CheckConstraint(f"bucket IN ({CLIENT_BUCKETS_SQL})", name="bucket_valid"),
        Index("ix_ledger_adjustment_status", "status", "id"),
        Index("ix_ledger_adjustment_entity", "entity_id", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    entity_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    asset: Mapped[str] = mapped_column(ForeignKey("ledger_asset.code"), nullable=False)
    bucket: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    requested_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_batch.id"), nullable=True)


class LedgerDailyReconciliation(Base):
    """The outcome of reconciling one (UTC) day; re-running replaces it."""

    __tablename__ = "ledger_daily_reconciliation"

    id: Mapped[uuid.UUID] = uuid_pk()
    day: Mapped[date] = mapped_column(Date, nullable=False, unique=True)
    ran_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    ok: Mapped[bool] = mapped_column(Boolean, nullable=False)
    accounts_checked: Mapped[int] = mapped_column(Integer, nullable=False)
    transfers_checked: Mapped[int] = mapped_column(BigInteger, nullable=False)
    discrepancies: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    totals: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)


class LedgerDailyBalance(Base):
    """Per account per day: opening + credits - debits = closing."""

    __tablename__ = "ledger_daily_balance"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_account.id"), primary_key=True)
    opening: Mapped[int] = mapped_column(BigInteger, nullable=False)
    debits: Mapped[int] = mapped_column(BigInteger, nullable=False)
    credits: Mapped[int] = mapped_column(BigInteger, nullable=False)
    closing: Mapped[int] = mapped_column(BigInteger, nullable=False)
