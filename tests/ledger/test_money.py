"""Decimal strings <-> integer minor units (niha.core.money)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from niha.core.money import MAX_AMOUNT, InvalidAmount, format_amount, parse_amount


@pytest.mark.parametrize(
    ("text", "scale", "units"),
    [
        ("1234.50", 2, 123450),
        ("1234.5", 2, 123450),
        ("1234", 2, 123400),
        ("0.01", 2, 1),
        ("+7", 0, 7),
        ("10", 0, 10),
        ("007.10", 2, 710),
    ],
)
def test_parse(text: str, scale: int, units: int) -> None:
    assert parse_amount(text, scale) == units


def test_parse_int_is_whole_units() -> None:
    assert parse_amount(12, 2) == 1200
    assert parse_amount(12, 0) == 12


@pytest.mark.parametrize(
    ("value", "scale", "code"),
    [
        ("1.234", 2, "too_many_decimals"),
        ("1.500", 2, "too_many_decimals"),
        ("1.5", 0, "too_many_decimals"),
        ("0", 2, "amount_zero"),
        ("0.00", 2, "amount_zero"),
        ("-1", 2, "amount_negative"),
        (str(MAX_AMOUNT + 1), 0, "amount_too_large"),
        ("99999999999999999999", 2, "amount_too_large"),
        ("1e3", 2, "invalid_amount"),
        ("1,5", 2, "invalid_amount"),
        (" 1", 2, "invalid_amount"),
        ("1 ", 2, "invalid_amount"),
        ("1.", 2, "invalid_amount"),
        (".5", 2, "invalid_amount"),
        ("", 2, "invalid_amount"),
        ("NaN", 2, "invalid_amount"),
        ("Infinity", 2, "invalid_amount"),
        ("١٢", 0, "invalid_amount"),  # non-ASCII digits
        ("1" * 41, 0, "invalid_amount"),
        ("--1", 2, "invalid_amount"),
    ],
)
def test_parse_refuses(value: str, scale: int, code: str) -> None:
    with pytest.raises(InvalidAmount) as info:
        parse_amount(value, scale)
    assert info.value.code == code


@pytest.mark.parametrize("value", [1.5, True, None, [1]])
def test_parse_refuses_non_decimal_types(value: object) -> None:
    with pytest.raises(InvalidAmount):
        parse_amount(value, 2)  # type: ignore[arg-type]


def test_signed_and_zero_when_allowed() -> None:
    assert parse_amount("-12.50", 2, allow_negative=True) == -1250
    assert parse_amount("0", 2, allow_zero=True) == 0


@pytest.mark.parametrize(
    ("units", "scale", "text"),
    [(123450, 2, "1234.50"), (1, 2, "0.01"), (-5, 2, "-0.05"), (0, 2, "0.00"), (42, 0, "42")],
)
def test_format(units: int, scale: int, text: str) -> None:
    assert format_amount(units, scale) == text


@pytest.mark.parametrize(
    ("units", "scale", "text"),
    [(7055252680, 2, "70,552,526.80"), (-123450, 2, "-1,234.50"), (999, 2, "9.99"),
     (1234567, 0, "1,234,567")],
)  # fmt: skip
def test_format_grouped_for_people(units: int, scale: int, text: str) -> None:
    assert format_amount(units, scale, grouped=True) == text


@given(st.integers(-MAX_AMOUNT, MAX_AMOUNT).filter(bool), st.integers(0, 8))
def test_round_trip(units: int, scale: int) -> None:
    assert parse_amount(format_amount(units, scale), scale, allow_negative=True) == units
