"""Exchange rules: instruments, order placement and cancellation, trades, staff actions.

Order commands (place, cancel) run inside the per-instrument sequencer
(:mod:`niha.exchange.book_cache`), which commits the command's transaction itself
before applying the matcher's plan to the cached book — the one documented exception
to "services never commit" (ARCHITECTURE §6). Everything else here takes a session
and never commits.

Matching is immediate (inside the placing command), so there is no background
matching job: an order that can trade has traded by the time it is acknowledged, and
a resting order only trades when a later command crosses it — a job would only add
latency and a second code path.

Money: every balance change is one ledger batch per command (one lock statement, one
write), in this order: the taker's reservation (``available -> reserved``), then per
fill the buyer's EUR ``reserved -> seller.settling``, the seller's certificates
``reserved -> buyer.settling``, the buyer's fee ``reserved -> platform fees`` and the
seller's fee ``settling -> platform fees``, then the releases of what completed orders
no longer need (``reserved -> available``).

Fees: basis points of the notional, rounded up to the cent per order on its
cumulative notional per liquidity class (:func:`niha.exchange.fees.incremental_fee`).
A BUY reserves ``price x quantity + taker fee``; a BUY fee is capped so the reserve
always covers the rest of the order at its limit (at most one cent in the client's
favour, in the rare case rounding would otherwise exceed what was reserved).
"""

from __future__ import annotations

import uuid
import weakref
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from niha.audit import service as audit
from niha.audit.service import Actor
from niha.config import Settings
from niha.core.clock import isoformat_z, utcnow
from niha.core.db import has_work
from niha.core.errors import Conflict, DomainError, NotFound, Unprocessable
from niha.core.events import emit
from niha.core.money import format_amount
from niha.core.pagination import PageParams, build_page, keyset_page
from niha.exchange import book_cache, placement
from niha.exchange.book_cache import Command, sequenced
from niha.exchange.matching import OrderBook, Outcome, Plan, Side
from niha.exchange.models import Instrument, Order, OrderFill, Trade
from niha.exchange.placement import NewOrder as NewOrder
from niha.exchange.placement import OrderNotCancellable as OrderNotCancellable
from niha.exchange.placement import PlacedOrder
from niha.exchange.rows import FillRow, OrderRow, TradeRow
from niha.identity.principal import Principal
from niha.ledger import service as ledger

OPEN_STATUSES = ("OPEN", "PARTIALLY_FILLED")
CERTIFICATE_TYPES = ("EUA", "CEA")
QUOTE_SCALE = 2

# --------------------------------------------------------------------------- errors


class InstrumentNotFound(NotFound):
    code = "instrument_not_found"
    title = "Instrument not found"


class OrderNotFound(NotFound):
    code = "order_not_found"
    title = "Order not found"


class TradeNotFound(NotFound):
    code = "trade_not_found"
    title = "Trade not found"


class MarketHalted(Conflict):
    code = "market_halted"
    title = "Trading is halted on this instrument"


class InvalidPrice(Unprocessable):
    code = "invalid_price"
    title = "Invalid price"


class InvalidQuantity(Unprocessable):
    code = "invalid_quantity"
    title = "Invalid quantity"


class PriceOutOfBand(Unprocessable):
    code = "price_out_of_band"
    title = "Price outside the allowed band"


class PostOnlyWouldCross(Unprocessable):
    code = "post_only_would_cross"
    title = "A post-only order would trade"


class InvalidOrder(Unprocessable):
    code = "invalid_order"
    title = "Invalid order"


class DuplicateOrder(Conflict):
    code = "duplicate_client_order_id"
    title = "An order with this client_order_id exists"


class TradeNotPending(Conflict):
    code = "trade_not_pending"
    title = "The trade does not need confirmation"


class NoEntity(DomainError):
    status = 403
    code = "no_entity"
    title = "Trading needs a client organisation"


# --------------------------------------------------------------------------- instruments


