"""The outbox batches' events as ``json`` instead of ``jsonb``.

A batch is written once and read back whole by the relay; nothing queries inside it.
As ``jsonb`` PostgreSQL parsed every group's events into its binary form on the way in
(a group's are about 10 kB: ~0.16 ms of the server's work on the group's last round
trip); as ``json`` it only checks the text. The writers now pass the first event's id
and time beside the document instead of reading them out of it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 09:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A column that changes type takes the default compression: lz4 again (as migration 0013
# set it), where the server has it.
_LZ4 = """
    DO $$
    BEGIN
        ALTER TABLE core_outbox_batch ALTER COLUMN events SET COMPRESSION lz4;
    EXCEPTION WHEN feature_not_supported THEN
        RAISE NOTICE 'lz4 is not supported by this server: events keep pglz';
    END
    $$
"""


def upgrade() -> None:
    op.execute("ALTER TABLE core_outbox_batch ALTER COLUMN events TYPE json USING events::json")
    op.execute(_LZ4)


def downgrade() -> None:
    op.execute("ALTER TABLE core_outbox_batch ALTER COLUMN events TYPE jsonb USING events::jsonb")
    op.execute(_LZ4)
