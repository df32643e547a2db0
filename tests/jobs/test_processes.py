"""``niha worker`` and ``niha serve`` (worker inside) run jobs, and stop cleanly."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from niha.config import Settings
from niha.core.db import Database, unit_of_work
from niha.jobs.app import JobRuntime
from niha.jobs.registry import get_job
from niha.notifications.service import DELIVER_JOB, queue_email, queued_emails
from tests.jobs.helpers import free_port, running, stop, subprocess_env, wait_http_ok, wait_until

pytestmark = pytest.mark.slow

NIHA = [sys.executable, "-c", "from niha.cli import main; main()"]


async def _queue_and_defer(db: Database, settings: Settings, token: str) -> None:
    """Commit a queued email, then defer its delivery from this (worker-less) process."""
    context = {"name": "Ann", "link": f"https://niha.example/reset/{token}", "expires_minutes": 5}
    async with unit_of_work(db.maker) as s:
        await queue_email(s, to="ann@example.com", template="password_reset", context=context)
    async with db.maker() as s:
        (row,) = await queued_emails(s)
    deferrer = JobRuntime(db, settings, jobs=[get_job(DELIVER_JOB)])
    await deferrer.open()
    try:
        assert await deferrer.defer(DELIVER_JOB, email_id=str(row.id)) is not None
    finally:
        await deferrer.close()


async def _delivered(outbox: Path, token: str) -> None:
    async def found() -> object:
        files = list(outbox.glob("*.eml")) if outbox.exists() else []
        return [f for f in files if token.encode() in f.read_bytes()]

    await wait_until(found, timeout=30)


async def test_niha_worker_process_runs_jobs_and_stops_on_sigterm(
    fresh_database_url: str, settings: Settings, tmp_path: Path
) -> None:
    var = tmp_path / "worker-var"
    env = subprocess_env(NIHA_DATABASE_URL=fresh_database_url, NIHA_VAR_DIR=str(var))
    log = tmp_path / "worker.log"
    db = Database(fresh_database_url, pool_size=2)
    try:
        with running([*NIHA, "worker", "--concurrency", "2"], env, log) as proc:
            await _queue_and_defer(db, settings, "from-worker")
            await _delivered(var / "outbox", "from-worker")
            assert stop(proc) == 0, log.read_text()[-4000:]
    finally:
        await db.dispose()
    assert "Traceback" not in log.read_text()


async def test_niha_serve_runs_a_worker_inside(
    fresh_database_url: str, settings: Settings, tmp_path: Path
) -> None:
    var = tmp_path / "serve-var"
    port = free_port()
    env = subprocess_env(NIHA_DATABASE_URL=fresh_database_url, NIHA_VAR_DIR=str(var))
    log = tmp_path / "serve.log"
    db = Database(fresh_database_url, pool_size=2)
    try:
        with running([*NIHA, "serve", "--port", str(port)], env, log) as proc:
            await wait_http_ok(f"http://127.0.0.1:{port}/healthz", proc, log)
            await _queue_and_defer(db, settings, "from-serve")
            await _delivered(var / "outbox", "from-serve")
            # uvicorn shuts down gracefully, then re-raises the signal it caught.
            assert stop(proc) in (0, -signal.SIGTERM), log.read_text()[-4000:]
    finally:
        await db.dispose()
    output = log.read_text()
    assert "Traceback" not in output
    assert "jobs_worker_stopped" in output  # the in-process worker was stopped by the lifespan