def band_of(instrument: Instrument) -> tuple[int, int] | None:
    """The allowed [low, high] limit prices (on ticks), or None without a reference."""
    ref = instrument.reference_price
    if ref is None or instrument.price_band_bps >= 10_000:
        return None
    tick = instrument.tick_size
    bps = instrument.price_band_bps
    low = -(-ref * (10_000 - bps) // 10_000)
    high = ref * (10_000 + bps) // 10_000
    low = -(-low // tick) * tick
    high = high // tick * tick
    return max(low, tick), high


async def list_instruments(session: AsyncSession) -> list[Instrument]:
    return list((await session.scalars(select(Instrument).order_by(Instrument.symbol))).all())


async def get_instrument(session: AsyncSession, symbol: str) -> Instrument:
    instrument = await session.scalar(select(Instrument).where(Instrument.symbol == symbol))
    if instrument is None:
        raise InstrumentNotFound(f"no instrument {symbol!r}", field="instrument")
    return instrument


def symbol_for(certificate_type: str | None, instrument: str | None) -> str:
    if instrument:
        return instrument
    if certificate_type:
        return f"{certificate_type}-EUR"
    raise InvalidOrder("certificate_type or instrument is required", field="certificate_type")


@dataclass(frozen=True)
class InstrumentChanges:
    status: str | None = None
    reason: str | None = None
    price_band_bps: int | None = None
    reference_price: int | None = None
    min_quantity: int | None = None
    max_quantity: int | None = None
    maker_fee_bps: int | None = None
    taker_fee_bps: int | None = None
    clear_fees: bool = False


async def update_instrument(
    session: AsyncSession, symbol: str, changes: InstrumentChanges, actor: Actor
) -> Instrument:
    """Staff: halt/resume (with a reason), band, reference price, limits, fees (audited).

    Sequenced like any command, so a halt takes effect between two orders, never during one.
    A halt cancels nothing; it refuses new orders (``market_halted``).
    """
    found = await get_instrument(session, symbol)
    async with sequenced(session, found.id) as cmd:
        inst = cmd.instrument
        before = _instrument_audit(inst)
        if changes.status is not None and changes.status != inst.status:
            if not changes.reason:
                raise Unprocessable("a reason is required to halt or resume", field="reason")
            inst.status = changes.status
            inst.status_reason = changes.reason
        elif changes.reason and changes.status is not None:
            inst.status_reason = changes.reason
        if changes.price_band_bps is not None:
            inst.price_band_bps = changes.price_band_bps
        if changes.reference_price is not None:
            inst.reference_price = changes.reference_price
        mn = changes.min_quantity if changes.min_quantity is not None else inst.min_quantity
        mx = changes.max_quantity if changes.max_quantity is not None else inst.max_quantity
        if mn > mx:
            raise InvalidQuantity("min_quantity must not exceed max_quantity", field="min_quantity")
        inst.min_quantity, inst.max_quantity = mn, mx
        if changes.clear_fees:
            inst.maker_fee_bps = inst.taker_fee_bps = None
        if changes.maker_fee_bps is not None:
            inst.maker_fee_bps = changes.maker_fee_bps
        if changes.taker_fee_bps is not None:
            inst.taker_fee_bps = changes.taker_fee_bps
        inst.updated_at = utcnow()
        after = _instrument_audit(inst)
        if after != before:
            await audit.record(
                session, actor, "exchange.instrument.update", "exchange_instrument", inst.symbol,
                before=before, after=after,
            )  # fmt: skip
            await emit(
                session,
                "backoffice",
                "instrument.updated",
                {"instrument": inst.symbol, "status": inst.status, "reason": inst.status_reason},
            )
            await emit(
                session,
                "ticker",
                "instrument.status",
                {"instrument": inst.symbol, "status": inst.status, "reason": inst.status_reason},
            )
    return cmd.instrument


def _instrument_audit(inst: Instrument) -> dict[str, Any]:
    return {
        "status": inst.status,
        "status_reason": inst.status_reason,
        "price_band_bps": inst.price_band_bps,
        "reference_price": inst.reference_price,
        "min_quantity": inst.min_quantity,
        "max_quantity": inst.max_quantity,
        "maker_fee_bps": inst.maker_fee_bps,
        "taker_fee_bps": inst.taker_fee_bps,
    }


# --------------------------------------------------------------------------- placing


def _check_static(order: NewOrder, inst: Instrument | _Terms) -> None:
    """Tick, lot, limits and the shape of the order (before any lock)."""
    if order.quantity <= 0:
        raise InvalidQuantity("quantity must be positive", field="quantity")
    if order.quantity % inst.lot_size:
        raise InvalidQuantity(f"quantity must be a multiple of {inst.lot_size}", field="quantity")
    if order.quantity < inst.min_quantity:
        raise InvalidQuantity(f"the minimum quantity is {inst.min_quantity}", field="quantity")
    if order.quantity > inst.max_quantity:
        raise InvalidQuantity(f"the maximum quantity is {inst.max_quantity}", field="quantity")
    if order.kind == "LIMIT":
        if order.price is None:
            raise InvalidPrice("a LIMIT order needs a price", field="price")
        if order.price <= 0:
            raise InvalidPrice("price must be positive", field="price")
        if order.price % inst.tick_size:
            raise InvalidPrice(
                f"price must be a multiple of {format_amount(inst.tick_size, QUOTE_SCALE)}",
                field="price",
            )
        if order.post_only and order.time_in_force != "GTC":
            raise InvalidOrder("a post-only order is GTC", field="post_only")
    else:
        if order.price is not None:
            raise InvalidPrice("a MARKET order takes no price", field="price")
        if order.post_only:
            raise InvalidOrder("a MARKET order cannot be post-only", field="post_only")


def _check_band(order: NewOrder, inst: Instrument) -> None:
    band = band_of(inst)
    if band is None or order.price is None:
        return
    low, high = band
    if not low <= order.price <= high:
        raise PriceOutOfBand(
            f"the price must be between {format_amount(low, 2)} and {format_amount(high, 2)}",
            field="price",
            low=format_amount(low, 2),
            high=format_amount(high, 2),
        )


def protection_price(side: str, inst: Instrument) -> int | None:
    """The protection limit of a MARKET order: the band's edge on its side (None: no band)."""
    band = band_of(inst)
    if band is None:
        return None
    return band[1] if side == "BUY" else band[0]


@dataclass(frozen=True)
class _Terms:
    """What an order is checked against before the sequencer (a per-process snapshot)."""

    id: uuid.UUID
    base_asset: str
    quote_asset: str
    lot_size: int
    min_quantity: int
    max_quantity: int
    tick_size: int


def _terms(inst: Instrument) -> _Terms:
    return _Terms(inst.id, inst.base_asset, inst.quote_asset, inst.lot_size,
                  inst.min_quantity, inst.max_quantity, inst.tick_size)  # fmt: skip


# Per database binding (as the books are), symbol -> terms last seen. Only a fast path:
# a refusal is always decided on a fresh row, and the sequencer checks the locked row again.
_terms_cache: weakref.WeakKeyDictionary[Any, dict[str, _Terms]] = weakref.WeakKeyDictionary()


def _remember(bind: Any, inst: Instrument) -> _Terms:
    terms = _terms(inst)
    cache = _terms_cache.get(bind)
    if cache is None:
        cache = _terms_cache[bind] = {}
    cache[inst.symbol] = terms
    return terms


async def _checked_terms(maker: async_sessionmaker[AsyncSession], new: NewOrder) -> _Terms:
    bind = maker.kw.get("bind")
    cache = _terms_cache.get(bind)
    terms = cache.get(new.symbol) if cache is not None else None
    if terms is not None:
        try:
            _check_static(new, terms)
            return terms
        except DomainError:
            pass  # the snapshot may be stale: decide on the row
    async with maker() as session:
        terms = _remember(bind, await get_instrument(session, new.symbol))
    _check_static(new, terms)
    return terms


async def place_order(
    session: AsyncSession,
    settings: Settings,
    entity_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
    new: NewOrder,
    principal: Principal | None = None,
) -> PlacedOrder:
    """Validate, reserve, match and record one order; committed when this returns.

    ``session`` (made by :func:`unit_of_work`) is committed first: the order is decided
    in the instrument's next group, in a transaction of its own, which must see what the
    caller wrote -- and the caller holds no pooled connection while its order waits.
    """
    return await submit_order(await release(session), settings, entity_id, user_id, new, principal)


async def release(session: AsyncSession) -> async_sessionmaker[AsyncSession]:
    """Commit what ``session`` (made by :func:`unit_of_work`) did so far, and return the
    maker of its units of work: for an order placed in a transaction of its own."""
    if has_work(session):
        await session.commit()
    maker: async_sessionmaker[AsyncSession] | None = session.info.get("maker")
    if maker is None:  # pragma: no cover - every unit of work records its maker
        raise RuntimeError("order placement needs a session made by unit_of_work")
    return maker


async def submit_order(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    entity_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
    new: NewOrder,
    principal: Principal | None = None,
    prepare: placement.Prepare | None = None,
) -> PlacedOrder:
    """:func:`place_order` for a caller without a session of its own (the order lane;
    ``prepare``: see :func:`placement.submit`).

    What needs no lock is checked here; the rest is decided in the instrument's next
    group (:mod:`niha.exchange.placement`): KYC, ``client_order_id``, halted market,
    band, funds, post-only, then matching. With ``principal`` (a request's caller), the
    group's transaction also checks that the caller's session still stands as it was
    (``SessionChanged``, 401, otherwise).
    """
    if entity_id is None:
        raise NoEntity("only members of a client organisation can trade")
    terms = await _checked_terms(maker, new)
    return await placement.submit(
        maker,
        settings,
        terms.id,
        entity_id,
        user_id,
        new,
        _check_locked,
        command_events,
        principal,
        prepare,
    )


def _check_locked(new: NewOrder, inst: Instrument) -> None:
    """The rules decided on the locked instrument row, in the order clients see them."""
    _check_static(new, inst)
    if inst.status != "OPEN":
        raise MarketHalted(inst.status_reason or "trading is halted", instrument=inst.symbol)
    _check_band(new, inst)


# --------------------------------------------------------------------------- events


def _level_state(book: OrderBook, plan: Plan) -> dict[tuple[Side, int], list[int]]:
    """``[quantity, orders]`` of each level the plan changes, as they will be after it."""
    state: dict[tuple[Side, int], list[int]] = {}
    for side, price in plan.touched_levels():
        level = book.level(side, price)
        state[(side, price)] = [level.quantity, level.orders]
    opposite = plan.side.opposite
    for f in plan.fills:
        s = state[(opposite, f.price)]
        s[0] -= f.quantity
        if f.maker_remaining == 0:
            s[1] -= 1
    for c in plan.cancelled_resting:
        s = state[(opposite, c.price)]
        s[0] -= c.quantity
        s[1] -= 1
    if plan.outcome is Outcome.RESTED and plan.price is not None:
        s = state[(plan.side, plan.price)]
        s[0] += plan.remaining
        s[1] += 1
    return state


def level_change(side: str, price: int, quantity: int, orders: int) -> dict[str, Any]:
    """One L2 level of a ``book.delta`` event, as it is after the command (0 and 0: gone)."""
    return {"side": side, "price": format_amount(price, 2), "quantity": quantity, "orders": orders}


def _levels_out(state: dict[tuple[Side, int], list[int]]) -> list[dict[str, Any]]:
    return [level_change(side.value, price, q, n) for (side, price), (q, n) in state.items()]


def _levels_after(book: OrderBook, plan: Plan) -> list[dict[str, Any]]:
    """The L2 levels the plan changes, as they will be after it is applied."""
    return _levels_out(_level_state(book, plan))


def order_event(o: Order | OrderRow, symbol: str) -> dict[str, Any]:
    return {
        "id": str(o.id),
        "entity_id": str(o.entity_id),
        "instrument": symbol,
        "client_order_id": o.client_order_id,
        "order_type": o.side,
        "order_kind": o.kind,
        "price": format_amount(o.price, 2) if o.price is not None else None,
        "quantity": o.quantity,
        "filled_quantity": o.filled_quantity,
        "status": o.status,
        "reason": o.reason,
        "updated_at": isoformat_z(o.updated_at),
    }


#: One outbox event of a command: channel, event, data, entity (private channels).
CommandEvent = tuple[str, str, dict[str, Any], uuid.UUID | None]


def command_events(
    inst: Instrument,
    book: OrderBook,
    plan: Plan | None,
    seq: int,
    taker: Order | OrderRow | None,
    others: Sequence[Order | OrderRow],
    trades: Sequence[Trade | TradeRow],
    fills: Sequence[OrderFill | FillRow],
    now: datetime,
    changes: list[dict[str, Any]] | None = None,
    *,
    ticker: bool = True,
) -> list[CommandEvent]:
    """The events of one command, in order (book delta, orders, fills, trades, ticker).

    ``book`` as it is before the plan is applied. Without ``ticker`` (a group of orders
    sends one :func:`ticker_event` for the whole group, see placement).
    """
    symbol = inst.symbol
    ts = isoformat_z(now)
    state = None
    if changes is None:
        if plan is not None:
            state = _level_state(book, plan)
            changes = _levels_out(state)
        else:
            changes = []
    out: list[CommandEvent] = [
        (
            f"book.{symbol}",
            "book.delta",
            {"instrument": symbol, "sequence": seq, "changes": changes},
            None,
        )
    ]
    for o in ([taker] if taker is not None else []) + list(others):
        out.append(("orders", "order.updated", order_event(o, symbol), o.entity_id))
    for fill in fills:
        out.append(
            (
                "fills",
                "fill.created",
                {
                    "id": str(fill.id),
                    "order_id": str(fill.order_id),
                    "trade_id": str(fill.trade_id),
                    "instrument": symbol,
                    "side": fill.side,
                    "liquidity": fill.liquidity,
                    "price": format_amount(fill.price, 2),
                    "quantity": fill.quantity,
                    "fee": format_amount(fill.fee, 2),
                    "created_at": ts,
                },
                fill.entity_id,
            )
        )
    if trades:
        taker_side = plan.side.value if plan is not None else None
        for t in trades:
            out.append(
                (
                    f"trades.{symbol}",
                    "trade",
                    {
                        "id": str(t.id),
                        "instrument": symbol,
                        "price": format_amount(t.price, 2),
                        "quantity": t.quantity,
                        "taker_side": taker_side,
                        "sequence": seq,
                        "created_at": ts,
                    },
                    None,
                )
            )
    if ticker and (trades or changes):
        bid, ask = _best_after(book, plan, state)
        out.append(ticker_event(inst, bid, ask, seq, sum(t.quantity for t in trades)))
    return out


def ticker_event(
    inst: Instrument, bid: int | None, ask: int | None, seq: int, traded: int
) -> CommandEvent:
    """The ``ticker`` event: last price, best bid and ask, what was traded since the last."""
    return (
        "ticker",
        "ticker",
        {
            "instrument": inst.symbol,
            "last": format_amount(inst.last_price, 2) if inst.last_price else None,
            "bid": format_amount(bid, 2) if bid else None,
            "ask": format_amount(ask, 2) if ask else None,
            "sequence": seq,
            "traded": traded,
        },
        None,
    )


async def _publish_command(
    session: AsyncSession,
    inst: Instrument,
    book: OrderBook,
    plan: Plan | None,
    seq: int,
    taker: Order | OrderRow | None,
    others: Sequence[Order | OrderRow],
    trades: Sequence[Trade | TradeRow],
    fills: Sequence[OrderFill | FillRow],
    now: datetime,
    changes: list[dict[str, Any]] | None = None,
) -> None:
    found = command_events(inst, book, plan, seq, taker, others, trades, fills, now, changes)
    for channel, event, data, entity_id in found:
        await emit(session, channel, event, data, entity_id=entity_id)


def _best_after(
    book: OrderBook,
    plan: Plan | None,
    state: dict[tuple[Side, int], list[int]] | None = None,
) -> tuple[int | None, int | None]:
    """Best bid and ask once ``plan`` is applied (computed without applying it)."""
    if plan is None:
        return book.best_bid(), book.best_ask()
    if state is None:
        state = _level_state(book, plan)
    best: list[int | None] = []
    for side in (Side.BUY, Side.SELL):
        changed = {p: q for (s, p), (q, _) in state.items() if s is side}
        # Only a changed level can empty: the best untouched level is within the first
        # ``len(changed) + 1`` levels of the book.
        live = [p for p, q in changed.items() if q > 0]
        for lv in book.depth(side, len(changed) + 1):
            if changed.get(lv.price, lv.quantity) > 0:
                live.append(lv.price)
                break
        if not live:
            best.append(None)
        else:
            best.append(max(live) if side is Side.BUY else min(live))
    return best[0], best[1]


# --------------------------------------------------------------------------- cancelling


async def cancel_order(
    session: AsyncSession,
    order_id: uuid.UUID,
    *,
    entity_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    reason: str = "cancelled_by_client",
    detail: str | None = None,
    audit_actor: Actor | None = None,
) -> Order:
    """Cancel an open order (``entity_id`` None: staff, any order); releases the rest."""
    found = await session.get(Order, order_id)
    if found is None or (entity_id is not None and found.entity_id != entity_id):
        raise OrderNotFound()
    if found.status not in OPEN_STATUSES:
        raise OrderNotCancellable(f"the order is {found.status}", order_status=found.status)
    async with sequenced(session, found.instrument_id) as cmd:
        order = (
            await session.scalars(
                select(Order).where(Order.id == order_id).execution_options(populate_existing=True)
            )
        ).one()
        if order.status not in OPEN_STATUSES:
            raise OrderNotCancellable(f"the order is {order.status}", order_status=order.status)
        await _cancel_in_command(session, cmd, [order], reason, detail, actor_id)
        if audit_actor is not None:
            await audit.record(
                session, audit_actor, "exchange.order.cancel", "exchange_order", order.id,
                before={"status": "OPEN"}, after={"status": "CANCELLED", "reason": detail},
            )  # fmt: skip
    return order


async def cancel_own_order(
    session: AsyncSession,
    settings: Settings,
    order_id: uuid.UUID,
    principal: Principal,
) -> Order | OrderRow:
    """A client's cancellation of one of its orders (``POST /orders/{id}/cancel``): in
    its instrument's next group when it can be (:func:`cancel_in_group`), otherwise one
    command of its own (:func:`cancel_order`), which says why it cannot be cancelled."""
    if principal.entity_id is None:
        raise OrderNotFound()
    grouped = await cancel_in_group(await release(session), settings, order_id, principal)
    if grouped is not None:
        return grouped[0]
    return await cancel_order(
        session, order_id, entity_id=principal.entity_id, actor_id=principal.user_id
    )


async def cancel_in_group(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    order_id: uuid.UUID,
    principal: Principal,
) -> tuple[OrderRow, str] | None:
    """Cancel the caller's order in its instrument's next group of orders, in that
    group's transaction (:mod:`placement`): the cancelled order and its instrument's
    symbol. A market maker then cancels and places without a transaction, an instrument
    lock and a cold next group for each cancellation.

    Only for an order this process's book holds resting as the caller's entity's (the
    group checks it again): ``None`` -- nothing done -- otherwise, and when the group
    finds it no longer resting (filled or cancelled meanwhile); the caller then goes
    the long way, :func:`cancel_order`.
    """
    bind = maker.kw.get("bind")
    row = book_cache.resting_order(bind, order_id)
    if row is None or row.entity_id != principal.entity_id:
        return None
    symbol = next(
        (s for s, t in (_terms_cache.get(bind) or {}).items() if t.id == row.instrument_id),
        None,
    )
    if symbol is None:
        return None
    try:
        placed = await placement.submit(
            maker,
            settings,
            row.instrument_id,
            row.entity_id,
            principal.user_id,
            placement.CancelOrder(order_id),
            _check_locked,
            command_events,
            principal,
        )
    except placement.NotResting:
        return None
    return placed.order, symbol


async def _cancel_in_command(
    session: AsyncSession,
    cmd: Command,
    orders: Sequence[Order],
    reason: str,
    detail: str | None,
    actor_id: uuid.UUID | None,
) -> None:
    inst = cmd.instrument
    book = cmd.book
    now = utcnow()
    seq = inst.sequence + 1
    transfers = []
    delta: dict[tuple[str, int], list[int]] = {}
    for order in orders:
        assert order.price is not None
        key = (order.side, order.price)
        if key not in delta:
            level = book.level(Side(order.side), order.price)
            delta[key] = [level.quantity, level.orders]
        if book.get(order.id) is not None:
            delta[key][0] -= order.quantity - order.filled_quantity
            delta[key][1] -= 1
        if order.reserved_remaining:
            transfers.append(placement.release(order))
        order.reserved_remaining = 0
        order.status = "CANCELLED"
        order.reason = reason
        order.reason_detail = detail
        order.cancelled_by = actor_id
        order.updated_at = now
        order.last_sequence = seq
    if transfers:
        await ledger.post_batch(session, transfers)
    inst.sequence = seq
    inst.updated_at = now
    await session.flush()
    changes = [level_change(s, p, q, n) for (s, p), (q, n) in delta.items()]
    await _publish_command(session, inst, book, None, seq, None, orders, [], [], now, changes)
    ids = [o.id for o in orders]

    def _apply(b: OrderBook) -> None:
        for oid in ids:
            b.cancel(oid)
            cmd.resting.pop(oid, None)
        b.sequence = seq

    cmd.on_commit(_apply)


async def cancel_all(
    session: AsyncSession, entity_id: uuid.UUID, actor_id: uuid.UUID, symbol: str | None = None
) -> list[Order]:
    """Cancel every open order of the entity (one command per instrument)."""
    stmt = select(Order.instrument_id).where(
        Order.entity_id == entity_id, Order.status.in_(OPEN_STATUSES)
    )
    if symbol is not None:
        stmt = stmt.where(Order.instrument_id == (await get_instrument(session, symbol)).id)
    instrument_ids = sorted(set((await session.scalars(stmt)).all()))
    cancelled: list[Order] = []
    for instrument_id in instrument_ids:
        async with sequenced(session, instrument_id) as cmd:
            orders = list(
                (
                    await session.scalars(
                        select(Order)
                        .where(
                            Order.entity_id == entity_id,
                            Order.instrument_id == instrument_id,
                            Order.status.in_(OPEN_STATUSES),
                        )
                        .order_by(Order.sequence)
                        .execution_options(populate_existing=True)
                    )
                ).all()
            )
            if orders:
                await _cancel_in_command(
                    session, cmd, orders, "cancelled_by_client", None, actor_id
                )
                cancelled += orders
    return cancelled


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class OrderFilter:
    status: str | None = None
    side: str | None = None
    instrument_id: uuid.UUID | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    open_only: bool = False


def _order_filters(stmt: Select[Any], f: OrderFilter) -> Select[Any]:
    if f.status is not None:
        stmt = stmt.where(Order.status == f.status)
    if f.open_only:
        stmt = stmt.where(Order.status.in_(OPEN_STATUSES))
    if f.side is not None:
        stmt = stmt.where(Order.side == f.side)
    if f.instrument_id is not None:
        stmt = stmt.where(Order.instrument_id == f.instrument_id)
    if f.date_from is not None:
        stmt = stmt.where(Order.created_at >= f.date_from)
    if f.date_to is not None:
        stmt = stmt.where(Order.created_at < f.date_to)
    return stmt


async def list_orders(
    session: AsyncSession, entity_id: uuid.UUID | None, f: OrderFilter, page: PageParams
) -> tuple[list[Order], str | None]:
    stmt = _order_filters(select(Order), f)
    if entity_id is not None:
        stmt = stmt.where(Order.entity_id == entity_id)
    stmt = keyset_page(stmt, [Order.__table__.c.id], page, parse=[uuid.UUID])
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page, lambda o: [o.id])


async def get_order(
    session: AsyncSession, order_id: uuid.UUID, entity_id: uuid.UUID | None
) -> tuple[Order, list[OrderFill], list[Trade]]:
    order = await session.get(Order, order_id)
    if order is None or (entity_id is not None and order.entity_id != entity_id):
        raise OrderNotFound()
    fills = list(
        (
            await session.scalars(
                select(OrderFill).where(OrderFill.order_id == order_id).order_by(OrderFill.id)
            )
        ).all()
    )
    trade_ids = [f.trade_id for f in fills]
    trades = (
        list((await session.scalars(select(Trade).where(Trade.id.in_(trade_ids)))).all())
        if trade_ids
        else []
    )
    return order, fills, trades


@dataclass(frozen=True)
class TradeFilter:
    instrument_id: uuid.UUID | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    status: str | None = None
    #: Staff: the trades where this entity bought or sold.
    entity_id: uuid.UUID | None = None


async def list_my_trades(
    session: AsyncSession, entity_id: uuid.UUID, f: TradeFilter, page: PageParams
) -> tuple[list[OrderFill], dict[uuid.UUID, Trade], str | None]:
    """The entity's side of its trades (its fills), newest first; no counterparty."""
    stmt = select(OrderFill).where(OrderFill.entity_id == entity_id)
    if f.instrument_id is not None:
        stmt = stmt.where(OrderFill.instrument_id == f.instrument_id)
    if f.date_from is not None:
        stmt = stmt.where(OrderFill.created_at >= f.date_from)
    if f.date_to is not None:
        stmt = stmt.where(OrderFill.created_at < f.date_to)
    stmt = keyset_page(stmt, [OrderFill.__table__.c.id], page, parse=[uuid.UUID])
    rows = (await session.scalars(stmt)).all()
    items, cursor = build_page(rows, page, lambda r: [r.id])
    ids = [r.trade_id for r in items]
    trades = (
        {t.id: t for t in (await session.scalars(select(Trade).where(Trade.id.in_(ids)))).all()}
        if ids
        else {}
    )
    return items, trades, cursor


async def list_trades(
    session: AsyncSession, f: TradeFilter, page: PageParams
) -> tuple[list[Trade], str | None]:
    """Staff: every trade, both sides visible."""
    stmt = select(Trade)
    if f.instrument_id is not None:
        stmt = stmt.where(Trade.instrument_id == f.instrument_id)
    if f.status is not None:
        stmt = stmt.where(Trade.status == f.status)
    if f.date_from is not None:
        stmt = stmt.where(Trade.created_at >= f.date_from)
    if f.date_to is not None:
        stmt = stmt.where(Trade.created_at < f.date_to)
    if f.entity_id is not None:
        stmt = stmt.where(
            or_(Trade.buyer_entity_id == f.entity_id, Trade.seller_entity_id == f.entity_id)
        )
    stmt = keyset_page(stmt, [Trade.__table__.c.id], page, parse=[uuid.UUID])
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page, lambda r: [r.id])


