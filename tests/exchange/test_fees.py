"""Fees in basis points, rounded up to the cent; incremental fees sum to the order's fee."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from niha.exchange.fees import fee, fill_fee, incremental_fee, max_notional_within


def test_fee_rounds_up_in_the_platforms_favour() -> None:
    assert fee(0, 10) == 0
    assert fee(10_000, 10) == 10  # 100.00 EUR at 10 bps = 0.10 EUR
    assert fee(10_001, 10) == 11  # 10.001 cents -> 11
    assert fee(1, 1) == 1  # a fraction of a cent is a cent
    assert fee(999, 0) == 0
    assert fill_fee(7235, 3, 5) == fee(21_705, 5) == 11  # 10.8525 -> 11


@pytest.mark.parametrize(
    "call",
    [
        lambda: fee(-1, 5),
        lambda: fee(100, -1),
        lambda: fee(100, 10_001),
        lambda: fee(1.5, 5),  # type: ignore[arg-type]
        lambda: fill_fee(-1, 1, 5),
        lambda: incremental_fee(-1, 1, 5),
        lambda: max_notional_within(-1, 5),
    ],
)
def test_bad_arguments(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


@given(st.lists(st.integers(0, 10**9), max_size=20), st.integers(0, 500))
def test_incremental_fees_sum_to_the_fee_on_the_total(fills: list[int], bps: int) -> None:
    prior = 0
    total_fees = 0
    for notional in fills:
        step = incremental_fee(prior, notional, bps)
        assert step >= 0
        total_fees += step
        prior += notional
    assert total_fees == fee(prior, bps)


@given(st.integers(0, 10**12), st.integers(0, 10_000))
def test_max_notional_within(available: int, bps: int) -> None:
    n = max_notional_within(available, bps)
    assert 0 <= n <= available
    assert n + fee(n, bps) <= available
    assert n + 1 + fee(n + 1, bps) > available
