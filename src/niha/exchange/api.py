"""HTTP routes of the exchange: clients' orders and trades; staff instruments, market
overview, trades with both sides, order cancellation on a client's behalf."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from niha.config import Settings
from niha.core.clock import as_utc
from niha.core.deps import SessionDep, SettingsDep
from niha.core.money import InvalidAmount, parse_amount
from niha.core.pagination import PageParams, page_params
from niha.exchange import fee_schedule, service, staff_queries
from niha.exchange.models import Instrument
from niha.exchange.placement import PlacedOrder
from niha.exchange.schemas import (
    CancelAllOut,
    InstrumentOut,
    InstrumentPatchIn,
    MarketOverviewItem,
    MarketOverviewOut,
    MyTradeOut,
    MyTradePage,
    OrderDetailOut,
    OrderOut,
    OrderPage,
    PlaceOrderIn,
    ReasonIn,
    StaffOrderOut,
    StaffOrderPage,
    StaffTradeOut,
    StaffTradePage,
    TradeRef,
)
from niha.identity.access import Permission, Principal, require

router = APIRouter(tags=["exchange"])
admin_router = APIRouter(prefix="/admin", tags=["exchange-admin"])

OrdersReader = Annotated[Principal, Depends(require(Permission.ORDERS_READ))]
OrdersWriter = Annotated[Principal, Depends(require(Permission.ORDERS_WRITE))]
MarketReader = Annotated[Principal, Depends(require(Permission.MARKET_READ))]
MarketManager = Annotated[Principal, Depends(require(Permission.MARKET_MANAGE))]
TradesConfirmer = Annotated[Principal, Depends(require(Permission.TRADES_CONFIRM))]
Paging = Annotated[PageParams, Depends(page_params)]
CertificateQuery = Annotated[Literal["EUA", "CEA"] | None, Query()]
InstrumentQuery = Annotated[
    str | None,
    Query(max_length=25, pattern=r"^[A-Z0-9]{2,12}-[A-Z0-9]{2,12}$", description="e.g. EUA-EUR"),
]


def _price(value: str | None, field: str = "price") -> int | None:
    if value is None:
        return None
    try:
        return parse_amount(value, 2)
    except InvalidAmount as exc:
        raise service.InvalidPrice(str(exc), field=field) from None


async def _instrument_filter(
    session: SessionDep, certificate_type: str | None, instrument: str | None
) -> uuid.UUID | None:
    """The instrument a staff list is narrowed to: by symbol, else by certificate type."""
    if instrument is not None:
        return (await service.get_instrument(session, instrument)).id
    return await service.instrument_id_for(session, certificate_type)


def _instrument_out(i: Instrument, settings: SettingsDep) -> InstrumentOut:
    fees = fee_schedule.instrument_fees(i, settings)
    return InstrumentOut.of(i, fees.maker_bps, fees.taker_bps, service.band_of(i))


# --------------------------------------------------------------------------- clients


@router.post("/orders/place", response_model=OrderOut, status_code=201)
async def place_order(
    body: PlaceOrderIn, principal: OrdersWriter, session: SessionDep, settings: SettingsDep
) -> OrderOut:
    # Most requests never get here: the order lane (exchange/lane.py) serves them with
    # this same function, outside FastAPI's routing and dependency solving.
    return (await place(await service.release(session), settings, principal, body)).out


@dataclass(frozen=True)
class PlacedAnswer:
    """The reply to an order placed, as a model and as its JSON."""

    out: OrderOut
    json: str


async def place(
    maker: async_sessionmaker[AsyncSession],
    settings: Settings,
    principal: Principal,
    body: PlaceOrderIn,
) -> PlacedAnswer:
    """``POST /orders/place`` once the caller may trade and the body is valid (the order
    is decided in a transaction of its own, made by ``maker``). The reply is made while
    the order's group commits."""
    symbol = service.symbol_for(body.certificate_type, body.instrument)

    def answer(placed: PlacedOrder) -> PlacedAnswer:
        out = OrderOut.of(placed.order, symbol, placed.fills)
        return PlacedAnswer(out, out.model_dump_json())

    placed = await service.submit_order(
        maker,
        settings,
        principal.entity_id,
        principal.user_id,
        service.NewOrder(
            symbol=symbol,
            side=body.order_type,
            kind=body.order_kind,
            quantity=body.quantity,
            price=_price(body.price),
            time_in_force=body.time_in_force,
            post_only=body.post_only,
            client_order_id=body.client_order_id,
        ),
        principal,
        answer,
    )
    prepared = placed.prepared
    return prepared if isinstance(prepared, PlacedAnswer) else answer(placed)


