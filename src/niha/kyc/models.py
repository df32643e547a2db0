"""KYC tables: the documents an entity uploads, and their review.

The file itself lives in the storage directory under ``storage_key`` (a generated name, never
the uploaded one) and is identified by its SHA-256. A document the client deletes is kept as a
row (``deleted_at``) for the record; its file is removed. ``entity_id`` is a foreign key to
``onboarding_entity``: a document never outlives its entity.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from niha.core.db import Base, created_at_column, uuid_pk

DOCUMENT_TYPES_SQL = (
    "'passport', 'national_id', 'proof_of_address', 'company_registration', "
    "'articles_of_association', 'shareholder_register', 'ubo_declaration'"
)
DOCUMENT_STATUSES_SQL = "'PENDING_REVIEW', 'APPROVED', 'REJECTED'"
CONTENT_TYPES_SQL = "'application/pdf', 'image/png', 'image/jpeg'"


class KycDocument(Base):
    __tablename__ = "kyc_document"
    __table_args__ = (
        CheckConstraint(f"document_type IN ({DOCUMENT_TYPES_SQL})", name="document_type_valid"),
        CheckConstraint(f"status IN ({DOCUMENT_STATUSES_SQL})", name="status_valid"),
        CheckConstraint(f"content_type IN ({CONTENT_TYPES_SQL})", name="content_type_valid"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        CheckConstraint(
            "status <> 'REJECTED' OR rejection_reason IS NOT NULL", name="rejected_has_reason"
        ),
        Index("ix_kyc_document_entity_id_created_at", "entity_id", "created_at"),
        Index(
            "ix_kyc_document_queue",
            "status",
            "created_at",
            "id",
            postgresql_where="deleted_at IS NULL",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    entity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("onboarding_entity.id", ondelete="RESTRICT"), nullable=False
    )
    document_type: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(50), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    client_notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    rejection_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
