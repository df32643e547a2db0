"""platform: the email queue and procrastinate's job tables

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-29 23:00:00.000000+00:00

procrastinate's schema is applied from a copy of the SQL it ships for the pinned
version (``migrations/sql/procrastinate_<version>.sql``), never from the installed
package, so this migration does the same thing forever. Upgrading procrastinate takes a
new migration applying its ``sql/migrations/*.sql`` files between the two versions
(``tests/jobs/test_schema.py`` fails until the pinned version and the schema agree).
"""

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROCRASTINATE_VERSION = "3.10.0"
PROCRASTINATE_SQL = (
    Path(__file__).resolve().parents[1] / "sql" / f"procrastinate_{PROCRASTINATE_VERSION}.sql"
)


def upgrade() -> None:
    op.create_table(
        "notifications_email",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "attempts >= 0", name=op.f("ck_notifications_email_attempts_non_negative")
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'failed')", name=op.f("ck_notifications_email_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications_email")),
    )
    op.create_index(
        "ix_notifications_email_due",
        "notifications_email",
        ["next_attempt_at"],
        unique=False,
        postgresql_where="status = 'queued'",
    )
    op.create_index(
        "ix_notifications_email_to_address_created_at",
        "notifications_email",
        ["to_address", "created_at"],
        unique=False,
    )
    _run_script(PROCRASTINATE_SQL.read_text(encoding="utf-8"))


def _run_script(sql: str) -> None:
    """Run a multi-statement SQL script as is (no parameters, so ``%`` stays literal),
    on the migration's connection and inside its transaction."""
    with op.get_bind().connection.dbapi_connection.cursor() as cursor:
        cursor.execute(sql)


def downgrade() -> None:
    _run_script(
        """
        DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
            procrastinate_jobs, procrastinate_workers CASCADE;
        DO $$
        DECLARE fn record;
        BEGIN
            FOR fn IN
                SELECT p.oid::regprocedure AS signature
                FROM pg_proc p
                WHERE p.proname LIKE 'procrastinate\\_%'
                  AND p.pronamespace = current_schema()::regnamespace
            LOOP
                EXECUTE 'DROP FUNCTION IF EXISTS ' || fn.signature || ' CASCADE';
            END LOOP;
        END;
        $$;
        DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
            procrastinate_job_status CASCADE;
        """
    )
    op.drop_index("ix_notifications_email_to_address_created_at", table_name="notifications_email")
    op.drop_index(
        "ix_notifications_email_due",
        table_name="notifications_email",
        postgresql_where="status = 'queued'",
    )
    op.drop_table("notifications_email")
