"""FastAPI dependencies shared by every domain router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.core.db import Database, unit_of_work
from niha.core.ratelimit import RateLimiter


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One request = one transaction, committed before the response is sent."""
    async with unit_of_work(get_db(request).maker) as session:
        yield session


# Dependencies are ``async def`` even when they do not await: FastAPI runs a plain
# ``def`` dependency in a worker thread, a thread hop per request.
async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
