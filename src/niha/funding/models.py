"""Funding tables: bank accounts, deposits, AML holds, deposit returns, withdrawals.

Amounts are BIGINT minor units of ``currency`` (EUR cents). Rows refer to entities, users
and ledger transfers by id only. Every balance change these rows describe is a ledger
transfer whose ``reference_type``/``reference_id`` point back here.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from niha.core.db import Base, created_at_column, uuid_pk

BANK_ACCOUNT_STATUSES_SQL = "'PENDING_VERIFICATION', 'VERIFIED', 'REJECTED'"
DEPOSIT_STATUSES_SQL = "'PENDING', 'ON_HOLD', 'CLEARED', 'REJECTED', 'RETURNED', 'CANCELLED'"
HOLD_STATUSES_SQL = "'ACTIVE', 'CLEARED', 'REJECTED'"
WITHDRAWAL_STATUSES_SQL = (
    "'PENDING', 'APPROVED', 'PROCESSING', 'COMPLETED', 'REJECTED', 'CANCELLED'"
)


class BankAccount(Base):
    """A client's own bank account, the only place withdrawals go (once VERIFIED)."""

    __tablename__ = "funding_bank_account"
    __table_args__ = (
        CheckConstraint(f"status IN ({BANK_ACCOUNT_STATUSES_SQL})", name="status_valid"),
        CheckConstraint("iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$'", name="iban_compact"),
        CheckConstraint("bic ~ '^[A-Z0-9]{8}([A-Z0-9]{3})?$'", name="bic_compact"),
        CheckConstraint("country ~ '^[A-Z]{2}$'", name="country_alpha2"),
        CheckConstraint("NOT is_primary OR deleted_at IS NULL", name="primary_not_deleted"),
        # One live account per IBAN and entity; one primary per entity.
        Index(
            "uq_funding_bank_account_entity_iban",
            "entity_id",
            "iban",
            unique=True,
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "uq_funding_bank_account_primary",
            "entity_id",
            unique=True,
            postgresql_where=text("is_primary"),
        ),
        Index("ix_funding_bank_account_entity", "entity_id", "created_at"),
        Index("ix_funding_bank_account_status", "status", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    entity_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    account_name: Mapped[str] = mapped_column(String(200), nullable=False)
    iban: Mapped[str] = mapped_column(String(34), nullable=False)
    bic: Mapped[str] = mapped_column(String(11), nullable=False)
    bank_name: Mapped[str] = mapped_column(String(200), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    is_primary: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    name_mismatch: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    proof_storage_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    proof_filename: Mapped[str | None] = mapped_column(String(200), nullable=True)
    proof_content_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    proof_size_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    proof_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    verification_notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    verified_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rejection_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    rejected_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Deposit(Base):
    """A wire into the client's account: announced by the client (PENDING) or recorded by
    staff when it arrived unannounced; received (ON_HOLD) until its AML hold clears."""

    __tablename__ = "funding_deposit"
    __table_args__ = (
        CheckConstraint(f"status IN ({DEPOSIT_STATUSES_SQL})", name="status_valid"),
        CheckConstraint(
            "announced_amount IS NULL OR announced_amount > 0", name="announced_positive"
        ),
        CheckConstraint("actual_amount IS NULL OR actual_amount > 0", name="actual_positive"),
        CheckConstraint(
            "status IN ('PENDING', 'CANCELLED', 'REJECTED') OR actual_amount IS NOT NULL",
            name="received_has_amount",
        ),
        Index("ix_funding_deposit_entity", "entity_id", "created_at", "id"),
        Index("ix_funding_deposit_status", "status", "created_at", "id"),
        Index("ix_funding_deposit_entity_received", "entity_id", "received_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    entity_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    reference_code: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    currency: Mapped[str] = mapped_column(String(12), nullable=False)
    announced_amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    wire_reference: Mapped[str | None] = mapped_column(String(140), nullable=True)
    bank_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("funding_bank_account.id"), nullable=True
    )
    announced_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    actual_amount: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    actual_currency: Mapped[str | None] = mapped_column(String(12), nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    payer_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    payer_iban: Mapped[str | None] = mapped_column(String(34), nullable=True)
    admin_notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    confirmed_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rejection_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: [{"status", "at", "by"}] oldest first: the timeline shown to client and staff
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class AmlHold(Base):
    """The hold every received deposit gets before its money becomes available."""

    __tablename__ = "funding_aml_hold"
    __table_args__ = (
        CheckConstraint(f"status IN ({HOLD_STATUSES_SQL})", name="status_valid"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "first_release_by IS NULL OR released_by IS NULL OR first_release_by <> released_by",
            name="two_distinct_releasers",
        ),
        Index("ix_funding_aml_hold_status_expires", "status", "expires_at", "id"),
        Index(
            "ix_funding_aml_hold_due",
            "expires_at",
            postgresql_where=text("status = 'ACTIVE' AND NOT flagged"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    deposit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("funding_deposit.id"), nullable=False, unique=True
    )
    entity_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    currency: Mapped[str] = mapped_column(String(12), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    reasons: Mapped[list[str]] = mapped_column(JSONB, nullable=False)
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    flagged: Mapped[bool] = mapped_column(Boolean, nullable=False)
    releases_required: Mapped[int] = mapped_column(SmallInteger, nullable=False, default=1)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    #: [{"until", "reason", "by", "at"}]
    extensions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    first_release_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    first_release_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    released_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rejection_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    rejected_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class DepositReturn(Base):
    """Money of a rejected hold that goes back to the payer (``on_hold -> bank``)."""

    __tablename__ = "funding_deposit_return"

    id: Mapped[uuid.UUID] = uuid_pk()
    deposit_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("funding_deposit.id"), nullable=False, unique=True
    )
    hold_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("funding_aml_hold.id"), nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    currency: Mapped[str] = mapped_column(String(12), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    return_to_iban: Mapped[str | None] = mapped_column(String(34), nullable=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    ledger_transfer_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at_column()


class Withdrawal(Base):
    """Money out to a verified bank account of the client; the funds stay reserved until the
    wire is done (COMPLETED) or the request ends otherwise (REJECTED, CANCELLED)."""

    __tablename__ = "funding_withdrawal"
    __table_args__ = (
        CheckConstraint(f"status IN ({WITHDRAWAL_STATUSES_SQL})", name="status_valid"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "completed_by IS NULL OR approved_by IS NULL OR completed_by <> approved_by",
            name="four_eyes",
        ),
        Index("ix_funding_withdrawal_entity", "entity_id", "created_at", "id"),
        Index("ix_funding_withdrawal_status", "status", "created_at", "id"),
        Index(
            "ix_funding_withdrawal_open_account",
            "bank_account_id",
            postgresql_where=text("status IN ('PENDING', 'APPROVED', 'PROCESSING')"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    entity_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    bank_account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("funding_bank_account.id"), nullable=False
    )
    # The destination as it was when requested (the account row may change later).
    iban: Mapped[str] = mapped_column(String(34), nullable=False)
    bic: Mapped[str] = mapped_column(String(11), nullable=False)
    account_name: Mapped[str] = mapped_column(String(200), nullable=False)
    currency: Mapped[str] = mapped_column(String(12), nullable=False)
    amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    requested_by: Mapped[uuid.UUID] = mapped_column(nullable=False)
    approved_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    completed_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    wire_reference: Mapped[str | None] = mapped_column(String(140), nullable=True)
    executed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rejection_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
