"""Orders, fills and trades as plain rows for the order path (:mod:`placement`).

A group decides dozens of orders per transaction and writes them in one statement;
SQLAlchemy's instrumented objects cost several times more per attribute set than these
slotted dataclasses, and the group never needs a session's identity map. The fields are
the table's columns, in order (a test holds them to the models).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class OrderRow:
    id: uuid.UUID
    instrument_id: uuid.UUID
    entity_id: uuid.UUID
    user_id: uuid.UUID | None
    client_order_id: str | None
    side: str
    kind: str
    time_in_force: str
    post_only: bool
    price: int | None
    protection_price: int | None
    quantity: int
    filled_quantity: int
    filled_notional: int
    taker_notional: int
    fee_total: int
    reserved_asset: str
    reserved_amount: int
    reserved_remaining: int
    status: str
    reason: str | None
    reason_detail: str | None
    sequence: int
    cancelled_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    last_sequence: int


@dataclass(slots=True)
class TradeRow:
    id: uuid.UUID
    instrument_id: uuid.UUID
    sequence: int
    price: int
    quantity: int
    buy_order_id: uuid.UUID
    sell_order_id: uuid.UUID
    buyer_entity_id: uuid.UUID
    seller_entity_id: uuid.UUID
    maker_side: str
    buyer_fee: int
    seller_fee: int
    status: str
    confirmed_by: uuid.UUID | None
    confirmed_at: datetime | None
    settlement_batch_id: uuid.UUID | None
    created_at: datetime


@dataclass(slots=True)
class FillRow:
    id: uuid.UUID
    order_id: uuid.UUID
    trade_id: uuid.UUID
    instrument_id: uuid.UUID
    entity_id: uuid.UUID
    side: str
    liquidity: str
    price: int
    quantity: int
    fee: int
    created_at: datetime
