"""Each rule of the matcher and its edges, one example at a time."""

from __future__ import annotations

import gc

import pytest

from niha.exchange.matching import (
    Fill,
    L2Level,
    OrderBook,
    OrderKind,
    Outcome,
    Plan,
    Reason,
    RestingCancel,
    RestingOrder,
    Side,
    StalePlanError,
    TimeInForce,
)

BUY, SELL = Side.BUY, Side.SELL
MARKET = OrderKind.MARKET
IOC, FOK = TimeInForce.IOC, TimeInForce.FOK
#: Every public field of a Plan.
PLAN_FIELDS = (
    "order_id",
    "owner",
    "side",
    "price",
    "quantity",
    "outcome",
    "reason",
    "remaining",
    "fills",
    "filled_quantity",
    "filled_notional",
    "cancelled_resting",
)


def book_with(*orders: tuple[str, str, Side, int, int]) -> OrderBook:
    """A book holding (id, owner, side, price, quantity) orders, resting in that order."""
    book = OrderBook()
    for order_id, owner, side, price, qty in orders:
        assert book.execute(order_id, owner, side, qty, price).outcome is Outcome.RESTED
    return book


def trades(plan_fills: object) -> list[tuple[object, int, int]]:
    return [(f.maker_order_id, f.price, f.quantity) for f in plan_fills]  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- resting, L2


def test_non_crossing_orders_rest_and_show_in_l2() -> None:
    book = book_with(
        ("b1", "x", BUY, 99, 5),
        ("b2", "y", BUY, 100, 3),
        ("b3", "z", BUY, 100, 2),
        ("s1", "x", SELL, 102, 7),
    )
    assert book.best_bid() == 100
    assert book.best_ask() == 102
    assert book.depth(BUY) == [L2Level(100, 5, 2), L2Level(99, 5, 1)]
    assert book.depth(SELL) == [L2Level(102, 7, 1)]
    assert book.depth(BUY, 1) == [L2Level(100, 5, 2)]
    assert book.depth(BUY, 0) == []
    assert book.level(BUY, 100) == L2Level(100, 5, 2)
    assert book.level(SELL, 100) == L2Level(100, 0, 0)
    assert book.get("b2") == RestingOrder("b2", "y", BUY, 100, 3)
    assert book.get("nope") is None
    assert len(book) == 4 and "s1" in book and "zz" not in book
    assert [o.order_id for o in book.orders(BUY)] == ["b2", "b3", "b1"]


def test_empty_book() -> None:
    book = OrderBook()
    assert book.best_bid() is None and book.best_ask() is None
    assert book.depth(BUY) == [] and book.depth(SELL) == []
    assert len(book) == 0


# ---------------------------------------------------------------------- matching


def test_price_time_priority_and_maker_price() -> None:
    book = book_with(
        ("s1", "m1", SELL, 101, 2),
        ("s2", "m2", SELL, 100, 2),
        ("s3", "m3", SELL, 100, 2),
        ("s4", "m4", SELL, 103, 2),
    )
    plan = book.execute("t", "taker", BUY, 5, 102)
    # best price first, then arrival; the trade price is the maker's, not 102
    assert trades(plan.fills) == [("s2", 100, 2), ("s3", 100, 2), ("s1", 101, 1)]
    assert plan.fills[0] == Fill("s2", "m2", "t", 100, 2, 0)
    assert plan.fills[2].maker_remaining == 1
    assert plan.outcome is Outcome.FILLED and plan.reason is None
    assert plan.filled_quantity == 5 and plan.remaining == 0
    assert plan.filled_notional == 100 * 4 + 101
    assert book.depth(SELL) == [L2Level(101, 1, 1), L2Level(103, 2, 1)]
    assert book.get("s1") == RestingOrder("s1", "m1", SELL, 101, 1)


