"""The outbox holds one row per transaction (its events in order), not one per event.

An order placed wrote about five outbox rows and marked each of them published with an
UPDATE that could not be HOT (the partial index of unpublished rows): with the indexes,
more than half of PostgreSQL's row work per order. A batch row carries every event of
the transaction that wrote it; its id is the id of its first event. The rows of
``core_outbox_event`` move over as batches of one, in order.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 17:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "core_outbox_batch",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("events", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_outbox_batch")),
        sa.UniqueConstraint("seq", name=op.f("uq_core_outbox_batch_seq")),
    )
    op.create_index(
        "ix_core_outbox_batch_unpublished",
        "core_outbox_batch",
        ["created_at"],
        unique=False,
        postgresql_where="published_at IS NULL",
    )
    op.execute(
        """
        INSERT INTO core_outbox_batch (id, events, created_at, published_at)
        SELECT id,
               jsonb_build_array(jsonb_build_object(
                   'id', id, 'channel', channel, 'event', event, 'data', data,
                   'entity_id', entity_id, 'user_id', user_id, 'created_at', created_at)),
               created_at, published_at
        FROM core_outbox_event ORDER BY seq
        """
    )
    op.drop_index(
        "ix_core_outbox_event_unpublished",
        table_name="core_outbox_event",
        postgresql_where="published_at IS NULL",
    )
    op.drop_table("core_outbox_event")


def downgrade() -> None:
    op.create_table(
        "core_outbox_event",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("event", sa.String(length=100), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=True),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_outbox_event")),
        sa.UniqueConstraint("seq", name=op.f("uq_core_outbox_event_seq")),
    )
    op.create_index(
        "ix_core_outbox_event_unpublished",
        "core_outbox_event",
        ["created_at"],
        unique=False,
        postgresql_where="published_at IS NULL",
    )
    op.execute(
        """
        INSERT INTO core_outbox_event
            (id, channel, event, data, entity_id, user_id, created_at, published_at)
        SELECT e.id, e.channel, e.event, e.data, e.entity_id, e.user_id, e.created_at,
               b.published_at
        FROM core_outbox_batch AS b,
             ROWS FROM (jsonb_to_recordset(b.events)
                            AS (id uuid, channel text, event text, data jsonb, entity_id uuid,
                                user_id uuid, created_at timestamptz)) WITH ORDINALITY
                 AS e(id, channel, event, data, entity_id, user_id, created_at, n)
        ORDER BY b.seq, e.n
        """
    )
    op.drop_index(
        "ix_core_outbox_batch_unpublished",
        table_name="core_outbox_batch",
        postgresql_where="published_at IS NULL",
    )
    op.drop_table("core_outbox_batch")
