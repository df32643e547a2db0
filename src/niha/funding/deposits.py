"""Deposits and their AML holds.

PENDING (announced, with a reference code and the platform's wire instructions)
-> ON_HOLD (staff confirmed the wire: ``bank -> on_hold``; a hold is created whose period
and flags come from :mod:`niha.funding.aml`) -> CLEARED (``on_hold -> available``: by the
``funding.clear_expired_holds`` job once an unflagged hold expires, or by staff; a flagged
hold at or above the two-person amount needs two different staff) or RETURNED (staff
rejected the hold: ``on_hold -> bank`` with a return record). A PENDING deposit may be
cancelled by the client or rejected by staff (nothing was received: no money moves).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.audit import service as audit
from niha.audit.service import Actor
from niha.config import Settings
from niha.core.clock import isoformat_z, utcnow
from niha.core.errors import Unprocessable
from niha.core.events import emit
from niha.core.ids import new_id
from niha.core.pagination import PageParams, build_page, keyset_page
from niha.funding import aml, banking, reference
from niha.funding.bank_accounts import BankAccountStatus, own_account
from niha.funding.common import (
    KIND_DEPOSIT,
    KIND_DEPOSIT_CLEARED,
    KIND_DEPOSIT_RETURNED,
    REF_DEPOSIT,
    DepositNotFound,
    HoldNotFound,
    InvalidBankDetails,
    InvalidDate,
    SameApprover,
    check_currency,
    history_entry,
    money,
    parse_money,
    publish,
    require_entity,
    rules,
    transition_error,
)
from niha.funding.models import AmlHold, BankAccount, Deposit, DepositReturn
from niha.funding.names import names_match
from niha.kyc import service as kyc
from niha.ledger import service as ledger
from niha.ledger.core import AccountKey, Bucket
from niha.onboarding import service as onboarding

DEPOSIT_RESOURCE = "funding_deposit"
HOLD_RESOURCE = "funding_aml_hold"
#: How far ahead of now a staff-entered receipt time may be (clock skew), and how long a
#: hold may be extended to.
CLOCK_SKEW = timedelta(minutes=5)
MAX_EXTENSION = timedelta(days=366)
#: A wire booked later than this after it arrived needs a ledger adjustment instead.
MAX_RECEIPT_AGE = timedelta(days=366)


class DepositStatus:
    PENDING = "PENDING"
    ON_HOLD = "ON_HOLD"
    CLEARED = "CLEARED"
    REJECTED = "REJECTED"
    RETURNED = "RETURNED"
    CANCELLED = "CANCELLED"


class HoldStatus:
    ACTIVE = "ACTIVE"
    CLEARED = "CLEARED"
    REJECTED = "REJECTED"


RECEIVED_STATUSES = (DepositStatus.ON_HOLD, DepositStatus.CLEARED, DepositStatus.RETURNED)


class InvalidExtension(Unprocessable):
    code = "invalid_extension"
    title = "Invalid hold extension"


@dataclass(frozen=True)
class WireInstructions:
    beneficiary: str
    iban: str
    bic: str
    bank_name: str
    bank_address: str
    reference: str
    amount: str | None
    currency: str
    #: After this the announcement expires (:func:`expire_announcements`).
    valid_until: datetime


def wire_instructions(settings: Settings, deposit: Deposit, amount: str | None) -> WireInstructions:
    return WireInstructions(
        beneficiary=settings.funding_bank_beneficiary,
        iban=banking.format_iban(settings.funding_bank_iban),
        bic=settings.funding_bank_bic,
        bank_name=settings.funding_bank_name,
        bank_address=settings.funding_bank_address,
        reference=deposit.reference_code,
        amount=amount,
        currency=deposit.currency,
        valid_until=deposit.created_at + timedelta(days=settings.funding_deposit_announcement_days),
    )


def _snapshot(d: Deposit) -> dict[str, Any]:
    return {
        "entity_id": str(d.entity_id),
        "reference_code": d.reference_code,
        "status": d.status,
        "currency": d.currency,
        "announced_amount": d.announced_amount,
        "actual_amount": d.actual_amount,
        "actual_currency": d.actual_currency,
        "received_at": isoformat_z(d.received_at) if d.received_at else None,
        "payer_name": d.payer_name,
        "payer_iban": d.payer_iban,
        "admin_notes": d.admin_notes,
        "rejection_reason": d.rejection_reason,
    }


def _hold_snapshot(h: AmlHold) -> dict[str, Any]:
    return {
        "deposit_id": str(h.deposit_id),
        "status": h.status,
        "amount": h.amount,
        "currency": h.currency,
        "reasons": h.reasons,
        "flags": h.flags,
        "releases_required": h.releases_required,
        "expires_at": isoformat_z(h.expires_at),
        "first_release_by": str(h.first_release_by) if h.first_release_by else None,
        "released_by": str(h.released_by) if h.released_by else None,
    }


async def _event(session: AsyncSession, d: Deposit) -> dict[str, Any]:
    amount = d.actual_amount if d.actual_amount is not None else d.announced_amount
    currency = d.actual_currency or d.currency
    return {
        "kind": "deposit",
        "id": str(d.id),
        "reference_code": d.reference_code,
        "status": d.status,
        "amount": await money(session, amount, currency),
        "currency": currency,
    }


async def _publish(session: AsyncSession, d: Deposit, event: str, title: str, message: str) -> None:
    await publish(
        session, d.entity_id, event, await _event(session, d), title=title, message=message
    )


async def _new_reference(session: AsyncSession) -> str:
    while True:  # 30^7 codes: a collision is rare, and then simply drawn again
        code = reference.from_indices(
            [secrets.randbelow(len(reference.ALPHABET)) for _ in range(reference.PAYLOAD_LENGTH)]
        )
        taken = await session.scalar(select(Deposit.id).where(Deposit.reference_code == code))
        if taken is None:
            return code


async def _lock_deposit(session: AsyncSession, deposit_id: uuid.UUID) -> Deposit:
    row = await session.get(Deposit, deposit_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise DepositNotFound()
    return row


async def _own_deposit(
    session: AsyncSession, deposit_id: uuid.UUID, entity_id: uuid.UUID | None, *, lock: bool = False
) -> Deposit:
    row = (
        await _lock_deposit(session, deposit_id) if lock else await session.get(Deposit, deposit_id)
    )
    if row is None or entity_id is None or row.entity_id != entity_id:
        raise DepositNotFound()
    return row


# --------------------------------------------------------------------------- client


async def announce_deposit(
    session: AsyncSession,
    settings: Settings,
    *,
    entity_id: uuid.UUID | None,
    user_id: uuid.UUID,
    amount: str,
    currency: str,
    wire_reference: str | None,
    bank_account_id: uuid.UUID | None,
    actor: Actor,
) -> Deposit:
    """A PENDING deposit with a fresh reference code the client quotes on the wire."""
    entity = require_entity(entity_id)
    await kyc.require_approved(session, entity)
    code = check_currency(settings, currency)
    units = await parse_money(session, amount, code, max_amount=settings.funding_max_deposit)
    if bank_account_id is not None:
        await own_account(session, bank_account_id, entity)
    now = utcnow()
    row = Deposit(
        id=new_id(),
        entity_id=entity,
        reference_code=await _new_reference(session),
        status=DepositStatus.PENDING,
        currency=code,
        announced_amount=units,
        wire_reference=wire_reference,
        bank_account_id=bank_account_id,
        announced_by=user_id,
        history=[history_entry(DepositStatus.PENDING, now, actor)],
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session, actor, "deposit_announced", DEPOSIT_RESOURCE, row.id, after=_snapshot(row)
    )
    await _publish(
        session,
        row,
        "deposit.announced",
        "Deposit announced",
        f"Wire the funds quoting {row.reference_code}.",
    )
    return row


@dataclass(frozen=True)
class DepositFilter:
    status: str | None = None
    entity_id: uuid.UUID | None = None


def _filtered(f: DepositFilter) -> Select[Any]:
    stmt = select(Deposit)
    if f.status is not None:
        stmt = stmt.where(Deposit.status == f.status)
    if f.entity_id is not None:
        stmt = stmt.where(Deposit.entity_id == f.entity_id)
    return stmt


async def _page(
    session: AsyncSession, stmt: Select[Any], page: PageParams
) -> tuple[list[Deposit], str | None]:
    stmt = keyset_page(
        stmt,
        [Deposit.created_at, Deposit.id],
        page,
        parse=[datetime.fromisoformat, uuid.UUID],
    )
    rows = list((await session.scalars(stmt)).all())
    return build_page(rows, page, lambda r: [r.created_at, r.id])


async def my_deposits(
    session: AsyncSession, entity_id: uuid.UUID | None, status: str | None, page: PageParams
) -> tuple[list[Deposit], str | None]:
    """Newest first."""
    if entity_id is None:
        return [], None
    return await _page(session, _filtered(DepositFilter(status=status, entity_id=entity_id)), page)


async def get_my_deposit(
    session: AsyncSession, deposit_id: uuid.UUID, entity_id: uuid.UUID | None
) -> Deposit:
    return await _own_deposit(session, deposit_id, entity_id)


async def cancel_deposit(
    session: AsyncSession, deposit_id: uuid.UUID, *, entity_id: uuid.UUID | None, actor: Actor
) -> Deposit:
    row = await _own_deposit(session, deposit_id, entity_id, lock=True)
    if row.status != DepositStatus.PENDING:
        raise transition_error("deposit", row.status, "cancelled")
    await _cancel(session, row, actor, "deposit_cancelled", "deposit.cancelled")
    return row


async def _cancel(
    session: AsyncSession,
    row: Deposit,
    actor: Actor,
    action: str,
    event: str,
    *,
    note: str | None = None,
    title: str = "Deposit cancelled",
    message: str | None = None,
) -> None:
    """A PENDING deposit (locked) -> CANCELLED: no money moved; timeline, audit, event."""
    before = _snapshot(row)
    now = utcnow()
    row.status = DepositStatus.CANCELLED
    row.history = [*row.history, history_entry(row.status, now, actor, note)]
    row.updated_at = now
    await session.flush()
    await audit.record(
        session, actor, action, DEPOSIT_RESOURCE, row.id, before=before, after=_snapshot(row)
    )
    await _publish(session, row, event, title, message or f"{row.reference_code} cancelled.")


# --------------------------------------------------------------------------- staff: deposits


async def admin_list_deposits(
    session: AsyncSession, f: DepositFilter, page: PageParams
) -> tuple[list[Deposit], str | None, dict[uuid.UUID, str | None], dict[uuid.UUID, AmlHold]]:
    """Newest first, with the entities' names and the holds of the deposits listed."""
    items, cursor = await _page(session, _filtered(f), page)
    names = await onboarding.entity_names(session, {d.entity_id for d in items})
    holds = await holds_of(session, [d.id for d in items])
    return items, cursor, names, holds


