"""The outbox batches' events compressed with lz4 (PostgreSQL's default, pglz, was the
largest single cost of PostgreSQL's work per order placed: a group's events are one
value of tens of kilobytes, compressed when written).

Where PostgreSQL was built without lz4 the column keeps the default.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 18:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        DO $$
        BEGIN
            ALTER TABLE core_outbox_batch ALTER COLUMN events SET COMPRESSION lz4;
        EXCEPTION WHEN feature_not_supported THEN
            RAISE NOTICE 'lz4 is not supported by this server: events keep pglz';
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("ALTER TABLE core_outbox_batch ALTER COLUMN events SET COMPRESSION default")
