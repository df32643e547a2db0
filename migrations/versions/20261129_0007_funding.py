"""funding: bank accounts, deposits, AML holds, deposit returns, withdrawals

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 22:26:29.437089+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "funding_bank_account",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("account_name", sa.String(length=200), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("bic", sa.String(length=11), nullable=False),
        sa.Column("bank_name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("name_mismatch", sa.Boolean(), nullable=False),
        sa.Column("proof_storage_key", sa.String(length=300), nullable=True),
        sa.Column("proof_filename", sa.String(length=200), nullable=True),
        sa.Column("proof_content_type", sa.String(length=100), nullable=True),
        sa.Column("proof_size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("proof_sha256", sa.String(length=64), nullable=True),
        sa.Column("verification_notes", sa.Text(), nullable=True),
        sa.Column("verified_by", sa.UUID(), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("rejected_by", sa.UUID(), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "bic ~ '^[A-Z0-9]{8}([A-Z0-9]{3})?$'", name=op.f("ck_funding_bank_account_bic_compact")
        ),
        sa.CheckConstraint(
            "country ~ '^[A-Z]{2}$'", name=op.f("ck_funding_bank_account_country_alpha2")
        ),
        sa.CheckConstraint(
            "iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$'",
            name=op.f("ck_funding_bank_account_iban_compact"),
        ),
        sa.CheckConstraint(
            "status IN ('PENDING_VERIFICATION', 'VERIFIED', 'REJECTED')",
            name=op.f("ck_funding_bank_account_status_valid"),
        ),
        sa.CheckConstraint(
            "NOT is_primary OR deleted_at IS NULL",
            name=op.f("ck_funding_bank_account_primary_not_deleted"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_bank_account")),
    )
    op.create_index(
        "ix_funding_bank_account_entity",
        "funding_bank_account",
        ["entity_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_funding_bank_account_status",
        "funding_bank_account",
        ["status", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_funding_bank_account_entity_iban",
        "funding_bank_account",
        ["entity_id", "iban"],
        unique=True,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "uq_funding_bank_account_primary",
        "funding_bank_account",
        ["entity_id"],
        unique=True,
        postgresql_where=sa.text("is_primary"),
    )
    op.create_table(
        "funding_deposit",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("reference_code", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=12), nullable=False),
        sa.Column("announced_amount", sa.BigInteger(), nullable=True),
        sa.Column("wire_reference", sa.String(length=140), nullable=True),
        sa.Column("bank_account_id", sa.UUID(), nullable=True),
        sa.Column("announced_by", sa.UUID(), nullable=True),
        sa.Column("actual_amount", sa.BigInteger(), nullable=True),
        sa.Column("actual_currency", sa.String(length=12), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payer_name", sa.String(length=200), nullable=True),
        sa.Column("payer_iban", sa.String(length=34), nullable=True),
        sa.Column("admin_notes", sa.Text(), nullable=True),
        sa.Column("confirmed_by", sa.UUID(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.UUID(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("history", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('PENDING', 'CANCELLED', 'REJECTED') OR actual_amount IS NOT NULL",
            name=op.f("ck_funding_deposit_received_has_amount"),
        ),
        sa.CheckConstraint(
            "status IN ('PENDING', 'ON_HOLD', 'CLEARED', 'REJECTED', 'RETURNED', 'CANCELLED')",
            name=op.f("ck_funding_deposit_status_valid"),
        ),
        sa.CheckConstraint(
            "actual_amount IS NULL OR actual_amount > 0",
            name=op.f("ck_funding_deposit_actual_positive"),
        ),
        sa.CheckConstraint(
            "announced_amount IS NULL OR announced_amount > 0",
            name=op.f("ck_funding_deposit_announced_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_account_id"],
            ["funding_bank_account.id"],
            name=op.f("fk_funding_deposit_bank_account_id_funding_bank_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_deposit")),
        sa.UniqueConstraint("reference_code", name=op.f("uq_funding_deposit_reference_code")),
    )
    op.create_index(
        "ix_funding_deposit_entity",
        "funding_deposit",
        ["entity_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_funding_deposit_entity_received",
        "funding_deposit",
        ["entity_id", "received_at"],
        unique=False,
    )
    op.create_index(
        "ix_funding_deposit_status", "funding_deposit", ["status", "created_at", "id"], unique=False
    )
    op.create_table(
        "funding_withdrawal",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("bank_account_id", sa.UUID(), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("bic", sa.String(length=11), nullable=False),
        sa.Column("account_name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.UUID(), nullable=False),
        sa.Column("approved_by", sa.UUID(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.UUID(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("wire_reference", sa.String(length=140), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.UUID(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("history", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('PENDING', 'APPROVED', 'PROCESSING', 'COMPLETED', 'REJECTED', 'CANCELLED')",
            name=op.f("ck_funding_withdrawal_status_valid"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_funding_withdrawal_amount_positive")),
        sa.CheckConstraint(
            "completed_by IS NULL OR approved_by IS NULL OR completed_by <> approved_by",
            name=op.f("ck_funding_withdrawal_four_eyes"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_account_id"],
            ["funding_bank_account.id"],
            name=op.f("fk_funding_withdrawal_bank_account_id_funding_bank_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_withdrawal")),
    )
    op.create_index(
        "ix_funding_withdrawal_entity",
        "funding_withdrawal",
        ["entity_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_funding_withdrawal_open_account",
        "funding_withdrawal",
        ["bank_account_id"],
        unique=False,
        postgresql_where=sa.text("status IN ('PENDING', 'APPROVED', 'PROCESSING')"),
    )
    op.create_index(
        "ix_funding_withdrawal_status",
        "funding_withdrawal",
        ["status", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "funding_aml_hold",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("deposit_id", sa.UUID(), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("currency", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("flags", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("releases_required", sa.SmallInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("extensions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("first_release_by", sa.UUID(), nullable=True),
        sa.Column("first_release_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.UUID(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("rejected_by", sa.UUID(), nullable=True),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('ACTIVE', 'CLEARED', 'REJECTED')",
            name=op.f("ck_funding_aml_hold_status_valid"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_funding_aml_hold_amount_positive")),
        sa.CheckConstraint(
            "first_release_by IS NULL OR released_by IS NULL OR first_release_by <> released_by",
            name=op.f("ck_funding_aml_hold_two_distinct_releasers"),
        ),
        sa.ForeignKeyConstraint(
            ["deposit_id"],
            ["funding_deposit.id"],
            name=op.f("fk_funding_aml_hold_deposit_id_funding_deposit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_aml_hold")),
        sa.UniqueConstraint("deposit_id", name=op.f("uq_funding_aml_hold_deposit_id")),
    )
    op.create_index(
        "ix_funding_aml_hold_due",
        "funding_aml_hold",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'ACTIVE' AND NOT flagged"),
    )
    op.create_index(
        "ix_funding_aml_hold_status_expires",
        "funding_aml_hold",
        ["status", "expires_at", "id"],
        unique=False,
    )
    op.create_table(
        "funding_deposit_return",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("deposit_id", sa.UUID(), nullable=False),
        sa.Column("hold_id", sa.UUID(), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("currency", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("return_to_iban", sa.String(length=34), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ledger_transfer_id", sa.UUID(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deposit_id"],
            ["funding_deposit.id"],
            name=op.f("fk_funding_deposit_return_deposit_id_funding_deposit"),
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"],
            ["funding_aml_hold.id"],
            name=op.f("fk_funding_deposit_return_hold_id_funding_aml_hold"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_deposit_return")),
        sa.UniqueConstraint("deposit_id", name=op.f("uq_funding_deposit_return_deposit_id")),
    )


def downgrade() -> None:
    op.drop_table("funding_deposit_return")
    op.drop_table("funding_aml_hold")
    op.drop_table("funding_withdrawal")
    op.drop_table("funding_deposit")
    op.drop_table("funding_bank_account")
