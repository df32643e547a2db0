"""Notification tables: the email queue (the row is the source of truth for delivery)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from niha.core.db import Base, created_at_column, uuid_pk

EMAIL_STATUSES = ("queued", "sent", "failed")


class EmailMessageRow(Base):
    """One outgoing email, rendered when queued, delivered by a job after commit."""

    __tablename__ = "notifications_email"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sent', 'failed')", name="status"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index(
            "ix_notifications_email_due",
            "next_attempt_at",
            postgresql_where="status = 'queued'",
        ),
        Index("ix_notifications_email_to_address_created_at", "to_address", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    to_address: Mapped[str] = mapped_column(String(320), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    text_body: Mapped[str] = mapped_column(Text, nullable=False)
    html_body: Mapped[str] = mapped_column(Text, nullable=False)
    template: Mapped[str] = mapped_column(String(100), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="queued")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = created_at_column()
