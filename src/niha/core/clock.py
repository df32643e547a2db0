"""The one place that reads the wall clock (tests may freeze it)."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

_frozen: datetime | None = None


def utcnow() -> datetime:
    return _frozen if _frozen is not None else datetime.now(UTC)


def freeze(at: datetime | None) -> None:
    """Freeze (or with ``None`` unfreeze) the clock; for tests."""
    global _frozen
    _frozen = at


@functools.lru_cache(maxsize=1024)
def isoformat_z(value: datetime) -> str:
    # Cached: the events and replies of a group of orders all carry the group's time.
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def as_utc(value: datetime | None) -> datetime | None:
    """A naive datetime from a query parameter is taken as UTC; aware ones are kept."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