def test_fills_compare_as_their_fields() -> None:
    book = book_with(("s1", "m", SELL, 100, 3))
    fill = book.plan("t", "x", BUY, 2, 100).fills[0]
    same = Fill("s1", "m", "t", 100, 2, 1)
    assert fill == same and hash(fill) == hash(same) and fill != Fill("s1", "m", "t", 100, 2, 0)
    assert tuple(fill) == ("s1", "m", "t", 100, 2, 1)
    assert (fill.maker_order_id, fill.maker_owner, fill.taker_order_id) == ("s1", "m", "t")
    assert repr(fill) == repr(same) and repr(fill).startswith("Fill(maker_order_id='s1'")
    assert fill != ("s1", "m", "t", 100, 2, 1)  # a Fill, not a tuple


def test_sell_walks_bids_from_the_highest() -> None:
    book = book_with(("b1", "m", BUY, 99, 1), ("b2", "m", BUY, 100, 1))
    plan = book.execute("t", "taker", SELL, 3, 99)
    assert trades(plan.fills) == [("b2", 100, 1), ("b1", 99, 1)]
    assert plan.outcome is Outcome.RESTED and plan.resting_quantity == 1
    assert book.best_ask() == 99 and book.best_bid() is None


def test_partial_fill_then_rest_keeps_time_priority_of_the_rest() -> None:
    book = book_with(("s1", "m", SELL, 100, 3))
    plan = book.execute("b1", "x", BUY, 5, 100)
    assert plan.outcome is Outcome.RESTED
    assert (plan.filled_quantity, plan.remaining, plan.resting_quantity) == (3, 2, 2)
    assert plan.cancelled_quantity == 0
    book.execute("b2", "y", BUY, 1, 100)
    assert [o.order_id for o in book.orders(BUY)] == ["b1", "b2"]


def test_limit_stops_at_its_price() -> None:
    book = book_with(("s1", "m", SELL, 100, 1), ("s2", "m", SELL, 101, 1))
    plan = book.execute("t", "x", BUY, 2, 100)
    assert trades(plan.fills) == [("s1", 100, 1)]
    assert book.best_bid() == 100 and book.best_ask() == 101


# ---------------------------------------------------------------------- IOC / FOK


def test_ioc_cancels_the_remainder() -> None:
    book = book_with(("s1", "m", SELL, 100, 2))
    plan = book.execute("t", "x", BUY, 5, 100, tif=IOC)
    assert trades(plan.fills) == [("s1", 100, 2)]
    assert plan.outcome is Outcome.CANCELLED and plan.reason is Reason.IOC_REMAINDER
    assert plan.cancelled_quantity == 3 and plan.resting_quantity == 0
    assert len(book) == 0


def test_ioc_without_liquidity() -> None:
    plan = OrderBook().execute("t", "x", BUY, 5, 100, tif=IOC)
    assert (plan.outcome, plan.reason, plan.remaining) == (
        Outcome.CANCELLED,
        Reason.IOC_REMAINDER,
        5,
    )


def test_fok_exactly_fillable() -> None:
    book = book_with(("s1", "m", SELL, 100, 2), ("s2", "n", SELL, 101, 3))
    plan = book.execute("t", "x", BUY, 5, 101, tif=FOK)
    assert plan.outcome is Outcome.FILLED
    assert trades(plan.fills) == [("s1", 100, 2), ("s2", 101, 3)]
    assert len(book) == 0


def test_fok_one_short_does_nothing_at_all() -> None:
    book = book_with(
        ("own", "x", SELL, 100, 4), ("s1", "m", SELL, 100, 2), ("s2", "n", SELL, 101, 3)
    )
    plan = book.execute("t", "x", BUY, 6, 101, tif=FOK)
    assert plan.outcome is Outcome.CANCELLED and plan.reason is Reason.FOK_UNFILLABLE
    assert not plan.fills and not plan.cancelled_resting  # not even the STP cancel
    assert plan.remaining == 6 and plan.filled_quantity == 0
    assert len(book) == 3
    assert book.depth(SELL) == [L2Level(100, 6, 2), L2Level(101, 3, 1)]


