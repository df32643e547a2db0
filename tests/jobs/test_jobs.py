"""Jobs on procrastinate: registry, one transaction per run, after-commit deferral,
retries, and periodic jobs deduplicated across workers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import text

from niha.core.db import Database, unit_of_work
from niha.jobs import app as jobs_app
from niha.jobs.app import JobRuntime, defer_after_commit
from niha.jobs.registry import JobContext, JobSpec, all_jobs, get_job, job
from niha.notifications.service import DELIVER_JOB, queue_email
from tests.jobs.helpers import wait_until

RESET = {"name": "Ann", "link": "https://niha.example/reset/worker-tok", "expires_minutes": 30}


async def scalar(db: Database, sql: str, **params: object) -> object:
    async with db.maker() as s:
        return await s.scalar(text(sql), params)


async def execute(db: Database, sql: str) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text(sql))


def test_registry_holds_the_platform_jobs() -> None:
    specs = {spec.name: spec for spec in all_jobs()}
    assert {
        "core.relay_outbox",
        "core.purge_idempotency_keys",
        "notifications.deliver_email",
        "notifications.email_sweep",
    } <= specs.keys()
    assert specs["notifications.email_sweep"].cron == "* * * * *"
    assert specs["core.relay_outbox"].cron == "* * * * * */10"
    assert specs["core.purge_idempotency_keys"].cron == "7 * * * *"
    for spec in specs.values():
        if spec.cron:  # periodic jobs: never queued twice, never running twice at once
            assert spec.lock == spec.queueing_lock == spec.name


def test_job_names_are_unique() -> None:
    spec = get_job("core.relay_outbox")
    with pytest.raises(ValueError, match="already registered"):
        job("core.relay_outbox")(lambda ctx: None)  # type: ignore[arg-type,return-value]
    assert get_job("core.relay_outbox") is spec


async def _tick(ctx: JobContext, *, timestamp: int) -> None:
    await ctx.session.execute(
        text("INSERT INTO plt_tick (ts, runtime) VALUES (:ts, :rt)"),
        {"ts": timestamp, "rt": f"{id(ctx.runtime):x}"},
    )


TICK = JobSpec(
    name="test.tick", func=_tick, cron="* * * * * *", lock="test.tick", queueing_lock="test.tick"
)


@pytest.mark.slow
async def test_periodic_job_runs_once_per_period_with_two_workers(
    fresh_db: Database, make_runtime: Callable[..., JobRuntime]
) -> None:
    await execute(fresh_db, "CREATE TABLE plt_tick (ts bigint NOT NULL, runtime text NOT NULL)")
    first, second = make_runtime([TICK], own_db=True), make_runtime([TICK], own_db=True)
    for runtime in (first, second):
        await runtime.open()
        runtime.start_worker(concurrency=2)

    async def periods() -> object:
        count = await scalar(fresh_db, "SELECT count(DISTINCT ts) FROM plt_tick")
        return count if isinstance(count, int) and count >= 3 else None

    await wait_until(periods, timeout=20)
    await first.stop_worker()
    await second.stop_worker()
    duplicates = await scalar(
        fresh_db, "SELECT count(*) FROM (SELECT ts FROM plt_tick GROUP BY ts HAVING count(*) > 1) d"
    )
    assert duplicates == 0
    # Each period was deferred exactly once, whichever worker got there first.
    deferred = await scalar(
        fresh_db, "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'test.tick'"
    )
    assert deferred in (0, 1)  # succeeded jobs are deleted; at most one is still waiting


async def _record(ctx: JobContext, *, value: str) -> None:
    await ctx.session.execute(
        text("INSERT INTO plt_record (value, attempt) VALUES (:v, :a)"),
        {"v": value, "a": ctx.attempts},
    )
    if value.startswith("flaky") and ctx.attempts == 0:
        raise RuntimeError("first attempt fails after writing")


RECORD = JobSpec(name="test.record", func=_record, retry=2, retry_wait=0)


async def test_job_deferred_after_commit_runs_and_a_rollback_defers_nothing(
    fresh_db: Database, make_runtime: Callable[..., JobRuntime]
) -> None:
    await execute(fresh_db, "CREATE TABLE plt_record (value text NOT NULL, attempt int NOT NULL)")
    runtime = make_runtime([RECORD])
    await runtime.open()
    jobs_app.set_current(runtime)

    with pytest.raises(RuntimeError):
        async with unit_of_work(fresh_db.maker) as s:
            defer_after_commit(s, "test.record", value="rolled-back")
            raise RuntimeError("abort")
    jobs_count = "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'test.record'"
    assert await scalar(fresh_db, jobs_count) == 0

    async with unit_of_work(fresh_db.maker) as s:
        defer_after_commit(s, "test.record", value="committed")
        # Not before the commit:
        assert await scalar(fresh_db, jobs_count) == 0
    assert await scalar(fresh_db, jobs_count) == 1

    runtime.start_worker(concurrency=1)

    async def recorded() -> object:
        return await scalar(fresh_db, "SELECT string_agg(value, ',') FROM plt_record")

    assert await wait_until(recorded) == "committed"


async def test_failed_run_rolls_back_and_is_retried(
    fresh_db: Database, make_runtime: Callable[..., JobRuntime]
) -> None:
    await execute(fresh_db, "CREATE TABLE plt_record (value text NOT NULL, attempt int NOT NULL)")
    runtime = make_runtime([RECORD])
    await runtime.open()
    assert await runtime.defer("test.record", value="flaky-1") is not None
    runtime.start_worker(concurrency=1)

    async def recorded() -> object:
        return await scalar(
            fresh_db, "SELECT string_agg(value || ':' || attempt, ',') FROM plt_record"
        )

    # The first attempt's insert was rolled back with its transaction; the retry's stands.
    assert await wait_until(recorded) == "flaky-1:1"


async def test_defer_without_a_runtime_is_skipped_not_an_error(fresh_db: Database) -> None:
    async with unit_of_work(fresh_db.maker) as s:
        defer_after_commit(s, "test.record", value="nobody")
    assert await scalar(fresh_db, "SELECT count(*) FROM procrastinate_jobs") == 0


async def test_queueing_lock_keeps_one_waiting_job(
    fresh_db: Database, make_runtime: Callable[..., JobRuntime]
) -> None:
    runtime = make_runtime([RECORD])
    await runtime.open()
    assert await runtime.defer("test.record", queueing_lock="once", value="a") is not None
    assert await runtime.defer("test.record", queueing_lock="once", value="b") is None
    with pytest.raises(KeyError):
        await runtime.defer("test.unknown")


async def test_queued_email_is_delivered_by_the_worker(
    fresh_db: Database, make_runtime: Callable[..., JobRuntime]
) -> None:
    runtime = make_runtime([get_job(DELIVER_JOB)])
    await runtime.open()
    jobs_app.set_current(runtime)
    async with unit_of_work(fresh_db.maker) as s:
        await queue_email(s, to="ann@example.com", template="password_reset", context=RESET)
    runtime.start_worker(concurrency=1)
    outbox = runtime.settings.outbox_dir

    async def delivered() -> object:
        return list(outbox.glob("*.eml")) if outbox.exists() else None

    (eml,) = await wait_until(delivered)
    assert b"worker-tok" in eml.read_bytes()
    status = await scalar(fresh_db, "SELECT status FROM notifications_email")
    assert status == "sent"
