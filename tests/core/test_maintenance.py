"""``niha serve`` says when the database server will slow it down (autovacuum off)."""

from __future__ import annotations

import psycopg
from structlog.testing import capture_logs

from niha.core.db import Database
from niha.runtime import warn_maintenance


async def test_the_warning_follows_the_servers_autovacuum_setting(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SHOW autovacuum").fetchone()
    assert row is not None
    db = Database(database_url)
    try:
        warnings = await db.maintenance_warnings()
    finally:
        await db.dispose()
    if row[0] == "on":
        assert warnings == []
    else:
        assert len(warnings) == 1 and "autovacuum is off" in warnings[0]


class _Unvacuumed(Database):
    async def maintenance_warnings(self) -> list[str]:
        return ["autovacuum is off on this PostgreSQL server"]


async def test_serve_logs_each_warning(database_url: str) -> None:
    db = _Unvacuumed(database_url)
    try:
        with capture_logs() as logs:
            await warn_maintenance(db)
    finally:
        await db.dispose()
    assert [(e["event"], e["log_level"], e["problem"]) for e in logs] == [
        ("database_maintenance", "warning", "autovacuum is off on this PostgreSQL server")
    ]
