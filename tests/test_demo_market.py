"""The demo market (``niha.demo_market``): what it decides on any book, that the market
it makes stays tight, and that on a seeded demo the provider quotes and withdraws quotes
and the trader trades with it, through the order service, the ledger reconciled."""

from __future__ import annotations

import asyncio
import random
import uuid
from pathlib import Path

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from niha import (
    cli_commands,  # noqa: F401  (registers ``niha reconcile``)
    demo_market,
)
from niha.cli import app as cli
from niha.config import Settings
from niha.core.db import Database
from niha.demo_market import Cancel, Quote, Terms, decide
from niha.exchange.marketdata import Book, Level
from niha.exchange.matching import OrderBook, Side, TimeInForce

# ------------------------------------------------------------------ the decision (pure)


@st.composite
def books(draw: st.DrawFn) -> tuple[Terms, Book]:
    tick = draw(st.sampled_from([1, 5]))
    lot = draw(st.sampled_from([1, 10]))
    mid = draw(st.integers(200, 20_000)) // tick * tick
    band = draw(st.one_of(st.none(), st.just((mid - 40 * tick, mid + 40 * tick))))
    terms = Terms(
        "EUA-EUR", tick, lot, lot * draw(st.integers(1, 3)), lot * 10_000, band,
        draw(st.one_of(st.none(), st.just(mid))),
    )  # fmt: skip

    def side(sign: int) -> list[Level]:
        steps = draw(st.lists(st.integers(1, 30), max_size=6, unique=True))
        qty = st.integers(1, 500)
        return [Level(mid + sign * s * tick, draw(qty) * lot, 1) for s in sorted(steps)]

    return terms, Book("EUA-EUR", 1, side(-1), side(1))


@given(books(), st.integers(0, 30), st.integers(0, 2**32))
@settings(max_examples=400, deadline=None)
def test_every_decision_is_an_order_the_venue_would_take(
    tb: tuple[Terms, Book], quotes: int, seed: int
) -> None:
    terms, book = tb
    ids = [uuid.UUID(int=i + 1) for i in range(quotes)]
    action = decide(terms, book, ids, random.Random(seed))
    if quotes >= demo_market.MAX_QUOTES:
        assert action == Cancel(ids[0])  # too many quotes: the oldest goes first
    if isinstance(action, Cancel):
        assert action.order_id == ids[0]
        return
    if action is None:
        return
    assert action.price > 0 and action.price % terms.tick == 0
    if terms.band is not None:
        assert terms.band[0] <= action.price <= terms.band[1]
    assert action.quantity % terms.lot == 0
    assert terms.min_quantity <= action.quantity <= terms.max_quantity
    other = book.asks if action.side == "BUY" else book.bids
    if action.time_in_force == "IOC":  # takes the other side's best price
        assert other and action.price == other[0].price
        assert action.quantity <= max(other[0].quantity, terms.min_quantity)
    else:  # a quote rests: it never crosses
        assert action.time_in_force == "GTC"
        if other:
            crosses = (
                action.price >= other[0].price
                if action.side == "BUY"
                else (action.price <= other[0].price)
            )
            assert not crosses


def test_nothing_to_anchor_a_quote_on_is_no_action() -> None:
    terms = Terms("EUA-EUR", 1, 1, 1, 1000, None, None)
    empty = Book("EUA-EUR", 0, [], [])
    assert decide(terms, empty, [], random.Random(1)) is None


