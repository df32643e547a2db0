"""Staff routes for per-entity fee overrides (:mod:`niha.exchange.fee_schedule`).

Reading needs ``market:read``, changing ``market:manage``; every change is audited with
before/after and announced on the ``backoffice`` channel.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from sqlalchemy.ext.asyncio import AsyncSession

from niha.core.deps import SessionDep, SettingsDep
from niha.core.pagination import PageParams, page_params
from niha.exchange import fee_schedule, service
from niha.exchange.models import FeeOverride, Instrument
from niha.exchange.schemas import ReasonIn, UtcDatetime
from niha.identity.access import Permission, Principal, require
from niha.onboarding import service as onboarding

admin_router = APIRouter(prefix="/admin", tags=["exchange-admin"])
client_router = APIRouter(tags=["exchange"])

OrdersReader = Annotated[Principal, Depends(require(Permission.ORDERS_READ))]
MarketReader = Annotated[Principal, Depends(require(Permission.MARKET_READ))]
MarketManager = Annotated[Principal, Depends(require(Permission.MARKET_MANAGE))]
Paging = Annotated[PageParams, Depends(page_params)]

ALL_INSTRUMENTS = "*"
SYMBOL_PATTERN = r"^[A-Z0-9]{2,12}-[A-Z]{3}$"
Symbol = Annotated[str, Field(max_length=25, pattern=SYMBOL_PATTERN)]
Bps = Annotated[StrictInt, Field(ge=0, le=fee_schedule.MAX_OVERRIDE_BPS)]


class FeeOverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    instrument: Symbol | None = Field(
        description="The instrument's symbol (``EUA-EUR``), or null for every instrument. "
        "Required, so that an all-instruments override is always a deliberate choice."
    )
    maker_fee_bps: Bps
    taker_fee_bps: Bps
    reason: Annotated[str, Field(min_length=3, max_length=500)]


class FeeOverrideOut(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    entity_name: str | None
    instrument: str | None = Field(description="null: every instrument")
    maker_fee_bps: int
    taker_fee_bps: int
    reason: str
    created_by: uuid.UUID | None
    updated_by: uuid.UUID | None
    created_at: UtcDatetime
    updated_at: UtcDatetime

    @classmethod
    def of(cls, row: FeeOverride, symbol: str | None, entity_name: str | None) -> FeeOverrideOut:
        return cls(
            id=row.id,
            entity_id=row.entity_id,
            entity_name=entity_name,
            instrument=symbol,
            maker_fee_bps=row.maker_fee_bps,
            taker_fee_bps=row.taker_fee_bps,
            reason=row.reason,
            created_by=row.created_by,
            updated_by=row.updated_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class FeeOverridePage(BaseModel):
    items: list[FeeOverrideOut]
    next_cursor: str | None = None


class MyFeesOut(BaseModel):
    instrument: str
    maker_fee_bps: int
    taker_fee_bps: int
    negotiated: bool = Field(description="true: a fee agreed for your organisation")


@client_router.get("/fees", response_model=list[MyFeesOut])
async def my_fees(
    principal: OrdersReader, session: SessionDep, settings: SettingsDep
) -> list[MyFeesOut]:
    """The maker and taker fees your organisation pays on each instrument."""
    if principal.entity_id is None:
        return []
    return [
        MyFeesOut(instrument=f.symbol, maker_fee_bps=f.fees.maker_bps,
                  taker_fee_bps=f.fees.taker_bps, negotiated=f.negotiated)
        for f in await fee_schedule.entity_fees(session, settings, principal.entity_id)
    ]  # fmt: skip


async def _instrument(session: AsyncSession, symbol: str | None) -> Instrument | None:
    return None if symbol is None else await service.get_instrument(session, symbol)


@admin_router.get("/fee-overrides", response_model=FeeOverridePage)
async def list_fee_overrides(
    _: MarketReader,
    session: SessionDep,
    paging: Paging,
    entity_id: uuid.UUID | None = None,
    instrument: Annotated[
        str | None,
        Query(
            max_length=25,
            description=f"A symbol: that instrument's own overrides; "
            f"``{ALL_INSTRUMENTS}``: the all-instruments overrides",
        ),
    ] = None,
) -> FeeOverridePage:
    """Per-entity fee overrides, newest first (``?limit=&cursor=``)."""
    f = fee_schedule.OverrideFilter(entity_id=entity_id)
    if instrument == ALL_INSTRUMENTS:
        f = fee_schedule.OverrideFilter(entity_id=entity_id, all_instruments=True)
    elif instrument is not None:
        inst = await service.get_instrument(session, instrument)
        f = fee_schedule.OverrideFilter(entity_id=entity_id, instrument_id=inst.id)
    rows, cursor = await fee_schedule.list_overrides(session, f, paging)
    symbols = await service.instrument_symbols(session)
    names = await onboarding.entity_names(session, {r.entity_id for r in rows})
    return FeeOverridePage(
        items=[
            FeeOverrideOut.of(
                r,
                symbols[r.instrument_id] if r.instrument_id else None,
                names.get(r.entity_id),
            )
            for r in rows
        ],
        next_cursor=cursor,
    )


@admin_router.put(
    "/entities/{entity_id}/fees",
    response_model=FeeOverrideOut,
    responses={201: {"model": FeeOverrideOut, "description": "Override created"}},
)
async def set_entity_fees(
    entity_id: uuid.UUID,
    body: FeeOverrideIn,
    principal: MarketManager,
    session: SessionDep,
    request: Request,
    response: Response,
) -> FeeOverrideOut:
    """Create (201) or replace (200) the entity's override on one instrument or on all.

    Applies from the entity's next order on; resting orders keep what they reserved.
    """
    inst = await _instrument(session, body.instrument)
    result = await fee_schedule.set_override(
        session,
        entity_id,
        inst,
        body.maker_fee_bps,
        body.taker_fee_bps,
        body.reason,
        principal.actor(request),
    )
    if result.created:
        response.status_code = 201
    names = await onboarding.entity_names(session, {entity_id})
    return FeeOverrideOut.of(result.override, body.instrument, names.get(entity_id))


@admin_router.delete("/entities/{entity_id}/fees", status_code=204, response_class=Response)
async def delete_entity_fees(
    entity_id: uuid.UUID,
    body: ReasonIn,
    principal: MarketManager,
    session: SessionDep,
    request: Request,
    instrument: Annotated[
        str | None,
        Query(
            max_length=25,
            pattern=SYMBOL_PATTERN,
            description="The instrument's override; omitted: the all-instruments override",
        ),
    ] = None,
) -> Response:
    """Remove an override (with a reason); the entity pays the next layer's fees."""
    inst = await _instrument(session, instrument)
    await fee_schedule.delete_override(
        session, entity_id, inst, body.reason, principal.actor(request)
    )
    return Response(status_code=204)
