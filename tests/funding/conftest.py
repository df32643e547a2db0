from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.core import clock
from tests.funding.helpers import World, make_world


@pytest.fixture
async def world(session: AsyncSession, settings: Settings) -> World:
    return await make_world(session, settings)


@pytest.fixture
def frozen() -> Iterator[None]:
    """Lets a test move the clock (``clock.freeze``); unfrozen afterwards."""
    yield
    clock.freeze(None)
