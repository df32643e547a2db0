"""The application factory: routers, middleware, lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from niha import __version__
from niha.config import Settings, get_settings
from niha.core.db import Database
from niha.core.docs import install_docs
from niha.core.embedded_pg import resolve_database_url
from niha.core.errors import install_error_handlers
from niha.core.health_api import router as health_router
from niha.core.http import HeadAsGetMiddleware, RequestContextMiddleware
from niha.core.idempotency import IdempotencyMiddleware
from niha.core.input_guard import InputGuardMiddleware
from niha.core.logging import configure_logging
from niha.core.ratelimit import RateLimiter
from niha.core.spa import mount_spa
from niha.exchange.lane import OrderLane
from niha.routes import api_routers
from niha.runtime import start_runtime, stop_runtime

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None,
    db: Database | None = None,
    *,
    start_background: bool = True,
) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(
        settings.log_json if settings.log_json is not None else settings.is_production
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owns_db = app.state.db is None
        if owns_db:
            app.state.db = Database(resolve_database_url(settings.database_url, settings.var_dir))
        await start_runtime(app, background=start_background)
        try:
            yield
        finally:
            await stop_runtime(app)
            if owns_db:
                await app.state.db.dispose()

    app = FastAPI(
        title="Niha API",
        version=__version__,
        description="Carbon-certificate trading venue: EUA and CEA against EUR.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # The service has its own access log and Prometheus metrics. FastAPI's native
        # OpenTelemetry would otherwise look for configured providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.db = db
    app.state.rate_limiter = RateLimiter(settings.redis_url)

    install_error_handlers(app)
    app.include_router(health_router)
    install_docs(app)
    for router in api_routers():
        app.include_router(router, prefix=API_PREFIX)
    mount_spa(app, settings.web_dist)

    app.add_middleware(OrderLane, prefix=f"{API_PREFIX}/orders")
    # Outside the order lane: a request with an Idempotency-Key is placed (or cancelled)
    # by the lane too, and its reply stored and replayed by this middleware.
    app.add_middleware(
        IdempotencyMiddleware,
        database=lambda: app.state.db,
        secret=lambda: settings.secret_key,
    )
    app.add_middleware(InputGuardMiddleware)
    app.add_middleware(HeadAsGetMiddleware)
    app.add_middleware(RequestContextMiddleware, production=settings.is_production)
    return app