async def holds_of(session: AsyncSession, deposit_ids: list[uuid.UUID]) -> dict[uuid.UUID, AmlHold]:
    if not deposit_ids:
        return {}
    rows = await session.scalars(select(AmlHold).where(AmlHold.deposit_id.in_(deposit_ids)))
    return {h.deposit_id: h for h in rows.all()}


async def get_deposit(session: AsyncSession, deposit_id: uuid.UUID) -> Deposit:
    row = await session.get(Deposit, deposit_id)
    if row is None:
        raise DepositNotFound()
    return row


@dataclass(frozen=True)
class Receipt:
    """What staff read on the bank statement."""

    actual_amount: str
    actual_currency: str
    received_at: datetime
    admin_notes: str | None = None
    payer_name: str | None = None
    payer_iban: str | None = None


def _checked_payer_iban(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return banking.check_iban(value).iban
    except banking.BankDetailsError as exc:
        raise InvalidBankDetails(
            exc.message,
            code=exc.code,
            field="payer_iban",
            errors=[{"field": "payer_iban", "message": exc.message, "code": exc.code}],
        ) from None


async def _facts(
    session: AsyncSession,
    settings: Settings,
    deposit: Deposit,
    amount: int,
    currency: str,
    received_at: datetime,
) -> aml.DepositFacts:
    entity = await onboarding.find_entity(session, deposit.entity_id)
    legal_name = entity.legal_name if entity is not None else None
    jurisdictions = [c for c in (entity.jurisdiction, entity.country) if c] if entity else []
    verified = set(
        (
            await session.scalars(
                select(BankAccount.iban).where(
                    BankAccount.entity_id == deposit.entity_id,
                    BankAccount.status == BankAccountStatus.VERIFIED,
                    BankAccount.deleted_at.is_(None),
                )
            )
        ).all()
    )
    if deposit.bank_account_id is not None:
        announced = await session.get(BankAccount, deposit.bank_account_id)
        if announced is not None:
            verified.add(announced.iban)
    previous = await session.scalar(
        select(func.count())
        .select_from(Deposit)
        .where(
            Deposit.entity_id == deposit.entity_id,
            Deposit.id != deposit.id,
            Deposit.status.in_(RECEIVED_STATUSES),
        )
    )
    window = timedelta(days=settings.aml_structuring_window_days)
    recent = (
        await session.scalars(
            select(Deposit.actual_amount).where(
                Deposit.entity_id == deposit.entity_id,
                Deposit.id != deposit.id,
                Deposit.status.in_(RECEIVED_STATUSES),
                Deposit.actual_currency == currency,
                Deposit.received_at > received_at - window,
                Deposit.received_at <= received_at + window,
            )
        )
    ).all()
    return aml.DepositFacts(
        amount=amount,
        currency=currency,
        announced_amount=deposit.announced_amount,
        announced_currency=deposit.currency if deposit.announced_amount is not None else None,
        payer_name_matches=names_match(deposit.payer_name, legal_name)
        if deposit.payer_name
        else None,
        payer_iban_known=(deposit.payer_iban in verified) if deposit.payer_iban else None,
        entity_jurisdictions=jurisdictions,
        payer_country=deposit.payer_iban[:2] if deposit.payer_iban else None,
        first_deposit=not previous,
        recent_amounts=[a for a in recent if a is not None],
    )


async def _receive(
    session: AsyncSession,
    settings: Settings,
    deposit: Deposit,
    receipt: Receipt,
    *,
    staff_id: uuid.UUID,
    actor: Actor,
) -> AmlHold:
    """Book the received wire on hold: ``bank -> on_hold``, and open its AML hold."""
    currency = check_currency(settings, receipt.actual_currency, "actual_currency")
    units = await parse_money(
        session,
        receipt.actual_amount,
        currency,
        max_amount=settings.funding_max_deposit,
        field="actual_amount",
    )
    now = utcnow()
    received_at = receipt.received_at
    if received_at > now + CLOCK_SKEW:
        raise InvalidDate("The receipt time is in the future", field="received_at")
    if received_at < now - MAX_RECEIPT_AGE:
        raise InvalidDate("The receipt time is more than a year ago", field="received_at")
    deposit.actual_amount = units
    deposit.actual_currency = currency
    deposit.received_at = received_at
    deposit.payer_name = receipt.payer_name or None
    deposit.payer_iban = _checked_payer_iban(receipt.payer_iban)
    deposit.admin_notes = receipt.admin_notes or None
    deposit.confirmed_by = staff_id
    deposit.confirmed_at = now
    deposit.status = DepositStatus.ON_HOLD
    deposit.history = [*deposit.history, history_entry(DepositStatus.ON_HOLD, now, actor)]
    deposit.updated_at = now

    the_rules = rules(settings)
    assessment = aml.assess(
        await _facts(session, settings, deposit, units, currency, received_at), the_rules
    )
    flagged = bool(assessment.flags)
    hold = AmlHold(
        id=new_id(),
        deposit_id=deposit.id,
        entity_id=deposit.entity_id,
        currency=currency,
        amount=units,
        status=HoldStatus.ACTIVE,
        reasons=[r.value for r in assessment.reasons],
        flags=[{"code": f.code.value, "detail": f.detail} for f in assessment.flags],
        flagged=flagged,
        releases_required=2 if aml.needs_two_releases(units, flagged, the_rules) else 1,
        expires_at=now + assessment.hold,
        extensions=[],
        created_at=now,
        updated_at=now,
    )
    session.add(hold)
    await session.flush()
    await ledger.transfer(
        session,
        AccountKey.platform(currency, Bucket.BANK),
        AccountKey.entity(deposit.entity_id, currency, Bucket.ON_HOLD),
        units,
        kind=KIND_DEPOSIT,
        key=f"deposit:{deposit.id}:received",
        reference_type=REF_DEPOSIT,
        reference_id=str(deposit.id),
    )
    await audit.record(
        session, actor, "aml_hold_opened", HOLD_RESOURCE, hold.id, after=_hold_snapshot(hold)
    )
    await _publish(
        session,
        deposit,
        "deposit.received",
        "Deposit received",
        f"{deposit.reference_code} was received and is on hold for compliance checks.",
    )
    # Staff only: a client never learns about flags (no tipping off).
    await emit(
        session,
        "backoffice",
        "aml_hold.opened",
        {
            "kind": "aml_hold",
            "id": str(hold.id),
            "deposit_id": str(deposit.id),
            "entity_id": str(deposit.entity_id),
            "status": hold.status,
            "flagged": hold.flagged,
        },
    )
    return hold


async def confirm_deposit(
    session: AsyncSession,
    settings: Settings,
    deposit_id: uuid.UUID,
    receipt: Receipt,
    *,
    staff_id: uuid.UUID,
    actor: Actor,
) -> tuple[Deposit, AmlHold]:
    """PENDING -> ON_HOLD with the amount actually received."""
    deposit = await _lock_deposit(session, deposit_id)
    if deposit.status != DepositStatus.PENDING:
        raise transition_error("deposit", deposit.status, "confirmed")
    before = _snapshot(deposit)
    hold = await _receive(session, settings, deposit, receipt, staff_id=staff_id, actor=actor)
    await audit.record(
        session,
        actor,
        "deposit_confirmed",
        DEPOSIT_RESOURCE,
        deposit.id,
        before=before,
        after=_snapshot(deposit),
    )
    return deposit, hold


async def record_unannounced_deposit(
    session: AsyncSession,
    settings: Settings,
    *,
    entity_id: uuid.UUID,
    receipt: Receipt,
    wire_reference: str | None,
    staff_id: uuid.UUID,
    actor: Actor,
) -> tuple[Deposit, AmlHold]:
    """A wire that arrived without an announcement, booked for ``entity_id`` (ON_HOLD)."""
    entity = await onboarding.find_entity(session, entity_id)
    if entity is None:
        raise onboarding.EntityNotFound()
    currency = check_currency(settings, receipt.actual_currency, "actual_currency")
    now = utcnow()
    deposit = Deposit(
        id=new_id(),
        entity_id=entity.id,
        reference_code=await _new_reference(session),
        status=DepositStatus.PENDING,
        currency=currency,
        announced_amount=None,
        wire_reference=wire_reference,
        history=[],
        created_at=now,
        updated_at=now,
    )
    session.add(deposit)
    await session.flush()
    hold = await _receive(session, settings, deposit, receipt, staff_id=staff_id, actor=actor)
    await audit.record(
        session,
        actor,
        "deposit_recorded",
        DEPOSIT_RESOURCE,
        deposit.id,
        after=_snapshot(deposit),
    )
    return deposit, hold


async def reject_deposit(
    session: AsyncSession,
    deposit_id: uuid.UUID,
    *,
    staff_id: uuid.UUID,
    reason: str,
    actor: Actor,
) -> Deposit:
    """A PENDING deposit that will not be booked (no money moved). Received money is
    returned by rejecting its hold instead."""
    deposit = await _lock_deposit(session, deposit_id)
    if deposit.status != DepositStatus.PENDING:
        raise transition_error("deposit", deposit.status, "rejected")
    before = _snapshot(deposit)
    now = utcnow()
    deposit.status = DepositStatus.REJECTED
    deposit.rejection_reason = reason
    deposit.decided_by = staff_id
    deposit.decided_at = now
    deposit.history = [*deposit.history, history_entry(deposit.status, now, actor, reason)]
    deposit.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor,
        "deposit_rejected",
        DEPOSIT_RESOURCE,
        deposit.id,
        before=before,
        after=_snapshot(deposit),
    )
    await _publish(
        session,
        deposit,
        "deposit.rejected",
        "Deposit rejected",
        f"{deposit.reference_code} was rejected: {reason}",
    )
    return deposit


