"""identity: users, sessions, refresh tokens, invitations, password resets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 22:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_user",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("entity_id", sa.UUID(), nullable=True),
        sa.Column("entity_role", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_enabled", sa.Boolean(), nullable=False),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("failed_login_count", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "entity_role IS NULL OR entity_role IN ('owner', 'trader', 'viewer')",
            name=op.f("ck_identity_user_entity_role_valid"),
        ),
        sa.CheckConstraint(
            "role IS NULL OR role IN ('super_admin', 'admin', 'compliance', 'operations')",
            name=op.f("ck_identity_user_role_valid"),
        ),
        sa.CheckConstraint(
            "status <> 'active' OR password_hash IS NOT NULL",
            name=op.f("ck_identity_user_active_has_password"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'disabled', 'invited')",
            name=op.f("ck_identity_user_status_valid"),
        ),
        sa.CheckConstraint(
            "(role IS NULL) <> (entity_role IS NULL)",
            name=op.f("ck_identity_user_staff_xor_entity_member"),
        ),
        sa.CheckConstraint("email = lower(email)", name=op.f("ck_identity_user_email_lowercase")),
        sa.CheckConstraint(
            "failed_login_count >= 0", name=op.f("ck_identity_user_failed_login_count_nonnegative")
        ),
        sa.CheckConstraint(
            "role IS NULL OR entity_id IS NULL", name=op.f("ck_identity_user_staff_has_no_entity")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_user")),
        sa.UniqueConstraint("email", name=op.f("uq_identity_user_email")),
    )
    op.create_index(
        "ix_identity_user_created_at_id", "identity_user", ["created_at", "id"], unique=False
    )
    op.create_index(
        "ix_identity_user_entity_id",
        "identity_user",
        ["entity_id"],
        unique=False,
        postgresql_where="entity_id IS NOT NULL",
    )
    op.create_table(
        "identity_invitation",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_user.id"],
            name=op.f("fk_identity_invitation_user_id_identity_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_identity_invitation_token_hash")),
    )
    op.create_index(
        "ix_identity_invitation_user_id", "identity_invitation", ["user_id"], unique=False
    )
    op.create_table(
        "identity_password_reset",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_user.id"],
            name=op.f("fk_identity_password_reset_user_id_identity_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_password_reset")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_identity_password_reset_token_hash")),
    )
    op.create_index(
        "ix_identity_password_reset_user_id", "identity_password_reset", ["user_id"], unique=False
    )
    op.create_table(
        "identity_session",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=50), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity_user.id"],
            name=op.f("fk_identity_session_user_id_identity_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_session")),
    )
    op.create_index("ix_identity_session_user_id", "identity_session", ["user_id"], unique=False)
    op.create_table(
        "identity_refresh_token",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["identity_session.id"],
            name=op.f("fk_identity_refresh_token_session_id_identity_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_refresh_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_identity_refresh_token_token_hash")),
    )
    op.create_index(
        "ix_identity_refresh_token_session_id",
        "identity_refresh_token",
        ["session_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_identity_refresh_token_session_id", table_name="identity_refresh_token")
    op.drop_table("identity_refresh_token")
    op.drop_index("ix_identity_session_user_id", table_name="identity_session")
    op.drop_table("identity_session")
    op.drop_index("ix_identity_password_reset_user_id", table_name="identity_password_reset")
    op.drop_table("identity_password_reset")
    op.drop_index("ix_identity_invitation_user_id", table_name="identity_invitation")
    op.drop_table("identity_invitation")
    op.drop_index(
        "ix_identity_user_entity_id",
        table_name="identity_user",
        postgresql_where="entity_id IS NOT NULL",
    )
    op.drop_index("ix_identity_user_created_at_id", table_name="identity_user")
    op.drop_table("identity_user")
