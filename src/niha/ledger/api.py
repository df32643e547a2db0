"""Ledger HTTP API: a client's balances; staff accounts, transfers, adjustments, reconciliation."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from niha.core.clock import as_utc
from niha.core.deps import SessionDep
from niha.core.errors import Forbidden
from niha.core.pagination import Page, PageParams, page_params
from niha.identity.access import Permission, Principal, require
from niha.ledger import adjustments, reconcile, service
from niha.ledger.core import Bucket, OwnerType
from niha.ledger.schemas import (
    AccountOut,
    AdjustmentCreate,
    AdjustmentDecision,
    AdjustmentOut,
    AssetBalanceOut,
    BalancesOut,
    ReconciliationOut,
    TransferOut,
)

router = APIRouter(tags=["ledger"])

BalancesReader = Annotated[Principal, Depends(require(Permission.BALANCES_READ))]
LedgerReader = Annotated[Principal, Depends(require(Permission.LEDGER_READ))]
Adjuster = Annotated[Principal, Depends(require(Permission.LEDGER_ADJUST))]
Approver = Annotated[Principal, Depends(require(Permission.LEDGER_APPROVE))]
ReportsReader = Annotated[Principal, Depends(require(Permission.REPORTS_READ))]
Paging = Annotated[PageParams, Depends(page_params)]
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL: refuse it as bad input, not a 500


class EntityRequired(Forbidden):
    code = "entity_required"
    title = "Only members of a client entity have balances"


# --------------------------------------------------------------------------- client


@router.get("/balances", response_model=BalancesOut)
async def my_balances(principal: BalancesReader, session: SessionDep) -> BalancesOut:
    """The caller's entity: per asset ``available``, ``reserved``, ``on_hold``, ``settling``,
    ``total`` (decimal strings at the asset's scale)."""
    if principal.entity_id is None:
        raise EntityRequired("This user does not belong to a client entity")
    rows = await service.balances(session, principal.entity_id)
    return BalancesOut(
        entity_id=principal.entity_id, balances=[AssetBalanceOut.of(b) for b in rows]
    )


# --------------------------------------------------------------------------- staff: reading


@router.get("/admin/ledger/balances/{entity_id}", response_model=BalancesOut)
async def entity_balances(
    _: LedgerReader, session: SessionDep, entity_id: uuid.UUID
) -> BalancesOut:
    rows = await service.balances(session, entity_id)
    return BalancesOut(entity_id=entity_id, balances=[AssetBalanceOut.of(b) for b in rows])


def account_filter(
    owner_id: Annotated[uuid.UUID | None, Query(description="entity id")] = None,
    owner_type: Annotated[OwnerType | None, Query()] = None,
    asset: Annotated[str | None, Query(max_length=12, pattern=NO_NUL)] = None,
    bucket: Annotated[Bucket | None, Query()] = None,
) -> service.AccountFilter:
    return service.AccountFilter(
        owner_id=owner_id,
        owner_type=owner_type.value if owner_type else None,
        asset=asset,
        bucket=bucket.value if bucket else None,
    )


@router.get("/admin/ledger/accounts", response_model=Page[AccountOut])
async def list_accounts(
    _: LedgerReader,
    session: SessionDep,
    f: Annotated[service.AccountFilter, Depends(account_filter)],
    page: Paging,
) -> Page[AccountOut]:
    result = await service.list_accounts(session, f, page)
    return Page(
        items=[AccountOut.of(r, result.scales.get(r.asset, 0)) for r in result.items],
        next_cursor=result.next_cursor,
    )


def transfer_filter(
    account_id: Annotated[uuid.UUID | None, Query(description="debit or credit account")] = None,
    batch_id: Annotated[uuid.UUID | None, Query()] = None,
    asset: Annotated[str | None, Query(max_length=12, pattern=NO_NUL)] = None,
    kind: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    reference_type: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    reference_id: Annotated[str | None, Query(max_length=100, pattern=NO_NUL)] = None,
    date_from: Annotated[datetime | None, Query(description="inclusive, ISO 8601")] = None,
    date_to: Annotated[datetime | None, Query(description="exclusive, ISO 8601")] = None,
) -> service.TransferFilter:
    return service.TransferFilter(
        account_id=account_id,
        batch_id=batch_id,
        asset=asset,
        kind=kind,
        reference_type=reference_type,
        reference_id=reference_id,
        date_from=as_utc(date_from),
        date_to=as_utc(date_to),
    )


@router.get("/admin/ledger/transfers", response_model=Page[TransferOut])
async def list_transfers(
    _: LedgerReader,
    session: SessionDep,
    f: Annotated[service.TransferFilter, Depends(transfer_filter)],
    page: Paging,
) -> Page[TransferOut]:
    result = await service.list_transfers(session, f, page)
    return Page(
        items=[TransferOut.of(r, result.scales.get(r.asset, 0)) for r in result.items],
        next_cursor=result.next_cursor,
    )


# --------------------------------------------------------------------------- adjustments


@router.get("/admin/ledger/adjustments", response_model=Page[AdjustmentOut])
async def list_adjustments(
    _: LedgerReader,
    session: SessionDep,
    page: Paging,
    status: Annotated[Literal["pending", "approved", "rejected"] | None, Query()] = None,
    entity_id: Annotated[uuid.UUID | None, Query()] = None,
) -> Page[AdjustmentOut]:
    items, cursor = await adjustments.list_adjustments(
        session, adjustments.AdjustmentFilter(status=status, entity_id=entity_id), page
    )
    return Page(items=[AdjustmentOut.of(v) for v in items], next_cursor=cursor)


@router.post("/admin/ledger/adjustments", response_model=AdjustmentOut, status_code=201)
async def request_adjustment(
    principal: Adjuster, session: SessionDep, request: Request, body: AdjustmentCreate
) -> AdjustmentOut:
    """Request a correction (PENDING until a different staff user approves it)."""
    view = await adjustments.request_adjustment(
        session,
        principal.actor(request),
        requested_by=principal.user_id,
        entity_id=body.entity_id,
        asset=body.asset,
        bucket=body.bucket,
        amount=body.amount,
        reason=body.reason,
    )
    return AdjustmentOut.of(view)


@router.get("/admin/ledger/adjustments/{adjustment_id}", response_model=AdjustmentOut)
async def get_adjustment(
    _: LedgerReader, session: SessionDep, adjustment_id: uuid.UUID
) -> AdjustmentOut:
    return AdjustmentOut.of(await adjustments.get_adjustment(session, adjustment_id))


@router.post("/admin/ledger/adjustments/{adjustment_id}/approve", response_model=AdjustmentOut)
async def approve_adjustment(
    principal: Approver,
    session: SessionDep,
    request: Request,
    adjustment_id: uuid.UUID,
    body: AdjustmentDecision | None = None,
) -> AdjustmentOut:
    """Post the adjustment against the platform's suspense account (four eyes)."""
    view = await adjustments.approve_adjustment(
        session,
        principal.actor(request),
        approver=principal.user_id,
        adjustment_id=adjustment_id,
        note=body.note if body else None,
    )
    return AdjustmentOut.of(view)


@router.post("/admin/ledger/adjustments/{adjustment_id}/reject", response_model=AdjustmentOut)
async def reject_adjustment(
    principal: Approver,
    session: SessionDep,
    request: Request,
    adjustment_id: uuid.UUID,
    body: AdjustmentDecision | None = None,
) -> AdjustmentOut:
    view = await adjustments.reject_adjustment(
        session,
        principal.actor(request),
        decided_by=principal.user_id,
        adjustment_id=adjustment_id,
        note=body.note if body else None,
    )
    return AdjustmentOut.of(view)


# --------------------------------------------------------------------------- reconciliation


@router.get("/admin/reports/reconciliation", response_model=ReconciliationOut)
async def get_reconciliation(
    _: ReportsReader,
    session: SessionDep,
    day: Annotated[
        date | None, Query(alias="date", description="UTC day (default: the latest run)")
    ] = None,
) -> ReconciliationOut:
    return ReconciliationOut.of(await reconcile.get_reconciliation(session, day))