# --------------------------------------------------------------------------- staff: holds


@dataclass(frozen=True)
class HoldFilter:
    status: str | None = None
    flagged: bool | None = None
    expiring_within: timedelta | None = None
    entity_id: uuid.UUID | None = None


async def list_holds(
    session: AsyncSession, f: HoldFilter, page: PageParams
) -> tuple[list[AmlHold], str | None, dict[uuid.UUID, Deposit], dict[uuid.UUID, str | None]]:
    """Soonest expiry first (the order they come due), with their deposits and entities."""
    stmt = select(AmlHold)
    if f.status is not None:
        stmt = stmt.where(AmlHold.status == f.status)
    if f.flagged is not None:
        stmt = stmt.where(AmlHold.flagged.is_(f.flagged))
    if f.expiring_within is not None:
        stmt = stmt.where(
            AmlHold.status == HoldStatus.ACTIVE,
            AmlHold.expires_at <= utcnow() + f.expiring_within,
        )
    if f.entity_id is not None:
        stmt = stmt.where(AmlHold.entity_id == f.entity_id)
    stmt = keyset_page(
        stmt,
        [AmlHold.expires_at, AmlHold.id],
        page,
        descending=False,
        parse=[datetime.fromisoformat, uuid.UUID],
    )
    rows = list((await session.scalars(stmt)).all())
    items, cursor = build_page(rows, page, lambda r: [r.expires_at, r.id])
    deposits: dict[uuid.UUID, Deposit] = {}
    if items:
        found = await session.scalars(
            select(Deposit).where(Deposit.id.in_([h.deposit_id for h in items]))
        )
        deposits = {d.id: d for d in found.all()}
    names = await onboarding.entity_names(session, {h.entity_id for h in items})
    return items, cursor, deposits, names


