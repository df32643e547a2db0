"""Market data and marketplace read models: L2 book, tape, candles, tickers, statistics.

Read-only queries over the exchange's tables (never the in-process book cache: any
process answers the same). Each answer that describes the book carries the instrument
``sequence`` it was read at, read in the same statement (one snapshot), so a client
applying ``book.<instrument>`` deltas can line them up and detect a gap.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from niha.core.clock import utcnow
from niha.core.errors import Unprocessable
from niha.exchange.service import InstrumentNotFound

INTERVALS = {"1m": timedelta(minutes=1), "1h": timedelta(hours=1), "1d": timedelta(days=1)}
HISTORY_INTERVALS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
MAX_CANDLES = 5000

CERTIFICATES: dict[str, dict[str, Any]] = {
    "EUA": {
        "name": "EU Allowance (EUA)",
        "registry": "Union Registry",
        "scheme": "EU ETS",
        "phase": "Phase 4 (2021-2030)",
        "description": "One allowance to emit one tonne of CO2 equivalent under the EU "
        "Emissions Trading System.",
    },
    "CEA": {
        "name": "China Emission Allowance (CEA)",
        "registry": "China ETS Registry",
        "scheme": "China national ETS",
        "phase": "Compliance period 2023-2024",
        "description": "One allowance to emit one tonne of CO2 under China's national "
        "emissions trading scheme.",
    },
}


class InvalidRange(Unprocessable):
    code = "invalid_range"
    title = "Invalid time range"


@dataclass(frozen=True)
class Level:
    price: int
    quantity: int
    orders: int


@dataclass(frozen=True)
class Book:
    instrument: str
    sequence: int
    bids: list[Level]
    asks: list[Level]


_BOOK_SQL = text(
    """
    WITH i AS (SELECT id, sequence FROM exchange_instrument WHERE symbol = :symbol)
    SELECT i.sequence, o.side, o.price, sum(o.quantity - o.filled_quantity), count(o.id)
    FROM i LEFT JOIN exchange_order AS o
      ON o.instrument_id = i.id AND o.status IN ('OPEN', 'PARTIALLY_FILLED')
    GROUP BY i.sequence, o.side, o.price
    """
)


async def book(session: AsyncSession, symbol: str, depth: int | None = None) -> Book:
    rows = (await session.execute(_BOOK_SQL, {"symbol": symbol})).all()
    if not rows:
        raise InstrumentNotFound(f"no instrument {symbol!r}", field="instrument")
    sequence = int(rows[0][0])
    bids = sorted(
        (Level(int(r[2]), int(r[3]), int(r[4])) for r in rows if r[1] == "BUY"),
        key=lambda lv: -lv.price,
    )
    asks = sorted(
        (Level(int(r[2]), int(r[3]), int(r[4])) for r in rows if r[1] == "SELL"),
        key=lambda lv: lv.price,
    )
    if depth is not None:
        bids, asks = bids[:depth], asks[:depth]
    return Book(symbol, sequence, bids, asks)


async def instrument_row(session: AsyncSession, symbol: str) -> Any:
    row = (
        await session.execute(
            text(
                "SELECT id, symbol, base_asset, last_price, sequence, status, name "
                "FROM exchange_instrument WHERE symbol = :s"
            ),
            {"s": symbol},
        )
    ).first()
    if row is None:
        raise InstrumentNotFound(f"no instrument {symbol!r}", field="instrument")
    return row


@dataclass(frozen=True)
class TapeTrade:
    id: uuid.UUID
    price: int
    quantity: int
    taker_side: str
    sequence: int
    created_at: datetime


async def tape(
    session: AsyncSession, symbol: str, limit: int, before: datetime | None = None
) -> list[TapeTrade]:
    inst = await instrument_row(session, symbol)
    rows = (
        await session.execute(
            text(
                """
                SELECT id, price, quantity, maker_side, sequence, created_at
                FROM exchange_trade
                WHERE instrument_id = :i AND (CAST(:before AS timestamptz) IS NULL
                                              OR created_at < :before)
                ORDER BY created_at DESC, id DESC
                LIMIT :limit
                """
            ),
            {"i": inst.id, "before": before, "limit": limit},
        )
    ).all()
    return [
        TapeTrade(r[0], r[1], r[2], "SELL" if r[3] == "BUY" else "BUY", r[4], r[5]) for r in rows
    ]


@dataclass(frozen=True)
class Candle:
    time: datetime
    open: int
    high: int
    low: int
    close: int
    volume: int
    notional: int
    trades: int


_CANDLES_SQL = text(
    """
    SELECT date_bin(CAST(:step AS interval), created_at, TIMESTAMPTZ '2000-01-03 00:00:00+00') AS b,
           (array_agg(price ORDER BY created_at, id))[1],
           max(price), min(price),
           (array_agg(price ORDER BY created_at DESC, id DESC))[1],
           sum(quantity), sum(price * quantity), count(*)
    FROM exchange_trade
    WHERE instrument_id = :i AND created_at >= :start AND created_at < :end
    GROUP BY b
    ORDER BY b
    """
)


def _range(
    start: datetime | None, end: datetime | None, step: timedelta, default_count: int
) -> tuple[datetime, datetime]:
    end = end or utcnow()
    start = start or end - step * default_count
    if start >= end:
        raise InvalidRange("from must be before to", field="from")
    if (end - start) / step > MAX_CANDLES:
        raise InvalidRange(f"at most {MAX_CANDLES} candles per request", field="from")
    return start, end


async def candles(
    session: AsyncSession,
    symbol: str,
    interval: str,
    start: datetime | None,
    end: datetime | None,
) -> list[Candle]:
    step = INTERVALS[interval]
    default = {"1m": 240, "1h": 24 * 14, "1d": 365}[interval]
    start, end = _range(start, end, step, default)
    inst = await instrument_row(session, symbol)
    return await _candles(session, inst.id, step, start, end)


async def _candles(
    session: AsyncSession, instrument_id: uuid.UUID, step: timedelta, start: datetime, end: datetime
) -> list[Candle]:
    rows = (
        await session.execute(
            _CANDLES_SQL, {"step": step, "i": instrument_id, "start": start, "end": end}
        )
    ).all()
    return [Candle(r[0], r[1], r[2], r[3], r[4], int(r[5]), int(r[6]), int(r[7])) for r in rows]


@dataclass(frozen=True)
class Ticker:
    instrument: str
    certificate_type: str
    status: str
    sequence: int
    last: int | None
    bid: int | None
    ask: int | None
    open_24h: int | None
    high_24h: int | None
    low_24h: int | None
    volume_24h: int
    notional_24h: int
    trades_24h: int
    last_trade_at: datetime | None


_TICKER_SQL = text(
    """
    SELECT i.symbol, i.base_asset, i.status, i.sequence, i.last_price,
      (SELECT max(price) FROM exchange_order
        WHERE instrument_id = i.id AND side = 'BUY' AND status IN ('OPEN', 'PARTIALLY_FILLED')),
      (SELECT min(price) FROM exchange_order
        WHERE instrument_id = i.id AND side = 'SELL' AND status IN ('OPEN', 'PARTIALLY_FILLED')),
      d.open, d.high, d.low, coalesce(d.volume, 0), coalesce(d.notional, 0), coalesce(d.n, 0),
      (SELECT max(created_at) FROM exchange_trade WHERE instrument_id = i.id),
      (SELECT price FROM exchange_trade WHERE instrument_id = i.id AND created_at < :since
        ORDER BY created_at DESC, id DESC LIMIT 1)
    FROM exchange_instrument AS i
    LEFT JOIN LATERAL (
      SELECT (array_agg(price ORDER BY created_at, id))[1] AS open, max(price) AS high,
             min(price) AS low, sum(quantity) AS volume, sum(price * quantity) AS notional,
             count(*) AS n
      FROM exchange_trade WHERE instrument_id = i.id AND created_at >= :since
    ) AS d ON true
    WHERE (CAST(:symbol AS text) IS NULL OR i.symbol = :symbol)
    ORDER BY i.symbol
    """
)


async def tickers(session: AsyncSession, symbol: str | None = None) -> list[Ticker]:
    since = utcnow() - timedelta(hours=24)
    rows = (await session.execute(_TICKER_SQL, {"since": since, "symbol": symbol})).all()
    if symbol is not None and not rows:
        raise InstrumentNotFound(f"no instrument {symbol!r}", field="instrument")
    out = []
    for r in rows:
        # The 24h change is measured from the last price before the window when there is one.
        reference_open = r[14] if r[14] is not None else r[7]
        out.append(
            Ticker(
                instrument=r[0],
                certificate_type=r[1],
                status=r[2],
                sequence=r[3],
                last=r[4],
                bid=r[5],
                ask=r[6],
                open_24h=reference_open,
                high_24h=r[8],
                low_24h=r[9],
                volume_24h=int(r[10]),
                notional_24h=int(r[11]),
                trades_24h=int(r[12]),
                last_trade_at=r[13],
            )
        )
    return out


def change_bps(open_: int | None, last: int | None) -> int | None:
    """The change from ``open_`` to ``last`` in basis points (rounded half away from zero)."""
    if not open_ or last is None:
        return None
    diff = (last - open_) * 10_000
    sign = -1 if diff < 0 else 1
    return sign * ((abs(diff) * 2 + open_) // (2 * open_))


# --------------------------------------------------------------------------- marketplace


@dataclass(frozen=True)
class Certificate:
    id: str
    certificate_type: str
    instrument: str
    vintage_year: int | None
    info: dict[str, Any]
    ticker: Ticker
    available_quantity: int
    sellers: int
    demand_quantity: int


async def certificates(session: AsyncSession) -> list[Certificate]:
    ticks = await tickers(session)
    depth = (
        await session.execute(
            text(
                """
                SELECT i.symbol, o.side, sum(o.quantity - o.filled_quantity),
                       count(DISTINCT o.entity_id)
                FROM exchange_order AS o JOIN exchange_instrument AS i ON i.id = o.instrument_id
                WHERE o.status IN ('OPEN', 'PARTIALLY_FILLED')
                GROUP BY i.symbol, o.side
                """
            )
        )
    ).all()
    by = {(r[0], r[1]): (int(r[2]), int(r[3])) for r in depth}
    out = []
    for t in ticks:
        asks = by.get((t.instrument, "SELL"), (0, 0))
        bids = by.get((t.instrument, "BUY"), (0, 0))
        out.append(
            Certificate(
                id=t.certificate_type,
                certificate_type=t.certificate_type,
                instrument=t.instrument,
                vintage_year=None,
                info=CERTIFICATES.get(t.certificate_type, {"name": t.certificate_type}),
                ticker=t,
                available_quantity=asks[0],
                sellers=asks[1],
                demand_quantity=bids[0],
            )
        )
    return out


async def price_history(
    session: AsyncSession,
    certificate_type: str,
    interval: str,
    start: datetime | None,
    end: datetime | None,
) -> list[Candle]:
    step = HISTORY_INTERVALS[interval]
    start, end = _range(start, end, step, 90 if interval == "daily" else 52)
    inst = await instrument_row(session, f"{certificate_type}-EUR")
    return await _candles(session, inst.id, step, start, end)


@dataclass(frozen=True)
class WindowStats:
    certificate_type: str
    window: str
    volume: int
    notional: int
    trades: int
    vwap: int | None
    first: int | None
    last: int | None


async def statistics(session: AsyncSession) -> list[WindowStats]:
    now = utcnow()
    out = []
    for label, span in (("24h", timedelta(hours=24)), ("7d", timedelta(days=7)),
                        ("30d", timedelta(days=30))):  # fmt: skip
        rows = (
            await session.execute(
                text(
                    """
                    SELECT i.base_asset, coalesce(sum(t.quantity), 0),
                           coalesce(sum(t.price * t.quantity), 0), count(t.id),
                           (array_agg(t.price ORDER BY t.created_at, t.id))[1],
                           (array_agg(t.price ORDER BY t.created_at DESC, t.id DESC))[1]
                    FROM exchange_instrument AS i
                    LEFT JOIN exchange_trade AS t
                      ON t.instrument_id = i.id AND t.created_at >= :since
                    GROUP BY i.base_asset ORDER BY i.base_asset
                    """
                ),
                {"since": now - span},
            )
        ).all()
        for r in rows:
            volume, notional = int(r[1]), int(r[2])
            vwap = (notional * 2 + volume) // (2 * volume) if volume else None
            out.append(WindowStats(r[0], label, volume, notional, int(r[3]), vwap, r[4], r[5]))
    return out
