"""Exchange tables: instruments (reference data), orders, trades and order fills.

Prices are BIGINT cents per unit, quantities BIGINT whole units, money BIGINT cents.
Rows refer to entities and users by id only. Every balance change an order or a trade
causes is a ledger transfer whose ``reference_type``/``reference_id`` point back here.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from niha.core.db import Base, created_at_column, uuid_pk

ORDER_STATUSES_SQL = "'OPEN', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'REJECTED', 'EXPIRED'"
OPEN_STATUSES_SQL = "'OPEN', 'PARTIALLY_FILLED'"
TRADE_STATUSES_SQL = "'PENDING', 'CONFIRMED'"


class Instrument(Base):
    """A tradable pair (``EUA-EUR``): its rules, its status and its command ``sequence``.

    The row is the per-instrument sequencer lock: every command on the book takes it
    ``FOR UPDATE`` and bumps ``sequence`` (ARCHITECTURE §6).
    """

    __tablename__ = "exchange_instrument"
    __table_args__ = (
        CheckConstraint("status IN ('OPEN', 'HALTED')", name="status_valid"),
        CheckConstraint("tick_size > 0 AND lot_size > 0", name="tick_lot_positive"),
        CheckConstraint(
            "min_quantity > 0 AND max_quantity >= min_quantity", name="quantity_limits"
        ),
        CheckConstraint("price_band_bps >= 0 AND price_band_bps <= 10000", name="band_range"),
        CheckConstraint(
            "(maker_fee_bps IS NULL OR maker_fee_bps BETWEEN 0 AND 1000) AND "
            "(taker_fee_bps IS NULL OR taker_fee_bps BETWEEN 0 AND 1000)",
            name="fees_range",
        ),
        CheckConstraint("sequence >= 0", name="sequence_nonnegative"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    symbol: Mapped[str] = mapped_column(String(25), nullable=False, unique=True)
    base_asset: Mapped[str] = mapped_column(String(12), nullable=False)
    quote_asset: Mapped[str] = mapped_column(String(12), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    tick_size: Mapped[int] = mapped_column(BigInteger, nullable=False)  # cents
    lot_size: Mapped[int] = mapped_column(BigInteger, nullable=False)  # units
    min_quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    max_quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    price_band_bps: Mapped[int] = mapped_column(Integer, nullable=False)  # 1000 = ±10 %
    reference_price: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_price: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    maker_fee_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: config
    taker_fee_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    sequence: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class Order(Base):
    __tablename__ = "exchange_order"
    __table_args__ = (
        CheckConstraint(f"status IN ({ORDER_STATUSES_SQL})", name="status_valid"),
        CheckConstraint("side IN ('BUY', 'SELL')", name="side_valid"),
        CheckConstraint("kind IN ('LIMIT', 'MARKET')", name="kind_valid"),
        CheckConstraint("time_in_force IN ('GTC', 'IOC', 'FOK')", name="tif_valid"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "filled_quantity >= 0 AND filled_quantity <= quantity", name="filled_within"
        ),
        CheckConstraint("reserved_remaining >= 0", name="reserve_nonnegative"),
        CheckConstraint("(kind = 'LIMIT') = (price IS NOT NULL)", name="limit_has_price"),
        # The book: open orders of an instrument in time priority (cache reloads).
        Index(
            "ix_exchange_order_open",
            "instrument_id",
            "sequence",
            postgresql_where=text(f"status IN ({OPEN_STATUSES_SQL})"),
        ),
        Index("ix_exchange_order_entity", "entity_id", "id"),
        # What changed since a cached book's sequence (another process's commands).
        Index("ix_exchange_order_changes", "instrument_id", "last_sequence"),
        Index(
            "uq_exchange_order_client_order_id",
            "entity_id",
            "client_order_id",
            unique=True,
            postgresql_where=text("client_order_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    instrument_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    user_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    client_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    side: Mapped[str] = mapped_column(String(4), nullable=False)
    kind: Mapped[str] = mapped_column(String(6), nullable=False)
    time_in_force: Mapped[str] = mapped_column(String(3), nullable=False)
    post_only: Mapped[bool] = mapped_column(Boolean, nullable=False)
    price: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # LIMIT
    protection_price: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # MARKET
    quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    filled_quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    filled_notional: Mapped[int] = mapped_column(BigInteger, nullable=False)
    taker_notional: Mapped[int] = mapped_column(BigInteger, nullable=False)
    fee_total: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: The reservation's asset (quote for BUY, base for SELL), what was reserved at
    #: placement and what is still reserved (released on completion or cancel).
    reserved_asset: Mapped[str] = mapped_column(String(12), nullable=False)
    reserved_amount: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reserved_remaining: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    #: Why the order (or its remainder) was cancelled, expired or rejected.
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reason_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The instrument sequence of the command that placed it (time priority).
    sequence: Mapped[int] = mapped_column(BigInteger, nullable=False)
    cancelled_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    #: The sequence of the command that last wrote this order (placed, filled, cancelled).
    last_sequence: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Trade(Base):
    __tablename__ = "exchange_trade"
    __table_args__ = (
        CheckConstraint(f"status IN ({TRADE_STATUSES_SQL})", name="status_valid"),
        CheckConstraint("maker_side IN ('BUY', 'SELL')", name="maker_side_valid"),
        CheckConstraint("price > 0 AND quantity > 0", name="positive"),
        CheckConstraint("buyer_fee >= 0 AND seller_fee >= 0", name="fees_nonnegative"),
        Index("ix_exchange_trade_instrument", "instrument_id", "created_at"),
        Index("ix_exchange_trade_buyer", "buyer_entity_id", "id"),
        Index("ix_exchange_trade_seller", "seller_entity_id", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    instrument_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    #: The instrument sequence of the command that made the trade.
    sequence: Mapped[int] = mapped_column(BigInteger, nullable=False)
    price: Mapped[int] = mapped_column(BigInteger, nullable=False)
    quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    buy_order_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    sell_order_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    buyer_entity_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    seller_entity_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    maker_side: Mapped[str] = mapped_column(String(4), nullable=False)
    buyer_fee: Mapped[int] = mapped_column(BigInteger, nullable=False)
    seller_fee: Mapped[int] = mapped_column(BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    confirmed_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    settlement_batch_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at_column()


class OrderFill(Base):
    """One side of a trade, as its order saw it (liquidity MAKER or TAKER, its fee)."""

    __tablename__ = "exchange_order_fill"
    __table_args__ = (
        CheckConstraint("liquidity IN ('MAKER', 'TAKER')", name="liquidity_valid"),
        CheckConstraint("side IN ('BUY', 'SELL')", name="side_valid"),
        Index("ix_exchange_order_fill_order", "order_id", "id"),
        Index("ix_exchange_order_fill_entity", "entity_id", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    order_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    trade_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    instrument_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    entity_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    side: Mapped[str] = mapped_column(String(4), nullable=False)
    liquidity: Mapped[str] = mapped_column(String(5), nullable=False)
    price: Mapped[int] = mapped_column(BigInteger, nullable=False)
    quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    fee: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class FeeOverride(Base):
    """Negotiated trading fees of one entity, on one instrument or (``instrument_id`` NULL)
    on every instrument (ARCHITECTURE §6: maker/taker fees in basis points per entity).

    An instrument's own override beats the entity's all-instruments one, which beats the
    instrument's fees, which beat the configuration (:mod:`niha.exchange.fee_schedule`).
    At most one row per (entity, instrument), the all-instruments row included: the unique
    constraint treats NULLs as equal (PostgreSQL 15 ``NULLS NOT DISTINCT``).
    """

    __tablename__ = "exchange_fee_override"
    __table_args__ = (
        CheckConstraint(
            "maker_fee_bps BETWEEN 0 AND 1000 AND taker_fee_bps BETWEEN 0 AND 1000",
            name="fees_range",
        ),
        CheckConstraint("length(reason) > 0", name="reason_present"),
        UniqueConstraint("entity_id", "instrument_id", postgresql_nulls_not_distinct=True),
        # The schedule of an instrument: its overrides and the all-instruments ones (NULL).
        Index("ix_exchange_fee_override_instrument", "instrument_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    entity_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("onboarding_entity.id", ondelete="RESTRICT"), nullable=False
    )
    #: None: every instrument.
    instrument_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("exchange_instrument.id", ondelete="RESTRICT"), nullable=True
    )
    maker_fee_bps: Mapped[int] = mapped_column(Integer, nullable=False)
    taker_fee_bps: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
