"""Onboarding tables: contact requests from prospects, and client entities (legal persons).

Users refer to their entity through ``identity_user.entity_id`` (by id, no FK across domains);
KYC documents through ``kyc_document.entity_id``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from niha.core.db import Base, created_at_column, uuid_pk

CONTACT_STATUSES_SQL = "'NEW', 'CONTACTED', 'CONVERTED', 'CLOSED'"
CONTACT_INTERESTS_SQL = "'EUA', 'CEA', 'EUA_AND_CEA', 'SWAPS', 'MARKET_MAKING', 'OTHER'"
ENTITY_TYPES_SQL = "'COMPANY', 'INDIVIDUAL'"
ENTITY_STATUSES_SQL = "'DRAFT', 'PENDING_REVIEW', 'CHANGES_REQUESTED', 'APPROVED', 'SUSPENDED'"
KYC_STATUSES_SQL = "'NOT_STARTED', 'IN_PROGRESS', 'SUBMITTED', 'APPROVED', 'REJECTED'"


class ContactRequest(Base):
    """A prospect asking for access through the public form."""

    __tablename__ = "onboarding_contact_request"
    __table_args__ = (
        CheckConstraint(f"status IN ({CONTACT_STATUSES_SQL})", name="status_valid"),
        CheckConstraint(f"interest IN ({CONTACT_INTERESTS_SQL})", name="interest_valid"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        Index("ix_onboarding_contact_request_created_at_id", "created_at", "id"),
        Index("ix_onboarding_contact_request_status_created_at", "status", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(320), nullable=False)
    company: Mapped[str | None] = mapped_column(String(200), nullable=True)
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    interest: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    handled_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    invited_user_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    invited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class Entity(Base):
    """A client: a company or an individual. Drafts may be incomplete; submitting checks that
    every required field and KYC document is there. ``kyc_status`` is kept in step with the
    entity and its documents by the KYC service (filterable, and one lookup for the gate)."""

    __tablename__ = "onboarding_entity"
    __table_args__ = (
        CheckConstraint(f"entity_type IN ({ENTITY_TYPES_SQL})", name="entity_type_valid"),
        CheckConstraint(f"status IN ({ENTITY_STATUSES_SQL})", name="status_valid"),
        CheckConstraint(f"kyc_status IN ({KYC_STATUSES_SQL})", name="kyc_status_valid"),
        CheckConstraint(
            f"suspended_from IS NULL OR suspended_from IN ({ENTITY_STATUSES_SQL})",
            name="suspended_from_valid",
        ),
        CheckConstraint("country IS NULL OR country ~ '^[A-Z]{2}$'", name="country_alpha2"),
        CheckConstraint(
            "jurisdiction IS NULL OR jurisdiction ~ '^[A-Z]{2}(-[A-Z0-9]{1,3})?$'",
            name="jurisdiction_format",
        ),
        Index("ix_onboarding_entity_created_at_id", "created_at", "id"),
        Index("ix_onboarding_entity_status_created_at", "status", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    entity_type: Mapped[str] = mapped_column(String(20), nullable=False)
    legal_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    registration_number: Mapped[str | None] = mapped_column(String(100), nullable=True)
    jurisdiction: Mapped[str | None] = mapped_column(String(6), nullable=True)
    address_line1: Mapped[str | None] = mapped_column(String(200), nullable=True)
    address_line2: Mapped[str | None] = mapped_column(String(200), nullable=True)
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    postal_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    tax_id: Mapped[str | None] = mapped_column(String(50), nullable=True)
    incorporation_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    website: Mapped[str | None] = mapped_column(String(300), nullable=True)
    contact_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    contact_phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    status_updated_at: Mapped[datetime] = created_at_column()
    status_updated_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    suspended_from: Mapped[str | None] = mapped_column(String(20), nullable=True)
    kyc_status: Mapped[str] = mapped_column(String(20), nullable=False)
    review_comments: Mapped[str | None] = mapped_column(Text, nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
