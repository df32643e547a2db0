"""The matcher against the brute-force reference on random order streams (hypothesis).

Every command goes to both; after each one: the same outcome, fills (maker, taker,
price, quantity), self-trade cancels and book (every resting order, in priority
order); ``plan`` changed nothing before ``apply``; the book is not crossed; L2 agrees
with the orders; fills respect price-time priority; every order's quantity is
conserved (original = filled + cancelled + resting).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from niha.exchange.matching import (
    OrderBook,
    OrderKind,
    Outcome,
    Plan,
    Side,
    TimeInForce,
)
from tests.exchange.reference import ReferenceBook

OWNERS = ("a", "b", "c")  # few owners: self-trade prevention fires often
PRICES = st.integers(95, 105)  # a narrow band: many crossings and shared levels
QTY = st.integers(1, 12) | st.integers(13, 40)


@dataclass(frozen=True)
class Limit:
    owner: str
    side: Side
    price: int
    quantity: int
    tif: TimeInForce
    post_only: bool


@dataclass(frozen=True)
class Market:
    owner: str
    side: Side
    quantity: int
    protection: int | None
    max_quote: int | None
    fok: bool


@dataclass(frozen=True)
class Cancel:
    pick: int  # index into the ids submitted so far (any state: resting, filled, ...)


sides = st.sampled_from(list(Side))
limits = st.builds(
    Limit,
    st.sampled_from(OWNERS),
    sides,
    PRICES,
    QTY,
    st.sampled_from([TimeInForce.GTC, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK]),
    st.booleans(),
).map(lambda o: o if o.tif is TimeInForce.GTC else Limit(**{**o.__dict__, "post_only": False}))
markets = st.builds(
    Market,
    st.sampled_from(OWNERS),
    sides,
    st.integers(1, 30),
    st.none() | PRICES,
    st.none() | st.integers(0, 2000),
    st.booleans(),
).map(lambda o: o if o.side is Side.BUY else Market(**{**o.__dict__, "max_quote": None}))
cancels = st.builds(Cancel, st.integers(0, 10_000))
commands = st.lists(
    st.one_of(limits, limits, limits, limits, markets, cancels), min_size=8, max_size=80
)


def snapshot(book: OrderBook) -> Any:
    return (
        [tuple(o) for o in book.orders(Side.BUY)],
        [tuple(o) for o in book.orders(Side.SELL)],
        book.depth(Side.BUY),
        book.depth(Side.SELL),
        len(book),
    )


def ref_orders(ref: ReferenceBook, side: Side) -> list[tuple[Hashable, Hashable, int, int]]:
    return ref.orders(side)


def ours_orders(book: OrderBook, side: Side) -> list[tuple[Hashable, Hashable, int, int]]:
    return [(o.order_id, o.owner, o.price, o.quantity) for o in book.orders(side)]


class Ledger:
    """Per-order quantities, to check conservation and priority."""

    def __init__(self) -> None:
        self.original: dict[int, int] = {}
        self.filled: dict[int, int] = defaultdict(int)
        self.cancelled: dict[int, int] = defaultdict(int)
        self.arrival: dict[Hashable, int] = {}  # resting order -> when it started resting

    def check(self, book: OrderBook) -> None:
        resting = {o.order_id: o.quantity for s in Side for o in book.orders(s)}
        for order_id, original in self.original.items():
            assert original == (
                self.filled[order_id] + self.cancelled[order_id] + resting.get(order_id, 0)
            ), order_id


def check_book(book: OrderBook) -> None:
    bid, ask = book.best_bid(), book.best_ask()
    assert bid is None or ask is None or bid < ask, (bid, ask)
    for side in Side:
        orders = book.orders(side)
        levels: dict[int, list[int]] = {}
        for o in orders:
            assert o.quantity > 0
            levels.setdefault(o.price, []).append(o.quantity)
        assert [(lv.price, lv.quantity, lv.orders) for lv in book.depth(side)] == [
            (p, sum(q), len(q)) for p, q in levels.items()
        ]
        prices = list(levels)
        assert prices == sorted(prices, reverse=side is Side.BUY)
    assert len(book) == len(book.orders(Side.BUY)) + len(book.orders(Side.SELL))


def check_priority(plan: Plan, ledger: Ledger) -> None:
    """Better prices first; within one price, earlier resting orders first."""
    keys = [
        ((f.price if plan.side is Side.BUY else -f.price), ledger.arrival[f.maker_order_id])
        for f in plan.fills
    ]
    assert keys == sorted(keys)


def run_stream(cmds: list[Limit | Market | Cancel]) -> None:
    book, ref, ledger = OrderBook(), ReferenceBook(), Ledger()
    submitted: list[int] = []
    for n, cmd in enumerate(cmds, start=1):
        before = snapshot(book)
        if isinstance(cmd, Cancel):
            if not submitted:
                continue
            target = submitted[cmd.pick % len(submitted)]
            expected = ref.cancel(target)
            assert book.cancel(target) == expected
            ledger.cancelled[target] += expected
        else:
            if isinstance(cmd, Limit):
                kwargs: dict[str, Any] = dict(price=cmd.price, tif=cmd.tif, post_only=cmd.post_only)
            else:
                kwargs = dict(
                    kind=OrderKind.MARKET,
                    protection_price=cmd.protection,
                    max_quote=cmd.max_quote,
                    tif=TimeInForce.FOK if cmd.fok else TimeInForce.IOC,
                )
            resting_before = {o.order_id: o for side in Side for o in book.orders(side)}
            plan = book.plan(n, cmd.owner, cmd.side, cmd.quantity, **kwargs)
            assert snapshot(book) == before  # planning changes nothing
            expected_result = ref.submit(n, cmd.owner, cmd.side, cmd.quantity, **kwargs)
            assert plan.outcome is expected_result.outcome
            assert plan.reason is expected_result.reason
            assert plan.remaining == expected_result.remaining
            assert [
                (f.maker_order_id, f.taker_order_id, f.price, f.quantity) for f in plan.fills
            ] == expected_result.fills
            assert [
                (c.order_id, c.quantity) for c in plan.cancelled_resting
            ] == expected_result.cancelled_resting
            assert plan.quantity == plan.filled_quantity + plan.remaining
            assert plan.filled_quantity == sum(f.quantity for f in plan.fills)
            assert plan.filled_notional == sum(f.price * f.quantity for f in plan.fills)
            assert all(f.price is not None and f.quantity > 0 for f in plan.fills)
            check_priority(plan, ledger)
            if cmd.side is Side.BUY and isinstance(cmd, Market) and cmd.max_quote is not None:
                assert plan.filled_notional <= cmd.max_quote
            if isinstance(cmd, Market) or cmd.tif is not TimeInForce.GTC:
                assert plan.outcome is not Outcome.RESTED

            event(f"{type(cmd).__name__} {plan.outcome} {plan.reason or ''}")
            if plan.cancelled_resting:
                event("self-trade prevention")
            if len({f.price for f in plan.fills}) > 1:
                event("walked several levels")
            book.apply(plan)
            for f in plan.fills:  # each fill names its maker as it was, and what is left of it
                maker = resting_before[f.maker_order_id]
                assert (f.maker_owner, f.price) == (maker.owner, maker.price)
                after = book.get(f.maker_order_id)
                assert f.maker_remaining == (after.quantity if after else 0)
                assert f.maker_remaining == maker.quantity - f.quantity
            submitted.append(n)
            ledger.original[n] = cmd.quantity
            for f in plan.fills:
                ledger.filled[n] += f.quantity
                ledger.filled[f.maker_order_id] += f.quantity  # type: ignore[index]
            for c in plan.cancelled_resting:
                ledger.cancelled[c.order_id] += c.quantity  # type: ignore[index]
            ledger.cancelled[n] += plan.cancelled_quantity
            if plan.outcome is Outcome.RESTED:
                ledger.arrival[n] = n
        for side in Side:
            assert ours_orders(book, side) == ref_orders(ref, side)
        check_book(book)
        ledger.check(book)


@settings(max_examples=400, deadline=None)
@given(commands)
def test_matcher_equals_reference(cmds: list[Limit | Market | Cancel]) -> None:
    run_stream(cmds)


@settings(max_examples=100, deadline=None)
@given(commands, commands)
def test_rebuilt_book_behaves_the_same(
    first: list[Limit | Market | Cancel], then: list[Limit | Market | Cancel]
) -> None:
    """load() of the resting orders gives a book that answers every later command alike."""
    book = OrderBook()
    for n, cmd in enumerate(first, start=1):
        if isinstance(cmd, Limit):
            book.execute(n, cmd.owner, cmd.side, cmd.quantity, cmd.price, tif=cmd.tif)
        elif isinstance(cmd, Cancel):
            book.cancel(cmd.pick % n)
    rebuilt = OrderBook()
    rebuilt.load(book.orders(Side.BUY) + book.orders(Side.SELL), sequence=7)
    assert rebuilt.sequence == 7
    assert snapshot(rebuilt) == snapshot(book)
    for n, cmd in enumerate(then, start=1000):
        if isinstance(cmd, Limit):
            a = book.execute(n, cmd.owner, cmd.side, cmd.quantity, cmd.price, tif=cmd.tif)
            b = rebuilt.execute(n, cmd.owner, cmd.side, cmd.quantity, cmd.price, tif=cmd.tif)
            assert (a.fills, a.cancelled_resting, a.outcome) == (
                b.fills,
                b.cancelled_resting,
                b.outcome,
            )
        elif isinstance(cmd, Cancel):
            assert book.cancel(cmd.pick % n) == rebuilt.cancel(cmd.pick % n)
        assert snapshot(rebuilt) == snapshot(book)


@settings(max_examples=100, deadline=None)
@given(commands, st.data())
def test_unapplied_plans_leave_no_trace(cmds: list[Limit | Market | Cancel], data: Any) -> None:
    """Plans that are dropped (a failed commit) or stale never change the book."""
    book, twin = OrderBook(), OrderBook()
    for n, cmd in enumerate(cmds, start=1):
        if not isinstance(cmd, Limit):
            continue
        plan = book.plan(n, cmd.owner, cmd.side, cmd.quantity, cmd.price, tif=cmd.tif)
        if data.draw(st.booleans()):
            continue  # dropped
        book.apply(plan)
        twin.execute(n, cmd.owner, cmd.side, cmd.quantity, cmd.price, tif=cmd.tif)
        assert snapshot(book) == snapshot(twin)


def _execute(book: OrderBook, n: int, cmd: Limit | Market | Cancel) -> Any:
    """One command on ``book`` (order id ``n``), its observable result."""
    if isinstance(cmd, Cancel):
        return book.cancel(cmd.pick % n, sequence=n)
    if isinstance(cmd, Limit):
        plan = book.plan(n, cmd.owner, cmd.side, cmd.quantity, cmd.price, tif=cmd.tif,
                         post_only=cmd.post_only)  # fmt: skip
    else:
        plan = book.plan(
            n, cmd.owner, cmd.side, cmd.quantity, kind=OrderKind.MARKET,
            protection_price=cmd.protection, max_quote=cmd.max_quote,
            tif=TimeInForce.FOK if cmd.fok else TimeInForce.IOC,
        )  # fmt: skip
    if plan.outcome is not Outcome.REJECTED:
        book.apply(plan, sequence=n)
    return (plan.outcome, plan.reason, plan.fills, plan.cancelled_resting, plan.remaining)


def _internals(book: OrderBook) -> Any:
    """Everything a later command can see, dead queue entries and level order included."""
    sides = []
    for side in (book._bids, book._asks):
        sides.append(
            (
                list(side.keys),
                sorted(side.levels),
                [
                    (lv[0], lv[1], lv[3], lv[4], [(o[0], o[1], o[2]) for o in lv[2]])
                    for _, lv in sorted(side.levels.items())
                ],
            )
        )
    return sides, sorted(map(str, book._index)), book.sequence


@settings(max_examples=300, deadline=None)
@given(commands, commands, commands)
def test_rollback_gives_back_the_book_as_it_was(
    first: list[Limit | Market | Cancel],
    middle: list[Limit | Market | Cancel],
    then: list[Limit | Market | Cancel],
) -> None:
    """savepoint(), any commands, rollback(): the same book -- orders, time priority,
    dead entries, sequence -- which then answers every later command as an untouched
    twin does (the exchange undoes a group of orders whose commit failed)."""
    book, twin = OrderBook(), OrderBook()
    for n, cmd in enumerate(first, start=1):
        assert _execute(book, n, cmd) == _execute(twin, n, cmd)
    before = _internals(book)
    pending = book.plan(999, "a", Side.BUY, 5, 100)  # computed before the savepoint
    book.savepoint()
    for n, cmd in enumerate(middle, start=1000):
        _execute(book, n, cmd)
    book.rollback()
    assert _internals(book) == before
    assert snapshot(book) == snapshot(twin)
    book.apply(pending)  # the book is the one it was planned on again
    twin.apply(twin.plan(999, "a", Side.BUY, 5, 100))
    for n, cmd in enumerate(then, start=2000):
        assert _execute(book, n, cmd) == _execute(twin, n, cmd)
        assert snapshot(book) == snapshot(twin)


def test_rollback_undoes_a_compacted_level_and_release_keeps_the_changes() -> None:
    book, twin = OrderBook(), OrderBook()
    for book_ in (book, twin):
        for n in range(1, 201):
            book_.execute(n, "a", Side.SELL, 1, 100)
        for n in range(1, 61):  # dead entries at the front, too few to compact
            book_.cancel(n)
        assert len(book_._asks.levels[-100][2]) == 200
    before = _internals(book)
    book.savepoint()
    for n in range(61, 151):
        book.cancel(n)
    assert len(book._asks.levels[-100][2]) < 200  # the level's queue was compacted
    book.execute(300, "b", Side.BUY, 3, 100)
    assert _internals(book) != before
    book.rollback()
    assert _internals(book) == before
    assert (
        book.execute(300, "b", Side.BUY, 40, 100).fills
        == twin.execute(300, "b", Side.BUY, 40, 100).fills
    )
    book.savepoint()
    book.cancel(99)
    book.release()
    assert book.get(99) is None
    with pytest.raises(RuntimeError):
        book.rollback()
