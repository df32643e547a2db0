"""Demo market for ``niha seed-demo``: client entities, balances, history, resting orders.

Idempotent: entities and users are found by e-mail, balances are ledger transfers with
fixed idempotency keys, the trade history is written once per instrument (when it has no
trades yet) and the resting orders once (when the liquidity provider has none open).

The months of history are imported rows (orders FILLED, their fills and trades), like a
venue migrating its past tape: they feed charts and statistics and carry no ledger
movements. The resting orders go through the real order service (reservations included).
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import get_settings
from niha.core.clock import utcnow
from niha.core.ids import new_id
from niha.core.security import hash_password
from niha.exchange import service as exchange
from niha.exchange.models import Instrument, Order, OrderFill, Trade
from niha.identity.models import User
from niha.ledger import service as ledger
from niha.ledger.core import AccountKey
from niha.onboarding.models import Entity

# (e-mail, user name, legal name, country, EUR, EUA, CEA, label)
DEMO_CLIENTS = [
    ("anna@nordicsteel.example", "Anna Lindqvist", "Nordic Steel AB", "SE",
     250_000_000, 20_000, 5_000, "Client (Nordic Steel)"),
    ("ben@rhinechem.example", "Ben Weber", "Rhine Chemicals GmbH", "DE",
     150_000_000, 8_000, 30_000, "Client (Rhine Chemicals)"),
    ("marco@atlascarbon.example", "Marco Rossi", "Atlas Carbon Partners S.r.l.", "IT",
     500_000_000, 60_000, 200_000, "Liquidity provider"),
]  # fmt: skip

# instrument -> (start price, end price target, daily volatility in bps, quantity range)
MARKETS = {
    "EUA-EUR": (6_850, 7_240, 180, (10, 400)),
    "CEA-EUR": (1_180, 1_265, 120, (50, 1_500)),
}
HISTORY_DAYS = 180


async def _client(session: AsyncSession, spec: tuple[Any, ...], password: str) -> uuid.UUID:
    email, name, legal, country = spec[0], spec[1], spec[2], spec[3]
    user = await session.scalar(select(User).where(User.email == email))
    if user is not None and user.entity_id is not None:
        return user.entity_id
    now = utcnow()
    entity = Entity(
        id=new_id(),
        entity_type="COMPANY",
        legal_name=legal,
        registration_number=f"DEMO-{abs(hash(legal)) % 10**6:06d}",
        jurisdiction=country,
        country=country,
        address_line1="1 Demo Street",
        city="Demo City",
        postal_code="00000",
        contact_email=email,
        status="APPROVED",
        kyc_status="APPROVED",
        status_updated_at=now,
        approved_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(entity)
    session.add(
        User(
            id=new_id(),
            email=email,
            name=name,
            role=None,
            entity_id=entity.id,
            entity_role="owner",
            status="active",
            password_hash=hash_password(password),
            password_changed_at=now,
            totp_enabled=False,
            failed_login_count=0,
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()
    return entity.id


async def _fund(session: AsyncSession, entity_id: uuid.UUID, email: str, spec: tuple[Any, ...]):  # type: ignore[no-untyped-def]
    for asset, amount, source in (("EUR", spec[4], "bank"), ("EUA", spec[5], "registry"),
                                  ("CEA", spec[6], "registry")):  # fmt: skip
        await ledger.transfer(
            session,
            AccountKey.platform(asset, source),
            AccountKey.entity(entity_id, asset, "available"),
            amount,
            kind="demo_funding",
            key=f"seed-demo:{email}:{asset}",
        )


async def _history(
    session: AsyncSession, inst: Instrument, entities: list[uuid.UUID], rng: random.Random
) -> None:
    if await session.scalar(select(func.count()).where(Trade.instrument_id == inst.id)):
        return
    start, target, vol_bps, (qmin, qmax) = MARKETS[inst.symbol]
    now = utcnow()
    t = now - timedelta(days=HISTORY_DAYS)
    price = float(start)
    orders: list[dict[str, Any]] = []
    fills: list[dict[str, Any]] = []
    trades: list[dict[str, Any]] = []
    while t < now - timedelta(minutes=5):
        recent = now - t < timedelta(days=3)
        step = (
            timedelta(minutes=rng.uniform(4, 16))
            if recent
            else timedelta(minutes=rng.uniform(60, 180))
        )
        t += step
        drift = (target - price) / max((now - t).total_seconds() / 3600, 24) * 0.02
        shock = (
            price * (vol_bps / 10_000) * rng.gauss(0, 1) * (step.total_seconds() / 86_400) ** 0.5
        )
        price = max(price + drift + shock, start * 0.5)
        cents = round(price)
        qty = int(rng.triangular(qmin, qmax, qmin * 3))
        buyer, seller = rng.sample(entities, 2)
        taker_side = rng.choice(["BUY", "SELL"])
        trade_id, buy_id, sell_id = new_id(), new_id(), new_id()
        for oid, side, ent in ((buy_id, "BUY", buyer), (sell_id, "SELL", seller)):
            notional = cents * qty
            bps = 10 if side == taker_side else 5
            fee = -(-notional * bps // 10_000)
            orders.append({
                "id": oid, "instrument_id": inst.id, "entity_id": ent, "user_id": None,
                "client_order_id": None, "side": side, "kind": "LIMIT", "time_in_force": "GTC",
                "post_only": False, "price": cents, "protection_price": None, "quantity": qty,
                "filled_quantity": qty, "filled_notional": notional,
                "taker_notional": notional if side == taker_side else 0, "fee_total": fee,
                "reserved_asset": "EUR" if side == "BUY" else inst.base_asset,
                "reserved_amount": 0, "reserved_remaining": 0, "status": "FILLED",
                "reason": None, "reason_detail": "imported history", "sequence": 0,
                "cancelled_by": None, "created_at": t, "updated_at": t,
            })  # fmt: skip
            fills.append({
                "id": new_id(), "order_id": oid, "trade_id": trade_id, "instrument_id": inst.id,
                "entity_id": ent, "side": side,
                "liquidity": "TAKER" if side == taker_side else "MAKER",
                "price": cents, "quantity": qty, "fee": fee, "created_at": t,
            })  # fmt: skip
        trades.append({
            "id": trade_id, "instrument_id": inst.id, "sequence": 0, "price": cents,
            "quantity": qty, "buy_order_id": buy_id, "sell_order_id": sell_id,
            "buyer_entity_id": buyer, "seller_entity_id": seller,
            "maker_side": "SELL" if taker_side == "BUY" else "BUY",
            "buyer_fee": fills[-2]["fee"], "seller_fee": fills[-1]["fee"], "status": "CONFIRMED",
            "confirmed_by": None, "confirmed_at": None, "settlement_batch_id": None,
            "created_at": t,
        })  # fmt: skip
    for table, rows in ((Order, orders), (OrderFill, fills), (Trade, trades)):
        for i in range(0, len(rows), 2000):
            await session.execute(insert(table), rows[i : i + 2000])
    last = trades[-1]["price"]
    inst.last_price = last
    inst.reference_price = last


async def _resting(
    session: AsyncSession, inst: Instrument, entities: list[uuid.UUID], rng: random.Random
) -> None:
    settings = get_settings()
    mid = inst.last_price or MARKETS[inst.symbol][1]
    tick = max(mid // 400, 1)  # levels about 0.25 % apart
    _, _, _, (qmin, qmax) = MARKETS[inst.symbol]
    for level in range(1, 9):
        for side, sign in (("BUY", -1), ("SELL", 1)):
            for who in rng.sample(entities, 2):
                await exchange.place_order(
                    session,
                    settings,
                    who,
                    None,
                    exchange.NewOrder(
                        symbol=inst.symbol,
                        side=side,
                        kind="LIMIT",
                        quantity=int(rng.uniform(qmin, qmax / 2)),
                        price=mid + sign * (tick * level + rng.randint(0, 3)),
                    ),
                )


async def seed_market(session: AsyncSession, password: str) -> list[tuple[str, str, bool]]:
    result = []
    entities = []
    for spec in DEMO_CLIENTS:
        existed = await session.scalar(select(User.id).where(User.email == spec[0]))
        entity_id = await _client(session, spec, password)
        await _fund(session, entity_id, spec[0], spec)
        entities.append(entity_id)
        result.append((spec[0], spec[7], existed is None))
    rng = random.Random(20261129)
    instruments = list(
        (await session.scalars(select(Instrument).order_by(Instrument.symbol))).all()
    )
    for inst in instruments:
        await _history(session, inst, entities, rng)
    await session.flush()
    provider = entities[-1]
    has_orders = await session.scalar(
        select(func.count()).where(Order.entity_id == provider, Order.status == "OPEN")
    )
    if not has_orders:
        await session.commit()  # the order service sequences (and commits) each order
        for inst in instruments:
            await _resting(session, inst, entities, rng)
    return result
