from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from niha.config import Settings
from niha.core.db import Database
from niha.jobs import app as jobs_app
from niha.jobs.app import JobRuntime
from niha.jobs.registry import JobSpec


@pytest.fixture(autouse=True)
def _no_current_runtime() -> Iterator[None]:
    yield
    jobs_app.set_current(None)


@pytest.fixture
async def fresh_db(fresh_database_url: str) -> AsyncIterator[Database]:
    db = Database(fresh_database_url, pool_size=4)
    yield db
    await db.dispose()


@pytest.fixture
async def make_runtime(
    fresh_db: Database, settings: Settings
) -> AsyncIterator[Callable[..., JobRuntime]]:
    """Job runtimes on the fresh database (each with its own App, pool and Database)."""
    made: list[tuple[JobRuntime, Database | None]] = []

    def make(jobs: list[JobSpec] | None = None, *, own_db: bool = False) -> JobRuntime:
        db = Database(fresh_db.url, pool_size=4) if own_db else fresh_db
        runtime = JobRuntime(db, settings, jobs=jobs)
        made.append((runtime, db if own_db else None))
        return runtime

    yield make
    for runtime, db in made:
        await runtime.close()
        if db is not None:
            await db.dispose()
