"""Trading fees in basis points, in integer cents, rounded in the platform's favour.

Pure: no I/O. ``fee(notional, bps)`` is ``ceil(notional * bps / 10_000)``.

Rounding each fill up on its own would charge an order split into many fills up to a
cent per fill more than the same order filled at once, and more than a reservation of
``fee(price * quantity, bps)`` covers. :func:`incremental_fee` avoids that: the fee of
a fill is the growth of the fee on the order's cumulative notional, so an order's fills
always add up to exactly ``fee(total notional, bps)`` — never more than reserved, and
each fill's fee still rounds up.
"""

from __future__ import annotations

from dataclasses import dataclass

BPS_PER_UNIT = 10_000  # 1 bps = 1 / 10,000
MAX_BPS = BPS_PER_UNIT  # 100%: anything above is a configuration error


@dataclass(frozen=True)
class Fees:
    """The maker and taker fees, in basis points, that apply to one order."""

    maker_bps: int
    taker_bps: int


def _check(amount: int, bps: int) -> None:
    if type(amount) is not int or amount < 0:
        raise ValueError("amount must be a non-negative int (cents)")
    if type(bps) is not int or not 0 <= bps <= MAX_BPS:
        raise ValueError(f"bps must be an int in [0, {MAX_BPS}]")


def fee(notional: int, bps: int) -> int:
    """``ceil(notional * bps / 10_000)`` cents for ``notional`` cents at ``bps``."""
    _check(notional, bps)
    return -(-notional * bps // BPS_PER_UNIT)


def fill_fee(price: int, quantity: int, bps: int) -> int:
    """The fee of one trade of ``quantity`` units at ``price`` cents, rounded up."""
    if type(price) is not int or price < 0 or type(quantity) is not int or quantity < 0:
        raise ValueError("price and quantity must be non-negative ints")
    return fee(price * quantity, bps)


def incremental_fee(prior_notional: int, notional: int, bps: int) -> int:
    """The fee of a fill of ``notional`` cents for an order that had ``prior_notional``.

    ``fee(prior + notional) - fee(prior)``: an order's fill fees sum to the fee on its
    total notional, whatever the number of fills.
    """
    _check(prior_notional, bps)
    _check(notional, bps)
    return fee(prior_notional + notional, bps) - fee(prior_notional, bps)


def max_notional_within(available: int, bps: int) -> int:
    """The largest notional ``n`` with ``n + fee(n, bps) <= available``.

    The quote budget of a MARKET BUY (``max_quote``) when the taker fee must fit in
    the same ``available`` cents.
    """
    _check(available, bps)
    n = available * BPS_PER_UNIT // (BPS_PER_UNIT + bps)
    # n is within a cent or two of the answer: step to it exactly.
    while n + fee(n, bps) > available:
        n -= 1
    while n + 1 + fee(n + 1, bps) <= available:
        n += 1
    return n