@router.get("/orders/my-orders", response_model=OrderPage)
async def my_orders(
    principal: OrdersReader,
    session: SessionDep,
    paging: Paging,
    status: Annotated[
        Literal["OPEN", "PARTIALLY_FILLED", "FILLED", "CANCELLED", "REJECTED", "EXPIRED", "ACTIVE"]
        | None,
        Query(description="ACTIVE: OPEN or PARTIALLY_FILLED"),
    ] = None,
    order_type: Annotated[Literal["BUY", "SELL"] | None, Query()] = None,
    certificate_type: CertificateQuery = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> OrderPage:
    if principal.entity_id is None:
        return OrderPage(items=[])
    f = service.OrderFilter(
        status=None if status in (None, "ACTIVE") else status,
        open_only=status == "ACTIVE",
        side=order_type,
        instrument_id=await service.instrument_id_for(session, certificate_type),
        date_from=as_utc(date_from),
        date_to=as_utc(date_to),
    )
    items, cursor = await service.list_orders(session, principal.entity_id, f, paging)
    symbols = await service.instrument_symbols(session)
    return OrderPage(
        items=[OrderOut.of(o, symbols[o.instrument_id]) for o in items], next_cursor=cursor
    )


@router.post("/orders/cancel-all", response_model=CancelAllOut)
async def cancel_all(
    principal: OrdersWriter,
    session: SessionDep,
    certificate_type: CertificateQuery = None,
) -> CancelAllOut:
    if principal.entity_id is None:
        return CancelAllOut(cancelled=0, orders=[])
    symbol = f"{certificate_type}-EUR" if certificate_type else None
    orders = await service.cancel_all(session, principal.entity_id, principal.user_id, symbol)
    symbols = await service.instrument_symbols(session)
    return CancelAllOut(
        cancelled=len(orders), orders=[OrderOut.of(o, symbols[o.instrument_id]) for o in orders]
    )


@router.get("/orders/{order_id}", response_model=OrderDetailOut)
async def get_order(
    order_id: uuid.UUID, principal: OrdersReader, session: SessionDep
) -> OrderDetailOut:
    if principal.entity_id is None:
        raise service.OrderNotFound()
    order, fills, trades = await service.get_order(session, order_id, principal.entity_id)
    symbols = await service.instrument_symbols(session)
    out = OrderOut.of(order, symbols[order.instrument_id], fills)
    return OrderDetailOut(
        **out.model_dump(),
        trades=[
            TradeRef(
                id=t.id,
                price=f"{t.price // 100}.{t.price % 100:02d}",
                quantity=t.quantity,
                status=t.status,
                created_at=t.created_at,
            )
            for t in trades
        ],
    )


@router.post("/orders/{order_id}/cancel", response_model=OrderOut)
async def cancel_order(
    order_id: uuid.UUID, principal: OrdersWriter, session: SessionDep, settings: SettingsDep
) -> OrderOut:
    order = await service.cancel_own_order(session, settings, order_id, principal)
    symbols = await service.instrument_symbols(session)
    return OrderOut.of(order, symbols[order.instrument_id])


@router.get("/trades/my-trades", response_model=MyTradePage)
async def my_trades(
    principal: OrdersReader,
    session: SessionDep,
    paging: Paging,
    certificate_type: CertificateQuery = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> MyTradePage:
    if principal.entity_id is None:
        return MyTradePage(items=[])
    f = service.TradeFilter(
        instrument_id=await service.instrument_id_for(session, certificate_type),
        date_from=as_utc(date_from),
        date_to=as_utc(date_to),
    )
    fills, trades, cursor = await service.list_my_trades(session, principal.entity_id, f, paging)
    symbols = await service.instrument_symbols(session)
    items = []
    for fill in fills:
        t = trades[fill.trade_id]
        symbol = symbols[fill.instrument_id]
        items.append(
            MyTradeOut(
                id=t.id,
                order_id=fill.order_id,
                instrument=symbol,
                certificate_type=symbol.split("-", 1)[0],
                side=fill.side,
                liquidity=fill.liquidity,
                price=f"{fill.price // 100}.{fill.price % 100:02d}",
                quantity=fill.quantity,
                amount=f"{fill.price * fill.quantity // 100}.{fill.price * fill.quantity % 100:02d}",
                fee=f"{fill.fee // 100}.{fill.fee % 100:02d}",
                status=t.status,
                settlement_status="SETTLED" if t.settlement_batch_id else "UNSETTLED",
                created_at=fill.created_at,
            )
        )
    return MyTradePage(items=items, next_cursor=cursor)


@router.post("/trades/{trade_id}/confirm", response_model=StaffTradeOut)
async def confirm_trade(
    trade_id: uuid.UUID, principal: TradesConfirmer, session: SessionDep, request: Request
) -> StaffTradeOut:
    trade = await service.confirm_trade(session, trade_id, principal.actor(request))
    symbols = await service.instrument_symbols(session)
    return StaffTradeOut.of(trade, symbols[trade.instrument_id])


# --------------------------------------------------------------------------- staff


@admin_router.get("/instruments", response_model=list[InstrumentOut])
async def admin_instruments(
    _: MarketReader, session: SessionDep, settings: SettingsDep
) -> list[InstrumentOut]:
    return [_instrument_out(i, settings) for i in await service.list_instruments(session)]


@admin_router.get("/instruments/{symbol}", response_model=InstrumentOut)
async def admin_instrument(
    symbol: str, _: MarketReader, session: SessionDep, settings: SettingsDep
) -> InstrumentOut:
    return _instrument_out(await service.get_instrument(session, symbol), settings)


@admin_router.patch("/instruments/{symbol}", response_model=InstrumentOut)
async def admin_update_instrument(
    symbol: str,
    body: InstrumentPatchIn,
    principal: MarketManager,
    session: SessionDep,
    settings: SettingsDep,
    request: Request,
) -> InstrumentOut:
    band: int | None = None
    if body.price_band_percent is not None:
        try:
            band = parse_amount(body.price_band_percent, 2, allow_zero=True, max_abs=10_000)
        except InvalidAmount as exc:
            raise service.InvalidOrder(str(exc), field="price_band_percent") from None
    inst = await service.update_instrument(
        session,
        symbol,
        service.InstrumentChanges(
            status=body.status,
            reason=body.reason,
            price_band_bps=band,
            reference_price=_price(body.reference_price, "reference_price"),
            min_quantity=body.min_quantity,
            max_quantity=body.max_quantity,
            maker_fee_bps=body.maker_fee_bps,
            taker_fee_bps=body.taker_fee_bps,
        ),
        principal.actor(request),
    )
    return _instrument_out(inst, settings)


@admin_router.get("/market/overview", response_model=MarketOverviewOut)
async def admin_market_overview(
    _: MarketReader, session: SessionDep, settings: SettingsDep
) -> MarketOverviewOut:
    totals = await service.open_order_totals(session)
    return MarketOverviewOut(
        instruments=[
            MarketOverviewItem(
                instrument=_instrument_out(i, settings),
                open_buy_quantity=totals.get(str(i.id), {}).get("BUY", 0),
                open_sell_quantity=totals.get(str(i.id), {}).get("SELL", 0),
            )
            for i in await service.list_instruments(session)
        ]
    )


@admin_router.get("/trades", response_model=StaffTradePage)
async def admin_trades(
    _: MarketReader,
    session: SessionDep,
    paging: Paging,
    certificate_type: CertificateQuery = None,
    instrument: InstrumentQuery = None,
    status: Annotated[Literal["PENDING", "CONFIRMED"] | None, Query()] = None,
    entity_id: Annotated[
        uuid.UUID | None, Query(description="trades where this entity bought or sold")
    ] = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> StaffTradePage:
    f = service.TradeFilter(
        instrument_id=await _instrument_filter(session, certificate_type, instrument),
        status=status,
        date_from=as_utc(date_from),
        date_to=as_utc(date_to),
        entity_id=entity_id,
    )
    items, cursor, names = await staff_queries.staff_trades(session, f, paging)
    symbols = await service.instrument_symbols(session)
    return StaffTradePage(
        items=[StaffTradeOut.of(t, symbols[t.instrument_id], names) for t in items],
        next_cursor=cursor,
    )


@admin_router.get("/orders", response_model=StaffOrderPage)
async def admin_orders(
    _: MarketReader,
    session: SessionDep,
    paging: Paging,
    certificate_type: CertificateQuery = None,
    instrument: InstrumentQuery = None,
    status: Annotated[
        Literal["OPEN", "PARTIALLY_FILLED", "FILLED", "CANCELLED", "REJECTED", "EXPIRED", "ACTIVE"]
        | None,
        Query(description="ACTIVE: OPEN or PARTIALLY_FILLED"),
    ] = None,
    order_type: Annotated[Literal["BUY", "SELL"] | None, Query()] = None,
    entity_id: uuid.UUID | None = None,
) -> StaffOrderPage:
    f = service.OrderFilter(
        status=None if status in (None, "ACTIVE") else status,
        open_only=status == "ACTIVE",
        side=order_type,
        instrument_id=await _instrument_filter(session, certificate_type, instrument),
    )
    items, cursor, names = await staff_queries.staff_orders(session, entity_id, f, paging)
    symbols = await service.instrument_symbols(session)
    return StaffOrderPage(
        items=[
            StaffOrderOut(
                **OrderOut.of(o, symbols[o.instrument_id]).model_dump(),
                entity_id=o.entity_id,
                entity_name=names.get(o.entity_id),
                user_id=o.user_id,
            )
            for o in items
        ],
        next_cursor=cursor,
    )


@admin_router.post("/orders/{order_id}/cancel", response_model=OrderOut)
async def admin_cancel_order(
    order_id: uuid.UUID,
    body: ReasonIn,
    principal: MarketManager,
    session: SessionDep,
    request: Request,
) -> OrderOut:
    order = await service.cancel_order(
        session,
        order_id,
        entity_id=None,
        actor_id=principal.user_id,
        reason="cancelled_by_staff",
        detail=body.reason,
        audit_actor=principal.actor(request),
    )
    symbols = await service.instrument_symbols(session)
    return OrderOut.of(order, symbols[order.instrument_id])