async def _lock_hold(session: AsyncSession, hold_id: uuid.UUID) -> AmlHold:
    row = await session.get(AmlHold, hold_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise HoldNotFound()
    return row


async def get_hold(session: AsyncSession, hold_id: uuid.UUID) -> AmlHold:
    row = await session.get(AmlHold, hold_id)
    if row is None:
        raise HoldNotFound()
    return row


async def _clear(
    session: AsyncSession, hold: AmlHold, *, released_by: uuid.UUID | None, actor: Actor
) -> None:
    """ACTIVE -> CLEARED: ``on_hold -> available``; the deposit is CLEARED."""
    deposit = await _lock_deposit(session, hold.deposit_id)
    before = _hold_snapshot(hold)
    now = utcnow()
    await ledger.move(
        session,
        hold.entity_id,
        hold.currency,
        Bucket.ON_HOLD,
        Bucket.AVAILABLE,
        hold.amount,
        kind=KIND_DEPOSIT_CLEARED,
        key=f"deposit:{deposit.id}:cleared",
        reference_type=REF_DEPOSIT,
        reference_id=str(deposit.id),
    )
    hold.status = HoldStatus.CLEARED
    hold.released_by = released_by
    hold.released_at = now
    hold.updated_at = now
    deposit.status = DepositStatus.CLEARED
    deposit.history = [*deposit.history, history_entry(deposit.status, now, actor)]
    deposit.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor,
        "aml_hold_released",
        HOLD_RESOURCE,
        hold.id,
        before=before,
        after=_hold_snapshot(hold),
    )
    await _publish(
        session,
        deposit,
        "deposit.cleared",
        "Funds available",
        f"{deposit.reference_code}: the funds are now available.",
    )


