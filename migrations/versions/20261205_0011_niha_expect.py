"""niha_expect(ok, what): a guard for transactions planned on remembered state.

A statement that calls it with ``ok`` false fails with SQLSTATE 40001 (serialization
failure), so the transaction writes nothing and its caller runs it again the careful way
(the exchange's groups of orders, see docs/exchange.md).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 15:40:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION niha_expect(ok boolean, what text) RETURNS boolean
        LANGUAGE plpgsql AS $$
        BEGIN
            IF ok IS NOT TRUE THEN
                RAISE EXCEPTION 'niha: % changed since it was remembered', what
                    USING ERRCODE = 'serialization_failure';
            END IF;
            RETURN true;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION niha_expect(boolean, text)")
