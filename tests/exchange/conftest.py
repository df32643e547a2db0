"""Fixtures of the exchange's tests on a database of their own (real commits)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from niha.core.db import Database
from niha.exchange import placement


@pytest.fixture
async def committed_db(fresh_database_url: str) -> AsyncIterator[Database]:
    database = Database(fresh_database_url)
    yield database
    await database.dispose()


def count_calls(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[int]:
    """Counts the calls of the coroutine function ``owner.name`` (one item per call)."""
    calls: list[int] = []
    original = getattr(owner, name)

    async def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return await original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


@pytest.fixture
def locked_groups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the groups decided the locked way (the rest used what the slot remembered)."""
    return count_calls(monkeypatch, placement, "_decide_locked")
