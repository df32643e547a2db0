"""Database engine, declarative base and the request/job unit of work.

One request or one job run is one transaction. Services take a session and never
commit; the session dependency (or the job runner) commits, and only then are the
outbox events of that transaction published.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import orjson
import psycopg
from sqlalchemy import DateTime, MetaData, Table
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from niha.core.clock import utcnow
from niha.core.ids import new_id
from niha.core.pipeline import Statements

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: DateTime(timezone=True),
        uuid.UUID: UUID(as_uuid=True),
    }


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=new_id)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


def sqlalchemy_url(plain_url: str) -> str:
    """``postgresql://...`` -> the URL with this service's driver (psycopg 3)."""
    parts = urlsplit(plain_url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in {"postgresql", "postgres"}:
        raise ValueError(f"unsupported database URL scheme: {parts.scheme!r}")
    return urlunsplit(("postgresql+psycopg", *parts[1:]))


def plain_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql", *parts[1:]))


def make_engine(plain: str, **kwargs: Any) -> AsyncEngine:
    # No pre-ping (a round trip on every checkout, a third of a small request's cost):
    # a connection found dead while in use fails that one request, and SQLAlchemy then
    # invalidates every older connection of the pool ("optimistic" disconnect handling).
    # A pool of 20 kept: a connection beyond the pool is opened for one checkout and
    # closed after it (a new PostgreSQL backend each time, ~4 ms of the two processes'
    # CPU). With 10, eight market makers sending an Idempotency-Key with each order (its
    # middleware holds a connection before and after the order's group) opened 200-450
    # connections in 8 seconds. PostgreSQL's default max_connections (100) leaves room
    # for two processes and tools.
    options: dict[str, Any] = {
        "pool_pre_ping": False,
        "pool_recycle": 1800,
        "pool_size": 20,
        "max_overflow": 20,
        "connect_args": {"options": connect_options(plain)},
    }
    options.update(kwargs)
    return create_async_engine(sqlalchemy_url(plain), **options)


#: The planner's cost of a random page read, for this service's connections: 1.1 (solid
#: state storage, where a random read costs about what a sequential one does), not
#: PostgreSQL's default 4 (spinning disks). With 4, the foreign-key checks of every
#: ledger transfer (``SELECT 1 FROM ledger_account WHERE id = $1 FOR KEY SHARE``) read a
#: small table -- the ledger's accounts, a few pages whose balance rows are updated all
#: day and so hold many dead versions -- page by page instead of through its primary key,
#: and the backend keeps that plan. Measured in docs/benchmarks.md.
PLANNER_OPTIONS = "-c random_page_cost=1.1"


def connect_options(plain: str) -> str:
    """The ``options`` of the service's connections: the URL's own (``?options=...``, e.g.
    a ``statement_timeout``), then :data:`PLANNER_OPTIONS` -- given to the driver apart,
    they would replace the URL's."""
    return " ".join([*parse_qs(urlsplit(plain).query).get("options", []), PLANNER_OPTIONS])


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


async def driver_connection(session: AsyncSession) -> Any:
    """The psycopg connection under ``session`` (same transaction), pending ORM rows flushed.

    For hot paths that send plain SQL: SQLAlchemy's per-statement overhead is several
    times the driver's own.
    """
    if session.new or session.dirty or session.deleted:
        await session.flush()
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def fetch(session: AsyncSession, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Run plain SQL on ``session``'s transaction; its rows (none for a statement without)."""
    driver = await driver_connection(session)
    async with driver.cursor() as cursor:
        await cursor.execute(query, params)
        if cursor.description is None and driver.pgconn.pipeline_status:
            # Pipeline mode (see :func:`send`): the result is not read yet.
            try:
                pipelined: list[tuple[Any, ...]] = await cursor.fetchall()
            except psycopg.ProgrammingError:  # a statement without rows
                return []
            return pipelined
        rows: list[tuple[Any, ...]] = await cursor.fetchall() if cursor.description else []
        return rows


def json_rows(rows: Iterable[Any], columns: Sequence[str]) -> str:
    """Objects as a JSON array of records, for :func:`insert_records`/:func:`update_records`.

    One parameter per table however many rows and columns: a statement with few
    parameters is parsed once per process (psycopg caches it), one array per column is not.
    """
    # orjson writes UUIDs and aware datetimes itself (ISO 8601 with offset), several
    # times faster than json with a default hook: this is on every order's path.
    return orjson.dumps([{name: getattr(row, name) for name in columns} for row in rows]).decode()


def insert_records(table: Table, param: str) -> str:
    """``INSERT`` the JSON records of ``%(param)s`` (every column) into ``table``."""
    return (
        f"INSERT INTO {table.name} SELECT * FROM "
        f"jsonb_populate_recordset(NULL::{table.name}, %({param})s::jsonb)"
    )


def update_records(table: Table, key: str, columns: Sequence[str], param: str) -> str:
    """``UPDATE`` ``columns`` of the rows of ``table`` matched on ``key`` to the JSON records."""
    sets = ", ".join(f"{n} = v.{n}" for n in columns)
    return (
        f"UPDATE {table.name} AS t SET {sets} FROM "
        f"jsonb_populate_recordset(NULL::{table.name}, %({param})s::jsonb) AS v "
        f"WHERE t.{key} = v.{key}"
    )


AfterCommit = Callable[[], Awaitable[None]]


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run ``callback`` once the unit of work that owns ``session`` has committed."""
    session.info.setdefault("after_commit", []).append(callback)


async def run_after_commit(session: AsyncSession) -> None:
    callbacks: list[AfterCommit] = session.info.pop("after_commit", [])
    for callback in callbacks:
        await callback()


def discard_after_commit(session: AsyncSession) -> None:
    session.info.pop("after_commit", None)


def has_work(session: AsyncSession) -> bool:
    """Whether committing ``session`` would do anything: a transaction is open, objects
    wait to be flushed, or something waits for the commit (an event emitted: its outbox
    row is written at commit). Committing a session that did nothing costs the ORM's
    whole commit machinery for nothing -- on every order placed (its request only reads
    cached terms)."""
    return bool(
        session.in_transaction()
        or session.new
        or session.dirty
        or session.deleted
        or session.info.get("after_commit")
    )


@asynccontextmanager
async def unit_of_work(
    maker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """Yield a session; commit when the body succeeds, roll back when it raises."""
    async with maker() as session:
        session.info["maker"] = maker
        try:
            yield session
            if has_work(session):
                await session.commit()
        except BaseException:
            await session.rollback()
            discard_after_commit(session)
            raise
        await run_after_commit(session)


class Database:
    """The engine and session factory of one process (or of one test)."""

    def __init__(self, plain: str, **engine_kwargs: Any) -> None:
        self.url = plain
        self.engine = make_engine(plain, **engine_kwargs)
        self.maker = make_sessionmaker(self.engine)

    async def autocommit(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        """One statement as a transaction of its own (autocommit), on a connection of the
        pool and without an ORM session: one round trip. Its rows (none for a statement
        without).

        For what a request does apart from its own unit of work: the checks every request
        makes first (the caller's session), the idempotency keys. Inside a transaction
        they would cost a ``BEGIN`` and a ``COMMIT`` more."""
        async with self.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            await driver.set_autocommit(True)
            try:
                async with driver.cursor() as cursor:
                    await cursor.execute(query, params)
                    rows: list[tuple[Any, ...]] = (
                        await cursor.fetchall() if cursor.description else []
                    )
                    return rows
            finally:
                await driver.set_autocommit(False)

    async def maintenance_warnings(self) -> list[str]:
        """What in the server's configuration will slow the service down as it runs.

        Autovacuum off: nothing analyses the tables as they grow, and the plans
        PostgreSQL keeps for the service's prepared statements and foreign-key checks,
        made while the order and ledger tables were small, keep reading them page by page
        (docs/runbook.md, "PostgreSQL")."""
        rows = await self.autocommit("SELECT current_setting('autovacuum')")
        if rows and rows[0][0] != "on":
            return [
                "autovacuum is off on this PostgreSQL server: run VACUUM ANALYZE "
                "regularly, or order placement slows down as the tables grow"
            ]
        return []

    async def dispose(self) -> None:
        await self.engine.dispose()


class Sent:
    """A statement sent on a psycopg connection, its rows read later (:func:`send`)."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    async def rows(self) -> list[tuple[Any, ...]]:
        """Its rows (a statement that returns rows); in pipeline mode, this reads
        everything sent so far (one round trip for all of it)."""
        if self._cursor is None:
            raise TypeError("a statement added to core.pipeline.Statements has no rows to read")
        try:
            rows: list[tuple[Any, ...]] = await self._cursor.fetchall()
            return rows
        finally:
            await self._cursor.close()


async def send(driver: Any, query: str, params: Any = None) -> Sent:
    """Execute ``query`` on ``driver`` (a psycopg connection) without reading its rows.

    In pipeline mode (``async with driver.pipeline()``) the statement is only queued:
    statements sent one after the other travel in one round trip, at the first read.
    ``driver`` may also be a :class:`~niha.core.pipeline.Statements`, which collects the
    statement for its own round trip (its rows are never read).
    """
    if isinstance(driver, Statements):
        driver.add(query, params)
        return Sent(None)
    cursor = driver.cursor()
    await cursor.execute(query, params)
    return Sent(cursor)


@dataclass(frozen=True)
class Expectation:
    """A condition that a transaction decided on remembered state relies on: a boolean
    SQL expression with psycopg named parameters (``%(name)s``), and what it is about."""

    condition: str
    params: Mapping[str, Any]
    what: str


async def send_expectations(driver: Any, expectations: Sequence[Expectation]) -> None:
    """Check every one of ``expectations`` in ONE statement on ``driver`` (sent, not read,
    in pipeline mode): the first that does not hold fails the transaction with a
    serialization failure (``niha_expect``), so nothing of it is written.

    In READ COMMITTED a statement sees what was committed when it started: send it after
    the locks whose holders' writes it must see. Each expectation's parameters are
    renamed apart; the statement's text depends only on which expectations there are.
    """
    if not expectations:
        return
    checks: list[str] = []
    params: dict[str, Any] = {}
    for n, expectation in enumerate(expectations):
        condition = expectation.condition
        for name, value in expectation.params.items():
            condition = condition.replace(f"%({name})s", f"%(x{n}_{name})s")
            params[f"x{n}_{name}"] = value
        params[f"x{n}__what"] = expectation.what
        checks.append(f"niha_expect({condition}, %(x{n}__what)s)")
    await send(driver, "SELECT " + ", ".join(checks), params)
