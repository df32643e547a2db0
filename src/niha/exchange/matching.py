"""The pure price-time matching engine of one instrument.

Pure: no I/O, no clock, no randomness, no framework import (an import-linter
contract enforces it). Prices are integers (cents per unit), quantities integers
(units); order ids and owners are any hashable values the caller chooses (UUIDs in
the service). Time priority is arrival order in the book, so no time comes in.

**Plan, then apply.** The service commits a command to the database first and only
then changes its cached book (ARCHITECTURE §6), so a command is two calls::

    plan = book.plan_limit(order_id, owner, Side.BUY, 10, 7235)  # reads the book only
    ...write orders, fills, trades, STP cancels, ledger transfers; commit...
    book.apply(plan, sequence)                                    # now mutate the cache

:meth:`OrderBook.plan_limit`, :meth:`OrderBook.plan_market` and :meth:`OrderBook.plan`
(either, by ``kind``) never mutate the book; a plan that is never applied (failed
commit) simply leaves the book as it was. A plan is valid for the exact book state it
was computed on: :meth:`OrderBook.apply` refuses it after any other mutation
(:class:`StalePlanError`) — the service then rebuilds the book from the database
(:meth:`OrderBook.load`, orders in time priority). :meth:`OrderBook.execute` plans and
applies at once (tests, callers with nothing to commit). :meth:`OrderBook.cancel`
removes a resting order (after the caller committed the cancel). After ``apply``,
:meth:`Plan.touched_levels` and :meth:`OrderBook.level` give the L2 deltas to publish.

**Rules.**

- Price-time priority: best price first, first come first served within a price;
  partial fills; the trade price is always the resting (maker) order's price.
- LIMIT orders with time in force GTC (the remainder rests), IOC (the remainder is
  cancelled, ``ioc_remainder``) or FOK (all or nothing: ``fok_unfillable``, and then
  nothing at all happens — no fill, no self-trade cancel).
- Post-only LIMIT orders are rejected (``post_only_would_cross``) when any resting
  opposite order is at a crossing price, the caller's own orders included (resting
  there would cross the book).
- MARKET orders never rest. They walk the book up to ``protection_price`` (the band
  edge; ``None`` means no protection) and the remainder is cancelled:
  ``protection_limit`` when the next resting price lies beyond it,
  ``market_no_liquidity`` when the opposite side ran out. A MARKET BUY may carry
  ``max_quote`` (the quote currency, in cents, it may spend on fills: the caller
  leaves room for fees, see :func:`niha.exchange.fees.max_notional_within`); the
  walk stops with ``max_quote_reached`` when not one more unit at the next price is
  affordable. A MARKET order may be FOK (all within protection and budget, or none).
- Self-trade prevention (cancel resting): the incoming order never trades with a
  resting order of the same owner. A resting own order that it would otherwise have
  traded with (crossing price, within budget, before the incoming order is done) is
  cancelled instead, reported in :attr:`Plan.cancelled_resting` with reason
  ``self_trade_prevention``, and the walk goes on behind it.

**Cost.** Each side keeps its price levels in a dict (price -> level) plus a sorted
list of keys whose best price is at the end, so the best level is read, created
near the top or removed in O(1) (inserting a new price moves only the better levels).
Each level is a FIFO deque with a live quantity and order count (L2 for free). An
order-id index gives O(1) cancel; a cancelled order is only marked dead and skipped
(it is dropped when a walk leaves it at the front of its level, when its level
empties, or when dead entries outnumber the live ones). The cost of an operation does
not grow with the number of resting orders.

Hot paths avoid what is slow in CPython: enum members are read through module
constants (``Side.BUY`` costs ~100 ns per read on 3.11, a global ~10 ns); a resting
order and a price level are small lists, not objects (no ``__init__`` call); plans and
fills are ``__slots__`` objects built by calling the bare class and setting each slot
(about half the cost of a NamedTuple built with ``tuple.__new__``, and their fields
read faster); each fill carries its maker's record, so ``apply`` needs no lookup; a
plan's validity is one identity test (``OrderBook._state``). Owners are compared with
``==`` on every crossing order: ints or strs are cheapest (``UUID.__eq__`` is Python
code).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Hashable, Iterable, Iterator, Sequence
from enum import StrEnum
from typing import Any, NamedTuple, TypeAlias

__all__ = [
    "Fill",
    "L2Level",
    "OrderBook",
    "OrderKind",
    "Outcome",
    "Plan",
    "Reason",
    "RestingCancel",
    "RestingOrder",
    "Side",
    "StalePlanError",
    "TimeInForce",
]


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderKind(StrEnum):
    LIMIT = "LIMIT"
    MARKET = "MARKET"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class Outcome(StrEnum):
    """What became of the incoming order."""

    #: Its remainder (``Plan.remaining`` units) rests on the book; it may also have fills.
    RESTED = "rested"
    #: Completely filled.
    FILLED = "filled"
    #: The unfilled remainder (``Plan.remaining``, maybe all of it) was cancelled: see reason.
    CANCELLED = "cancelled"
    #: Refused outright, nothing happened (post-only that would cross).
    REJECTED = "rejected"


class Reason(StrEnum):
    """Why an incoming remainder or a resting order was cancelled, or an order rejected."""

    IOC_REMAINDER = "ioc_remainder"
    FOK_UNFILLABLE = "fok_unfillable"
    MARKET_NO_LIQUIDITY = "market_no_liquidity"
    PROTECTION_LIMIT = "protection_limit"
    MAX_QUOTE_REACHED = "max_quote_reached"
    POST_ONLY_WOULD_CROSS = "post_only_would_cross"
    SELF_TRADE_PREVENTION = "self_trade_prevention"


class Fill:
    """One trade between the incoming (taker) order and one resting (maker) order.

    Compared (``==``), hashed and iterated as the tuple of its six fields.
    """

    __slots__ = (
        "_maker",
        "maker_order_id",
        "maker_owner",
        "maker_remaining",
        "price",
        "quantity",
        "taker_order_id",
    )

    maker_order_id: Hashable
    maker_owner: Hashable
    taker_order_id: Hashable
    #: The maker's price.
    price: int
    quantity: int
    #: What is left of the maker order after this fill (0: the maker order is filled).
    maker_remaining: int
    #: The maker's record in the book (for ``apply``); None for a Fill built by hand.
    _maker: _Order | None

    def __init__(
        self,
        maker_order_id: Hashable,
        maker_owner: Hashable,
        taker_order_id: Hashable,
        price: int,
        quantity: int,
        maker_remaining: int,
    ) -> None:
        self.maker_order_id = maker_order_id
        self.maker_owner = maker_owner
        self.taker_order_id = taker_order_id
        self.price = price
        self.quantity = quantity
        self.maker_remaining = maker_remaining
        self._maker = None

    def _fields(self) -> tuple[Hashable, Hashable, Hashable, int, int, int]:
        return (
            self.maker_order_id,
            self.maker_owner,
            self.taker_order_id,
            self.price,
            self.quantity,
            self.maker_remaining,
        )

    def __iter__(self) -> Iterator[Any]:
        return iter(self._fields())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Fill):
            return self._fields() == other._fields()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (
            f"Fill(maker_order_id={self.maker_order_id!r}, maker_owner={self.maker_owner!r}, "
            f"taker_order_id={self.taker_order_id!r}, price={self.price!r}, "
            f"quantity={self.quantity!r}, maker_remaining={self.maker_remaining!r})"
        )


class _NewFill(Fill):
    """How the matcher builds a Fill: ``_NewFill()`` then its slots, no ``__init__`` call."""

    __slots__ = ()
    __init__ = object.__init__


class RestingCancel(NamedTuple):
    """A resting order cancelled by a command (self-trade prevention)."""

    order_id: Hashable
    owner: Hashable
    side: Side
    price: int
    #: The open quantity that is cancelled.
    quantity: int
    reason: Reason


class RestingOrder(NamedTuple):
    """A resting order as the book holds it; also the input of :meth:`OrderBook.load`."""

    order_id: Hashable
    owner: Hashable
    side: Side
    price: int
    #: Open (unfilled) quantity.
    quantity: int


class L2Level(NamedTuple):
    price: int
    quantity: int
    orders: int


class StalePlanError(RuntimeError):
    """The plan was computed on another state of the book, or on another book."""


#: A resting order: ``[remaining, order_id, owner, level]``; ``remaining == 0`` marks it
#: dead (filled or cancelled) while it still sits in its level's queue.
_Order: TypeAlias = list[Any]
#: The resting orders at one price on one side:
#: ``[live quantity, live orders, queue, price, key, side]``. The queue (a deque) holds
#: live and dead orders in arrival order; dead ones leave it from the front after a walk
#: and all at once when they outnumber the live ones (``cancel``). A list, not an object:
#: building one costs half as much, and new levels come and go all the time.
_Level: TypeAlias = list[Any]


class Plan:
    """The outcome of one incoming order, computed without touching the book.

    ``quantity == filled_quantity + remaining`` always; ``remaining`` rests on the
    book when ``outcome`` is RESTED and is cancelled (CANCELLED, REJECTED) otherwise.
    Built by the book only (slots set one by one: cheaper than any constructor call).
    """

    __slots__ = (
        "_record",
        "_state",
        "cancelled_resting",
        "filled_notional",
        "filled_quantity",
        "fills",
        "order_id",
        "outcome",
        "owner",
        "price",
        "quantity",
        "reason",
        "remaining",
        "side",
    )

    order_id: Hashable
    owner: Hashable
    side: Side
    #: The limit price (LIMIT) or the protection price (MARKET; None: unbounded).
    price: int | None
    quantity: int
    outcome: Outcome
    reason: Reason | None
    remaining: int
    fills: Sequence[Fill]
    filled_quantity: int
    #: Sum of price * quantity over the fills, in cents.
    filled_notional: int
    cancelled_resting: Sequence[RestingCancel]
    # For apply: the state of the book the plan was computed on (see OrderBook._state;
    # None once applied), the new resting order (its level slot holds its level if that
    # already exists: it cannot vanish before apply, any change makes the plan stale).
    _state: object | None
    _record: _Order | None

    @property
    def resting_quantity(self) -> int:
        return self.remaining if self.outcome is _RESTED else 0

    @property
    def cancelled_quantity(self) -> int:
        return 0 if self.outcome is _RESTED else self.remaining

    def touched_levels(self) -> list[tuple[Side, int]]:
        """The (side, price) levels the plan changes, for L2 deltas after apply."""
        seen: dict[tuple[Side, int], None] = {}
        opposite = self.side.opposite
        for fill in self.fills:
            seen[(opposite, fill.price)] = None
        for cancel in self.cancelled_resting:
            seen[(opposite, cancel.price)] = None
        if self.outcome is _RESTED and self.price is not None:
            seen[(self.side, self.price)] = None
        return list(seen)

    def __repr__(self) -> str:
        return (
            f"Plan(order_id={self.order_id!r}, side={self.side}, price={self.price}, "
            f"quantity={self.quantity}, outcome={self.outcome}, reason={self.reason}, "
            f"remaining={self.remaining}, fills={list(self.fills)!r}, "
            f"cancelled_resting={list(self.cancelled_resting)!r})"
        )


# Module constants: reading an enum member through its class is slow on CPython 3.11.
_BUY, _SELL = Side.BUY, Side.SELL
_LIMIT, _MARKET = OrderKind.LIMIT, OrderKind.MARKET
_GTC, _IOC, _FOK = TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK
_RESTED, _FILLED, _CANCELLED, _REJECTED = (
    Outcome.RESTED,
    Outcome.FILLED,
    Outcome.CANCELLED,
    Outcome.REJECTED,
)
_IOC_REMAINDER = Reason.IOC_REMAINDER
_FOK_UNFILLABLE = Reason.FOK_UNFILLABLE
_NO_LIQUIDITY = Reason.MARKET_NO_LIQUIDITY
_PROTECTION = Reason.PROTECTION_LIMIT
_MAX_QUOTE = Reason.MAX_QUOTE_REACHED
_POST_ONLY = Reason.POST_ONLY_WOULD_CROSS
_STP = Reason.SELF_TRADE_PREVENTION

_NO_FILLS: tuple[Fill, ...] = ()
_NO_CANCELS: tuple[RestingCancel, ...] = ()
#: Below every sort key: a walk bound that never stops the walk.
_UNBOUNDED = -(1 << 62)
#: A level's queue is compacted when longer than twice its live count plus this.
_DEAD_SLACK = 32
# What a savepoint's undo log records (OrderBook.savepoint): the kinds of change.
(
    _UNDO_STATE,
    _UNDO_QTY,
    _UNDO_COUNTS,
    _UNDO_UNINDEXED,
    _UNDO_RESTED,
    _UNDO_POPPED,
    _UNDO_LEVEL_GONE,
    _UNDO_LEVEL_NEW,
    _UNDO_QUEUE,
) = (object() for _ in range(9))


class _Side:
    """One side of the book. Sort key = sign * price, ascending: the best level last.

    Invariant: a level is in ``levels``/``keys`` exactly while it has a live order.
    """

    __slots__ = ("keys", "levels", "side", "sign")

    def __init__(self, side: Side) -> None:
        self.side = side
        self.sign = 1 if side is _BUY else -1
        self.keys: list[int] = []
        self.levels: dict[int, _Level] = {}

    def add_level(self, price: int, key: int) -> _Level:
        level = self.levels[key] = [0, 0, deque(), price, key, self]
        keys = self.keys
        if not keys or key > keys[-1]:
            keys.append(key)
        else:
            insort(keys, key)  # moves only the better levels
        return level


class OrderBook:
    """The order book of one instrument: plan, apply, cancel, load, L2."""

    __slots__ = ("_asks", "_bids", "_index", "_state", "_undo", "sequence")

    def __init__(self) -> None:
        self._bids = _Side(_BUY)
        self._asks = _Side(_SELL)
        self._index: dict[Hashable, _Order] = {}
        #: Stands for the book's current state: a plan is valid while it is the same object.
        #: Every change puts another object here that no plan can hold yet and that never
        #: comes back — the applied plan (apply clears its own ``_state``), the cancelled
        #: order's record (cancelled once), a new object() — and a plan keeps its state
        #: alive, so its identity is never reused (two books never share one either).
        self._state: object = object()
        #: The caller's sequence number of the last command applied (ARCHITECTURE §6):
        #: set through ``apply``/``cancel``/``load`` (or directly); the book never
        #: changes it on its own.
        self.sequence = 0
        #: While a savepoint is open: how to undo each change since (:meth:`savepoint`).
        self._undo: list[tuple[Any, ...]] | None = None

    # ------------------------------------------------------------------ commands

    def plan(
        self,
        order_id: Hashable,
        owner: Hashable,
        side: Side,
        quantity: int,
        price: int | None = None,
        *,
        kind: OrderKind = _LIMIT,
        tif: TimeInForce = _GTC,
        post_only: bool = False,
        protection_price: int | None = None,
        max_quote: int | None = None,
    ) -> Plan:
        """:meth:`plan_limit` or :meth:`plan_market`, by ``kind``; the book is not changed.

        LIMIT takes ``price`` (and ``post_only``), MARKET ``protection_price`` and
        ``max_quote``; mixing them up raises ``ValueError``.
        """
        if kind is _LIMIT or (kind is not _MARKET and OrderKind(kind) is _LIMIT):
            if protection_price is not None or max_quote is not None:
                raise ValueError("protection_price and max_quote are for MARKET orders")
            return self.plan_limit(order_id, owner, side, quantity, price, tif, post_only)  # type: ignore[arg-type]
        if price is not None or post_only:
            raise ValueError("a MARKET order has no price and is never post-only")
        if tif is _GTC or tif == _GTC:
            tif = _IOC  # a MARKET order never rests: GTC means IOC
        return self.plan_market(order_id, owner, side, quantity, protection_price, max_quote, tif)

    def plan_limit(
        self,
        order_id: Hashable,
        owner: Hashable,
        side: Side,
        quantity: int,
        price: int,
        tif: TimeInForce = _GTC,
        post_only: bool = False,
    ) -> Plan:
        """What LIMIT order ``order_id`` would do now; the book is not changed.

        Invalid arguments raise ``ValueError``: the service validates user input
        first, so they are programming errors. (Passing every argument, without
        keywords, is the fastest call.)
        """
        # (``x.__class__`` is a little cheaper than ``type(x)`` on 3.11; bools are refused.)
        if quantity.__class__ is not int or quantity <= 0:
            raise ValueError("quantity must be a positive int")
        if price.__class__ is not int or price <= 0:
            raise ValueError("a LIMIT order needs a positive int price")
        if order_id in self._index:
            raise ValueError(f"order {order_id!r} is already resting")
        if side is _BUY:
            own, opposite, own_key = self._bids, self._asks, price
        elif side is _SELL:
            own, opposite, own_key = self._asks, self._bids, -price
        else:
            side = Side(side)
            if side is _BUY:
                own, opposite, own_key = self._bids, self._asks, price
            else:
                own, opposite, own_key = self._asks, self._bids, -price
        # own_key: where the order would rest; the opposite keys from -own_key up cross it.
        keys = opposite.keys
        if tif is _GTC:
            if not keys or keys[-1] < -own_key:
                # Nothing to match against: the order rests (the common case, built inline).
                plan = Plan()
                plan.order_id = order_id
                plan.owner = owner
                plan.side = side
                plan.price = price
                plan.quantity = quantity
                plan.outcome = _RESTED
                plan.reason = None
                plan.remaining = quantity
                plan.fills = _NO_FILLS
                plan.filled_quantity = 0
                plan.filled_notional = 0
                plan.cancelled_resting = _NO_CANCELS
                plan._state = self._state
                plan._record = [quantity, order_id, owner, own.levels.get(own_key)]
                return plan
            if post_only:
                return self._nothing(order_id, owner, side, price, quantity, _REJECTED, _POST_ONLY)
        else:
            if tif is not _IOC and tif is not _FOK:
                tif = TimeInForce(tif)  # a plain string; ValueError when unknown
                if tif is _GTC:
                    return self.plan_limit(order_id, owner, side, quantity, price, tif, post_only)
            if post_only:
                raise ValueError("a post-only order is GTC")
            if not keys or keys[-1] < -own_key:
                return self._nothing(
                    order_id, owner, side, price, quantity, _CANCELLED,
                    _IOC_REMAINDER if tif is _IOC else _FOK_UNFILLABLE,
                )  # fmt: skip
        return self._walk(
            order_id, owner, side, quantity, price, -own_key, None, tif, own, own_key, opposite
        )

    def plan_market(
        self,
        order_id: Hashable,
        owner: Hashable,
        side: Side,
        quantity: int,
        protection_price: int | None = None,
        max_quote: int | None = None,
        tif: TimeInForce = _IOC,
    ) -> Plan:
        """What MARKET order ``order_id`` would do now; the book is not changed.

        It never rests: ``tif`` is IOC or FOK. ``protection_price`` (None: none) bounds
        the prices it may trade at; ``max_quote`` (MARKET BUY only) the sum of
        price x quantity of its fills.
        """
        if quantity.__class__ is not int or quantity <= 0:
            raise ValueError("quantity must be a positive int")
        if protection_price is not None and (
            protection_price.__class__ is not int or protection_price <= 0
        ):
            raise ValueError("protection_price must be a positive int")
        if order_id in self._index:
            raise ValueError(f"order {order_id!r} is already resting")
        if side is _BUY:
            opposite = self._asks
        elif side is _SELL:
            opposite = self._bids
        else:
            side = Side(side)
            opposite = self._asks if side is _BUY else self._bids
        if max_quote is not None and (
            max_quote.__class__ is not int or max_quote < 0 or side is not _BUY
        ):
            raise ValueError("max_quote is a non-negative int, for a MARKET BUY")
        if tif is not _IOC and tif is not _FOK and TimeInForce(tif) is not _FOK:
            raise ValueError("a MARKET order is IOC or FOK")
        keys = opposite.keys
        bound = _UNBOUNDED if protection_price is None else opposite.sign * protection_price
        if not keys or keys[-1] < bound:  # nothing to match against
            reason = _FOK_UNFILLABLE if tif is _FOK else _PROTECTION if keys else _NO_LIQUIDITY
            return self._nothing(
                order_id, owner, side, protection_price, quantity, _CANCELLED, reason
            )
        return self._walk(
            order_id, owner, side, quantity, protection_price, bound, max_quote, tif, None, 0,
            opposite,
        )  # fmt: skip

    def _nothing(
        self,
        order_id: Hashable,
        owner: Hashable,
        side: Side,
        price: int | None,
        quantity: int,
        outcome: Outcome,
        reason: Reason,
    ) -> Plan:
        """A plan that changes nothing: no fill, no cancel, nothing rests."""
        plan = Plan()
        plan.order_id = order_id
        plan.owner = owner
        plan.side = side
        plan.price = price
        plan.quantity = quantity
        plan.outcome = outcome
        plan.reason = reason
        plan.remaining = quantity
        plan.fills = _NO_FILLS
        plan.filled_quantity = 0
        plan.filled_notional = 0
        plan.cancelled_resting = _NO_CANCELS
        plan._state = self._state
        plan._record = None
        return plan

    def _walk(
        self,
        order_id: Hashable,
        owner: Hashable,
        side: Side,
        quantity: int,
        limit: int | None,
        bound: int,
        budget: int | None,
        tif: TimeInForce,
        own: _Side | None,
        own_key: int,
        opposite: _Side,
    ) -> Plan:
        """Walk the opposite side from its best level in priority order, reading only.

        ``own`` is None for a MARKET order; ``bound`` the lowest crossing key.
        """
        levels = opposite.levels
        fills: list[Fill] = []
        stp: list[_Order] | None = None
        remaining = quantity
        notional = 0
        stop: Reason | None = None
        if budget is None:
            # Every maker but the last is filled completely: one break ends both loops.
            for key in reversed(opposite.keys):
                if key < bound:
                    stop = _PROTECTION
                    break
                level = levels[key]
                level_price = level[3]
                for resting in level[2]:
                    open_qty, maker_id, maker_owner, _ = resting
                    if not open_qty:
                        continue  # dead
                    if maker_owner == owner:
                        if stp is None:
                            stp = [resting]
                        else:
                            stp.append(resting)
                        continue
                    fill = _NewFill()
                    fill.maker_order_id = maker_id
                    fill.maker_owner = maker_owner
                    fill.taker_order_id = order_id
                    fill.price = level_price
                    fill._maker = resting
                    fills.append(fill)
                    if open_qty < remaining:
                        fill.quantity = open_qty
                        fill.maker_remaining = 0
                        notional += open_qty * level_price
                        remaining -= open_qty
                    else:
                        fill.quantity = remaining
                        fill.maker_remaining = open_qty - remaining
                        notional += remaining * level_price
                        remaining = 0
                        break
                else:
                    continue
                break
        else:
            for key in reversed(opposite.keys):
                if key < bound:
                    stop = _PROTECTION
                    break
                level = levels[key]
                level_price = level[3]
                for resting in level[2]:
                    open_qty = resting[0]
                    if not open_qty:
                        continue  # dead
                    if budget < level_price:
                        stop = _MAX_QUOTE
                        break
                    if resting[2] == owner:
                        if stp is None:
                            stp = [resting]
                        else:
                            stp.append(resting)
                        continue
                    take = open_qty if open_qty < remaining else remaining
                    affordable = budget // level_price
                    if affordable < take:  # the budget is spent; this maker keeps the rest
                        take = affordable
                        stop = _MAX_QUOTE
                    budget -= take * level_price
                    fill = _NewFill()
                    fill.maker_order_id = resting[1]
                    fill.maker_owner = resting[2]
                    fill.taker_order_id = order_id
                    fill.price = level_price
                    fill.quantity = take
                    fill.maker_remaining = open_qty - take
                    fill._maker = resting
                    fills.append(fill)
                    notional += take * level_price
                    remaining -= take
                    if not remaining or stop is not None:
                        break
                else:
                    continue
                break

        record: _Order | None = None
        outcome: Outcome
        reason: Reason | None
        if not remaining:
            outcome, reason = _FILLED, None
        elif tif is _FOK:  # all or nothing: nothing
            return self._nothing(
                order_id, owner, side, limit, quantity, _CANCELLED, _FOK_UNFILLABLE
            )
        elif own is None:  # MARKET
            outcome, reason = _CANCELLED, (_NO_LIQUIDITY if stop is None else stop)
        elif tif is _GTC:
            outcome, reason = _RESTED, None
            record = [remaining, order_id, owner, own.levels.get(own_key)]
        else:
            outcome, reason = _CANCELLED, _IOC_REMAINDER
        plan = Plan()
        plan.order_id = order_id
        plan.owner = owner
        plan.side = side
        plan.price = limit
        plan.quantity = quantity
        plan.outcome = outcome
        plan.reason = reason
        plan.remaining = remaining
        plan.fills = fills
        plan.filled_quantity = quantity - remaining
        plan.filled_notional = notional
        if stp is None:
            plan.cancelled_resting = _NO_CANCELS
        else:
            opposite_side = opposite.side
            plan.cancelled_resting = [
                RestingCancel(o[1], o[2], opposite_side, o[3][3], o[0], _STP) for o in stp
            ]
        plan._state = self._state
        plan._record = record
        return plan

    def apply(self, plan: Plan, sequence: int | None = None) -> None:
        """Carry out ``plan`` on the book (after the caller has committed it).

        ``sequence``, when given, becomes the book's :attr:`sequence`.
        """
        if plan._state is not self._state:
            raise StalePlanError("the book changed since this plan was computed")
        self._state = plan
        plan._state = None  # or each state would keep the one before alive, back to the first
        if sequence is not None:
            self.sequence = sequence
        record = plan._record
        log = self._undo
        if plan.fills:
            index = self._index
            for fill in plan.fills:
                resting: _Order = fill._maker  # type: ignore[assignment]
                level = resting[3]
                if log is not None:
                    log.append((_UNDO_QTY, resting, resting[0]))
                    log.append((_UNDO_COUNTS, level, level[0], level[1]))
                level[0] -= fill.quantity
                left = resting[0] = fill.maker_remaining
                if not left:
                    level[1] -= 1
                    del index[resting[1]]
                    if log is not None:
                        log.append((_UNDO_UNINDEXED, resting))
            for cancel in plan.cancelled_resting:
                resting = index.pop(cancel.order_id)
                level = resting[3]
                if log is not None:
                    log.append((_UNDO_UNINDEXED, resting))
                    log.append((_UNDO_QTY, resting, resting[0]))
                    log.append((_UNDO_COUNTS, level, level[0], level[1]))
                level[0] -= resting[0]
                level[1] -= 1
                resting[0] = 0
            # Every walked level is empty now but maybe the last: they are the best ones,
            # at the end of the keys. Drop them; the last one loses its dead front.
            opposite = self._asks if plan.side is _BUY else self._bids
            keys = opposite.keys
            levels = opposite.levels
            while keys:
                level = levels[keys[-1]]
                if level[1]:
                    queue = level[2]
                    while not queue[0][0]:
                        dead = queue.popleft()
                        if log is not None:
                            log.append((_UNDO_POPPED, queue, dead))
                    break
                del levels[keys.pop()]
                if log is not None:
                    log.append((_UNDO_LEVEL_GONE, opposite, level))
        elif plan.cancelled_resting:
            for cancel in plan.cancelled_resting:
                self.cancel(cancel.order_id)
        if record is not None:
            level = record[3]
            if level is None:
                price: int = plan.price  # type: ignore[assignment]
                if plan.side is _BUY:
                    level = record[3] = self._bids.add_level(price, price)
                else:
                    level = record[3] = self._asks.add_level(price, -price)
                if log is not None:
                    log.append((_UNDO_LEVEL_NEW, level))
            elif log is not None:
                log.append((_UNDO_COUNTS, level, level[0], level[1]))
            level[2].append(record)
            level[0] += plan.remaining
            level[1] += 1
            self._index[plan.order_id] = record
            if log is not None:
                log.append((_UNDO_RESTED, record))

    # ------------------------------------------------------------------ savepoints

    def savepoint(self) -> None:
        """Record every change from now on, so that :meth:`rollback` can undo them.

        For a caller that applies plans before it knows whether they commit (the
        exchange decides a group of orders one after the other, each on the book the
        ones before it left): if the commit fails, ``rollback`` gives back the book as
        it was -- same orders, same time priority, same :attr:`sequence` -- instead of a
        reload. Only :meth:`apply` and :meth:`cancel` may run meanwhile.
        """
        self._undo = [(_UNDO_STATE, self._state, self.sequence)]

    def release(self) -> None:
        """Keep the changes since :meth:`savepoint` and stop recording."""
        self._undo = None

    def rollback(self) -> None:
        """Undo every change since :meth:`savepoint` (newest first) and stop recording."""
        log, self._undo = self._undo, None
        if log is None:
            raise RuntimeError("no savepoint to roll back to")
        index = self._index
        for entry in reversed(log):
            kind = entry[0]
            if kind is _UNDO_QTY:
                entry[1][0] = entry[2]
            elif kind is _UNDO_COUNTS:
                level = entry[1]
                level[0], level[1] = entry[2], entry[3]
            elif kind is _UNDO_UNINDEXED:
                index[entry[1][1]] = entry[1]
            elif kind is _UNDO_RESTED:
                record = entry[1]
                del index[record[1]]
                record[3][2].pop()
            elif kind is _UNDO_POPPED:
                entry[1].appendleft(entry[2])
            elif kind is _UNDO_LEVEL_GONE:
                book_side, level = entry[1], entry[2]
                book_side.levels[level[4]] = level
                insort(book_side.keys, level[4])
            elif kind is _UNDO_LEVEL_NEW:
                level = entry[1]
                book_side = level[5]
                del book_side.levels[level[4]]
                book_side.keys.remove(level[4])
            elif kind is _UNDO_QUEUE:
                entry[1][2] = entry[2]
            else:  # _STATE
                self._state, self.sequence = entry[1], entry[2]

    def execute(
        self,
        order_id: Hashable,
        owner: Hashable,
        side: Side,
        quantity: int,
        price: int | None = None,
        *,
        kind: OrderKind = _LIMIT,
        tif: TimeInForce = _GTC,
        post_only: bool = False,
        protection_price: int | None = None,
        max_quote: int | None = None,
    ) -> Plan:
        """:meth:`plan`, then :meth:`apply`."""
        plan = self.plan(
            order_id,
            owner,
            side,
            quantity,
            price,
            kind=kind,
            tif=tif,
            post_only=post_only,
            protection_price=protection_price,
            max_quote=max_quote,
        )
        self.apply(plan)
        return plan

    def cancel(self, order_id: Hashable, sequence: int | None = None) -> int:
        """Remove a resting order: the open quantity removed, 0 if it is not on the book.

        ``sequence``, when given and the order was on the book, becomes :attr:`sequence`.
        """
        resting = self._index.pop(order_id, None)
        if resting is None:
            return 0
        self._state = resting
        if sequence is not None:
            self.sequence = sequence
        level: _Level = resting[3]
        removed: int = resting[0]
        log = self._undo
        if log is not None:
            log.append((_UNDO_UNINDEXED, resting))
            log.append((_UNDO_QTY, resting, removed))
        resting[0] = 0
        count = level[1] - 1
        if not count:  # the level goes
            book_side: _Side = level[5]
            key = level[4]
            del book_side.levels[key]
            keys = book_side.keys
            if keys[-1] == key:
                keys.pop()
            else:
                del keys[bisect_left(keys, key)]  # moves only the better levels
            if log is not None:
                log.append((_UNDO_LEVEL_GONE, book_side, level))
            return removed
        if log is not None:
            log.append((_UNDO_COUNTS, level, level[0], level[1]))
        level[1] = count
        level[0] -= removed
        if len(level[2]) > 2 * count + _DEAD_SLACK:  # mostly dead: compact
            if log is not None:
                log.append((_UNDO_QUEUE, level, level[2]))
            level[2] = deque([o for o in level[2] if o[0]])
        return removed

    def add(self, order: RestingOrder) -> None:
        """Rest ``order`` at the back of its level: it is newer than every order on the book.

        For a cached book catching up with commands another process ran. ``ValueError``
        for a duplicate id, a bad quantity or price, or an order that would cross.
        """
        order_id, owner, side, price, quantity = order
        if order_id in self._index:
            raise ValueError(f"duplicate order {order_id!r}")
        if type(quantity) is not int or quantity <= 0:
            raise ValueError("quantity must be a positive int")
        if type(price) is not int or price <= 0:
            raise ValueError("price must be a positive int")
        if Side(side) is _BUY:
            book_side, opposite = self._bids, self._asks
            crosses = bool(opposite.keys) and price >= -opposite.keys[-1]
        else:
            book_side, opposite = self._asks, self._bids
            crosses = bool(opposite.keys) and price <= opposite.keys[-1]
        if crosses:
            raise ValueError("the order would cross the book")
        key = book_side.sign * price
        level = book_side.levels.get(key)
        if level is None:
            level = book_side.add_level(price, key)
        resting: _Order = [quantity, order_id, owner, level]
        level[2].append(resting)
        level[0] += quantity
        level[1] += 1
        self._index[order_id] = resting
        self._state = object()  # not the record: a cancel makes that the state later

    def reduce(self, order_id: Hashable, remaining: int) -> None:
        """Lower a resting order's open quantity to ``remaining`` (> 0), keeping its place.

        ``KeyError`` when the order is not on the book, ``ValueError`` for a quantity that
        is not smaller or equal and positive.
        """
        resting = self._index[order_id]
        if type(remaining) is not int or not 0 < remaining <= resting[0]:
            raise ValueError("remaining must be positive and at most the open quantity")
        level: _Level = resting[3]
        level[0] -= resting[0] - remaining
        resting[0] = remaining
        self._state = object()

    def load(self, orders: Iterable[RestingOrder], *, sequence: int = 0) -> None:
        """Replace the whole book by ``orders`` (cache rebuild), given in time priority.

        Refuses (``ValueError``) duplicates, bad quantities or prices and a crossed book;
        the book is unchanged then.
        """
        bids, asks = _Side(_BUY), _Side(_SELL)
        index: dict[Hashable, _Order] = {}
        for order_id, owner, side, price, quantity in orders:
            if order_id in index:
                raise ValueError(f"duplicate order {order_id!r}")
            if type(quantity) is not int or quantity <= 0:
                raise ValueError("quantity must be a positive int")
            if type(price) is not int or price <= 0:
                raise ValueError("price must be a positive int")
            book_side = bids if Side(side) is _BUY else asks
            key = book_side.sign * price
            level = book_side.levels.get(key)
            if level is None:
                level = book_side.add_level(price, key)
            resting = [quantity, order_id, owner, level]
            level[2].append(resting)
            level[0] += quantity
            level[1] += 1
            index[order_id] = resting
        if bids.keys and asks.keys and bids.keys[-1] >= -asks.keys[-1]:
            raise ValueError("the orders cross: best bid >= best ask")
        self._bids, self._asks, self._index = bids, asks, index
        self._state = object()
        self.sequence = sequence

    # ------------------------------------------------------------------ queries

    def best_bid(self) -> int | None:
        keys = self._bids.keys
        return keys[-1] if keys else None

    def best_ask(self) -> int | None:
        keys = self._asks.keys
        return -keys[-1] if keys else None

    def depth(self, side: Side, limit: int | None = None) -> list[L2Level]:
        """L2 of one side, best first: (price, open quantity, number of orders)."""
        book_side = self._side(side)
        keys = book_side.keys
        if limit is not None:
            keys = keys[-limit:] if limit > 0 else []
        levels = book_side.levels
        out = []
        for key in reversed(keys):
            level = levels[key]
            out.append(L2Level(level[3], level[0], level[1]))
        return out

    def level(self, side: Side, price: int) -> L2Level:
        """One level's L2 (quantity 0 and 0 orders when nothing rests there)."""
        book_side = self._side(side)
        level = book_side.levels.get(book_side.sign * price)
        if level is None:
            return L2Level(price, 0, 0)
        return L2Level(price, level[0], level[1])

    def get(self, order_id: Hashable) -> RestingOrder | None:
        resting = self._index.get(order_id)
        if resting is None:
            return None
        level = resting[3]
        return RestingOrder(order_id, resting[2], level[5].side, level[3], resting[0])

    def orders(self, side: Side) -> list[RestingOrder]:
        """Every resting order of one side in priority order (best price, then time)."""
        book_side = self._side(side)
        out = []
        for key in reversed(book_side.keys):
            level = book_side.levels[key]
            for o in level[2]:
                if o[0]:
                    out.append(RestingOrder(o[1], o[2], book_side.side, level[3], o[0]))
        return out

    def _side(self, side: Side) -> _Side:
        return self._bids if Side(side) is _BUY else self._asks

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._index