async def release_hold(
    session: AsyncSession, hold_id: uuid.UUID, *, staff_id: uuid.UUID, actor: Actor
) -> AmlHold:
    """Release by staff. A hold needing two people records the first release and waits for
    a second, different person (``same_approver`` when the same one tries again)."""
    hold = await _lock_hold(session, hold_id)
    if hold.status != HoldStatus.ACTIVE:
        raise transition_error("hold", hold.status, "released")
    if hold.releases_required >= 2 and hold.first_release_by is None:
        before = _hold_snapshot(hold)
        now = utcnow()
        hold.first_release_by = staff_id
        hold.first_release_at = now
        hold.updated_at = now
        await session.flush()
        await audit.record(
            session,
            actor,
            "aml_hold_release_approved",
            HOLD_RESOURCE,
            hold.id,
            before=before,
            after=_hold_snapshot(hold),
        )
        # The backoffice only: nothing changed for the client yet.
        await emit(
            session,
            "backoffice",
            "aml_hold.release_approved",
            {
                "kind": "aml_hold",
                "id": str(hold.id),
                "deposit_id": str(hold.deposit_id),
                "entity_id": str(hold.entity_id),
                "status": hold.status,
            },
        )
        return hold
    if hold.first_release_by == staff_id:
        raise SameApprover(
            "You gave the first release; a second, different staff member must release it"
        )
    await _clear(session, hold, released_by=staff_id, actor=actor)
    return hold


