"""Identity tables: users, sessions (refresh-token families), refresh tokens, invitations,
password resets. Opaque tokens are stored only as SHA-256 (``core.security.hash_token``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from niha.core.db import Base, created_at_column, uuid_pk

STAFF_ROLES_SQL = "'super_admin', 'admin', 'compliance', 'operations'"
ENTITY_ROLES_SQL = "'owner', 'trader', 'viewer'"
STATUSES_SQL = "'active', 'disabled', 'invited'"


class User(Base):
    """A person who logs in: staff (``role``) or a member of an entity (``entity_role``).

    ``email`` is stored lower-cased, so the unique constraint is case-insensitive.
    ``entity_id`` refers to the onboarding domain's entity by id (no FK across domains).
    """

    __tablename__ = "identity_user"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint(f"role IS NULL OR role IN ({STAFF_ROLES_SQL})", name="role_valid"),
        CheckConstraint(
            f"entity_role IS NULL OR entity_role IN ({ENTITY_ROLES_SQL})",
            name="entity_role_valid",
        ),
        CheckConstraint(f"status IN ({STATUSES_SQL})", name="status_valid"),
        CheckConstraint("(role IS NULL) <> (entity_role IS NULL)", name="staff_xor_entity_member"),
        CheckConstraint("role IS NULL OR entity_id IS NULL", name="staff_has_no_entity"),
        CheckConstraint(
            "status <> 'active' OR password_hash IS NOT NULL", name="active_has_password"
        ),
        CheckConstraint("failed_login_count >= 0", name="failed_login_count_nonnegative"),
        Index("ix_identity_user_created_at_id", "created_at", "id"),
        Index(
            "ix_identity_user_entity_id",
            "entity_id",
            postgresql_where="entity_id IS NOT NULL",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String(320), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    entity_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    entity_role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    failed_login_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuthSession(Base):
    """A login: the family of the refresh tokens rotated from it. The access JWT carries its id
    (``sid``); revoking the row ends the refresh chain and every access token at once."""

    __tablename__ = "identity_session"
    __table_args__ = (Index("ix_identity_session_user_id", "user_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), nullable=False
    )
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(50), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(Text, nullable=True)


class RefreshToken(Base):
    """One refresh token of a session; ``used_at`` is set when it is rotated. Presenting a used
    token again is theft or a replay: the whole session (family) is revoked."""

    __tablename__ = "identity_refresh_token"
    __table_args__ = (Index("ix_identity_refresh_token_session_id", "session_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_session.id", ondelete="CASCADE"), nullable=False
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Invitation(Base):
    """A single-use link that lets an invited user (status ``invited``) set a password."""

    __tablename__ = "identity_invitation"
    __table_args__ = (Index("ix_identity_invitation_user_id", "user_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), nullable=False
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    invited_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PasswordReset(Base):
    """A single-use password-reset link."""

    __tablename__ = "identity_password_reset"
    __table_args__ = (Index("ix_identity_password_reset_user_id", "user_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("identity_user.id", ondelete="CASCADE"), nullable=False
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
