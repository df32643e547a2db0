"""Clients' bank accounts (withdrawals go only to a VERIFIED one) and their verification.

A client adds an account (PENDING_VERIFICATION), may edit it while unverified, delete it
unless an open withdrawal uses it, and pick a primary one. Staff verify it with a proof
document (stored like KYC files) or reject it. An account whose holder name does not
match the entity's legal name carries ``name_mismatch`` for the reviewer.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from niha.audit import service as audit
from niha.audit.service import Actor
from niha.config import Settings
from niha.core.clock import utcnow
from niha.core.errors import Conflict, DomainError
from niha.core.ids import new_id
from niha.core.pagination import PageParams, build_page, keyset_page
from niha.funding import banking
from niha.funding.common import (
    BankAccountNotFound,
    InvalidBankDetails,
    publish,
    require_entity,
    transition_error,
)
from niha.funding.models import BankAccount, Withdrawal
from niha.funding.names import names_match
from niha.kyc import files as kyc_files
from niha.kyc import service as kyc
from niha.onboarding import service as onboarding

RESOURCE = "funding_bank_account"


class BankAccountStatus:
    PENDING_VERIFICATION = "PENDING_VERIFICATION"
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"


OPEN_WITHDRAWAL_STATUSES = ("PENDING", "APPROVED", "PROCESSING")


class DuplicateBankAccount(Conflict):
    code = "duplicate_bank_account"
    title = "This bank account is already registered"


class BankAccountNotEditable(Conflict):
    code = "bank_account_not_editable"
    title = "A verified bank account cannot be changed"


class BankAccountInUse(Conflict):
    code = "bank_account_in_use"
    title = "A withdrawal in progress uses this bank account"


class BankAccountNotVerified(Conflict):
    code = "bank_account_not_verified"
    title = "The bank account is not verified"


class ProofRefused(DomainError):
    code = "file_rejected"
    title = "File refused"


@dataclass(frozen=True)
class BankAccountData:
    account_name: str
    iban: str
    swift: str
    bank_name: str
    country: str


def check_details(data: BankAccountData) -> banking.CheckedAccount:
    try:
        return banking.check_account(data.iban, data.swift, data.country)
    except banking.BankDetailsError as exc:
        raise InvalidBankDetails(
            exc.message,
            code=exc.code,
            field=exc.field,
            errors=[{"field": exc.field, "message": exc.message, "code": exc.code}],
        ) from None


def check_iban(iban: str, swift: str | None = None) -> tuple[banking.CheckedIban, str | None]:
    """For live validation while a client types: the IBAN's facts, the BIC checked against it."""
    try:
        checked = banking.check_iban(iban)
        bic = banking.check_bic(swift, checked.country) if swift else None
    except banking.BankDetailsError as exc:
        raise InvalidBankDetails(
            exc.message,
            code=exc.code,
            field=exc.field,
            errors=[{"field": exc.field, "message": exc.message, "code": exc.code}],
        ) from None
    return checked, bic


def _snapshot(row: BankAccount) -> dict[str, Any]:
    return {
        "entity_id": str(row.entity_id),
        "account_name": row.account_name,
        "iban": row.iban,
        "bic": row.bic,
        "bank_name": row.bank_name,
        "country": row.country,
        "status": row.status,
        "is_primary": row.is_primary,
        "name_mismatch": row.name_mismatch,
    }


def _event(row: BankAccount) -> dict[str, Any]:
    return {
        "kind": "bank_account",
        "id": str(row.id),
        "status": row.status,
        "iban": banking.mask_iban(row.iban),
    }


async def _name_mismatch(session: AsyncSession, entity_id: uuid.UUID, account_name: str) -> bool:
    entity = await onboarding.find_entity(session, entity_id)
    legal_name = entity.legal_name if entity is not None else None
    return not names_match(account_name, legal_name)


async def _get(
    session: AsyncSession, account_id: uuid.UUID, *, lock: bool = False, share: bool = False
) -> BankAccount:
    stmt = select(BankAccount).where(BankAccount.id == account_id, BankAccount.deleted_at.is_(None))
    if lock:
        stmt = stmt.with_for_update()
    elif share:
        stmt = stmt.with_for_update(read=True)
    row = (await session.scalars(stmt.execution_options(populate_existing=True))).first()
    if row is None:
        raise BankAccountNotFound()
    return row


