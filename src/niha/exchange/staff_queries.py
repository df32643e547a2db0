"""Read-only queries of the backoffice market page: every order and trade, with the names
of the entities behind them (staff see both sides; clients never do).

Kept apart from ``service.py`` (the order path): nothing here locks, writes or sequences.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from niha.core.pagination import PageParams
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
    session: AsyncSession, f: service.TradeFilter, page: PageParams
) -> tuple[list[Trade], str | None, Names]:
    """Every trade, both sides visible, newest first, with the buyers' and sellers' names."""
    items, cursor = await service.list_trades(session, f, page)
    ids = {t.buyer_entity_id for t in items} | {t.seller_entity_id for t in items}
    return items, cursor, await entity_names(session, ids)
