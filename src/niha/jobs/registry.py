"""The task registry: every background job of every domain, declared with :func:`job`.

A domain declares its jobs in ``niha/<domain>/jobs.py``::

    from niha.jobs import JobContext, job

    @job("settlement.run_batch", cron="0 * * * *")
    async def run_batch(ctx: JobContext, *, timestamp: int) -> None:
        ...  # ctx.session is this run's transaction, committed by the runner

Each run is one transaction (``unit_of_work``): the runner commits when the function
returns and rolls back when it raises (procrastinate then retries per ``retry``).
Periodic jobs (``cron``: 5 fields, or 6 with a trailing seconds field) receive the
scheduled ``timestamp``; they get a lock and a queueing lock named after the job, so
however many workers run, one period is deferred once and never runs twice at a time.
Jobs must be idempotent: a job may run again after a crash.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings

if TYPE_CHECKING:
    from niha.jobs.app import JobRuntime


@dataclass(frozen=True)
class JobContext:
    """What a job function receives besides its own keyword arguments."""

    session: AsyncSession
    settings: Settings
    runtime: JobRuntime
    job_id: int | None
    attempts: int


JobFunc = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: JobFunc
    retry: int = 0
    retry_wait: int = 2
    lock: str | None = None
    queueing_lock: str | None = None
    cron: str | None = None
    queue: str = "default"


_registry: dict[str, JobSpec] = {}


def job(
    name: str,
    *,
    retry: int = 0,
    retry_wait: int = 2,
    lock: str | None = None,
    queueing_lock: str | None = None,
    cron: str | None = None,
    queue: str = "default",
) -> Callable[[JobFunc], JobFunc]:
    """Register ``async def fn(ctx: JobContext, **kwargs) -> None`` as the job ``name``.

    ``retry``: how many times a failed run is retried, waiting ``retry_wait ** n``
    seconds before the n-th retry. ``lock``: no two runs holding it at once.
    ``queueing_lock``: at most one waiting job holding it. ``cron``: run periodically.
    """

    def register(func: JobFunc) -> JobFunc:
        if name in _registry and _registry[name].func is not func:
            raise ValueError(f"job {name!r} is already registered")
        _registry[name] = JobSpec(
            name=name,
            func=func,
            retry=retry,
            retry_wait=retry_wait,
            lock=lock if lock is not None or cron is None else name,
            queueing_lock=(queueing_lock if queueing_lock is not None or cron is None else name),
            cron=cron,
            queue=queue,
        )
        return func

    return register


def load_job_modules() -> None:
    """Import ``niha.jobs.tasks`` and every ``niha.<domain>.jobs`` module."""
    import niha

    importlib.import_module("niha.jobs.tasks")
    for info in pkgutil.iter_modules(niha.__path__):
        if not info.ispkg or info.name == "jobs":
            continue
        module = f"niha.{info.name}.jobs"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)


def all_jobs() -> list[JobSpec]:
    load_job_modules()
    return sorted(_registry.values(), key=lambda spec: spec.name)


def get_job(name: str) -> JobSpec:
    load_job_modules()
    return _registry[name]
