"""Public market data and marketplace routes (no login, like any exchange's)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from niha.core.clock import as_utc, utcnow
from niha.core.deps import SessionDep, SettingsDep
from niha.core.errors import NotFound
from niha.core.money import format_amount
from niha.core.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from niha.exchange import fee_schedule, service
from niha.exchange import marketdata as md
from niha.exchange.schemas import (
    BookOut,
    CandleOut,
    CandlesOut,
    CertificateDetailOut,
    CertificateOut,
    CertificatePage,
    CertificateStatsOut,
    LevelOut,
    PriceHistoryOut,
    PricePointOut,
    PublicInstrumentOut,
    SellerLevelOut,
    StatisticsOut,
    TapePage,
    TapeTradeOut,
    TickerOut,
    WindowStatsOut,
)

router = APIRouter(prefix="/market", tags=["market-data"])
marketplace_router = APIRouter(prefix="/marketplace", tags=["marketplace"])

Symbol = Annotated[str, Query(max_length=25)]
CertificateType = Literal["EUA", "CEA"]


def _m(cents: int | None) -> str | None:
    return None if cents is None else format_amount(cents, 2)


def _percent(bps: int | None) -> str | None:
    return None if bps is None else format_amount(bps, 2)


def _ticker_out(t: md.Ticker) -> TickerOut:
    change = None if t.last is None or t.open_24h is None else t.last - t.open_24h
    return TickerOut(
        instrument=t.instrument,
        certificate_type=t.certificate_type,
        status=t.status,
        sequence=t.sequence,
        last=_m(t.last),
        bid=_m(t.bid),
        ask=_m(t.ask),
        open_24h=_m(t.open_24h),
        high_24h=_m(t.high_24h),
        low_24h=_m(t.low_24h),
        change_24h=_m(change),
        change_24h_percent=_percent(md.change_bps(t.open_24h, t.last)),
        volume_24h=t.volume_24h,
        amount_24h=format_amount(t.notional_24h, 2),
        trades_24h=t.trades_24h,
        last_trade_at=t.last_trade_at,
    )


def _candle_out(c: md.Candle) -> CandleOut:
    return CandleOut(
        time=c.time,
        open=format_amount(c.open, 2),
        high=format_amount(c.high, 2),
        low=format_amount(c.low, 2),
        close=format_amount(c.close, 2),
        volume=c.volume,
        amount=format_amount(c.notional, 2),
        trades=c.trades,
    )


def _point(c: md.Candle) -> PricePointOut:
    return PricePointOut(
        time=c.time,
        open=format_amount(c.open, 2),
        high=format_amount(c.high, 2),
        low=format_amount(c.low, 2),
        close=format_amount(c.close, 2),
        volume=c.volume,
    )


@router.get("/instruments", response_model=list[PublicInstrumentOut])
async def instruments(session: SessionDep, settings: SettingsDep) -> list[PublicInstrumentOut]:
    out = []
    for i in await service.list_instruments(session):
        fees = fee_schedule.instrument_fees(i, settings)
        band = service.band_of(i)
        out.append(
            PublicInstrumentOut(
                symbol=i.symbol,
                name=i.name,
                base_asset=i.base_asset,
                quote_asset=i.quote_asset,
                tick_size=format_amount(i.tick_size, 2),
                lot_size=i.lot_size,
                min_quantity=i.min_quantity,
                max_quantity=i.max_quantity,
                band_low=_m(band[0]) if band else None,
                band_high=_m(band[1]) if band else None,
                maker_fee_bps=fees.maker_bps,
                taker_fee_bps=fees.taker_bps,
                status=i.status,
                status_reason=i.status_reason,
            )
        )
    return out


@router.get("/tickers", response_model=list[TickerOut])
async def all_tickers(session: SessionDep) -> list[TickerOut]:
    return [_ticker_out(t) for t in await md.tickers(session)]


@router.get("/{instrument}/book", response_model=BookOut)
async def order_book(
    instrument: str,
    session: SessionDep,
    depth: Annotated[int, Query(ge=1, le=500)] = 50,
) -> BookOut:
    b = await md.book(session, instrument, depth)
    return BookOut(
        instrument=b.instrument,
        sequence=b.sequence,
        bids=[LevelOut(price=format_amount(lv.price, 2), quantity=lv.quantity, orders=lv.orders)
              for lv in b.bids],
        asks=[LevelOut(price=format_amount(lv.price, 2), quantity=lv.quantity, orders=lv.orders)
              for lv in b.asks],
    )  # fmt: skip


@router.get("/{instrument}/trades", response_model=TapePage)
async def trade_tape(
    instrument: str,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> TapePage:
    before = None
    if cursor:
        try:
            before = datetime.fromisoformat(str(decode_cursor(cursor, 1)[0]))
        except ValueError:
            from niha.core.pagination import InvalidCursor

            raise InvalidCursor("The cursor is malformed") from None
    rows = await md.tape(session, instrument, limit + 1, before)
    items = rows[:limit]
    next_cursor = encode_cursor([items[-1].created_at]) if len(rows) > limit and items else None
    return TapePage(
        items=[
            TapeTradeOut(
                id=t.id,
                price=format_amount(t.price, 2),
                quantity=t.quantity,
                taker_side=t.taker_side,
                sequence=t.sequence,
                created_at=t.created_at,
            )
            for t in items
        ],
        next_cursor=next_cursor,
    )


@router.get("/{instrument}/candles", response_model=CandlesOut)
async def candles(
    instrument: str,
    session: SessionDep,
    interval: Literal["1m", "1h", "1d"] = "1h",
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
) -> CandlesOut:
    rows = await md.candles(session, instrument, interval, as_utc(from_), as_utc(to))
    return CandlesOut(
        instrument=instrument, interval=interval, candles=[_candle_out(c) for c in rows]
    )


@router.get("/{instrument}/ticker", response_model=TickerOut)
async def ticker(instrument: str, session: SessionDep) -> TickerOut:
    [t] = await md.tickers(session, instrument)
    return _ticker_out(t)


# --------------------------------------------------------------------------- marketplace


def _certificate_out(c: md.Certificate) -> CertificateOut:
    t = c.ticker
    return CertificateOut(
        id=c.id,
        certificate_type=c.certificate_type,
        instrument=c.instrument,
        name=str(c.info.get("name", c.certificate_type)),
        scheme=c.info.get("scheme"),
        registry=c.info.get("registry"),
        phase=c.info.get("phase"),
        description=c.info.get("description"),
        vintage_year=c.vintage_year,
        current_price=_m(t.last),
        best_bid=_m(t.bid),
        best_ask=_m(t.ask),
        available_quantity=c.available_quantity,
        sellers=c.sellers,
        demand_quantity=c.demand_quantity,
        change_24h_percent=_percent(md.change_bps(t.open_24h, t.last)),
        volume_24h=t.volume_24h,
        status=t.status,
    )


def _cents(value: str | None, field: str) -> int | None:
    if value is None:
        return None
    from niha.core.money import InvalidAmount, parse_amount

    try:
        return parse_amount(value, 2, allow_zero=True)
    except InvalidAmount as exc:
        raise service.InvalidPrice(str(exc), field=field) from None


@marketplace_router.get("/certificates", response_model=CertificatePage)
async def marketplace_certificates(
    session: SessionDep,
    certificate_type: CertificateType | None = None,
    vintage_year: Annotated[int | None, Query(ge=2005, le=2100)] = None,
    min_price: Annotated[str | None, Query(max_length=30)] = None,
    max_price: Annotated[str | None, Query(max_length=30)] = None,
    min_quantity: Annotated[int | None, Query(ge=0, le=10**12)] = None,
    sort: Literal["price_asc", "price_desc", "available_desc", "volume_desc", "name"] = "name",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> CertificatePage:
    low, high = _cents(min_price, "min_price"), _cents(max_price, "max_price")
    items = [_certificate_out(c) for c in await md.certificates(session)]

    def price(c: CertificateOut) -> int:
        return _cents(c.best_ask or c.current_price, "price") or 0

    if certificate_type:
        items = [c for c in items if c.certificate_type == certificate_type]
    if vintage_year is not None:
        items = [c for c in items if c.vintage_year == vintage_year]
    if low is not None:
        items = [c for c in items if price(c) >= low]
    if high is not None:
        items = [c for c in items if price(c) <= high]
    if min_quantity is not None:
        items = [c for c in items if c.available_quantity >= min_quantity]
    keys = {
        "price_asc": lambda c: (price(c), c.id),
        "price_desc": lambda c: (-price(c), c.id),
        "available_desc": lambda c: (-c.available_quantity, c.id),
        "volume_desc": lambda c: (-c.volume_24h, c.id),
        "name": lambda c: (c.name, c.id),
    }
    items.sort(key=keys[sort])
    start = int(decode_cursor(cursor, 1)[0]) if cursor else 0
    page = items[start : start + limit]
    nxt = encode_cursor([start + limit]) if start + limit < len(items) else None
    return CertificatePage(items=page, next_cursor=nxt)


@marketplace_router.get("/certificates/{certificate_id}", response_model=CertificateDetailOut)
async def marketplace_certificate(
    certificate_id: str,
    session: SessionDep,
    history_days: Annotated[int, Query(ge=1, le=3650)] = 90,
) -> CertificateDetailOut:
    found = [c for c in await md.certificates(session) if c.id == certificate_id]
    if not found:
        raise NotFound("no such certificate", code="certificate_not_found")
    c = found[0]
    b = await md.book(session, c.instrument, 20)
    now = utcnow()
    from datetime import timedelta

    history = await md.price_history(
        session, c.certificate_type, "daily", now - timedelta(days=history_days), now
    )
    return CertificateDetailOut(
        **_certificate_out(c).model_dump(),
        sellers_ladder=[
            SellerLevelOut(price=format_amount(lv.price, 2), quantity=lv.quantity, orders=lv.orders)
            for lv in b.asks
        ],
        price_history=[_point(p) for p in history],
        sequence=b.sequence,
    )


@marketplace_router.get("/price-history", response_model=PriceHistoryOut)
async def marketplace_price_history(
    session: SessionDep,
    certificate_type: CertificateType = "EUA",
    interval: Literal["daily", "weekly"] = "daily",
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
) -> PriceHistoryOut:
    rows = await md.price_history(session, certificate_type, interval, as_utc(from_), as_utc(to))
    return PriceHistoryOut(
        certificate_type=certificate_type, interval=interval, points=[_point(p) for p in rows]
    )


@marketplace_router.get("/statistics", response_model=StatisticsOut)
async def marketplace_statistics(session: SessionDep) -> StatisticsOut:
    stats = await md.statistics(session)
    ticks = {t.certificate_type: t for t in await md.tickers(session)}
    out = []
    for ctype in sorted({s.certificate_type for s in stats}):
        windows = []
        for s in (s for s in stats if s.certificate_type == ctype):
            windows.append(
                WindowStatsOut(
                    window=s.window,
                    volume=s.volume,
                    amount=format_amount(s.notional, 2),
                    trades=s.trades,
                    average_price=_m(s.vwap),
                    first_price=_m(s.first),
                    last_price=_m(s.last),
                    change_percent=_percent(md.change_bps(s.first, s.last)),
                )
            )
        week = next((w for w in stats if w.certificate_type == ctype and w.window == "7d"), None)
        bps = md.change_bps(week.first, week.last) if week else None
        trend: Literal["up", "down", "flat"] = (
            "flat" if not bps or abs(bps) < 10 else ("up" if bps > 0 else "down")
        )
        t = ticks.get(ctype)
        out.append(
            CertificateStatsOut(
                certificate_type=ctype,
                last_price=_m(t.last if t else None),
                trend=trend,
                windows=windows,
            )
        )
    return StatisticsOut(certificates=out, generated_at=utcnow())
