"""What runs beside the HTTP app: the real-time hub, pub/sub, and the job runtime.

``start_runtime``/``stop_runtime`` are called by the app's lifespan. Every process
starts a hub and a pub/sub backend (Redis when ``NIHA_REDIS_URL`` is set, else
in-process) and registers it as a publisher of committed outbox events. With
``background`` the process also opens the job runtime (to defer jobs) and, when
``run_worker_in_serve``, runs a procrastinate worker in-process. ``niha worker`` runs
:func:`run_worker_process` instead: the publisher and a worker, no HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from dataclasses import dataclass
from typing import Any

import structlog
from fastapi import FastAPI

from niha.config import Settings
from niha.core.db import Database
from niha.core.events import add_publisher, remove_publisher
from niha.core.logging import configure_logging
from niha.jobs import app as jobs_app
from niha.jobs.app import JobRuntime
from niha.realtime.hub import Hub, HubOptions
from niha.realtime.pubsub import PubSub, make_pubsub

log = structlog.get_logger("niha.runtime")

#: Allocations (less deallocations) between two collections of the youngest generation.
#: The default, 700, runs a collection every few orders placed: each order allocates
#: hundreds of short-lived objects (rows, events, replies), nearly all freed by reference
#: counting. 20,000 cut the CPU per order by about 6 % (bench/exchange_http.py, side by
#: side); cycles are still collected, later.
GC_GEN0_THRESHOLD = 20_000


def tune_gc() -> None:
    """For a serving process, once its app is built: collect less often, and never scan
    again what exists now (modules, routes, models). Not for tests: the process's own."""
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)


SERVE_WORKER_CONCURRENCY = 4


def hub_options(settings: Settings) -> HubOptions:
    defaults = HubOptions()
    return HubOptions(
        ping_interval=float(getattr(settings, "ws_ping_interval_seconds", defaults.ping_interval)),
        auth_timeout=float(getattr(settings, "ws_auth_timeout_seconds", defaults.auth_timeout)),
    )


@dataclass
class Runtime:
    hub: Hub
    pubsub: PubSub
    jobs: JobRuntime | None = None
    demo: asyncio.Task[Any] | None = None


async def warn_maintenance(db: Database) -> None:
    """Log what in the database server's configuration will slow the service down."""
    for problem in await db.maintenance_warnings():
        log.warning("database_maintenance", problem=problem)


async def start_runtime(app: FastAPI, *, background: bool) -> None:
    from niha.realtime.auth import identity_authenticator

    settings: Settings = app.state.settings
    db: Database = app.state.db
    options: HubOptions | None = getattr(app.state, "realtime_options", None)
    hub = Hub(options or hub_options(settings))
    pubsub = make_pubsub(settings.redis_url)
    await pubsub.start(hub.dispatch)
    add_publisher(pubsub.publish)
    runtime = Runtime(hub=hub, pubsub=pubsub)
    app.state.runtime = runtime
    app.state.realtime_hub = hub
    if getattr(app.state, "ws_authenticate", None) is None:
        app.state.ws_authenticate = identity_authenticator(app)
    if background:
        jobs = JobRuntime(db, settings, pool_max_size=SERVE_WORKER_CONCURRENCY + 4)
        await jobs.open()
        jobs_app.set_current(jobs)
        runtime.jobs = jobs
        if settings.run_worker_in_serve:
            jobs.start_worker(concurrency=SERVE_WORKER_CONCURRENCY)
    if background:
        await warn_maintenance(db)
        if settings.demo_market:
            from niha import demo_market

            runtime.demo = demo_market.start(db.maker, settings)
    log.info(
        "runtime_started",
        pubsub=pubsub.name,
        jobs=runtime.jobs is not None,
        worker=bool(background and settings.run_worker_in_serve),
    )


async def stop_runtime(app: FastAPI) -> None:
    runtime: Runtime | None = getattr(app.state, "runtime", None)
    if runtime is None:
        return
    app.state.runtime = None
    runtime.hub.close_all()
    if runtime.demo is not None:
        runtime.demo.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runtime.demo
    if runtime.jobs is not None:
        if jobs_app.current() is runtime.jobs:
            jobs_app.set_current(None)
        await runtime.jobs.close()
    remove_publisher(runtime.pubsub.publish)
    await runtime.pubsub.stop()


async def run_worker_process(settings: Settings, database_url: str, *, concurrency: int) -> None:
    """``niha worker``: run jobs until SIGINT/SIGTERM, publishing events they commit."""
    configure_logging(
        settings.log_json if settings.log_json is not None else settings.is_production
    )
    db = Database(database_url, pool_size=concurrency + 1, max_overflow=2)
    pubsub = make_pubsub(settings.redis_url)
    if settings.redis_url is None:
        log.warning("worker_without_redis: events committed by jobs reach no other process")
    hub = Hub()  # no sockets here; the memory backend needs somewhere to deliver
    await pubsub.start(hub.dispatch)
    add_publisher(pubsub.publish)
    jobs = JobRuntime(db, settings, pool_max_size=concurrency + 4)
    await jobs.open()
    jobs_app.set_current(jobs)
    task = jobs.start_worker(concurrency=concurrency)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, task.cancel)
    log.info("worker_started", concurrency=concurrency, pubsub=pubsub.name)
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        jobs_app.set_current(None)
        await jobs.close()
        remove_publisher(pubsub.publish)
        await pubsub.stop()
        await db.dispose()
        log.info("worker_stopped")
