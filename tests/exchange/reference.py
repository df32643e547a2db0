"""A brute-force reference matcher: the rules of niha.exchange.matching, written plainly.

No index, no levels, no laziness: one list of resting orders in arrival order, the
best counterparty found by scanning it each time, a copy of the book to try an order
on (thrown away for a FOK that cannot complete). Slow and obviously right, it is what
the real matcher is compared with on random order streams.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable
from dataclasses import dataclass, field

from niha.exchange.matching import OrderKind, Outcome, Reason, Side, TimeInForce


@dataclass
class RefOrder:
    order_id: Hashable
    owner: Hashable
    side: Side
    price: int
    remaining: int
    seq: int


@dataclass
class RefResult:
    outcome: Outcome
    reason: Reason | None
    remaining: int
    #: (maker id, taker id, price, quantity)
    fills: list[tuple[Hashable, Hashable, int, int]] = field(default_factory=list)
    #: (resting order id, open quantity cancelled) by self-trade prevention
    cancelled_resting: list[tuple[Hashable, int]] = field(default_factory=list)


class ReferenceBook:
    def __init__(self) -> None:
        self.resting: list[RefOrder] = []
        self.seq = 0

    def submit(
        self,
        order_id: Hashable,
        owner: Hashable,
        side: Side,
        quantity: int,
        price: int | None = None,
        *,
        kind: OrderKind = OrderKind.LIMIT,
        tif: TimeInForce = TimeInForce.GTC,
        post_only: bool = False,
        protection_price: int | None = None,
        max_quote: int | None = None,
    ) -> RefResult:
        buy = side is Side.BUY
        limit = price if kind is OrderKind.LIMIT else protection_price

        def crosses(p: int) -> bool:
            return limit is None or (p <= limit if buy else p >= limit)

        def opposite(book: list[RefOrder]) -> list[RefOrder]:
            return [o for o in book if o.side is not side and o.remaining > 0]

        if post_only and any(crosses(o.price) for o in opposite(self.resting)):
            return RefResult(Outcome.REJECTED, Reason.POST_ONLY_WOULD_CROSS, quantity)

        book = copy.deepcopy(self.resting)
        result = RefResult(Outcome.FILLED, None, quantity)
        budget = max_quote
        stop: Reason | None = None
        while result.remaining > 0:
            candidates = opposite(book)
            if not candidates:
                stop = Reason.MARKET_NO_LIQUIDITY
                break
            best = min(candidates, key=lambda o: (o.price if buy else -o.price, o.seq))
            if not crosses(best.price):
                stop = Reason.PROTECTION_LIMIT
                break
            if budget is not None and budget < best.price:
                stop = Reason.MAX_QUOTE_REACHED
                break
            if best.owner == owner:  # self-trade prevention: cancel the resting order
                result.cancelled_resting.append((best.order_id, best.remaining))
                best.remaining = 0
                continue
            take = min(best.remaining, result.remaining)
            if budget is not None:
                take = min(take, budget // best.price)
                budget -= take * best.price
            result.fills.append((best.order_id, order_id, best.price, take))
            best.remaining -= take
            result.remaining -= take

        if result.remaining == 0:
            result.outcome, result.reason = Outcome.FILLED, None
        elif tif is TimeInForce.FOK:
            return RefResult(Outcome.CANCELLED, Reason.FOK_UNFILLABLE, quantity)
        elif kind is OrderKind.LIMIT and tif is TimeInForce.GTC:
            result.outcome, result.reason = Outcome.RESTED, None
        elif kind is OrderKind.LIMIT:
            result.outcome, result.reason = Outcome.CANCELLED, Reason.IOC_REMAINDER
        else:
            assert stop is not None
            result.outcome, result.reason = Outcome.CANCELLED, stop

        self.resting = [o for o in book if o.remaining > 0]
        if result.outcome is Outcome.RESTED:
            assert price is not None
            self.seq += 1
            self.resting.append(RefOrder(order_id, owner, side, price, result.remaining, self.seq))
        return result

    def cancel(self, order_id: Hashable) -> int:
        for o in self.resting:
            if o.order_id == order_id:
                self.resting.remove(o)
                return o.remaining
        return 0

    def orders(self, side: Side) -> list[tuple[Hashable, Hashable, int, int]]:
        """(id, owner, price, remaining) in priority order: best price, then arrival."""
        mine = [o for o in self.resting if o.side is side]
        mine.sort(key=lambda o: (-o.price if side is Side.BUY else o.price, o.seq))
        return [(o.order_id, o.owner, o.price, o.remaining) for o in mine]