def test_fok_counts_only_others_liquidity() -> None:
    book = book_with(("own", "x", SELL, 100, 4), ("s1", "m", SELL, 100, 2))
    assert book.plan("t", "x", BUY, 3, 100, tif=FOK).reason is Reason.FOK_UNFILLABLE
    plan = book.execute("t", "x", BUY, 2, 100, tif=FOK)
    assert plan.outcome is Outcome.FILLED
    assert plan.cancelled_resting == [
        RestingCancel("own", "x", SELL, 100, 4, Reason.SELF_TRADE_PREVENTION)
    ]


def test_fok_with_empty_book() -> None:
    plan = OrderBook().execute("t", "x", SELL, 1, 100, tif=FOK)
    assert plan.reason is Reason.FOK_UNFILLABLE


# ---------------------------------------------------------------------- post-only


def test_post_only_rests_when_it_does_not_cross() -> None:
    book = book_with(("s1", "m", SELL, 101, 1))
    plan = book.execute("b", "x", BUY, 1, 100, post_only=True)
    assert plan.outcome is Outcome.RESTED


@pytest.mark.parametrize("price", [101, 102])
def test_post_only_that_would_cross_is_rejected(price: int) -> None:
    book = book_with(("s1", "m", SELL, 101, 1))
    plan = book.execute("b", "x", BUY, 3, price, post_only=True)  # 101: the equal price
    assert plan.outcome is Outcome.REJECTED and plan.reason is Reason.POST_ONLY_WOULD_CROSS
    assert not plan.fills and plan.cancelled_quantity == 3
    assert len(book) == 1 and book.best_bid() is None


def test_post_only_against_own_order_is_rejected_too() -> None:
    book = book_with(("s1", "x", SELL, 100, 1))
    plan = book.execute("b", "x", BUY, 1, 100, post_only=True)
    assert plan.reason is Reason.POST_ONLY_WOULD_CROSS and not plan.cancelled_resting
    assert "s1" in book


# ---------------------------------------------------------------------- MARKET


def test_market_with_empty_book() -> None:
    plan = OrderBook().execute("t", "x", BUY, 5, kind=MARKET, protection_price=110)
    assert (plan.outcome, plan.reason, plan.remaining) == (
        Outcome.CANCELLED,
        Reason.MARKET_NO_LIQUIDITY,
        5,
    )
    assert plan.price == 110


def test_market_sweeps_levels_and_never_rests() -> None:
    book = book_with(("s1", "m", SELL, 100, 2), ("s2", "n", SELL, 105, 2))
    plan = book.execute("t", "x", BUY, 10, kind=MARKET)
    assert trades(plan.fills) == [("s1", 100, 2), ("s2", 105, 2)]
    assert plan.reason is Reason.MARKET_NO_LIQUIDITY and plan.remaining == 6
    assert len(book) == 0


def test_market_stops_at_the_protection_limit() -> None:
    book = book_with(
        ("s1", "m", SELL, 100, 2), ("s2", "n", SELL, 105, 2), ("s3", "n", SELL, 106, 2)
    )
    plan = book.execute("t", "x", BUY, 10, kind=MARKET, protection_price=105)
    assert trades(plan.fills) == [("s1", 100, 2), ("s2", 105, 2)]  # the limit is inclusive
    assert plan.reason is Reason.PROTECTION_LIMIT and plan.remaining == 6
    assert book.best_ask() == 106


def test_market_sell_protection_limit_beyond_best() -> None:
    book = book_with(("b1", "m", BUY, 90, 2))
    plan = book.execute("t", "x", SELL, 1, kind=MARKET, protection_price=95)
    assert not plan.fills and plan.reason is Reason.PROTECTION_LIMIT
    assert book.best_bid() == 90


