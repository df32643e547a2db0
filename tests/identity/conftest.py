from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from niha.core import clock


class Clock:
    """Frozen wall clock for a test (``niha.core.clock``); unfrozen afterwards."""

    def __init__(self) -> None:
        self.now = clock.utcnow().replace(microsecond=0)
        clock.freeze(self.now)

    def set(self, at: datetime) -> None:
        self.now = at
        clock.freeze(at)

    def advance(self, **delta: float) -> datetime:
        from datetime import timedelta

        self.set(self.now + timedelta(**delta))
        return self.now


@pytest.fixture
def frozen() -> Iterator[Clock]:
    c = Clock()
    try:
        yield c
    finally:
        clock.freeze(None)
