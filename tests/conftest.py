"""Shared fixtures.

Every test database is built by the real Alembic migrations: a template database is
migrated once per run and cloned (``CREATE DATABASE ... TEMPLATE``) per xdist worker
and for tests that need real commits (``fresh_database_url``). Ordinary tests run in
a transaction that is rolled back; the app's sessions join it through savepoints.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from niha.config import Settings, get_settings
from niha.core.db import Database, make_engine
from niha.migrate import upgrade
from tests import dbutil

_clone_counter = itertools.count()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def server_url() -> str:
    return dbutil.base_url()


@pytest.fixture(scope="session")
def template_name(server_url: str) -> str:
    prefix = os.environ.get("NIHA_TEST_DB_PREFIX", "niha_test")
    name = f"{prefix}_tpl_{_worker()}"
    url = dbutil.recreate(server_url, name)
    upgrade(url)
    return name


@pytest.fixture(scope="session")
def database_url(server_url: str, template_name: str) -> Iterator[str]:
    name = f"{template_name.replace('_tpl_', '_db_')}"
    yield dbutil.recreate(server_url, name, template=template_name)


@pytest.fixture
def fresh_database_url(server_url: str, template_name: str) -> Iterator[str]:
    """A migrated database of its own, for tests that commit (races, multi-process)."""
    name = f"{template_name.replace('_tpl_', '_iso_')}_{next(_clone_counter)}"
    url = dbutil.recreate(server_url, name, template=template_name)
    yield url
    dbutil.drop(server_url, name)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[Any]:
    eng = make_engine(database_url, pool_size=5, max_overflow=5)
    yield eng
    await eng.dispose()


class RollbackDatabase(Database):
    """A :class:`Database` whose sessions all join one outer, rolled-back transaction."""

    def __init__(self, engine: Any, connection: AsyncConnection) -> None:
        self.url = str(engine.url)
        self.engine = engine
        self.connection = connection
        self.maker = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    async def autocommit(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        # Inside the test's transaction: it sees what the test has not committed.
        result = await self.connection.exec_driver_sql(query, params)
        return [tuple(row) for row in result] if result.returns_rows else []


@pytest.fixture
async def connection(engine: Any) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        trans = await conn.begin()
        try:
            yield conn
        finally:
            await trans.rollback()


@pytest.fixture
def db(engine: Any, connection: AsyncConnection) -> RollbackDatabase:
    return RollbackDatabase(engine, connection)


@pytest.fixture
async def session(db: RollbackDatabase) -> AsyncIterator[AsyncSession]:
    async with db.maker() as s:
        s.info["maker"] = db.maker
        yield s


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        var_dir=tmp_path / "var",
        secret_key="test-secret-key-" + "x" * 40,
        api_key_pepper="test-pepper-" + "y" * 40,
        web_dist=tmp_path / "dist",
        run_worker_in_serve=False,
    )


@pytest.fixture
def app(settings: Settings, db: RollbackDatabase) -> Any:
    from niha.app import create_app

    return create_app(settings, db=db, start_background=False)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 12345))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture
def cli_env(
    fresh_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A fresh database and ``var`` directory for the ``niha`` CLI (its settings come from
    the environment): the database's URL."""
    monkeypatch.setenv("NIHA_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("NIHA_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield fresh_database_url
    get_settings.cache_clear()
