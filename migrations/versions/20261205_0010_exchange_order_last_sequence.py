"""exchange orders: last_sequence, the instrument sequence of the command that last wrote
the order (a process whose cached book is behind reads only the orders changed since).

Existing orders get their own sequence (caches are rebuilt on start anyway).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 11:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("exchange_order", sa.Column("last_sequence", sa.BigInteger(), nullable=True))
    op.execute("UPDATE exchange_order SET last_sequence = sequence")
    op.alter_column("exchange_order", "last_sequence", nullable=False)
    op.create_index(
        "ix_exchange_order_changes", "exchange_order", ["instrument_id", "last_sequence"]
    )


def downgrade() -> None:
    op.drop_index("ix_exchange_order_changes", table_name="exchange_order")
    op.drop_column("exchange_order", "last_sequence")