def test_market_fok() -> None:
    book = book_with(("s1", "m", SELL, 100, 2))
    assert book.plan("t", "x", BUY, 3, kind=MARKET, tif=FOK).reason is Reason.FOK_UNFILLABLE
    assert book.execute("t", "x", BUY, 2, kind=MARKET, tif=FOK).outcome is Outcome.FILLED


def test_market_gtc_means_ioc() -> None:
    book = book_with(("s1", "m", SELL, 100, 2))
    plan = book.execute("t", "x", BUY, 3, kind=MARKET, tif=TimeInForce.GTC)
    assert plan.outcome is Outcome.CANCELLED and "t" not in book


def test_market_buy_bounded_by_max_quote() -> None:
    book = book_with(("s1", "m", SELL, 100, 2), ("s2", "n", SELL, 150, 5))
    plan = book.execute("t", "x", BUY, 10, kind=MARKET, max_quote=520)
    # 2 x 100 = 200, then 320 // 150 = 2 units at 150 (300): 20 cents left, not enough
    assert trades(plan.fills) == [("s1", 100, 2), ("s2", 150, 2)]
    assert plan.filled_notional == 500
    assert plan.reason is Reason.MAX_QUOTE_REACHED and plan.remaining == 6
    assert book.get("s2") == RestingOrder("s2", "n", SELL, 150, 3)


def test_max_quote_one_cent_short_of_a_unit() -> None:
    book = book_with(("s1", "m", SELL, 100, 2))
    plan = book.execute("t", "x", BUY, 1, kind=MARKET, max_quote=99)
    assert not plan.fills and plan.reason is Reason.MAX_QUOTE_REACHED
    plan = book.execute("t2", "x", BUY, 2, kind=MARKET, max_quote=199)
    assert trades(plan.fills) == [("s1", 100, 1)] and plan.reason is Reason.MAX_QUOTE_REACHED
    assert book.execute("t3", "x", BUY, 1, kind=MARKET, max_quote=100).outcome is Outcome.FILLED


def test_max_quote_does_not_cancel_own_orders_it_cannot_afford() -> None:
    book = book_with(("own", "x", SELL, 100, 2))
    plan = book.execute("t", "x", BUY, 1, kind=MARKET, max_quote=50)
    assert not plan.cancelled_resting and "own" in book


def test_market_exactly_filled() -> None:
    book = book_with(("s1", "m", SELL, 100, 2))
    plan = book.execute("t", "x", BUY, 2, kind=MARKET, max_quote=200, protection_price=100)
    assert plan.outcome is Outcome.FILLED and plan.reason is None


# ---------------------------------------------------------------------- self-trade


def test_stp_cancels_the_resting_order_and_goes_on() -> None:
    book = book_with(
        ("own1", "x", SELL, 100, 2),
        ("s1", "m", SELL, 100, 1),
        ("own2", "x", SELL, 101, 4),
        ("s2", "n", SELL, 101, 5),
        ("own3", "x", SELL, 102, 1),  # never reached: not cancelled
    )
    plan = book.execute("t", "x", BUY, 3, 101)
    assert trades(plan.fills) == [("s1", 100, 1), ("s2", 101, 2)]
    assert plan.cancelled_resting == [
        RestingCancel("own1", "x", SELL, 100, 2, Reason.SELF_TRADE_PREVENTION),
        RestingCancel("own2", "x", SELL, 101, 4, Reason.SELF_TRADE_PREVENTION),
    ]
    assert plan.outcome is Outcome.FILLED
    assert [o.order_id for o in book.orders(SELL)] == ["s2", "own3"]
    assert book.depth(SELL) == [L2Level(101, 3, 1), L2Level(102, 1, 1)]
    assert plan.touched_levels() == [(SELL, 100), (SELL, 101)]


def test_stp_only_then_rest() -> None:
    book = book_with(("own1", "x", SELL, 100, 2), ("own2", "x", SELL, 101, 2))
    plan = book.execute("t", "x", BUY, 3, 101)
    assert not plan.fills and len(plan.cancelled_resting) == 2
    assert plan.outcome is Outcome.RESTED and plan.resting_quantity == 3
    assert book.best_bid() == 101 and book.best_ask() is None
    assert plan.touched_levels() == [(SELL, 100), (SELL, 101), (BUY, 101)]


def test_stp_with_market_order() -> None:
    book = book_with(("own", "x", SELL, 100, 2))
    plan = book.execute("t", "x", BUY, 1, kind=MARKET)
    assert not plan.fills and plan.reason is Reason.MARKET_NO_LIQUIDITY
    assert [c.order_id for c in plan.cancelled_resting] == ["own"]
    assert len(book) == 0


def test_other_owners_are_not_affected() -> None:
    book = book_with(("s1", "y", SELL, 100, 2))
    plan = book.execute("t", "x", BUY, 1, 100)
    assert not plan.cancelled_resting and trades(plan.fills) == [("s1", 100, 1)]


# ---------------------------------------------------------------------- cancel


def test_cancel() -> None:
    book = book_with(("a", "m", BUY, 100, 1), ("b", "m", BUY, 100, 2), ("c", "m", BUY, 100, 3))
    assert book.cancel("b", sequence=9) == 2 and book.sequence == 9
    assert book.depth(BUY) == [L2Level(100, 4, 2)]
    assert book.cancel("b", sequence=10) == 0 and book.sequence == 9  # twice: no-op
    assert book.cancel("a") == 1  # the front
    assert [o.order_id for o in book.orders(BUY)] == ["c"]
    assert book.cancel("c") == 3  # the last one: the level goes
    assert book.depth(BUY) == [] and book.best_bid() is None and len(book) == 0
    assert book.cancel("never") == 0


def test_cancel_a_level_below_the_best() -> None:
    book = book_with(("a", "m", SELL, 100, 1), ("b", "m", SELL, 101, 1), ("c", "m", SELL, 102, 1))
    book.cancel("b")
    assert book.depth(SELL) == [L2Level(100, 1, 1), L2Level(102, 1, 1)]
    assert trades(book.execute("t", "x", BUY, 2, 102).fills) == [("a", 100, 1), ("c", 102, 1)]


def test_cancelled_orders_behind_the_front_are_skipped_and_compacted() -> None:
    book = book_with(("front", "m", SELL, 100, 1))
    for i in range(1000):
        book.execute(i, "m", SELL, 1, 100)
    for i in range(999):
        book.cancel(i)
    level = book._asks.levels[-100]
    assert len(level[2]) < 100  # its queue: dead entries do not pile up
    assert trades(book.execute("t", "x", BUY, 2, 100).fills) == [("front", 100, 1), (999, 100, 1)]
    assert len(book) == 0


def test_a_cancelled_order_does_not_trade() -> None:
    book = book_with(("a", "m", SELL, 100, 1), ("b", "n", SELL, 100, 1))
    book.cancel("a")
    assert trades(book.execute("t", "x", BUY, 2, 100).fills) == [("b", 100, 1)]


# ---------------------------------------------------------------------- plan / apply


def test_plan_does_not_change_the_book_and_apply_does() -> None:
    book = book_with(("s1", "m", SELL, 100, 2), ("own", "x", SELL, 100, 1))
    before = (book.orders(BUY), book.orders(SELL), book.depth(SELL), len(book))
    plan = book.plan("t", "x", BUY, 5, 100)
    assert (book.orders(BUY), book.orders(SELL), book.depth(SELL), len(book)) == before
    book.apply(plan, sequence=3)
    assert book.sequence == 3
    assert book.orders(SELL) == [] and book.get("t") == RestingOrder("t", "x", BUY, 100, 3)


def test_stale_plans_are_refused() -> None:
    book = book_with(("s1", "m", SELL, 100, 2))
    first = book.plan("t1", "x", BUY, 1, 100)
    second = book.plan("t2", "y", BUY, 1, 100)
    book.apply(first)
    with pytest.raises(StalePlanError):
        book.apply(second)  # computed before first was applied
    with pytest.raises(StalePlanError):
        book.apply(first)  # twice
    third = book.plan("t3", "z", BUY, 1, 100)
    book.cancel("s1")
    with pytest.raises(StalePlanError):
        book.apply(third)  # a cancel came in between
    with pytest.raises(StalePlanError):
        OrderBook().apply(book.plan("t4", "z", BUY, 1, 100))  # another book
    assert book.get("s1") is None and len(book) == 0


def test_a_plan_is_refused_by_any_other_book() -> None:
    first, second = OrderBook(), OrderBook()  # same history: only the book differs
    plan = first.plan("t", "x", BUY, 1, 100)
    with pytest.raises(StalePlanError):
        second.apply(plan)
    first.apply(plan)
    assert "t" in first and "t" not in second


def test_a_stale_plan_never_becomes_valid_again() -> None:
    book = OrderBook()
    book.execute("a", "m", SELL, 1, 101)
    early = book.plan("t", "x", BUY, 1, 100)  # on the book right after "a" rested
    book.add(RestingOrder("b", "n", SELL, 1, 102))
    late = book.plan("u", "x", BUY, 1, 100)  # right after "b" was added
    book.execute("c", "o", SELL, 1, 103)
    for order_id in ("a", "b", "c"):  # each change brings in a state never seen before
        book.cancel(order_id)
        for plan in (early, late):
            with pytest.raises(StalePlanError):
                book.apply(plan)


def test_applied_plans_do_not_keep_earlier_ones_alive() -> None:
    book = OrderBook()
    for i in range(2000):  # rest, fill, rest, fill, ...: every plan applied, none kept
        book.execute(i, i, BUY if i % 2 else SELL, 1, 100)
    gc.collect()
    assert sum(isinstance(o, Plan) for o in gc.get_objects()) < 10


def test_a_failed_cancel_does_not_make_plans_stale() -> None:
    book = OrderBook()
    plan = book.plan("t", "x", BUY, 1, 100)
    assert book.cancel("nothing") == 0
    book.apply(plan)
    assert "t" in book


def test_touched_levels_for_a_resting_order() -> None:
    plan = OrderBook().plan("t", "x", BUY, 1, 100)
    assert plan.touched_levels() == [(BUY, 100)]
    assert "outcome=rested" in repr(plan)


# ---------------------------------------------------------------------- load


def test_load_replaces_the_book_in_time_priority() -> None:
    book = book_with(("old", "m", BUY, 1, 1))
    book.load(
        [
            RestingOrder("b1", "m", BUY, 100, 2),
            RestingOrder("s1", "n", SELL, 101, 1),
            RestingOrder("b2", "o", BUY, 100, 3),
        ],
        sequence=42,
    )
    assert book.sequence == 42 and "old" not in book and len(book) == 3
    assert [o.order_id for o in book.orders(BUY)] == ["b1", "b2"]
    assert trades(book.execute("t", "x", SELL, 3, 100).fills) == [("b1", 100, 2), ("b2", 100, 1)]


@pytest.mark.parametrize(
    "orders",
    [
        [RestingOrder("a", "m", BUY, 100, 1), RestingOrder("a", "m", BUY, 100, 1)],
        [RestingOrder("a", "m", BUY, 100, 0)],
        [RestingOrder("a", "m", BUY, 0, 1)],
        [RestingOrder("a", "m", BUY, 100, 1), RestingOrder("b", "n", SELL, 100, 1)],
        [RestingOrder("a", "m", "HOLD", 100, 1)],  # type: ignore[arg-type]
    ],
)
def test_load_refuses_bad_input_and_keeps_the_book(orders: list[RestingOrder]) -> None:
    book = book_with(("keep", "m", BUY, 50, 1))
    with pytest.raises(ValueError):
        book.load(orders)
    assert book.get("keep") is not None and len(book) == 1


def test_load_invalidates_earlier_plans() -> None:
    book = OrderBook()
    plan = book.plan("t", "x", BUY, 1, 100)
    book.load([])
    with pytest.raises(StalePlanError):
        book.apply(plan)


# ---------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((0, 100), {}),
        ((-1, 100), {}),
        ((True, 100), {}),
        ((1.0, 100), {}),
        ((1, None), {}),
        ((1, 0), {}),
        ((1, 100.5), {}),
        ((1, 100), {"tif": IOC, "post_only": True}),
        ((1, 100), {"tif": FOK, "post_only": True}),
        ((1, 100), {"max_quote": 5}),
        ((1, 100), {"protection_price": 5}),
        ((1, 100), {"kind": MARKET}),
        ((1,), {"kind": MARKET, "post_only": True}),
        ((1,), {"kind": MARKET, "protection_price": 0}),
        ((1,), {"kind": MARKET, "max_quote": -1}),
        ((1, 100), {"tif": "DAY"}),
        ((1, 100), {"kind": "STOP"}),
    ],
)
def test_invalid_arguments(args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        OrderBook().plan("t", "x", BUY, *args, **kwargs)  # type: ignore[arg-type]


def test_invalid_side_and_sell_max_quote() -> None:
    with pytest.raises(ValueError):
        OrderBook().plan("t", "x", "HOLD", 1, 100)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        OrderBook().plan("t", "x", SELL, 1, kind=MARKET, max_quote=100)


def test_plain_strings_are_accepted_for_enums() -> None:
    book = book_with(("s1", "m", SELL, 100, 1))
    plan = book.execute("t", "x", "BUY", 2, 100, tif="IOC")  # type: ignore[arg-type]
    assert plan.side is BUY and plan.reason is Reason.IOC_REMAINDER
    plan = book.execute("u", "x", "SELL", 1, kind="MARKET")  # type: ignore[arg-type]
    assert plan.reason is Reason.MARKET_NO_LIQUIDITY


def test_a_resting_id_cannot_be_reused() -> None:
    book = book_with(("a", "m", BUY, 100, 1))
    with pytest.raises(ValueError):
        book.plan("a", "m", BUY, 1, 99)


# ---------------------------------------------------------------------- entry points


def test_plan_limit_and_plan_market_are_what_plan_dispatches_to() -> None:
    def fresh() -> OrderBook:
        return book_with(("s1", "m", SELL, 100, 2), ("s2", "n", SELL, 103, 2))

    def view(p: Plan) -> tuple[object, ...]:
        return tuple(getattr(p, name) for name in PLAN_FIELDS)

    assert view(fresh().plan_limit("t", "x", BUY, 3, 101, IOC, False)) == view(
        fresh().plan("t", "x", BUY, 3, 101, tif=IOC)
    )
    assert view(fresh().plan_market("t", "x", BUY, 3, 102, 250, FOK)) == view(
        fresh().plan("t", "x", BUY, 3, kind=MARKET, protection_price=102, max_quote=250, tif=FOK)
    )
    plan = fresh().plan_market("t", "x", BUY, 3)  # defaults: IOC, no protection, no budget
    assert trades(plan.fills) == [("s1", 100, 2), ("s2", 103, 1)]
    with pytest.raises(ValueError):
        fresh().plan_market("t", "x", BUY, 3, None, None, TimeInForce.GTC)
    with pytest.raises(ValueError):
        fresh().plan_limit("t", "x", BUY, 3, None)  # type: ignore[arg-type]


def test_execute_applies() -> None:
    book = OrderBook()
    plan = book.execute("b", "x", BUY, 2, 100)
    assert plan.outcome is Outcome.RESTED and book.best_bid() == 100
    book.sequence = 5  # the caller's counter, kept beside the book
    assert book.sequence == 5
