"""Read-only queries of the backoffice market page: every order and trade, with the names
of the entities behind them (staff see both sides; clients never do).

Kept apart from ``service.py`` (the order path): nothing here locks, writes or sequences.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.core.pagination import PageParams, build_page, keyset_page
from niha.exchange import service
from niha.exchange.models import Order, Trade
from niha.onboarding import service as onboarding

Names = dict[uuid.UUID, str | None]


async def entity_names(session: AsyncSession, ids: Iterable[uuid.UUID]) -> Names:
    """Legal names by entity id (``None`` for an entity that has not given one yet)."""
    return await onboarding.entity_names(session, set(ids))


async def staff_orders(
    session: AsyncSession,
    entity_id: uuid.UUID | None,
    f: service.OrderFilter,
    page: PageParams,
) -> tuple[list[Order], str | None, Names]:
    """Every entity's orders (or one entity's), newest first, with the entities' names."""
    items, cursor = await service.list_orders(session, entity_id, f, page)
    return items, cursor, await entity_names(session, (o.entity_id for o in items))


async def staff_trades(
    session: AsyncSession,
    f: service.TradeFilter,
    entity_id: uuid.UUID | None,
    page: PageParams,
) -> tuple[list[Trade], str | None, Names]:
    """Every trade, both sides visible, newest first; ``entity_id`` keeps the trades where
    that entity bought or sold. Returns the buyers' and sellers' names too."""
    stmt = select(Trade)
    if f.instrument_id is not None:
        stmt = stmt.where(Trade.instrument_id == f.instrument_id)
    if f.status is not None:
        stmt = stmt.where(Trade.status == f.status)
    if f.date_from is not None:
        stmt = stmt.where(Trade.created_at >= f.date_from)
    if f.date_to is not None:
        stmt = stmt.where(Trade.created_at < f.date_to)
    if entity_id is not None:
        stmt = stmt.where(
            or_(Trade.buyer_entity_id == entity_id, Trade.seller_entity_id == entity_id)
        )
    stmt = keyset_page(stmt, [Trade.__table__.c.id], page, parse=[uuid.UUID])
    rows = (await session.scalars(stmt)).all()
    items, cursor = build_page(rows, page, lambda r: [r.id])
    ids = {t.buyer_entity_id for t in items} | {t.seller_entity_id for t in items}
    return items, cursor, await entity_names(session, ids)
