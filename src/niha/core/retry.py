"""Run a unit of work again when PostgreSQL aborts it for a serialization failure
(SQLSTATE 40001) or a deadlock (40P01) — the errors a retry cures (and 26000, a prepared
statement gone, see :data:`RETRYABLE_SQLSTATES`).

The ledger locks its accounts in one global order, so ledger-only transactions do not
deadlock; a unit of work that combines several lock-taking steps, or runs at
REPEATABLE READ / SERIALIZABLE, should go through :func:`retrying`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from prometheus_client import Counter
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from niha.core.db import unit_of_work

T = TypeVar("T")

#: Serialization failure, deadlock, and a prepared statement gone from the connection
#: (26000: psycopg deallocates every prepared statement of a connection after a ROLLBACK
#: on it; ``core.pipeline`` sends its own transaction again itself, prepares them again
#: next time otherwise).
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "26000"})
#: Of those, what other transactions cause: a serialization failure and a deadlock.
CONTENTION_SQLSTATES = frozenset({"40001", "40P01"})

RETRIES = Counter(
    "niha_db_retries_total",
    "Units of work run again, by the SQLSTATE that failed them",
    ["sqlstate"],
)


def sqlstates(exc: BaseException) -> list[str]:
    """The SQLSTATEs of ``exc`` and of what it wraps or was raised from, outermost first
    (the database's answer to a statement; none for a lost connection)."""
    found: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError):
            current = current.orig
            continue
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str):
            found.append(state)
        current = current.__cause__ or current.__context__
    return found


def is_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) is a serialization failure or a deadlock."""
    return _retryable_state(exc) is not None


def _retryable_state(exc: BaseException) -> str | None:
    return next((state for state in sqlstates(exc) if state in RETRYABLE_SQLSTATES), None)


async def retrying(
    maker: async_sessionmaker[AsyncSession],
    fn: Callable[[AsyncSession], Awaitable[T]],
    *,
    attempts: int = 5,
    base_delay: float = 0.005,
    max_delay: float | None = None,
    at_once: Callable[[BaseException], bool] | None = None,
) -> T:
    """Run ``fn`` in a fresh unit of work, again (up to ``attempts`` times) when retryable.

    Between attempts it waits, longer each time (contention clears), at most about
    ``max_delay`` seconds when given. ``at_once``: says of a failure that the next
    attempt need not wait -- it failed on the caller's own stale memory, not on another
    transaction's locks, and the next attempt reads what this one assumed."""
    for attempt in range(1, attempts + 1):
        try:
            async with unit_of_work(maker) as session:
                return await fn(session)
        except Exception as exc:
            state = _retryable_state(exc)
            if attempt == attempts or state is None:
                raise
            RETRIES.labels(state).inc()
            if at_once is None or not at_once(exc):
                delay = base_delay * (2**attempt)
                if max_delay is not None:
                    delay = min(delay, max_delay)
                await asyncio.sleep(delay * (0.5 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover
