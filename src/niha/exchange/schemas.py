"""Exchange API shapes. Prices and money are decimal strings (``"72.35"``), quantities
integers; times ISO 8601 UTC with ``Z``. Clients never see a counterparty."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StrictBool, StrictInt

from niha.core.clock import isoformat_z
from niha.core.money import format_amount
from niha.exchange.models import Instrument, Order, OrderFill, Trade
from niha.exchange.rows import FillRow, OrderRow

UtcDatetime = Annotated[datetime, PlainSerializer(isoformat_z, return_type=str)]
CertificateType = Literal["EUA", "CEA"]
Side = Literal["BUY", "SELL"]
OrderStatus = Literal["OPEN", "PARTIALLY_FILLED", "FILLED", "CANCELLED", "REJECTED", "EXPIRED"]

PRICE_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,12})?$"


def money(cents: int | None) -> str | None:
    return None if cents is None else format_amount(cents, 2)


def average_price(notional: int, quantity: int) -> str | None:
    """The average price to 4 decimals (half up): notional cents / units."""
    if not quantity:
        return None
    ten_thousandths = (notional * 100 * 2 + quantity) // (2 * quantity)
    return format_amount(ten_thousandths, 4)


class PlaceOrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    certificate_type: CertificateType | None = None
    instrument: (
        Annotated[str, Field(max_length=25, pattern=r"^[A-Z0-9]{2,12}-[A-Z]{3}$")] | None
    ) = None
    order_type: Side
    order_kind: Literal["MARKET", "LIMIT"] = "LIMIT"
    quantity: StrictInt
    price: Annotated[str, Field(max_length=30)] | None = None
    time_in_force: Literal["GTC", "IOC", "FOK"] = "GTC"
    post_only: StrictBool = False
    client_order_id: (
        Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:\-]+$")] | None
    ) = None


class FillOut(BaseModel):
    id: uuid.UUID
    trade_id: uuid.UUID
    price: str
    quantity: int
    fee: str
    liquidity: Literal["MAKER", "TAKER"]
    created_at: UtcDatetime

    @classmethod
    def of(cls, f: OrderFill | FillRow) -> FillOut:
        return cls(
            id=f.id,
            trade_id=f.trade_id,
            price=format_amount(f.price, 2),
            quantity=f.quantity,
            fee=format_amount(f.fee, 2),
            liquidity=f.liquidity,
            created_at=f.created_at,
        )


class OrderOut(BaseModel):
    id: uuid.UUID
    instrument: str
    certificate_type: str
    client_order_id: str | None
    order_type: Side
    order_kind: Literal["MARKET", "LIMIT"]
    time_in_force: Literal["GTC", "IOC", "FOK"]
    post_only: bool
    price: str | None
    quantity: int
    filled_quantity: int
    remaining_quantity: int
    average_fill_price: str | None
    filled_amount: str
    fees: str
    reserved_asset: str
    reserved_remaining: str
    status: OrderStatus
    reason: str | None
    reason_detail: str | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    fills: list[FillOut] = []

    @classmethod
    def of(
        cls, o: Order | OrderRow, symbol: str, fills: Sequence[OrderFill | FillRow] | None = None
    ) -> OrderOut:
        base = symbol.split("-", 1)[0]
        open_ = o.status in ("OPEN", "PARTIALLY_FILLED")
        return cls(
            id=o.id,
            instrument=symbol,
            certificate_type=base,
            client_order_id=o.client_order_id,
            order_type=o.side,
            order_kind=o.kind,
            time_in_force=o.time_in_force,
            post_only=o.post_only,
            price=money(o.price),
            quantity=o.quantity,
            filled_quantity=o.filled_quantity,
            remaining_quantity=(o.quantity - o.filled_quantity) if open_ else 0,
            average_fill_price=average_price(o.filled_notional, o.filled_quantity),
            filled_amount=format_amount(o.filled_notional, 2),
            fees=format_amount(o.fee_total, 2),
            reserved_asset=o.reserved_asset,
            reserved_remaining=format_amount(
                o.reserved_remaining, 2 if o.reserved_asset == "EUR" else 0
            ),
            status=o.status,
            reason=o.reason,
            reason_detail=o.reason_detail,
            created_at=o.created_at,
            updated_at=o.updated_at,
            fills=[FillOut.of(f) for f in fills or []],
        )


class TradeRef(BaseModel):
    id: uuid.UUID
    price: str
    quantity: int
    status: str
    created_at: UtcDatetime


class OrderDetailOut(OrderOut):
    trades: list[TradeRef] = []


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None = None


class CancelAllOut(BaseModel):
    cancelled: int
    orders: list[OrderOut]


class MyTradeOut(BaseModel):
    """One of the caller's trades, from its side (no counterparty)."""

    id: uuid.UUID
    order_id: uuid.UUID
    instrument: str
    certificate_type: str
    side: Side
    liquidity: Literal["MAKER", "TAKER"]
    price: str
    quantity: int
    amount: str
    fee: str
    status: str
    settlement_status: Literal["UNSETTLED", "SETTLED"]
    created_at: UtcDatetime


