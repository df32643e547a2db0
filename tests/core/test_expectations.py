"""send_expectations: many checks in one statement, each with its own parameters."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from niha.core.db import Expectation, driver_connection, send_expectations, unit_of_work


def _equals(n: int, what: str) -> Expectation:
    return Expectation("%(n)s::int = %(m)s::int", {"n": n, "m": 2}, what)


async def test_all_holding_expectations_pass_with_same_named_parameters(db: Any) -> None:
    async with unit_of_work(db.maker) as s:
        driver = await driver_connection(s)
        await send_expectations(driver, [_equals(2, "first"), _equals(2, "second")])
        await send_expectations(driver, [])  # nothing to check: no statement


@pytest.mark.parametrize("failing", [0, 1])
async def test_the_one_that_does_not_hold_fails_as_a_serialization_failure(
    db: Any, failing: int
) -> None:
    checks = [_equals(2, "first"), _equals(2, "second")]
    checks[failing] = _equals(3, ["first", "second"][failing])
    with pytest.raises(psycopg.errors.SerializationFailure, match=checks[failing].what):
        async with unit_of_work(db.maker) as s:
            await send_expectations(await driver_connection(s), checks)
