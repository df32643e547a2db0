"""ledger: assets, accounts, batches, transfers, adjustments, daily reconciliation

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-29 22:30:00.000000+00:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from niha.core.ids import new_id

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLIENT_BUCKETS = "'available', 'reserved', 'on_hold', 'settling'"
PLATFORM_BUCKETS = "'bank', 'registry', 'fees', 'suspense'"
ASSETS = [
    ("EUR", "Euro", "currency", 2),
    ("EUA", "EU Allowance (1 tCO2e)", "certificate", 0),
    ("CEA", "China Emission Allowance (1 tCO2e)", "certificate", 0),
]
PLATFORM_OWNER_ID = uuid.UUID(int=0)


def upgrade() -> None:
    op.create_table(
        "ledger_asset",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("scale", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('currency', 'certificate')", name=op.f("ck_ledger_asset_kind_valid")
        ),
        sa.CheckConstraint("scale >= 0 AND scale <= 8", name=op.f("ck_ledger_asset_scale_range")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_ledger_asset")),
    )
    op.create_table(
        "ledger_batch",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("transfer_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "transfer_count > 0", name=op.f("ck_ledger_batch_transfer_count_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_batch")),
    )
    op.create_table(
        "ledger_daily_reconciliation",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("accounts_checked", sa.Integer(), nullable=False),
        sa.Column("transfers_checked", sa.BigInteger(), nullable=False),
        sa.Column("discrepancies", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("totals", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_daily_reconciliation")),
        sa.UniqueConstraint("day", name=op.f("uq_ledger_daily_reconciliation_day")),
    )
    op.create_table(
        "ledger_account",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("owner_type", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("asset", sa.String(length=12), nullable=False),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            f"(owner_type = 'entity' AND bucket IN ({CLIENT_BUCKETS})) OR "
            f"(owner_type = 'platform' AND bucket IN ({PLATFORM_BUCKETS}))",
            name=op.f("ck_ledger_account_bucket_valid"),
        ),
        sa.CheckConstraint(
            "owner_type = 'platform' OR balance >= 0",
            name=op.f("ck_ledger_account_client_nonnegative"),
        ),
        sa.CheckConstraint(
            "owner_type IN ('entity', 'platform')", name=op.f("ck_ledger_account_owner_type_valid")
        ),
        sa.ForeignKeyConstraint(
            ["asset"], ["ledger_asset.code"], name=op.f("fk_ledger_account_asset_ledger_asset")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_account")),
        sa.UniqueConstraint(
            "owner_type",
            "owner_id",
            "asset",
            "bucket",
            name=op.f("uq_ledger_account_owner_type_owner_id_asset_bucket"),
        ),
    )
    op.create_table(
        "ledger_adjustment",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("asset", sa.String(length=12), nullable=False),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.UUID(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.UUID(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("batch_id", sa.UUID(), nullable=True),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_adjustment_amount_nonzero")),
        sa.CheckConstraint(
            f"bucket IN ({CLIENT_BUCKETS})", name=op.f("ck_ledger_adjustment_bucket_valid")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_ledger_adjustment_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["asset"], ["ledger_asset.code"], name=op.f("fk_ledger_adjustment_asset_ledger_asset")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["ledger_batch.id"],
            name=op.f("fk_ledger_adjustment_batch_id_ledger_batch"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_adjustment")),
    )
    op.create_index("ix_ledger_adjustment_entity", "ledger_adjustment", ["entity_id", "id"])
    op.create_index("ix_ledger_adjustment_status", "ledger_adjustment", ["status", "id"])
    op.create_table(
        "ledger_daily_balance",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("opening", sa.BigInteger(), nullable=False),
        sa.Column("debits", sa.BigInteger(), nullable=False),
        sa.Column("credits", sa.BigInteger(), nullable=False),
        sa.Column("closing", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_account.id"],
            name=op.f("fk_ledger_daily_balance_account_id_ledger_account"),
        ),
        sa.PrimaryKeyConstraint("day", "account_id", name=op.f("pk_ledger_daily_balance")),
    )
    op.create_table(
        "ledger_transfer",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("batch_id", sa.UUID(), nullable=False),
        sa.Column("debit_account_id", sa.UUID(), nullable=False),
        sa.Column("credit_account_id", sa.UUID(), nullable=False),
        sa.Column("asset", sa.String(length=12), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("reference_type", sa.String(length=40), nullable=True),
        sa.Column("reference_id", sa.String(length=100), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_ledger_transfer_amount_positive")),
        sa.CheckConstraint(
            "debit_account_id <> credit_account_id",
            name=op.f("ck_ledger_transfer_distinct_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["ledger_batch.id"], name=op.f("fk_ledger_transfer_batch_id_ledger_batch")
        ),
        sa.ForeignKeyConstraint(
            ["credit_account_id"],
            ["ledger_account.id"],
            name=op.f("fk_ledger_transfer_credit_account_id_ledger_account"),
        ),
        sa.ForeignKeyConstraint(
            ["debit_account_id"],
            ["ledger_account.id"],
            name=op.f("fk_ledger_transfer_debit_account_id_ledger_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_transfer")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_ledger_transfer_idempotency_key")),
    )
    op.create_index("ix_ledger_transfer_batch", "ledger_transfer", ["batch_id"])
    op.create_index("ix_ledger_transfer_created_at", "ledger_transfer", ["created_at"])
    op.create_index("ix_ledger_transfer_credit", "ledger_transfer", ["credit_account_id", "id"])
    op.create_index("ix_ledger_transfer_debit", "ledger_transfer", ["debit_account_id", "id"])
    op.create_index(
        "ix_ledger_transfer_reference", "ledger_transfer", ["reference_type", "reference_id"]
    )

    # Transfers and batches are immutable: corrections are new transfers, never edits.
    op.execute(
        """
        CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$;
        CREATE TRIGGER ledger_transfer_no_update BEFORE UPDATE OR DELETE ON ledger_transfer
            FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
        CREATE TRIGGER ledger_transfer_no_truncate BEFORE TRUNCATE ON ledger_transfer
            FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
        CREATE TRIGGER ledger_batch_no_update BEFORE UPDATE OR DELETE ON ledger_batch
            FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
        CREATE TRIGGER ledger_batch_no_truncate BEFORE TRUNCATE ON ledger_batch
            FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
        """
    )

    # Reference data: the assets, and the platform's accounts for each of them.
    now = datetime.now(UTC)
    asset_table = sa.table(
        "ledger_asset",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("kind", sa.String),
        sa.column("scale", sa.SmallInteger),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        asset_table,
        [
            {"code": code, "name": name, "kind": kind, "scale": scale, "created_at": now}
            for code, name, kind, scale in ASSETS
        ],
    )
    account_table = sa.table(
        "ledger_account",
        sa.column("id", sa.UUID),
        sa.column("owner_type", sa.String),
        sa.column("owner_id", sa.UUID),
        sa.column("asset", sa.String),
        sa.column("bucket", sa.String),
        sa.column("balance", sa.BigInteger),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        account_table,
        [
            {
                "id": new_id(),
                "owner_type": "platform",
                "owner_id": PLATFORM_OWNER_ID,
                "asset": code,
                "bucket": bucket,
                "balance": 0,
                "created_at": now,
                "updated_at": now,
            }
            for code, _name, _kind, _scale in ASSETS
            for bucket in ("bank", "registry", "fees", "suspense")
        ],
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS ledger_batch_no_truncate ON ledger_batch")
    op.execute("DROP TRIGGER IF EXISTS ledger_batch_no_update ON ledger_batch")
    op.execute("DROP TRIGGER IF EXISTS ledger_transfer_no_truncate ON ledger_transfer")
    op.execute("DROP TRIGGER IF EXISTS ledger_transfer_no_update ON ledger_transfer")
    op.execute("DROP FUNCTION IF EXISTS ledger_append_only()")
    op.drop_index("ix_ledger_transfer_reference", table_name="ledger_transfer")
    op.drop_index("ix_ledger_transfer_debit", table_name="ledger_transfer")
    op.drop_index("ix_ledger_transfer_credit", table_name="ledger_transfer")
    op.drop_index("ix_ledger_transfer_created_at", table_name="ledger_transfer")
    op.drop_index("ix_ledger_transfer_batch", table_name="ledger_transfer")
    op.drop_table("ledger_transfer")
    op.drop_table("ledger_daily_balance")
    op.drop_index("ix_ledger_adjustment_status", table_name="ledger_adjustment")
    op.drop_index("ix_ledger_adjustment_entity", table_name="ledger_adjustment")
    op.drop_table("ledger_adjustment")
    op.drop_table("ledger_account")
    op.drop_table("ledger_daily_reconciliation")
    op.drop_table("ledger_batch")
    op.drop_table("ledger_asset")
