"""Exact amounts: decimal strings at the edge, integers (minor units) inside.

Pure: no I/O, no framework import. An asset's ``scale`` is its number of decimals
(EUR 2 -> cents; EUA/CEA 0 -> whole certificates). ``parse_amount("1234.50", 2)``
is ``123450``; ``format_amount(123450, 2)`` is ``"1234.50"``. More decimals than the
scale allows, exponents, blanks, floats and out-of-range values are refused.
"""

from __future__ import annotations

import re

#: Largest magnitude accepted for one amount, in minor units (10^15: ten trillion
#: euros in cents). Keeps every sum of amounts far inside a signed 64-bit integer.
MAX_AMOUNT = 10**15
#: The range of a PostgreSQL BIGINT column.
BIGINT_MAX = 2**63 - 1
BIGINT_MIN = -(2**63)

_AMOUNT_RE = re.compile(r"^(?P<sign>[+-]?)(?P<int>[0-9]+)(?:\.(?P<frac>[0-9]+))?\Z")


class InvalidAmount(ValueError):
    """An amount that cannot be represented exactly for the asset; ``code`` is stable."""

    def __init__(self, message: str, code: str = "invalid_amount") -> None:
        super().__init__(message)
        self.code = code


def parse_amount(
    value: str | int,
    scale: int,
    *,
    allow_negative: bool = False,
    allow_zero: bool = False,
    max_abs: int = MAX_AMOUNT,
) -> int:
    """A decimal string (or an int, taken as whole units) -> minor units."""
    if scale < 0:
        raise ValueError("scale must be >= 0")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidAmount("amount must be a decimal string")
    factor: int = 10**scale
    if isinstance(value, int):
        units = value * factor
    else:
        if len(value) > 40:
            raise InvalidAmount("amount is too long")
        match = _AMOUNT_RE.match(value)
        if match is None:
            raise InvalidAmount(f"{value!r} is not a decimal number like '1234.50'")
        frac = match.group("frac") or ""
        if len(frac) > scale:
            if scale == 0:
                raise InvalidAmount("amount must be a whole number", "too_many_decimals")
            raise InvalidAmount(f"amount allows at most {scale} decimals", "too_many_decimals")
        units = int(match.group("int")) * factor + int(frac.ljust(scale, "0") or "0")
        if match.group("sign") == "-":
            units = -units
    if units == 0 and not allow_zero:
        raise InvalidAmount("amount must not be zero", "amount_zero")
    if units < 0 and not allow_negative:
        raise InvalidAmount("amount must be positive", "amount_negative")
    if abs(units) > max_abs:
        raise InvalidAmount("amount is too large", "amount_too_large")
    return units


def format_amount(units: int, scale: int, *, grouped: bool = False) -> str:
    """Minor units -> the canonical decimal string (always ``scale`` decimals); with
    ``grouped``, thousands separated by commas, for people to read ("1,250.00")."""
    if scale < 0:
        raise ValueError("scale must be >= 0")
    sign = "-" if units < 0 else ""
    factor: int = 10**scale
    whole, frac = divmod(abs(units), factor)
    digits = f"{whole:,}" if grouped else f"{whole}"
    if scale == 0:
        return f"{sign}{digits}"
    return f"{sign}{digits}.{frac:0{scale}d}"