async def extend_hold(
    session: AsyncSession,
    hold_id: uuid.UUID,
    *,
    staff_id: uuid.UUID,
    until: datetime,
    reason: str,
    actor: Actor,
) -> AmlHold:
    hold = await _lock_hold(session, hold_id)
    if hold.status != HoldStatus.ACTIVE:
        raise transition_error("hold", hold.status, "extended")
    now = utcnow()
    if until <= hold.expires_at or until <= now:
        raise InvalidExtension("The new expiry must be later than the current one", field="until")
    if until > now + MAX_EXTENSION:
        raise InvalidExtension("A hold can be extended by at most a year", field="until")
    before = _hold_snapshot(hold)
    hold.extensions = [
        *hold.extensions,
        {
            "from": isoformat_z(hold.expires_at),
            "until": isoformat_z(until),
            "reason": reason,
            "by": str(staff_id),
            "at": isoformat_z(now),
        },
    ]
    hold.expires_at = until
    hold.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor,
        "aml_hold_extended",
        HOLD_RESOURCE,
        hold.id,
        before=before,
        after={**_hold_snapshot(hold), "reason": reason},
    )
    await emit(
        session,
        "backoffice",
        "aml_hold.extended",
        {
            "kind": "aml_hold",
            "id": str(hold.id),
            "deposit_id": str(hold.deposit_id),
            "entity_id": str(hold.entity_id),
            "status": hold.status,
            "expires_at": isoformat_z(until),
        },
    )
    return hold