def test_the_market_it_makes_stays_tight() -> None:
    """On the pure matcher, from a seeded-like book: the provider's quotes (owner "lp")
    and the trader's takes (owner "trader") keep both sides and a narrow spread, though
    the takes consume the best levels and the provider withdraws its oldest quotes."""
    rng = random.Random(11)
    book = OrderBook()
    for n, (level, side) in enumerate((lv, s) for lv in range(1, 9) for s in (1, -1)):
        side_ = Side.SELL if side > 0 else Side.BUY
        book.execute(f"seed{n}", "others", side_, rng.randint(10, 200), 7000 + side * 17 * level)
    last, quotes, spreads = 7000, [], []
    for i in range(3000):
        terms = Terms("EUA-EUR", 1, 1, 1, 1_000_000, (last - last // 10, last + last // 10), last)
        levels = (
            [Level(*lv) for lv in book.depth(Side.BUY, 5)],
            [Level(*lv) for lv in book.depth(Side.SELL, 5)],
        )
        quotes = [q for q in quotes if q in book]
        action = decide(terms, Book("EUA-EUR", i, *levels), quotes, rng)
        if isinstance(action, Cancel):
            book.cancel(action.order_id)
        elif action is not None:
            owner = "lp" if action.time_in_force == "GTC" else "trader"
            tif = TimeInForce(action.time_in_force)
            plan = book.execute(
                f"q{i}", owner, Side(action.side), action.quantity, action.price, tif=tif
            )
            last = plan.fills[-1].price if plan.fills else last
            if f"q{i}" in book:
                quotes.append(f"q{i}")
        bid, ask = book.best_bid(), book.best_ask()
        spreads.append(ask - bid if bid is not None and ask is not None else None)
    late = spreads[1000:]
    assert all(s is not None for s in late)  # both sides quoted
    assert sorted(s for s in late if s is not None)[int(len(late) * 0.9)] <= 5  # ticks
    assert abs(last - 7000) < 700  # inside the band it started in


# ------------------------------------------------------------ on a seeded demo (real DB)


@pytest.fixture
def seeded(cli_env: str) -> str:
    result = CliRunner().invoke(cli, ["seed-demo"])
    assert result.exit_code == 0, (result.stdout, result.exception)
    return cli_env


def _settings(tmp_path: Path, url: str) -> Settings:
    return Settings(
        env="test", database_url=url, var_dir=tmp_path / "var",
        secret_key="test-secret-key-" + "x" * 40, api_key_pepper="test-pepper-" + "y" * 40,
        run_worker_in_serve=False, demo_market=True,
    )  # fmt: skip


async def _steps(url: str, settings: Settings, n: int) -> list[Quote | Cancel | None]:
    db = Database(url, pool_size=2, max_overflow=2)
    try:
        who = await demo_market.parties(db.maker)
        assert who is not None
        rng = random.Random(7)
        return [await demo_market.step(db.maker, settings, who, rng) for _ in range(n)]
    finally:
        await db.dispose()


def test_the_provider_quotes_trades_and_withdraws_quotes_on_the_seeded_demo(
    seeded: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_market, "MAX_QUOTES", 6)  # withdraw quotes soon
    done = asyncio.run(_steps(seeded, _settings(tmp_path, seeded), 40))
    assert any(isinstance(a, Quote) and a.time_in_force == "GTC" for a in done)
    assert any(isinstance(a, Quote) and a.time_in_force == "IOC" for a in done)
    assert any(isinstance(a, Cancel) for a in done)
    with psycopg.connect(seeded) as conn:
        # At most MAX_QUOTES open quotes per instrument; older ones were withdrawn.
        open_per_instrument = conn.execute(
            "SELECT instrument_id, count(*) FROM exchange_order "
            "WHERE client_order_id LIKE 'demo-lp-%' AND status IN ('OPEN', 'PARTIALLY_FILLED') "
            "GROUP BY 1"
        ).fetchall()
        assert open_per_instrument and all(n <= 6 for _, n in open_per_instrument)
        withdrawn = conn.execute(
            "SELECT count(*) FROM exchange_order WHERE client_order_id LIKE 'demo-lp-%' "
            "AND status = 'CANCELLED'"
        ).fetchone()
        assert withdrawn is not None and withdrawn[0] >= 1
        # The trader took the provider's quotes: trades between the two.
        traded = conn.execute(
            "SELECT count(*) FROM exchange_trade t "
            "JOIN exchange_order m ON m.id IN (t.buy_order_id, t.sell_order_id) "
            "JOIN exchange_order k ON k.id IN (t.buy_order_id, t.sell_order_id) "
            "WHERE m.client_order_id LIKE 'demo-lp-%' AND k.client_order_id LIKE 'demo-tr-%'"
        ).fetchone()
        assert traded is not None and traded[0] >= 1
    # Every order went through the ledger: it still reconciles.
    result = CliRunner().invoke(cli, ["reconcile"])
    assert result.exit_code == 0, (result.stdout, result.exception)


async def test_without_the_demo_it_does_nothing(fresh_database_url: str, tmp_path: Path) -> None:
    db = Database(fresh_database_url, pool_size=1, max_overflow=0)
    try:
        assert await demo_market.parties(db.maker) is None
        await demo_market.run(db.maker, _settings(tmp_path, fresh_database_url))  # returns
    finally:
        await db.dispose()
