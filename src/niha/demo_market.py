"""A trading day for the demo: two demo clients quote and trade.

``make run`` seeds a market (``niha seed-demo``) and serves it with
``NIHA_DEMO_MARKET=true``. Then one task of ``niha serve`` acts, every few seconds, on
one instrument for one of two seeded demo clients: the liquidity provider (Atlas Carbon
Partners, ``marco@atlascarbon.example``) quotes near the best prices and withdraws its
oldest quotes; the active trader (Baltic Power Trading, ``lena@balticpower.example``)
now and then takes a small quantity at the best price of one side. (Two organisations:
self-trade prevention would cancel a provider's own quotes instead of trading with them.)
Whoever opens the trading page or the marketplace sees the market move -- the ladder,
the tape, the ticker and the candles change through the WebSocket -- and a demo
client's resting order may be filled.

Every order goes through the order service like a client's (KYC, funds, band, self-trade
prevention, the ledger) with a ``client_order_id`` that starts with ``demo-``; a refused
one is skipped. Nothing happens where the demo was not seeded, and the setting is refused
in production (:func:`niha.config.check_production_secrets`).

:func:`decide` is the pure part (what to do on a given book); :func:`step` does it.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from niha.config import Settings
from niha.core.db import unit_of_work
from niha.core.errors import DomainError
from niha.exchange import marketdata
from niha.exchange import service as exchange
from niha.exchange.marketdata import Book
from niha.exchange.models import Instrument, Order
from niha.identity.models import User
from niha.seed_market import PROVIDER_EMAIL, TRADER_EMAIL

log = structlog.get_logger("niha.demo_market")

#: The provider's quotes on one instrument, at most (older ones are cancelled first).
MAX_QUOTES = 24
#: Seconds between two actions: uniformly in this range.
PAUSE = (2.0, 4.0)


@dataclass(frozen=True)
class Terms:
    """What of an instrument the decision needs (prices in cents)."""

    symbol: str
    tick: int
    lot: int
    min_quantity: int
    max_quantity: int
    band: tuple[int, int] | None
    last_price: int | None


@dataclass(frozen=True)
class Quote:
    """A limit order to place: GTC (the provider's) rests near the touch, IOC (the
    trader's) takes the other side's best price."""

    side: str
    price: int
    quantity: int
    time_in_force: str


@dataclass(frozen=True)
class Cancel:
    order_id: uuid.UUID


def decide(
    terms: Terms, book: Book, quotes: list[uuid.UUID], rng: random.Random
) -> Quote | Cancel | None:
    """The next action on ``book``, given the provider's open ``quotes`` there (oldest
    first): cancel the oldest when it has too many (or now and then), take the best price
    of one side (about one action in three: the trader), or quote a price up to three
    ticks better or four ticks worse than its side's best, never crossing. Prices are on
    the tick and inside the band; quantities are whole lots within the instrument's
    limits."""
    if quotes and (len(quotes) >= MAX_QUOTES or rng.random() < 0.1):
        return Cancel(quotes[0])
    side = rng.choice(("BUY", "SELL"))
    other = book.asks if side == "BUY" else book.bids
    own = book.bids if side == "BUY" else book.asks
    if other and rng.random() < 0.35:
        best = other[0]
        quantity = _quantity(terms, rng, cap=best.quantity)
        return _inside(terms, Quote(side, best.price, quantity, "IOC"))
    anchor = own[0].price if own else (other[0].price if other else terms.last_price)
    if anchor is None:
        return None
    # Half the quotes improve the side's best by up to three ticks (the taking orders
    # widen the spread; these narrow it again), the others join up to four ticks behind.
    ticks = -rng.randint(1, 3) if own and rng.random() < 0.5 else rng.randint(0, 4)
    away = ticks * terms.tick
    price = anchor - away if side == "BUY" else anchor + away
    if other:  # a quote never crosses: it rests
        price = (
            min(price, other[0].price - terms.tick)
            if side == "BUY"
            else max(price, other[0].price + terms.tick)
        )
    return _inside(terms, Quote(side, price, _quantity(terms, rng), "GTC"))


def _quantity(terms: Terms, rng: random.Random, cap: int | None = None) -> int:
    most = max(terms.min_quantity, min(terms.max_quantity, 150, cap or 150))
    lots = rng.randint(max(terms.min_quantity // terms.lot, 1), max(most // terms.lot, 1))
    return max(lots * terms.lot, terms.min_quantity)


def _inside(terms: Terms, quote: Quote) -> Quote | None:
    price = quote.price - quote.price % terms.tick
    if price <= 0:
        return None
    if terms.band is not None and not terms.band[0] <= price <= terms.band[1]:
        return None
    return Quote(quote.side, price, quote.quantity, quote.time_in_force)


@dataclass(frozen=True)
class Parties:
    provider: uuid.UUID
    trader: uuid.UUID


async def parties(maker: async_sessionmaker[AsyncSession]) -> Parties | None:
    """The provider's and the trader's entities, or None where the demo was not seeded."""
    async with unit_of_work(maker) as session:
        rows = dict(
            (
                await session.execute(
                    select(User.email, User.entity_id).where(
                        User.email.in_((PROVIDER_EMAIL, TRADER_EMAIL))
                    )
                )
            ).all()
        )
    provider, trader = rows.get(PROVIDER_EMAIL), rows.get(TRADER_EMAIL)
    if provider is None or trader is None:
        return None
    return Parties(provider, trader)


async def step(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    who: Parties,
    rng: random.Random,
) -> Quote | Cancel | None:
    """One action on a random open instrument: what was done (None: nothing)."""
    async with unit_of_work(maker) as session:
        instruments = (
            await session.scalars(
                select(Instrument).where(Instrument.status == "OPEN").order_by(Instrument.symbol)
            )
        ).all()
        if not instruments:
            return None
        inst = rng.choice(instruments)
        terms = Terms(
            inst.symbol, inst.tick_size, inst.lot_size, inst.min_quantity, inst.max_quantity,
            exchange.band_of(inst), inst.last_price,
        )  # fmt: skip
        book = await marketdata.book(session, inst.symbol, depth=5)
        quotes = list(
            (
                await session.scalars(
                    select(Order.id)
                    .where(
                        Order.entity_id == who.provider,
                        Order.instrument_id == inst.id,
                        Order.status.in_(exchange.OPEN_STATUSES),
                        Order.client_order_id.like("demo-lp-%"),
                    )
                    .order_by(Order.sequence)
                )
            ).all()
        )
        action = decide(terms, book, quotes, rng)
        if isinstance(action, Cancel):
            await exchange.cancel_order(
                session, action.order_id, entity_id=who.provider, actor_id=None,
                detail="demo liquidity provider: quote withdrawn",
            )  # fmt: skip
            return action
    if isinstance(action, Quote):
        quoting = action.time_in_force == "GTC"
        await exchange.submit_order(
            maker,
            settings,
            who.provider if quoting else who.trader,
            None,
            exchange.NewOrder(
                symbol=terms.symbol, side=action.side, kind="LIMIT", quantity=action.quantity,
                price=action.price, time_in_force=action.time_in_force,
                client_order_id=f"demo-{'lp' if quoting else 'tr'}-{uuid.uuid4().hex[:16]}",
            ),
        )  # fmt: skip
    return action


async def run(maker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    """Act until cancelled (``niha serve`` with ``NIHA_DEMO_MARKET=true``)."""
    who = await parties(maker)
    if who is None:
        log.warning("demo_market_not_seeded", provider=PROVIDER_EMAIL, trader=TRADER_EMAIL)
        return
    log.info("demo_market_started", provider=PROVIDER_EMAIL, trader=TRADER_EMAIL)
    rng = random.Random()
    while True:
        await asyncio.sleep(rng.uniform(*PAUSE))
        try:
            await step(maker, settings, who, rng)
        except DomainError as exc:  # refused like a client's order: skip it
            log.debug("demo_market_refused", code=getattr(exc, "code", None))
        except Exception as exc:  # the demo must not stop the server
            log.warning("demo_market_failed", error=repr(exc))


def start(maker: async_sessionmaker[AsyncSession], settings: Settings) -> asyncio.Task[Any]:
    return asyncio.create_task(run(maker, settings), name="demo-market")