async def reject_hold(
    session: AsyncSession,
    hold_id: uuid.UUID,
    *,
    staff_id: uuid.UUID,
    reason: str,
    actor: Actor,
) -> tuple[AmlHold, DepositReturn]:
    """ACTIVE -> REJECTED: the money goes back (``on_hold -> bank``, a return record) and the
    deposit is RETURNED."""
    hold = await _lock_hold(session, hold_id)
    if hold.status != HoldStatus.ACTIVE:
        raise transition_error("hold", hold.status, "rejected")
    deposit = await _lock_deposit(session, hold.deposit_id)
    before = _hold_snapshot(hold)
    now = utcnow()
    batch = await ledger.transfer(
        session,
        AccountKey.entity(hold.entity_id, hold.currency, Bucket.ON_HOLD),
        AccountKey.platform(hold.currency, Bucket.BANK),
        hold.amount,
        kind=KIND_DEPOSIT_RETURNED,
        key=f"deposit:{deposit.id}:returned",
        reference_type=REF_DEPOSIT,
        reference_id=str(deposit.id),
    )
    return_to = deposit.payer_iban
    if return_to is None and deposit.bank_account_id is not None:
        account = await session.get(BankAccount, deposit.bank_account_id)
        return_to = account.iban if account is not None else None
    returned = DepositReturn(
        id=new_id(),
        deposit_id=deposit.id,
        hold_id=hold.id,
        entity_id=hold.entity_id,
        currency=hold.currency,
        amount=hold.amount,
        return_to_iban=return_to,
        reason=reason,
        ledger_transfer_id=batch.transfers[0].id,
        created_by=staff_id,
        created_at=now,
    )
    session.add(returned)
    hold.status = HoldStatus.REJECTED
    hold.rejection_reason = reason
    hold.rejected_by = staff_id
    hold.rejected_at = now
    hold.updated_at = now
    deposit.status = DepositStatus.RETURNED
    deposit.rejection_reason = reason
    deposit.decided_by = staff_id
    deposit.decided_at = now
    deposit.history = [*deposit.history, history_entry(deposit.status, now, actor, reason)]
    deposit.updated_at = now
    await session.flush()
    await audit.record(
        session,
        actor,
        "aml_hold_rejected",
        HOLD_RESOURCE,
        hold.id,
        before=before,
        after={**_hold_snapshot(hold), "reason": reason, "return_id": str(returned.id)},
    )
    await _publish(
        session,
        deposit,
        "deposit.returned",
        "Deposit returned",
        f"{deposit.reference_code} will be returned to the sender.",
    )
    return hold, returned