async def own_account(
    session: AsyncSession,
    account_id: uuid.UUID,
    entity_id: uuid.UUID | None,
    *,
    lock: bool = False,
    share: bool = False,
) -> BankAccount:
    """The entity's account (any other id: 404)."""
    row = await _get(session, account_id, lock=lock, share=share)
    if entity_id is None or row.entity_id != entity_id:
        raise BankAccountNotFound()
    return row


async def _flush_unique(session: AsyncSession) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        if "uq_funding_bank_account_entity_iban" in str(exc.orig):
            raise DuplicateBankAccount(
                "You have already registered this IBAN", field="iban"
            ) from None
        if "uq_funding_bank_account_primary" in str(exc.orig):
            raise Conflict(
                "Another change to your bank accounts happened at the same time; try again",
                code="concurrent_update",
            ) from None
        raise


async def create_bank_account(
    session: AsyncSession,
    *,
    entity_id: uuid.UUID | None,
    user_id: uuid.UUID,
    data: BankAccountData,
    actor: Actor,
) -> BankAccount:
    entity = require_entity(entity_id)
    if await onboarding.find_entity(session, entity) is None:
        raise BankAccountNotFound("Create your organisation's profile first")
    checked = check_details(data)
    duplicate = await session.scalar(
        select(BankAccount.id).where(
            BankAccount.entity_id == entity,
            BankAccount.iban == checked.iban,
            BankAccount.deleted_at.is_(None),
        )
    )
    if duplicate is not None:
        raise DuplicateBankAccount("You have already registered this IBAN", field="iban")
    now = utcnow()
    has_primary = await session.scalar(
        select(BankAccount.id).where(
            BankAccount.entity_id == entity,
            BankAccount.is_primary,
            BankAccount.deleted_at.is_(None),
        )
    )
    row = BankAccount(
        id=new_id(),
        entity_id=entity,
        account_name=data.account_name,
        iban=checked.iban,
        bic=checked.bic,
        bank_name=data.bank_name,
        country=checked.country,
        status=BankAccountStatus.PENDING_VERIFICATION,
        is_primary=has_primary is None,
        name_mismatch=await _name_mismatch(session, entity, data.account_name),
        created_by=user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await _flush_unique(session)
    await audit.record(session, actor, "bank_account_added", RESOURCE, row.id, after=_snapshot(row))
    await publish(
        session,
        entity,
        "bank_account.added",
        _event(row),
        title="Bank account added",
        message=f"{banking.mask_iban(row.iban)} is waiting for verification.",
    )
    return row


async def list_bank_accounts(
    session: AsyncSession, entity_id: uuid.UUID | None
) -> list[BankAccount]:
    if entity_id is None:
        return []
    rows = await session.scalars(
        select(BankAccount)
        .where(BankAccount.entity_id == entity_id, BankAccount.deleted_at.is_(None))
        .order_by(BankAccount.is_primary.desc(), BankAccount.created_at, BankAccount.id)
    )
    return list(rows.all())


async def update_bank_account(
    session: AsyncSession,
    account_id: uuid.UUID,
    *,
    entity_id: uuid.UUID | None,
    data: BankAccountData,
    actor: Actor,
) -> BankAccount:
    """Change an unverified account; a rejected one goes back to PENDING_VERIFICATION."""
    row = await own_account(session, account_id, entity_id, lock=True)
    if row.status == BankAccountStatus.VERIFIED:
        raise BankAccountNotEditable(
            "A verified account cannot be edited; add a new one instead",
            status_value=row.status,
        )
    checked = check_details(data)
    before = _snapshot(row)
    row.account_name = data.account_name
    row.iban = checked.iban
    row.bic = checked.bic
    row.bank_name = data.bank_name
    row.country = checked.country
    row.status = BankAccountStatus.PENDING_VERIFICATION
    row.name_mismatch = await _name_mismatch(session, row.entity_id, data.account_name)
    row.rejection_reason = None
    row.rejected_by = None
    row.rejected_at = None
    row.updated_at = utcnow()
    await _flush_unique(session)
    await audit.record(
        session,
        actor,
        "bank_account_updated",
        RESOURCE,
        row.id,
        before=before,
        after=_snapshot(row),
    )
    await publish(
        session,
        row.entity_id,
        "bank_account.updated",
        _event(row),
        title="Bank account updated",
        message=f"{banking.mask_iban(row.iban)} is waiting for verification.",
    )
    return row


async def _open_withdrawal(session: AsyncSession, account_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(
        select(Withdrawal.id)
        .where(
            Withdrawal.bank_account_id == account_id,
            Withdrawal.status.in_(OPEN_WITHDRAWAL_STATUSES),
        )
        .limit(1)
    )


async def delete_bank_account(
    session: AsyncSession, account_id: uuid.UUID, *, entity_id: uuid.UUID | None, actor: Actor
) -> None:
    """Remove an account (kept for the record) unless a withdrawal in progress goes to it."""
    row = await own_account(session, account_id, entity_id, lock=True)
    in_use = await _open_withdrawal(session, row.id)
    if in_use is not None:
        raise BankAccountInUse(
            "Wait until the withdrawal to this account is finished, or cancel it",
            withdrawal_id=str(in_use),
        )
    before = _snapshot(row)
    row.deleted_at = utcnow()
    row.updated_at = row.deleted_at
    was_primary = row.is_primary
    row.is_primary = False
    await session.flush()
    if was_primary:  # the oldest remaining verified (else any) account becomes primary
        rest = [r for r in await list_bank_accounts(session, row.entity_id) if r.id != row.id]
        rest.sort(key=lambda r: (r.status != BankAccountStatus.VERIFIED, r.created_at))
        if rest:
            rest[0].is_primary = True
            await session.flush()
    await audit.record(session, actor, "bank_account_deleted", RESOURCE, row.id, before=before)
    await publish(
        session,
        row.entity_id,
        "bank_account.deleted",
        _event(row),
        title="Bank account removed",
        message=f"{banking.mask_iban(row.iban)} was removed.",
    )


async def set_primary(
    session: AsyncSession, account_id: uuid.UUID, *, entity_id: uuid.UUID | None, actor: Actor
) -> BankAccount:
    row = await own_account(session, account_id, entity_id, lock=True)
    if row.status == BankAccountStatus.REJECTED:
        raise transition_error("bank account", row.status, "made primary")
    if not row.is_primary:
        await session.execute(
            update(BankAccount)
            .where(
                BankAccount.entity_id == row.entity_id,
                BankAccount.is_primary,
                BankAccount.id != row.id,
            )
            .values(is_primary=False, updated_at=utcnow())
        )
        await session.flush()
        row.is_primary = True
        row.updated_at = utcnow()
        await session.flush()
        await audit.record(
            session, actor, "bank_account_primary_set", RESOURCE, row.id, after=_snapshot(row)
        )
    return row


# --------------------------------------------------------------------------- staff


@dataclass(frozen=True)
class BankAccountFilter:
    status: str | None = None
    entity_id: uuid.UUID | None = None
    verified_from: datetime | None = None
    verified_to: datetime | None = None


def _filtered(f: BankAccountFilter) -> Select[Any]:
    stmt = select(BankAccount).where(BankAccount.deleted_at.is_(None))
    if f.status is not None:
        stmt = stmt.where(BankAccount.status == f.status)
    if f.entity_id is not None:
        stmt = stmt.where(BankAccount.entity_id == f.entity_id)
    if f.verified_from is not None:
        stmt = stmt.where(BankAccount.verified_at >= f.verified_from)
    if f.verified_to is not None:
        stmt = stmt.where(BankAccount.verified_at < f.verified_to)
    return stmt


async def admin_list(
    session: AsyncSession, f: BankAccountFilter, page: PageParams
) -> tuple[list[BankAccount], str | None, dict[uuid.UUID, str | None]]:
    """Oldest first (a verification queue with ``?status=PENDING_VERIFICATION``)."""
    stmt = keyset_page(
        _filtered(f),
        [BankAccount.created_at, BankAccount.id],
        page,
        descending=False,
        parse=[datetime.fromisoformat, uuid.UUID],
    )
    rows = list((await session.scalars(stmt)).all())
    items, cursor = build_page(rows, page, lambda r: [r.created_at, r.id])
    names = await onboarding.entity_names(session, {r.entity_id for r in items})
    return items, cursor, names


async def get_for_staff(session: AsyncSession, account_id: uuid.UUID) -> BankAccount:
    return await _get(session, account_id)


async def verify_bank_account(
    session: AsyncSession,
    settings: Settings,
    account_id: uuid.UUID,
    *,
    staff_id: uuid.UUID,
    filename: str | None,
    data: bytes,
    notes: str | None,
    actor: Actor,
) -> BankAccount:
    """PENDING_VERIFICATION -> VERIFIED, with the proof (bank letter, statement) stored like
    KYC files: the same content checks (PDF, PNG or JPEG) and the same store."""
    row = await _get(session, account_id, lock=True)
    if row.status != BankAccountStatus.PENDING_VERIFICATION:
        raise transition_error("bank account", row.status, "verified")
    try:
        content_type = kyc_files.inspect(data, settings.kyc_max_upload_bytes)
    except kyc_files.FileRefusal as refusal:
        raise ProofRefused(
            refusal.message,
            code=refusal.code,
            status=refusal.status,
            field="file",
            errors=[{"field": "file", "message": refusal.message, "code": refusal.code}],
        ) from None
    store = kyc.store(settings)
    key = await store.write(row.entity_id, data)
    try:
        before = _snapshot(row)
        now = utcnow()
        row.status = BankAccountStatus.VERIFIED
        row.proof_storage_key = key
        row.proof_filename = kyc_files.safe_filename(filename, content_type)
        row.proof_content_type = content_type
        row.proof_size_bytes = len(data)
        row.proof_sha256 = hashlib.sha256(data).hexdigest()
        row.verification_notes = notes
        row.verified_by = staff_id
        row.verified_at = now
        row.updated_at = now
        await session.flush()
        await audit.record(
            session,
            actor,
            "bank_account_verified",
            RESOURCE,
            row.id,
            before=before,
            after={**_snapshot(row), "proof_sha256": row.proof_sha256, "notes": notes},
        )
        await publish(
            session,
            row.entity_id,
            "bank_account.verified",
            _event(row),
            title="Bank account verified",
            message=f"{banking.mask_iban(row.iban)} can now receive withdrawals.",
        )
    except BaseException:
        await store.delete(key)
        raise
    return row


async def reject_bank_account(
    session: AsyncSession, account_id: uuid.UUID, *, staff_id: uuid.UUID, reason: str, actor: Actor
) -> BankAccount:
    row = await _get(session, account_id, lock=True)
    if row.status != BankAccountStatus.PENDING_VERIFICATION:
        raise transition_error("bank account", row.status, "rejected")
    before = _snapshot(row)
    now = utcnow()
    row.status = BankAccountStatus.REJECTED
    row.rejection_reason = reason
    row.rejected_by = staff_id
    row.rejected_at = now
    row.updated_at = now
    if row.is_primary:
        row.is_primary = False
    await session.flush()
    await audit.record(
        session,
        actor,
        "bank_account_rejected",
        RESOURCE,
        row.id,
        before=before,
        after={**_snapshot(row), "reason": reason},
    )
    await publish(
        session,
        row.entity_id,
        "bank_account.rejected",
        {**_event(row), "reason": reason},
        title="Bank account rejected",
        message=f"{banking.mask_iban(row.iban)} could not be verified: {reason}",
    )
    return row


@dataclass(frozen=True)
class ProofFile:
    path: str
    filename: str
    content_type: str


async def proof_file(session: AsyncSession, settings: Settings, account_id: uuid.UUID) -> ProofFile:
    row = await _get(session, account_id)
    if row.proof_storage_key is None or row.proof_content_type is None:
        raise BankAccountNotFound("This bank account has no proof document")
    store = kyc.store(settings)
    if not store.exists(row.proof_storage_key):
        raise BankAccountNotFound("The proof document is no longer available")
    return ProofFile(
        path=str(store.path(row.proof_storage_key)),
        filename=row.proof_filename or "proof",
        content_type=row.proof_content_type,
    )
