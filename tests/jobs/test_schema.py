"""procrastinate's schema: applied by migration 0003 from a pinned copy, reversible."""

from __future__ import annotations

import importlib.util
import os
from importlib import resources
from typing import Any

import procrastinate
import psycopg
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from niha.core.db import sqlalchemy_url
from niha.jobs.schema import PROCRASTINATE_SCHEMA_VERSION, include_name
from niha.migrate import ROOT, alembic_config, upgrade
from niha.models import metadata
from tests import dbutil


def _migration() -> Any:
    path = ROOT / "migrations" / "versions" / "20261129_0003_platform.py"
    spec = importlib.util.spec_from_file_location("platform_migration", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_installed_procrastinate_is_the_version_whose_schema_we_apply() -> None:
    """Bumping procrastinate needs a migration applying its sql/migrations/ in between."""
    assert procrastinate.__version__ == PROCRASTINATE_SCHEMA_VERSION, (
        "procrastinate was upgraded: add a migration applying its sql/migrations/*.sql "
        "from the old to the new version, then update PROCRASTINATE_SCHEMA_VERSION"
    )
    migration = _migration()
    assert migration.PROCRASTINATE_VERSION == PROCRASTINATE_SCHEMA_VERSION
    shipped = (resources.files("procrastinate.sql") / "schema.sql").read_text(encoding="utf-8")
    assert migration.PROCRASTINATE_SQL.read_text(encoding="utf-8") == shipped


def _objects(url: str) -> tuple[set[str], int, int]:
    with psycopg.connect(url) as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        }
        functions = conn.execute(
            "SELECT count(*) FROM pg_proc WHERE proname LIKE 'procrastinate%'"
        ).fetchone()
        types = conn.execute(
            "SELECT count(*) FROM pg_type WHERE typname LIKE 'procrastinate%'"
        ).fetchone()
    assert functions and types
    return tables, functions[0], types[0]


def test_platform_migration_downgrades_and_upgrades_again(server_url: str) -> None:
    prefix = os.environ.get("NIHA_TEST_DB_PREFIX", "niha_test")
    name = f"{prefix}_roundtrip_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    url = dbutil.recreate(server_url, name)
    try:
        upgrade(url, "0003")
        tables, functions, types = _objects(url)
        assert {
            "notifications_email",
            "procrastinate_jobs",
            "procrastinate_periodic_defers",
        } <= tables
        assert functions > 10 and types >= 3
        command.downgrade(alembic_config(url), "0001")
        tables, functions, types = _objects(url)
        assert not {t for t in tables if t.startswith(("procrastinate", "notifications"))}
        assert functions == 0 and types == 0
        upgrade(url, "0003")
        assert "procrastinate_jobs" in _objects(url)[0]
    finally:
        dbutil.drop(server_url, name)


def test_platform_tables_match_the_models(database_url: str) -> None:
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": include_name}
            )
            diff: list[Any] = compare_metadata(ctx, metadata)
    finally:
        engine.dispose()
    mine = [d for d in diff if "notifications_" in repr(d) or "procrastinate" in repr(d)]
    assert mine == []