async def expire_announcements(
    session: AsyncSession, settings: Settings, *, limit: int = 200
) -> int:
    """Cancel announced deposits (PENDING) older than ``funding_deposit_announcement_days``
    whose wire never arrived (the periodic job): no money moved, so only the status
    changes -- with a note on the timeline, an audit record and a ``deposit.expired``
    event for the client. A wire that arrives later is booked as an unannounced one.
    Skips rows another transaction holds (a confirmation under way wins)."""
    days = settings.funding_deposit_announcement_days
    cutoff = utcnow() - timedelta(days=days)
    # Locked as they are read, still PENDING: one statement for the whole batch.
    rows = (
        await session.scalars(
            select(Deposit)
            .where(Deposit.status == DepositStatus.PENDING, Deposit.created_at <= cutoff)
            .order_by(Deposit.created_at, Deposit.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    ).all()
    actor = Actor.system("deposit-expiry")
    note = f"No wire arrived within {days} days of the announcement."
    for row in rows:
        await _cancel(
            session,
            row,
            actor,
            "deposit_expired",
            "deposit.expired",
            note=note,
            title="Deposit announcement expired",
            message=f"{row.reference_code} expired: {note} Announce a new deposit before you wire.",
        )
    return len(rows)


async def clear_expired_holds(session: AsyncSession, *, limit: int = 200) -> int:
    """Clear unflagged ACTIVE holds whose time is up (the periodic job); skips rows another
    transaction holds, so concurrent runs and staff actions never block or double-book."""
    ids = (
        await session.scalars(
            select(AmlHold.id)
            .where(
                AmlHold.status == HoldStatus.ACTIVE,
                AmlHold.flagged.is_(False),
                AmlHold.expires_at <= utcnow(),
            )
            .order_by(AmlHold.expires_at, AmlHold.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    actor = Actor.system("aml-hold-expiry")
    for hold_id in ids:
        hold = await _lock_hold(session, hold_id)
        if hold.status == HoldStatus.ACTIVE and not hold.flagged:
            await _clear(session, hold, released_by=None, actor=actor)
    return len(ids)


async def deposit_returns(session: AsyncSession, deposit_id: uuid.UUID) -> DepositReturn | None:
    return await session.scalar(select(DepositReturn).where(DepositReturn.deposit_id == deposit_id))
