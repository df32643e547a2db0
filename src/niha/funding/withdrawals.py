"""Withdrawals: money out to a VERIFIED bank account of the client.

PENDING (``available -> reserved``) -> APPROVED -> PROCESSING (one staff action, both steps
recorded) -> COMPLETED by a *different* staff member (``reserved -> bank``, with the wire
reference); or REJECTED by staff / CANCELLED by the client while PENDING
(``reserved -> available``). Any other transition is refused (``invalid_transition``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.audit import service as audit
from niha.audit.service import Actor
from niha.config import Settings
from niha.core.clock import isoformat_z, utcnow
from niha.core.ids import new_id
from niha.core.pagination import PageParams, build_page, keyset_page
from niha.funding import banking
from niha.funding.bank_accounts import BankAccountNotVerified, BankAccountStatus, own_account
from niha.funding.common import (
    KIND_WITHDRAWAL,
    KIND_WITHDRAWAL_RELEASE,
    KIND_WITHDRAWAL_RESERVE,
    REF_WITHDRAWAL,
    InvalidDate,
    SameApprover,
    WithdrawalNotFound,
    check_currency,
    history_entry,
    money,
    parse_money,
    publish,
    require_entity,
    transition_error,
)
from niha.funding.models import Withdrawal
from niha.kyc import service as kyc
from niha.ledger import service as ledger
from niha.ledger.core import AccountKey, Bucket
from niha.onboarding import service as onboarding

RESOURCE = "funding_withdrawal"
CLOCK_SKEW_SECONDS = 300


class WithdrawalStatus:
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


REJECTABLE = (WithdrawalStatus.PENDING, WithdrawalStatus.APPROVED, WithdrawalStatus.PROCESSING)


def _snapshot(w: Withdrawal) -> dict[str, Any]:
    return {
        "entity_id": str(w.entity_id),
        "bank_account_id": str(w.bank_account_id),
        "iban": w.iban,
        "amount": w.amount,
        "currency": w.currency,
        "status": w.status,
        "approved_by": str(w.approved_by) if w.approved_by else None,
        "completed_by": str(w.completed_by) if w.completed_by else None,
        "wire_reference": w.wire_reference,
        "executed_at": isoformat_z(w.executed_at) if w.executed_at else None,
        "rejection_reason": w.rejection_reason,
    }


async def _publish(
    session: AsyncSession, w: Withdrawal, event: str, title: str, message: str
) -> None:
    await publish(
        session,
        w.entity_id,
        event,
        {
            "kind": "withdrawal",
            "id": str(w.id),
            "status": w.status,
            "amount": await money(session, w.amount, w.currency),
            "currency": w.currency,
            "iban": banking.mask_iban(w.iban),
        },
        title=title,
        message=message,
    )


async def _lock(session: AsyncSession, withdrawal_id: uuid.UUID) -> Withdrawal:
    row = await session.get(Withdrawal, withdrawal_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise WithdrawalNotFound()
    return row


async def _release(session: AsyncSession, w: Withdrawal) -> None:
    await ledger.move(
        session,
        w.entity_id,
        w.currency,
        Bucket.RESERVED,
        Bucket.AVAILABLE,
        w.amount,
        kind=KIND_WITHDRAWAL_RELEASE,
        key=f"withdrawal:{w.id}:released",
        reference_type=REF_WITHDRAWAL,
        reference_id=str(w.id),
    )


# --------------------------------------------------------------------------- client


async def request_withdrawal(
    session: AsyncSession,
    settings: Settings,
    *,
    entity_id: uuid.UUID | None,
    user_id: uuid.UUID,
    amount: str,
    currency: str,
    bank_account_id: uuid.UUID,
    reason: str | None,
    actor: Actor,
) -> Withdrawal:
    """Reserve the amount (``available -> reserved``) for a wire to a verified account.

    Refusals: ``kyc_required`` 403, ``bank_account_not_found`` 404,
    ``bank_account_not_verified`` 409, ``insufficient_funds`` 422, money codes 422.
    """
    entity = require_entity(entity_id)
    await kyc.require_approved(session, entity)
    code = check_currency(settings, currency)
    units = await parse_money(session, amount, code, max_amount=settings.funding_max_withdrawal)
    # A share lock: the account cannot be deleted or changed while this request commits.
    account = await own_account(session, bank_account_id, entity, share=True)
    if account.status != BankAccountStatus.VERIFIED:
        raise BankAccountNotVerified(
            "Withdrawals go only to a verified bank account", field="bank_account_id"
        )
    now = utcnow()
    row = Withdrawal(
        id=new_id(),
        entity_id=entity,
        bank_account_id=account.id,
        iban=account.iban,
        bic=account.bic,
        account_name=account.account_name,
        currency=code,
        amount=units,
        reason=reason or None,
        status=WithdrawalStatus.PENDING,
        requested_by=user_id,
        history=[history_entry(WithdrawalStatus.PENDING, now, actor)],
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    await ledger.move(
        session,
        entity,
        code,
        Bucket.AVAILABLE,
        Bucket.RESERVED,
        units,
        kind=KIND_WITHDRAWAL_RESERVE,
        key=f"withdrawal:{row.id}:reserved",
        reference_type=REF_WITHDRAWAL,
        reference_id=str(row.id),
    )
    await audit.record(
        session, actor, "withdrawal_requested", RESOURCE, row.id, after=_snapshot(row)
    )
    await _publish(
        session,
        row,
        "withdrawal.requested",
        "Withdrawal requested",
        f"Your withdrawal to {banking.mask_iban(row.iban)} is waiting for approval.",
    )
    return row


@dataclass(frozen=True)
class WithdrawalFilter:
    status: str | None = None
    entity_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    amount_min: int | None = None
    amount_max: int | None = None


def _filtered(f: WithdrawalFilter) -> Select[Any]:
    stmt = select(Withdrawal)
    if f.status is not None:
        stmt = stmt.where(Withdrawal.status == f.status)
    if f.entity_id is not None:
        stmt = stmt.where(Withdrawal.entity_id == f.entity_id)
    if f.user_id is not None:
        stmt = stmt.where(Withdrawal.requested_by == f.user_id)
    if f.date_from is not None:
        stmt = stmt.where(Withdrawal.created_at >= f.date_from)
    if f.date_to is not None:
        stmt = stmt.where(Withdrawal.created_at < f.date_to)
    if f.amount_min is not None:
        stmt = stmt.where(Withdrawal.amount >= f.amount_min)
    if f.amount_max is not None:
        stmt = stmt.where(Withdrawal.amount <= f.amount_max)
    return stmt


async def _page(
    session: AsyncSession, f: WithdrawalFilter, page: PageParams
) -> tuple[list[Withdrawal], str | None]:
    stmt = keyset_page(
        _filtered(f),
        [Withdrawal.created_at, Withdrawal.id],
        page,
        parse=[datetime.fromisoformat, uuid.UUID],
    )
    rows = list((await session.scalars(stmt)).all())
    return build_page(rows, page, lambda r: [r.created_at, r.id])


async def my_withdrawals(
    session: AsyncSession, entity_id: uuid.UUID | None, status: str | None, page: PageParams
) -> tuple[list[Withdrawal], str | None]:
    if entity_id is None:
        return [], None
    return await _page(session, WithdrawalFilter(status=status, entity_id=entity_id), page)


async def cancel_withdrawal(
    session: AsyncSession, withdrawal_id: uuid.UUID, *, entity_id: uuid.UUID | None, actor: Actor
) -> Withdrawal:
    row = await _lock(session, withdrawal_id)
    if entity_id is None or row.entity_id != entity_id:
        raise WithdrawalNotFound()
    if row.status != WithdrawalStatus.PENDING:
        raise transition_error("withdrawal", row.status, "cancelled")
    before = _snapshot(row)
    await _release(session, row)
    now = utcnow()
    row.status = WithdrawalStatus.CANCELLED
    row.history = [*row.history, history_entry(row.status, now, actor)]
    row.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor,
        "withdrawal_cancelled",
        RESOURCE,
        row.id,
        before=before,
        after=_snapshot(row),
    )
    await _publish(
        session,
        row,
        "withdrawal.cancelled",
        "Withdrawal cancelled",
        "The funds are available again.",
    )
    return row


# --------------------------------------------------------------------------- staff


async def admin_list(
    session: AsyncSession, f: WithdrawalFilter, page: PageParams
) -> tuple[list[Withdrawal], str | None, dict[uuid.UUID, str | None]]:
    items, cursor = await _page(session, f, page)
    names = await onboarding.entity_names(session, {w.entity_id for w in items})
    return items, cursor, names


async def get_withdrawal(session: AsyncSession, withdrawal_id: uuid.UUID) -> Withdrawal:
    row = await session.get(Withdrawal, withdrawal_id)
    if row is None:
        raise WithdrawalNotFound()
    return row


async def approve_withdrawal(
    session: AsyncSession, withdrawal_id: uuid.UUID, *, staff_id: uuid.UUID, actor: Actor
) -> Withdrawal:
    """PENDING -> APPROVED -> PROCESSING (the wire goes to the bank); both steps recorded."""
    row = await _lock(session, withdrawal_id)
    if row.status != WithdrawalStatus.PENDING:
        raise transition_error("withdrawal", row.status, "approved")
    before = _snapshot(row)
    now = utcnow()
    row.status = WithdrawalStatus.APPROVED
    row.approved_by = staff_id
    row.approved_at = now
    row.history = [*row.history, history_entry(WithdrawalStatus.APPROVED, now, actor)]
    await session.flush()
    await audit.record(
        session, actor, "withdrawal_approved", RESOURCE, row.id, before=before, after=_snapshot(row)
    )
    approved = _snapshot(row)
    row.status = WithdrawalStatus.PROCESSING
    row.history = [*row.history, history_entry(WithdrawalStatus.PROCESSING, now, actor)]
    row.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor,
        "withdrawal_processing",
        RESOURCE,
        row.id,
        before=approved,
        after=_snapshot(row),
    )
    await _publish(
        session,
        row,
        "withdrawal.processing",
        "Withdrawal approved",
        "Your withdrawal was approved and is being processed.",
    )
    return row


async def reject_withdrawal(
    session: AsyncSession,
    withdrawal_id: uuid.UUID,
    *,
    staff_id: uuid.UUID,
    reason: str,
    actor: Actor,
) -> Withdrawal:
    row = await _lock(session, withdrawal_id)
    if row.status not in REJECTABLE:
        raise transition_error("withdrawal", row.status, "rejected")
    before = _snapshot(row)
    await _release(session, row)
    now = utcnow()
    row.status = WithdrawalStatus.REJECTED
    row.rejection_reason = reason
    row.decided_by = staff_id
    row.decided_at = now
    row.history = [*row.history, history_entry(row.status, now, actor, reason)]
    row.updated_at = now
    await session.flush()
    await audit.record(
        session, actor, "withdrawal_rejected", RESOURCE, row.id, before=before, after=_snapshot(row)
    )
    await _publish(
        session,
        row,
        "withdrawal.rejected",
        "Withdrawal rejected",
        f"Your withdrawal was rejected: {reason}. The funds are available again.",
    )
    return row


async def complete_withdrawal(
    session: AsyncSession,
    withdrawal_id: uuid.UUID,
    *,
    staff_id: uuid.UUID,
    wire_reference: str,
    executed_at: datetime,
    actor: Actor,
) -> Withdrawal:
    """PROCESSING -> COMPLETED (``reserved -> bank``) by someone other than the approver."""
    row = await _lock(session, withdrawal_id)
    if row.status != WithdrawalStatus.PROCESSING:
        raise transition_error("withdrawal", row.status, "completed")
    if row.approved_by == staff_id:
        raise SameApprover(
            "You approved this withdrawal; a different staff member must complete it"
        )
    now = utcnow()
    if (executed_at - now).total_seconds() > CLOCK_SKEW_SECONDS:
        raise InvalidDate("The execution time is in the future", field="executed_at")
    if row.approved_at is not None and executed_at < row.approved_at.replace(
        second=0, microsecond=0
    ):
        raise InvalidDate("The wire cannot be executed before its approval", field="executed_at")
    before = _snapshot(row)
    await ledger.transfer(
        session,
        AccountKey.entity(row.entity_id, row.currency, Bucket.RESERVED),
        AccountKey.platform(row.currency, Bucket.BANK),
        row.amount,
        kind=KIND_WITHDRAWAL,
        key=f"withdrawal:{row.id}:completed",
        reference_type=REF_WITHDRAWAL,
        reference_id=str(row.id),
    )
    row.status = WithdrawalStatus.COMPLETED
    row.completed_by = staff_id
    row.completed_at = now
    row.wire_reference = wire_reference
    row.executed_at = executed_at
    row.history = [*row.history, history_entry(row.status, now, actor)]
    row.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor,
        "withdrawal_completed",
        RESOURCE,
        row.id,
        before=before,
        after=_snapshot(row),
    )
    await _publish(
        session,
        row,
        "withdrawal.completed",
        "Withdrawal sent",
        f"The funds were wired to {banking.mask_iban(row.iban)}.",
    )
    return row
