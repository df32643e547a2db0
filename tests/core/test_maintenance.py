"""``niha serve`` says when the database server will slow it down (autovacuum off)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from niha import runtime
from niha.core.db import Database


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


class _Log:
    def __init__(self) -> None:
        self.warnings: list[tuple[str, dict[str, Any]]] = []

    def warning(self, event: str, **kw: Any) -> None:
        self.warnings.append((event, kw))


async def test_serve_logs_each_warning(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    log = _Log()
    monkeypatch.setattr(runtime, "log", log)
    db = _Unvacuumed(database_url)
    try:
        await runtime.warn_maintenance(db)
    finally:
        await db.dispose()
    assert log.warnings == [
        ("database_maintenance", {"problem": "autovacuum is off on this PostgreSQL server"})
    ]
