"""Alembic environment: runs migrations on the URL given by ``niha.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from niha.core.db import sqlalchemy_url
from niha.jobs.schema import include_name
from niha.models import metadata

config = context.config
target_metadata = metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("niha.url")
    if not url:
        raise RuntimeError("no database URL: run migrations through `niha migrate`")
    engine = create_engine(sqlalchemy_url(url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported")
run_migrations_online()
