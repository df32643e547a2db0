"""Staff corrections: a requested adjustment is posted only when another staff user approves.

An adjustment never edits anything: approving it posts one transfer between the
entity's bucket and the platform's ``suspense`` account of the asset (a positive
amount credits the client, a negative one debits it). Request, approval and
rejection are each audited in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.audit import service as audit
from niha.audit.service import Actor
from niha.core.clock import utcnow
from niha.core.errors import Conflict, NotFound, Unprocessable
from niha.core.ids import new_id
from niha.core.money import InvalidAmount, format_amount, parse_amount
from niha.core.pagination import PageParams, build_page, keyset_page
from niha.ledger.core import CLIENT_BUCKETS, AccountKey, Bucket, TransferRequest
from niha.ledger.models import LedgerAdjustment
from niha.ledger.service import asset_scales, post_batch, scale_of

RESOURCE = "ledger_adjustment"
KIND = "adjustment"
MAX_REASON = 1000


class Status:
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    ALL = (PENDING, APPROVED, REJECTED)


class AdjustmentNotFound(NotFound):
    code = "adjustment_not_found"
    title = "Adjustment not found"


class AdjustmentNotPending(Conflict):
    code = "adjustment_not_pending"
    title = "Adjustment already decided"


class SameApprover(Conflict):
    code = "same_approver"
    title = "A different staff user must approve"


class InvalidAmountError(Unprocessable):
    code = "invalid_amount"
    title = "Invalid amount"


class InvalidBucket(Unprocessable):
    code = "invalid_bucket"
    title = "Invalid bucket"


class InvalidReason(Unprocessable):
    code = "invalid_reason"
    title = "Invalid reason"


@dataclass(frozen=True)
class AdjustmentView:
    row: LedgerAdjustment
    scale: int

    @property
    def amount(self) -> str:
        return format_amount(self.row.amount, self.scale)


def snapshot(row: LedgerAdjustment, scale: int) -> dict[str, Any]:
    return {
        "entity_id": str(row.entity_id),
        "asset": row.asset,
        "bucket": row.bucket,
        "amount": format_amount(row.amount, scale),
        "reason": row.reason,
        "status": row.status,
        "requested_by": str(row.requested_by),
        "decided_by": str(row.decided_by) if row.decided_by else None,
        "decision_note": row.decision_note,
        "batch_id": str(row.batch_id) if row.batch_id else None,
    }


def _reason(value: str | None, *, required: bool) -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise InvalidReason("a reason is required", field="reason")
        return None
    if len(cleaned) > MAX_REASON:
        raise InvalidReason(f"at most {MAX_REASON} characters", field="reason")
    return cleaned


async def request_adjustment(
    session: AsyncSession,
    actor: Actor,
    *,
    requested_by: uuid.UUID,
    entity_id: uuid.UUID,
    asset: str,
    bucket: str,
    amount: str | int,
    reason: str,
) -> AdjustmentView:
    scale = await scale_of(session, asset)
    if bucket not in CLIENT_BUCKETS:
        raise InvalidBucket(f"bucket must be one of {', '.join(CLIENT_BUCKETS)}", field="bucket")
    try:
        units = parse_amount(amount, scale, allow_negative=True)
    except InvalidAmount as exc:
        raise InvalidAmountError(f"{asset}: {exc}", field="amount", reason=exc.code) from None
    row = LedgerAdjustment(
        id=new_id(),
        entity_id=entity_id,
        asset=asset,
        bucket=bucket,
        amount=units,
        reason=_reason(reason, required=True),
        status=Status.PENDING,
        requested_by=requested_by,
        requested_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session, actor, "ledger.adjustment.requested", RESOURCE, row.id, after=snapshot(row, scale)
    )
    return AdjustmentView(row, scale)


async def _locked(session: AsyncSession, adjustment_id: uuid.UUID) -> LedgerAdjustment:
    row = await session.get(LedgerAdjustment, adjustment_id, with_for_update=True)
    if row is None:
        raise AdjustmentNotFound(f"adjustment {adjustment_id} does not exist")
    if row.status != Status.PENDING:
        raise AdjustmentNotPending(f"adjustment {adjustment_id} is already {row.status}")
    return row


async def approve_adjustment(
    session: AsyncSession,
    actor: Actor,
    *,
    approver: uuid.UUID,
    adjustment_id: uuid.UUID,
    note: str | None = None,
) -> AdjustmentView:
    """Post the adjustment (four eyes: the approver must not be the requester)."""
    row = await _locked(session, adjustment_id)
    if row.requested_by == approver:
        raise SameApprover("the staff user who requested an adjustment cannot approve it")
    scale = await scale_of(session, row.asset)
    before = snapshot(row, scale)
    client = AccountKey.entity(row.entity_id, row.asset, row.bucket)
    suspense = AccountKey.platform(row.asset, Bucket.SUSPENSE)
    debit, credit = (suspense, client) if row.amount > 0 else (client, suspense)
    batch = await post_batch(
        session,
        [
            TransferRequest(
                debit=debit,
                credit=credit,
                amount=abs(row.amount),
                kind=KIND,
                key=f"adjustment:{row.id}",
                reference_type=RESOURCE,
                reference_id=str(row.id),
            )
        ],
    )
    row.status = Status.APPROVED
    row.decided_by = approver
    row.decided_at = utcnow()
    row.decision_note = _reason(note, required=False)
    row.batch_id = batch.id
    await session.flush()
    await audit.record(
        session,
        actor,
        "ledger.adjustment.approved",
        RESOURCE,
        row.id,
        before=before,
        after=snapshot(row, scale),
    )
    return AdjustmentView(row, scale)


async def reject_adjustment(
    session: AsyncSession,
    actor: Actor,
    *,
    decided_by: uuid.UUID,
    adjustment_id: uuid.UUID,
    note: str | None = None,
) -> AdjustmentView:
    """Close a pending adjustment without posting (the requester may withdraw their own)."""
    row = await _locked(session, adjustment_id)
    scale = await scale_of(session, row.asset)
    before = snapshot(row, scale)
    row.status = Status.REJECTED
    row.decided_by = decided_by
    row.decided_at = utcnow()
    row.decision_note = _reason(note, required=False)
    await session.flush()
    await audit.record(
        session,
        actor,
        "ledger.adjustment.rejected",
        RESOURCE,
        row.id,
        before=before,
        after=snapshot(row, scale),
    )
    return AdjustmentView(row, scale)


async def get_adjustment(session: AsyncSession, adjustment_id: uuid.UUID) -> AdjustmentView:
    row = await session.get(LedgerAdjustment, adjustment_id)
    if row is None:
        raise AdjustmentNotFound(f"adjustment {adjustment_id} does not exist")
    return AdjustmentView(row, await scale_of(session, row.asset))


@dataclass(frozen=True)
class AdjustmentFilter:
    status: str | None = None
    entity_id: uuid.UUID | None = None


async def list_adjustments(
    session: AsyncSession, f: AdjustmentFilter, page: PageParams
) -> tuple[list[AdjustmentView], str | None]:
    """Newest first."""
    stmt = select(LedgerAdjustment)
    if f.status is not None:
        stmt = stmt.where(LedgerAdjustment.status == f.status)
    if f.entity_id is not None:
        stmt = stmt.where(LedgerAdjustment.entity_id == f.entity_id)
    stmt = keyset_page(stmt, [LedgerAdjustment.__table__.c.id], page, parse=[uuid.UUID])
    rows = (await session.scalars(stmt)).all()
    items, cursor = build_page(rows, page, lambda r: [r.id])
    scales = await asset_scales(session)
    return [AdjustmentView(r, scales.get(r.asset, 0)) for r in items], cursor