async def confirm_trade(session: AsyncSession, trade_id: uuid.UUID, actor: Actor) -> Trade:
    """Staff confirm a block trade: PENDING -> CONFIRMED (audited)."""
    trade = await session.scalar(select(Trade).where(Trade.id == trade_id).with_for_update())
    if trade is None:
        raise TradeNotFound()
    if trade.status != "PENDING":
        raise TradeNotPending(f"the trade is {trade.status}", trade_status=trade.status)
    trade.status = "CONFIRMED"
    trade.confirmed_by = actor.id
    trade.confirmed_at = utcnow()
    await audit.record(
        session, actor, "exchange.trade.confirm", "exchange_trade", trade.id,
        before={"status": "PENDING"}, after={"status": "CONFIRMED"},
    )  # fmt: skip
    await emit(session, "backoffice", "trade.confirmed", {"trade_id": str(trade.id)})
    return trade


async def instrument_symbols(session: AsyncSession) -> dict[uuid.UUID, str]:
    rows = (await session.execute(select(Instrument.id, Instrument.symbol))).all()
    return {r[0]: r[1] for r in rows}


async def instrument_id_for(
    session: AsyncSession, certificate_type: str | None
) -> uuid.UUID | None:
    if certificate_type is None:
        return None
    return (await get_instrument(session, f"{certificate_type}-EUR")).id


async def open_order_totals(session: AsyncSession) -> dict[str, dict[str, int]]:
    """Staff overview: open orders per instrument and side."""
    rows = (
        await session.execute(
            select(Order.instrument_id, Order.side, Order.quantity - Order.filled_quantity).where(
                Order.status.in_(OPEN_STATUSES)
            )
        )
    ).all()
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"BUY": 0, "SELL": 0})
    for instrument_id, side, qty in rows:
        out[str(instrument_id)][side] += int(qty)
    return dict(out)
