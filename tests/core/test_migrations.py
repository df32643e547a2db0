"""Models and migrations agree: the migrated schema has exactly what the models declare."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from niha.core.db import sqlalchemy_url
from niha.jobs.schema import include_name
from niha.migrate import alembic_config
from niha.models import metadata


def test_models_match_migrations(database_url: str) -> None:
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": include_name}
            )
            diff: list[Any] = compare_metadata(ctx, metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_single_migration_head() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"migrations have several heads, add a merge revision: {heads}"


def test_outbox_events_are_compressed_with_lz4_where_the_server_can(database_url: str) -> None:
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as conn:
            supported = conn.exec_driver_sql(
                "SELECT count(*) FROM pg_settings WHERE name = 'default_toast_compression' "
                "AND 'lz4' = ANY(enumvals)"
            ).scalar()
            method = conn.exec_driver_sql(
                "SELECT attcompression FROM pg_attribute "
                "WHERE attrelid = 'core_outbox_batch'::regclass AND attname = 'events'"
            ).scalar()
    finally:
        engine.dispose()
    assert method == ("l" if supported else "")
