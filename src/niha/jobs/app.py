"""The procrastinate app of one process: deferring jobs and running a worker.

:class:`JobRuntime` binds the task registry to a database: a procrastinate ``App`` on a
psycopg pool (from the plain PostgreSQL URL) plus the SQLAlchemy :class:`Database` each
job run opens its unit of work on. ``niha serve`` opens one (and by default runs a
worker in it); ``niha worker`` runs only the worker. Domain code defers jobs with
:func:`defer_after_commit`, so a rolled-back transaction starts nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

import procrastinate
import structlog
from procrastinate import exceptions as procrastinate_exceptions
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.core.db import Database, after_commit, plain_url, unit_of_work
from niha.jobs.registry import JobContext, JobSpec, all_jobs

log = structlog.get_logger("niha.jobs")

DEFAULT_GRACEFUL_TIMEOUT = 10.0

_current: JobRuntime | None = None


def current() -> JobRuntime | None:
    """The job runtime of this process (set by ``start_runtime`` / ``niha worker``)."""
    return _current


def set_current(runtime: JobRuntime | None) -> None:
    global _current
    _current = runtime


class JobRuntime:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        jobs: Iterable[JobSpec] | None = None,
        pool_max_size: int = 4,
    ) -> None:
        self.db = db
        self.settings = settings
        self.connector = procrastinate.PsycopgConnector(
            conninfo=plain_url(db.url), min_size=1, max_size=pool_max_size, name="niha-jobs"
        )
        self.app = procrastinate.App(connector=self.connector)
        self.specs: dict[str, JobSpec] = {}
        for spec in all_jobs() if jobs is None else jobs:
            self._register(spec)
        self._opened = False
        self._worker_task: asyncio.Task[None] | None = None

    def _register(self, spec: JobSpec) -> None:
        runtime = self

        async def run(context: procrastinate.JobContext, /, **kwargs: Any) -> None:
            job = context.job
            async with unit_of_work(runtime.db.maker) as session:
                ctx = JobContext(
                    session=session,
                    settings=runtime.settings,
                    runtime=runtime,
                    job_id=job.id,
                    attempts=job.attempts,
                )
                await spec.func(ctx, **kwargs)

        retry: procrastinate.RetryStrategy | bool = False
        if spec.retry:
            retry = procrastinate.RetryStrategy(
                max_attempts=spec.retry, exponential_wait=spec.retry_wait
            )
        task = self.app.task(
            name=spec.name,
            pass_context=True,
            retry=retry,
            lock=spec.lock,
            queueing_lock=spec.queueing_lock,
            queue=spec.queue,
        )(run)
        if spec.cron:
            self.app.periodic(cron=spec.cron, periodic_id=spec.name)(cast(Any, task))
        self.specs[spec.name] = spec

    # -- lifecycle -------------------------------------------------------------------

    async def open(self) -> None:
        if not self._opened:
            await self.app.open_async()
            self._opened = True

    async def close(self) -> None:
        await self.stop_worker()
        if self._opened:
            await self.app.close_async()
            self._opened = False

    @property
    def is_open(self) -> bool:
        return self._opened

    # -- deferring -------------------------------------------------------------------

    async def defer(
        self,
        name: str,
        *,
        schedule_at: datetime | None = None,
        schedule_in_seconds: float | None = None,
        lock: str | None = None,
        queueing_lock: str | None = None,
        **kwargs: Any,
    ) -> int | None:
        """Defer job ``name``; ``None`` when its queueing lock already has a waiting job."""
        if name not in self.specs:
            raise KeyError(f"unknown job {name!r}")
        options: dict[str, Any] = {}
        if schedule_at is not None:
            options["schedule_at"] = schedule_at
        if schedule_in_seconds is not None:
            options["schedule_in"] = {"seconds": schedule_in_seconds}
        if lock is not None:
            options["lock"] = lock
        if queueing_lock is not None:
            options["queueing_lock"] = queueing_lock
        try:
            job_id: int = await self.app.tasks[name].configure(**options).defer_async(**kwargs)
        except procrastinate_exceptions.AlreadyEnqueued:
            return None
        return job_id

    # -- the worker ------------------------------------------------------------------

    async def run_worker(self, *, concurrency: int = 4, name: str | None = None) -> None:
        """Run a worker until cancelled (then finish running jobs, within a timeout)."""
        procrastinate_log = logging.getLogger("procrastinate")
        if procrastinate_log.level == logging.NOTSET:
            # Every job start and end at INFO is noise (the relay runs every 10 s).
            procrastinate_log.setLevel(logging.WARNING)
        name = name or f"{socket.gethostname()}-{id(self):x}"
        log.info("jobs_worker_started", worker=name, concurrency=concurrency, jobs=len(self.specs))
        try:
            await self.app.run_worker_async(
                concurrency=concurrency,
                name=name,
                install_signal_handlers=False,
                delete_jobs="successful",
                shutdown_graceful_timeout=DEFAULT_GRACEFUL_TIMEOUT,
                fetch_job_polling_interval=5.0,
            )
        finally:
            log.info("jobs_worker_stopped", worker=name)

    def start_worker(self, *, concurrency: int = 4, name: str | None = None) -> asyncio.Task[None]:
        if self._worker_task is None or self._worker_task.done():
            self._worker_task = asyncio.create_task(
                self.run_worker(concurrency=concurrency, name=name), name="niha-jobs-worker"
            )
        return self._worker_task

    async def stop_worker(self) -> None:
        task, self._worker_task = self._worker_task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def defer_after_commit(
    session: AsyncSession, name: str, *, runtime: JobRuntime | None = None, **kwargs: Any
) -> None:
    """Defer job ``name`` once ``session``'s unit of work commits (never on rollback).

    ``kwargs`` are the job's arguments plus :meth:`JobRuntime.defer`'s options
    (``schedule_at``, ``schedule_in_seconds``, ``lock``, ``queueing_lock``). Deferring is
    best effort: without an open job runtime in this process (``runtime`` or the
    process's current one), or when the database refuses, it is logged and skipped, so
    work deferred this way must also be reachable by a periodic sweep (as email is).
    """

    async def _defer() -> None:
        target = runtime or current()
        if target is None or not target.is_open:
            log.info("job_not_deferred_no_runtime", job=name)
            return
        try:
            await target.defer(name, **kwargs)
        except Exception:
            log.exception("job_defer_failed", job=name)

    after_commit(session, _defer)
