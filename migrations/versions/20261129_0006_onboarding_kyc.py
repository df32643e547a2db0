"""onboarding and kyc: contact requests, entities, KYC documents

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 22:18:24.702967+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "onboarding_contact_request",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("interest", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("handled_by", sa.UUID(), nullable=True),
        sa.Column("invited_user_id", sa.UUID(), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "interest IN ('EUA', 'CEA', 'EUA_AND_CEA', 'SWAPS', 'MARKET_MAKING', 'OTHER')",
            name=op.f("ck_onboarding_contact_request_interest_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('NEW', 'CONTACTED', 'CONVERTED', 'CLOSED')",
            name=op.f("ck_onboarding_contact_request_status_valid"),
        ),
        sa.CheckConstraint(
            "email = lower(email)", name=op.f("ck_onboarding_contact_request_email_lowercase")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding_contact_request")),
    )
    op.create_index(
        "ix_onboarding_contact_request_created_at_id",
        "onboarding_contact_request",
        ["created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_onboarding_contact_request_status_created_at",
        "onboarding_contact_request",
        ["status", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "onboarding_entity",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("entity_type", sa.String(length=20), nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=True),
        sa.Column("registration_number", sa.String(length=100), nullable=True),
        sa.Column("jurisdiction", sa.String(length=6), nullable=True),
        sa.Column("address_line1", sa.String(length=200), nullable=True),
        sa.Column("address_line2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("tax_id", sa.String(length=50), nullable=True),
        sa.Column("incorporation_date", sa.Date(), nullable=True),
        sa.Column("website", sa.String(length=300), nullable=True),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_updated_by", sa.UUID(), nullable=True),
        sa.Column("suspended_from", sa.String(length=20), nullable=True),
        sa.Column("kyc_status", sa.String(length=20), nullable=False),
        sa.Column("review_comments", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "country IS NULL OR country ~ '^[A-Z]{2}$'",
            name=op.f("ck_onboarding_entity_country_alpha2"),
        ),
        sa.CheckConstraint(
            "entity_type IN ('COMPANY', 'INDIVIDUAL')",
            name=op.f("ck_onboarding_entity_entity_type_valid"),
        ),
        sa.CheckConstraint(
            "jurisdiction IS NULL OR jurisdiction ~ '^[A-Z]{2}(-[A-Z0-9]{1,3})?$'",
            name=op.f("ck_onboarding_entity_jurisdiction_format"),
        ),
        sa.CheckConstraint(
            "kyc_status IN ('NOT_STARTED', 'IN_PROGRESS', 'SUBMITTED', 'APPROVED', 'REJECTED')",
            name=op.f("ck_onboarding_entity_kyc_status_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('DRAFT', 'PENDING_REVIEW', 'CHANGES_REQUESTED', 'APPROVED', 'SUSPENDED')",
            name=op.f("ck_onboarding_entity_status_valid"),
        ),
        sa.CheckConstraint(
            "suspended_from IS NULL OR suspended_from IN ('DRAFT', 'PENDING_REVIEW', 'CHANGES_REQUESTED', 'APPROVED', 'SUSPENDED')",
            name=op.f("ck_onboarding_entity_suspended_from_valid"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding_entity")),
    )
    op.create_index(
        "ix_onboarding_entity_created_at_id",
        "onboarding_entity",
        ["created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_onboarding_entity_status_created_at",
        "onboarding_entity",
        ["status", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "kyc_document",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("client_notes", sa.Text(), nullable=True),
        sa.Column("uploaded_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.UUID(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by", sa.UUID(), nullable=True),
        sa.CheckConstraint(
            "content_type IN ('application/pdf', 'image/png', 'image/jpeg')",
            name=op.f("ck_kyc_document_content_type_valid"),
        ),
        sa.CheckConstraint(
            "document_type IN ('passport', 'national_id', 'proof_of_address', 'company_registration', 'articles_of_association', 'shareholder_register', 'ubo_declaration')",
            name=op.f("ck_kyc_document_document_type_valid"),
        ),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name=op.f("ck_kyc_document_sha256_hex")),
        sa.CheckConstraint(
            "status <> 'REJECTED' OR rejection_reason IS NOT NULL",
            name=op.f("ck_kyc_document_rejected_has_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('PENDING_REVIEW', 'APPROVED', 'REJECTED')",
            name=op.f("ck_kyc_document_status_valid"),
        ),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_kyc_document_size_positive")),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["onboarding_entity.id"],
            name=op.f("fk_kyc_document_entity_id_onboarding_entity"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kyc_document")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_kyc_document_storage_key")),
    )
    op.create_index(
        "ix_kyc_document_entity_id_created_at",
        "kyc_document",
        ["entity_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_kyc_document_queue",
        "kyc_document",
        ["status", "created_at", "id"],
        unique=False,
        postgresql_where="deleted_at IS NULL",
    )


def downgrade() -> None:
    op.drop_index("ix_onboarding_entity_status_created_at", table_name="onboarding_entity")
    op.drop_index("ix_onboarding_entity_created_at_id", table_name="onboarding_entity")
    op.drop_table("onboarding_entity")
    op.drop_index(
        "ix_onboarding_contact_request_status_created_at", table_name="onboarding_contact_request"
    )
    op.drop_index(
        "ix_onboarding_contact_request_created_at_id", table_name="onboarding_contact_request"
    )
    op.drop_table("onboarding_contact_request")
    op.drop_index(
        "ix_kyc_document_queue", table_name="kyc_document", postgresql_where="deleted_at IS NULL"
    )
    op.drop_index("ix_kyc_document_entity_id_created_at", table_name="kyc_document")
    op.drop_table("kyc_document")