class MyTradePage(BaseModel):
    items: list[MyTradeOut]
    next_cursor: str | None = None


class StaffTradeOut(BaseModel):
    id: uuid.UUID
    instrument: str
    sequence: int
    price: str
    quantity: int
    amount: str
    buy_order_id: uuid.UUID
    sell_order_id: uuid.UUID
    buyer_entity_id: uuid.UUID
    seller_entity_id: uuid.UUID
    #: Staff only: the legal names of both sides (``None`` when not known or not loaded).
    buyer_entity_name: str | None = None
    seller_entity_name: str | None = None
    maker_side: Side
    buyer_fee: str
    seller_fee: str
    status: str
    confirmed_by: uuid.UUID | None
    confirmed_at: UtcDatetime | None
    settlement_batch_id: uuid.UUID | None
    created_at: UtcDatetime

    @classmethod
    def of(
        cls, t: Trade, symbol: str, names: Mapping[uuid.UUID, str | None] | None = None
    ) -> StaffTradeOut:
        names = names or {}
        return cls(
            id=t.id,
            instrument=symbol,
            sequence=t.sequence,
            price=format_amount(t.price, 2),
            quantity=t.quantity,
            amount=format_amount(t.price * t.quantity, 2),
            buy_order_id=t.buy_order_id,
            sell_order_id=t.sell_order_id,
            buyer_entity_id=t.buyer_entity_id,
            seller_entity_id=t.seller_entity_id,
            buyer_entity_name=names.get(t.buyer_entity_id),
            seller_entity_name=names.get(t.seller_entity_id),
            maker_side=t.maker_side,
            buyer_fee=format_amount(t.buyer_fee, 2),
            seller_fee=format_amount(t.seller_fee, 2),
            status=t.status,
            confirmed_by=t.confirmed_by,
            confirmed_at=t.confirmed_at,
            settlement_batch_id=t.settlement_batch_id,
            created_at=t.created_at,
        )


class StaffTradePage(BaseModel):
    items: list[StaffTradeOut]
    next_cursor: str | None = None


class StaffOrderOut(OrderOut):
    entity_id: uuid.UUID
    #: Staff only: the entity's legal name (``None`` when it has not given one).
    entity_name: str | None = None
    user_id: uuid.UUID | None


class StaffOrderPage(BaseModel):
    items: list[StaffOrderOut]
    next_cursor: str | None = None


class InstrumentOut(BaseModel):
    symbol: str
    name: str
    base_asset: str
    quote_asset: str
    tick_size: str
    lot_size: int
    min_quantity: int
    max_quantity: int
    price_band_percent: str
    band_low: str | None
    band_high: str | None
    reference_price: str | None
    last_price: str | None
    maker_fee_bps: int
    taker_fee_bps: int
    fees_from_config: bool
    status: Literal["OPEN", "HALTED"]
    status_reason: str | None
    sequence: int
    updated_at: UtcDatetime

    @classmethod
    def of(
        cls, i: Instrument, maker: int, taker: int, band: tuple[int, int] | None
    ) -> InstrumentOut:
        return cls(
            symbol=i.symbol,
            name=i.name,
            base_asset=i.base_asset,
            quote_asset=i.quote_asset,
            tick_size=format_amount(i.tick_size, 2),
            lot_size=i.lot_size,
            min_quantity=i.min_quantity,
            max_quantity=i.max_quantity,
            price_band_percent=format_amount(i.price_band_bps, 2),
            band_low=money(band[0]) if band else None,
            band_high=money(band[1]) if band else None,
            reference_price=money(i.reference_price),
            last_price=money(i.last_price),
            maker_fee_bps=maker,
            taker_fee_bps=taker,
            fees_from_config=i.maker_fee_bps is None and i.taker_fee_bps is None,
            status=i.status,
            status_reason=i.status_reason,
            sequence=i.sequence,
            updated_at=i.updated_at,
        )


class InstrumentPatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["OPEN", "HALTED"] | None = None
    reason: Annotated[str, Field(min_length=3, max_length=500)] | None = None
    price_band_percent: Annotated[str, Field(max_length=10)] | None = None
    reference_price: Annotated[str, Field(max_length=30)] | None = None
    min_quantity: Annotated[int, Field(ge=1, le=10**12)] | None = None
    max_quantity: Annotated[int, Field(ge=1, le=10**12)] | None = None
    maker_fee_bps: Annotated[int, Field(ge=0, le=1000)] | None = None
    taker_fee_bps: Annotated[int, Field(ge=0, le=1000)] | None = None


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=3, max_length=500)]


class MarketOverviewItem(BaseModel):
    instrument: InstrumentOut
    open_buy_quantity: int
    open_sell_quantity: int


class MarketOverviewOut(BaseModel):
    instruments: list[MarketOverviewItem]


# --------------------------------------------------------------------------- market data


class LevelOut(BaseModel):
    price: str
    quantity: int
    orders: int


class BookOut(BaseModel):
    instrument: str
    sequence: int
    bids: list[LevelOut]
    asks: list[LevelOut]


class TapeTradeOut(BaseModel):
    id: uuid.UUID
    price: str
    quantity: int
    taker_side: Side
    sequence: int
    created_at: UtcDatetime


class TapePage(BaseModel):
    items: list[TapeTradeOut]
    next_cursor: str | None = None


class CandleOut(BaseModel):
    time: UtcDatetime
    open: str
    high: str
    low: str
    close: str
    volume: int
    amount: str
    trades: int


class CandlesOut(BaseModel):
    instrument: str
    interval: str
    candles: list[CandleOut]


class TickerOut(BaseModel):
    instrument: str
    certificate_type: str
    status: str
    sequence: int
    last: str | None
    bid: str | None
    ask: str | None
    open_24h: str | None
    high_24h: str | None
    low_24h: str | None
    change_24h: str | None
    change_24h_percent: str | None
    volume_24h: int
    amount_24h: str
    trades_24h: int
    last_trade_at: UtcDatetime | None


class PublicInstrumentOut(BaseModel):
    symbol: str
    name: str
    base_asset: str
    quote_asset: str
    tick_size: str
    lot_size: int
    min_quantity: int
    max_quantity: int
    band_low: str | None
    band_high: str | None
    maker_fee_bps: int
    taker_fee_bps: int
    status: str
    status_reason: str | None


class CertificateOut(BaseModel):
    id: str
    certificate_type: str
    instrument: str
    name: str
    scheme: str | None
    registry: str | None
    phase: str | None
    description: str | None
    vintage_year: int | None
    current_price: str | None
    best_bid: str | None
    best_ask: str | None
    available_quantity: int
    sellers: int
    demand_quantity: int
    change_24h_percent: str | None
    volume_24h: int
    status: str


class CertificatePage(BaseModel):
    items: list[CertificateOut]
    next_cursor: str | None = None


class SellerLevelOut(BaseModel):
    """An anonymised ask level: price, quantity, how many sellers' orders."""

    price: str
    quantity: int
    orders: int


class PricePointOut(BaseModel):
    time: UtcDatetime
    open: str
    high: str
    low: str
    close: str
    volume: int


class CertificateDetailOut(CertificateOut):
    sellers_ladder: list[SellerLevelOut]
    price_history: list[PricePointOut]
    sequence: int


class PriceHistoryOut(BaseModel):
    certificate_type: str
    interval: str
    points: list[PricePointOut]


class WindowStatsOut(BaseModel):
    window: str
    volume: int
    amount: str
    trades: int
    average_price: str | None
    first_price: str | None
    last_price: str | None
    change_percent: str | None


class CertificateStatsOut(BaseModel):
    certificate_type: str
    last_price: str | None
    trend: Literal["up", "down", "flat"]
    windows: list[WindowStatsOut]


class StatisticsOut(BaseModel):
    certificates: list[CertificateStatsOut]
    generated_at: UtcDatetime
