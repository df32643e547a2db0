"""HTTP routes of funding: clients' bank accounts, deposits, withdrawals and history; staff
deposit handling, AML holds, withdrawal approval and bank-account verification."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse, StreamingResponse

from niha.core.clock import as_utc, isoformat_z, utcnow
from niha.core.db import Database
from niha.core.deps import SessionDep, SettingsDep, get_db
from niha.core.pagination import Page, PageParams, page_params
from niha.funding import service
from niha.funding.common import InvalidBankDetails, check_currency, parse_money, require_entity
from niha.funding.schemas import (
    AdminDepositOut,
    AdminWithdrawalOut,
    BankAccountIn,
    BankAccountOut,
    BankAccountStatusValue,
    DepositAnnounceIn,
    DepositConfirmIn,
    DepositOut,
    DepositRecordIn,
    DepositStatusValue,
    HoldExtendIn,
    HoldOut,
    HoldStatusValue,
    IbanCheckIn,
    IbanCheckOut,
    ReasonIn,
    TransactionOut,
    TransactionType,
    WithdrawalCompleteIn,
    WithdrawalOut,
    WithdrawalRequestIn,
    WithdrawalStatusValue,
)
from niha.identity.access import Permission, Principal, require
from niha.ledger import service as ledger

client_router = APIRouter(prefix="/funding", tags=["funding"])
admin_router = APIRouter(prefix="/admin", tags=["funding"])

FundingReader = Annotated[Principal, Depends(require(Permission.FUNDING_READ))]
FundingManager = Annotated[Principal, Depends(require(Permission.FUNDING_MANAGE))]
OpsReader = Annotated[Principal, Depends(require(Permission.FUNDING_OPS_READ))]
DepositsManager = Annotated[Principal, Depends(require(Permission.DEPOSITS_MANAGE))]
AmlReviewer = Annotated[Principal, Depends(require(Permission.AML_REVIEW))]
AccountsVerifier = Annotated[Principal, Depends(require(Permission.BANK_ACCOUNTS_VERIFY))]
WithdrawalsApprover = Annotated[Principal, Depends(require(Permission.WITHDRAWALS_APPROVE))]
WithdrawalsExecutor = Annotated[Principal, Depends(require(Permission.WITHDRAWALS_EXECUTE))]
Paging = Annotated[PageParams, Depends(page_params)]


def _account_data(body: BankAccountIn) -> service.BankAccountData:
    return service.BankAccountData(
        account_name=body.account_name,
        iban=body.iban,
        swift=body.swift,
        bank_name=body.bank_name,
        country=body.country.upper(),
    )


def _receipt(body: DepositConfirmIn) -> service.Receipt:
    return service.Receipt(
        actual_amount=body.actual_amount,
        actual_currency=body.actual_currency,
        received_at=body.received_at,
        admin_notes=body.admin_notes or None,
        payer_name=body.payer_name or None,
        payer_iban=body.payer_iban or None,
    )


# =========================================================================== client


@client_router.get("/bank-accounts", response_model=Page[BankAccountOut])
async def my_bank_accounts(principal: FundingReader, session: SessionDep) -> Page[BankAccountOut]:
    """The entity's bank accounts, the primary one first (a short list: one page)."""
    rows = await service.list_bank_accounts(session, principal.entity_id)
    return Page(items=[BankAccountOut.of(r) for r in rows], next_cursor=None)


@client_router.post("/bank-accounts", response_model=BankAccountOut, status_code=201)
async def add_bank_account(
    body: BankAccountIn, request: Request, principal: FundingManager, session: SessionDep
) -> BankAccountOut:
    """Register an account (PENDING_VERIFICATION). Refusals: ``invalid_iban*``,
    ``invalid_bic``, ``bic_country_mismatch``, ``country_mismatch`` (422),
    ``duplicate_bank_account`` (409)."""
    row = await service.create_bank_account(
        session,
        entity_id=principal.entity_id,
        user_id=principal.user_id,
        data=_account_data(body),
        actor=principal.actor(request),
    )
    return BankAccountOut.of(row)


@client_router.post("/bank-accounts/validate-iban", response_model=IbanCheckOut)
async def validate_iban(body: IbanCheckIn, _: FundingReader) -> IbanCheckOut:
    """Check an IBAN (and optionally a BIC against it) while it is typed; nothing is stored."""
    try:
        checked, bic = service.check_iban(body.iban, body.swift)
    except InvalidBankDetails as exc:
        extra = exc.extra
        return IbanCheckOut(
            valid=False,
            code=exc.code,
            field=str(extra.get("field", "iban")),
            message=exc.detail,
            swift_valid=False if extra.get("field") == "swift" else None,
        )
    return IbanCheckOut(
        valid=True,
        iban=checked.iban,
        formatted=checked.formatted,
        country=checked.country,
        bank_name=checked.bank_name,
        bic=checked.bic,
        swift_valid=True if bic else None,
    )


@client_router.put("/bank-accounts/{account_id}", response_model=BankAccountOut)
async def update_bank_account(
    account_id: uuid.UUID,
    body: BankAccountIn,
    request: Request,
    principal: FundingManager,
    session: SessionDep,
) -> BankAccountOut:
    """Only an unverified account (``bank_account_not_editable`` otherwise)."""
    row = await service.update_bank_account(
        session,
        account_id,
        entity_id=principal.entity_id,
        data=_account_data(body),
        actor=principal.actor(request),
    )
    return BankAccountOut.of(row)


@client_router.delete("/bank-accounts/{account_id}", status_code=204, response_class=Response)
async def delete_bank_account(
    account_id: uuid.UUID, request: Request, principal: FundingManager, session: SessionDep
) -> Response:
    """Refused (``bank_account_in_use``) while a withdrawal in progress goes to it."""
    await service.delete_bank_account(
        session, account_id, entity_id=principal.entity_id, actor=principal.actor(request)
    )
    return Response(status_code=204)


@client_router.post("/bank-accounts/{account_id}/primary", response_model=BankAccountOut)
async def set_primary_bank_account(
    account_id: uuid.UUID, request: Request, principal: FundingManager, session: SessionDep
) -> BankAccountOut:
    row = await service.set_primary(
        session, account_id, entity_id=principal.entity_id, actor=principal.actor(request)
    )
    return BankAccountOut.of(row)


@client_router.post("/deposits/announce", response_model=DepositOut, status_code=201)
async def announce_deposit(
    body: DepositAnnounceIn,
    request: Request,
    principal: FundingManager,
    session: SessionDep,
    settings: SettingsDep,
) -> DepositOut:
    """A PENDING deposit with its ``reference_code`` and the platform's wire instructions."""
    row = await service.announce_deposit(
        session,
        settings,
        entity_id=principal.entity_id,
        user_id=principal.user_id,
        amount=body.amount,
        currency=body.currency,
        wire_reference=body.wire_reference,
        bank_account_id=body.bank_account_id,
        actor=principal.actor(request),
    )
    scales = await ledger.asset_scales(session)
    instructions = service.wire_instructions(settings, row, DepositOut.of(row, scales).amount)
    return DepositOut.of(row, scales, instructions=instructions)


@client_router.get("/deposits/my-deposits", response_model=Page[DepositOut])
async def my_deposits(
    principal: FundingReader,
    session: SessionDep,
    settings: SettingsDep,
    page: Paging,
    status: DepositStatusValue | None = None,
) -> Page[DepositOut]:
    """Newest first; PENDING ones carry their wire instructions."""
    rows, cursor = await service.my_deposits(session, principal.entity_id, status, page)
    holds = await service.holds_of(session, [d.id for d in rows])
    scales = await ledger.asset_scales(session)
    items = []
    for d in rows:
        base = DepositOut.of(d, scales)
        items.append(
            DepositOut.of(
                d,
                scales,
                hold=holds.get(d.id),
                instructions=service.wire_instructions(settings, d, base.amount),
            )
        )
    return Page(items=items, next_cursor=cursor)


@client_router.post("/deposits/{deposit_id}/cancel", response_model=DepositOut)
async def cancel_deposit(
    deposit_id: uuid.UUID, request: Request, principal: FundingManager, session: SessionDep
) -> DepositOut:
    row = await service.cancel_deposit(
        session, deposit_id, entity_id=principal.entity_id, actor=principal.actor(request)
    )
    return DepositOut.of(row, await ledger.asset_scales(session))


@client_router.post("/withdrawals/request", response_model=WithdrawalOut, status_code=201)
async def request_withdrawal(
    body: WithdrawalRequestIn,
    request: Request,
    principal: FundingManager,
    session: SessionDep,
    settings: SettingsDep,
) -> WithdrawalOut:
    """Reserve ``amount`` of the available balance for a wire to a VERIFIED account."""
    row = await service.request_withdrawal(
        session,
        settings,
        entity_id=principal.entity_id,
        user_id=principal.user_id,
        amount=body.amount,
        currency=body.currency,
        bank_account_id=body.bank_account_id,
        reason=body.reason,
        actor=principal.actor(request),
    )
    return WithdrawalOut.of(row, await ledger.asset_scales(session))


@client_router.get("/withdrawals/my-withdrawals", response_model=Page[WithdrawalOut])
async def my_withdrawals(
    principal: FundingReader,
    session: SessionDep,
    page: Paging,
    status: WithdrawalStatusValue | None = None,
) -> Page[WithdrawalOut]:
    rows, cursor = await service.my_withdrawals(session, principal.entity_id, status, page)
    scales = await ledger.asset_scales(session)
    return Page(items=[WithdrawalOut.of(w, scales) for w in rows], next_cursor=cursor)


@client_router.post("/withdrawals/{withdrawal_id}/cancel", response_model=WithdrawalOut)
async def cancel_withdrawal(
    withdrawal_id: uuid.UUID, request: Request, principal: FundingManager, session: SessionDep
) -> WithdrawalOut:
    """Only while PENDING; the funds become available again."""
    row = await service.cancel_withdrawal(
        session, withdrawal_id, entity_id=principal.entity_id, actor=principal.actor(request)
    )
    return WithdrawalOut.of(row, await ledger.asset_scales(session))


CSV_COLUMNS = [
    "date",
    "type",
    "description",
    "asset",
    "amount",
    "net_change",
    "from_bucket",
    "to_bucket",
    "status",
    "reference",
    "transfer_id",
]


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def transaction_filter(
    settings: SettingsDep,
    type: Annotated[TransactionType | None, Query()] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    currency: Annotated[str | None, Query(max_length=12)] = None,
    date_from: Annotated[datetime | None, Query(description="inclusive, ISO 8601")] = None,
    date_to: Annotated[datetime | None, Query(description="exclusive, ISO 8601")] = None,
) -> service.TransactionFilter:
    return service.TransactionFilter(
        type=type,
        status=status.upper() if status else None,
        currency=currency.upper() if currency else None,
        date_from=as_utc(date_from),
        date_to=as_utc(date_to),
    )


@client_router.get(
    "/transactions",
    response_model=Page[TransactionOut],
    responses={200: {"content": {"text/csv": {}}, "description": "JSON page, or CSV"}},
)
async def my_transactions(
    principal: FundingReader,
    session: SessionDep,
    db: Annotated[Database, Depends(get_db)],
    f: Annotated[service.TransactionFilter, Depends(transaction_filter)],
    page: Paging,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Page[TransactionOut] | StreamingResponse:
    """The entity's history from the ledger, newest first; ``?format=csv`` streams every
    matching row as CSV (paging parameters are then ignored)."""
    entity_id = require_entity(principal.entity_id)
    if format == "json":
        rows, cursor = await service.transactions(session, entity_id, f, page)
        return Page(items=[TransactionOut.of(r) for r in rows], next_cursor=cursor)

    async def lines() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        async with db.maker() as s:
            async for r in service.stream_transactions(s, entity_id, f):
                writer.writerow(
                    [
                        isoformat_z(r.created_at),
                        r.type,
                        _csv_safe(r.description),
                        r.asset,
                        r.amount,
                        r.net_change,
                        r.from_bucket,
                        r.to_bucket,
                        r.status or "",
                        _csv_safe(r.reference or ""),
                        str(r.id),
                    ]
                )
                if buffer.tell() > 64 * 1024:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    filename = f"niha-transactions-{utcnow().strftime('%Y%m%dT%H%M%SZ')}.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


# =========================================================================== staff: accounts


@admin_router.get("/bank-accounts", response_model=Page[BankAccountOut])
async def admin_bank_accounts(
    _: OpsReader,
    session: SessionDep,
    page: Paging,
    status: BankAccountStatusValue | None = None,
    entity_id: uuid.UUID | None = None,
    verified_from: Annotated[datetime | None, Query(description="inclusive")] = None,
    verified_to: Annotated[datetime | None, Query(description="exclusive")] = None,
) -> Page[BankAccountOut]:
    """Oldest first: ``?status=PENDING_VERIFICATION`` is the verification queue."""
    rows, cursor, names = await service.list_bank_accounts_for_staff(
        session,
        service.BankAccountFilter(
            status=status,
            entity_id=entity_id,
            verified_from=as_utc(verified_from),
            verified_to=as_utc(verified_to),
        ),
        page,
    )
    return Page(
        items=[BankAccountOut.of(r, names.get(r.entity_id), staff=True) for r in rows],
        next_cursor=cursor,
    )


@admin_router.post("/bank-accounts/{account_id}/verify", response_model=BankAccountOut)
async def verify_bank_account(
    account_id: uuid.UUID,
    request: Request,
    principal: AccountsVerifier,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="proof of the account: PDF, JPEG or PNG")],
    notes: Annotated[str | None, Form(max_length=2000)] = None,
) -> BankAccountOut:
    """PENDING_VERIFICATION -> VERIFIED, with the proof document (stored like KYC files)."""
    data = await file.read(settings.kyc_max_upload_bytes + 1)
    row = await service.verify_bank_account(
        session,
        settings,
        account_id,
        staff_id=principal.user_id,
        filename=file.filename,
        data=data,
        notes=(notes or "").strip() or None,
        actor=principal.actor(request),
    )
    return BankAccountOut.of(row, staff=True)


@admin_router.post("/bank-accounts/{account_id}/reject", response_model=BankAccountOut)
async def reject_bank_account(
    account_id: uuid.UUID,
    body: ReasonIn,
    request: Request,
    principal: AccountsVerifier,
    session: SessionDep,
) -> BankAccountOut:
    row = await service.reject_bank_account(
        session,
        account_id,
        staff_id=principal.user_id,
        reason=body.reason,
        actor=principal.actor(request),
    )
    return BankAccountOut.of(row, staff=True)


@admin_router.get(
    "/bank-accounts/{account_id}/proof",
    response_class=FileResponse,
    responses={200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}}}},
)
async def bank_account_proof(
    account_id: uuid.UUID, _: OpsReader, session: SessionDep, settings: SettingsDep
) -> FileResponse:
    """The proof document of a verified account (shown inline in the backoffice viewer)."""
    f = await service.proof_file(session, settings, account_id)
    return FileResponse(
        f.path,
        media_type=f.content_type,
        filename=f.filename,
        content_disposition_type="inline",
        headers={
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "X-Content-Type-Options": "nosniff",
        },
    )


# =========================================================================== staff: deposits


@admin_router.get("/deposits", response_model=Page[AdminDepositOut])
async def admin_deposits(
    _: OpsReader,
    session: SessionDep,
    page: Paging,
    status: DepositStatusValue | None = None,
    entity_id: uuid.UUID | None = None,
) -> Page[AdminDepositOut]:
    """Newest first; ``?status=PENDING`` is the queue of wires to look for."""
    rows, cursor, names, holds = await service.admin_list_deposits(
        session, service.DepositFilter(status=status, entity_id=entity_id), page
    )
    scales = await ledger.asset_scales(session)
    return Page(
        items=[
            AdminDepositOut.of(d, scales, entity_name=names.get(d.entity_id), hold=holds.get(d.id))
            for d in rows
        ],
        next_cursor=cursor,
    )


@admin_router.post("/deposits/record", response_model=AdminDepositOut, status_code=201)
async def record_deposit(
    body: DepositRecordIn,
    request: Request,
    principal: DepositsManager,
    session: SessionDep,
    settings: SettingsDep,
) -> AdminDepositOut:
    """Book a wire that arrived without an announcement for ``entity_id`` (-> ON_HOLD)."""
    deposit, hold = await service.record_unannounced_deposit(
        session,
        settings,
        entity_id=body.entity_id,
        receipt=_receipt(body),
        wire_reference=body.wire_reference,
        staff_id=principal.user_id,
        actor=principal.actor(request),
    )
    return AdminDepositOut.of(deposit, await ledger.asset_scales(session), hold=hold)


@admin_router.post("/deposits/{deposit_id}/confirm", response_model=AdminDepositOut)
async def confirm_deposit(
    deposit_id: uuid.UUID,
    body: DepositConfirmIn,
    request: Request,
    principal: DepositsManager,
    session: SessionDep,
    settings: SettingsDep,
) -> AdminDepositOut:
    """PENDING -> ON_HOLD: ``bank -> on_hold`` and an AML hold from the risk rules."""
    deposit, hold = await service.confirm_deposit(
        session,
        settings,
        deposit_id,
        _receipt(body),
        staff_id=principal.user_id,
        actor=principal.actor(request),
    )
    return AdminDepositOut.of(deposit, await ledger.asset_scales(session), hold=hold)


@admin_router.post("/deposits/{deposit_id}/reject", response_model=AdminDepositOut)
async def reject_deposit(
    deposit_id: uuid.UUID,
    body: ReasonIn,
    request: Request,
    principal: DepositsManager,
    session: SessionDep,
) -> AdminDepositOut:
    """A PENDING deposit that will not be booked (nothing was received)."""
    deposit = await service.reject_deposit(
        session,
        deposit_id,
        staff_id=principal.user_id,
        reason=body.reason,
        actor=principal.actor(request),
    )
    return AdminDepositOut.of(deposit, await ledger.asset_scales(session))


# =========================================================================== staff: holds


async def _hold_out(session: SessionDep, settings: SettingsDep, hold_id: uuid.UUID) -> HoldOut:
    hold = await service.get_hold(session, hold_id)
    deposit = await service.get_deposit(session, hold.deposit_id)
    return HoldOut.of(
        hold,
        await ledger.asset_scales(session),
        deposit=deposit,
        entity_name=None,
        now=utcnow(),
        soon_hours=settings.aml_expiring_soon_hours,
    )


@admin_router.get("/aml/holds", response_model=Page[HoldOut])
async def admin_holds(
    _: OpsReader,
    session: SessionDep,
    settings: SettingsDep,
    page: Paging,
    status: HoldStatusValue | None = None,
    flagged: bool | None = None,
    expiring_soon: Annotated[
        bool, Query(description="only ACTIVE holds expiring within the configured window")
    ] = False,
    entity_id: uuid.UUID | None = None,
) -> Page[HoldOut]:
    """Soonest expiry first; each item names its ``deposit_id``."""
    rows, cursor, deposits, names = await service.list_holds(
        session,
        service.HoldFilter(
            status=status,
            flagged=flagged,
            expiring_within=timedelta(hours=settings.aml_expiring_soon_hours)
            if expiring_soon
            else None,
            entity_id=entity_id,
        ),
        page,
    )
    scales = await ledger.asset_scales(session)
    now = utcnow()
    return Page(
        items=[
            HoldOut.of(
                h,
                scales,
                deposit=deposits.get(h.deposit_id),
                entity_name=names.get(h.entity_id),
                now=now,
                soon_hours=settings.aml_expiring_soon_hours,
            )
            for h in rows
        ],
        next_cursor=cursor,
    )


@admin_router.post("/aml/holds/{hold_id}/release", response_model=HoldOut)
async def release_hold(
    hold_id: uuid.UUID,
    request: Request,
    principal: AmlReviewer,
    session: SessionDep,
    settings: SettingsDep,
) -> HoldOut:
    """-> CLEARED (``on_hold -> available``). A flagged hold at or above the two-person
    amount records this first release and needs a second, different person
    (``same_approver`` 409 for the same one)."""
    await service.release_hold(
        session, hold_id, staff_id=principal.user_id, actor=principal.actor(request)
    )
    return await _hold_out(session, settings, hold_id)


@admin_router.post("/aml/holds/{hold_id}/extend", response_model=HoldOut)
async def extend_hold(
    hold_id: uuid.UUID,
    body: HoldExtendIn,
    request: Request,
    principal: AmlReviewer,
    session: SessionDep,
    settings: SettingsDep,
) -> HoldOut:
    await service.extend_hold(
        session,
        hold_id,
        staff_id=principal.user_id,
        until=body.until,
        reason=body.reason,
        actor=principal.actor(request),
    )
    return await _hold_out(session, settings, hold_id)


@admin_router.post("/aml/holds/{hold_id}/reject", response_model=HoldOut)
async def reject_hold(
    hold_id: uuid.UUID,
    body: ReasonIn,
    request: Request,
    principal: AmlReviewer,
    session: SessionDep,
    settings: SettingsDep,
) -> HoldOut:
    """-> REJECTED: the funds go back to the payer (``on_hold -> bank``, a return record)."""
    await service.reject_hold(
        session,
        hold_id,
        staff_id=principal.user_id,
        reason=body.reason,
        actor=principal.actor(request),
    )
    return await _hold_out(session, settings, hold_id)


# =========================================================================== staff: withdrawals


@admin_router.get("/withdrawals", response_model=Page[AdminWithdrawalOut])
async def admin_withdrawals(
    _: OpsReader,
    session: SessionDep,
    settings: SettingsDep,
    page: Paging,
    status: WithdrawalStatusValue | None = None,
    entity_id: uuid.UUID | None = None,
    user_id: Annotated[uuid.UUID | None, Query(description="who requested it")] = None,
    date_from: Annotated[datetime | None, Query(description="inclusive")] = None,
    date_to: Annotated[datetime | None, Query(description="exclusive")] = None,
    amount_min: Annotated[str | None, Query(max_length=40, description="decimal string")] = None,
    amount_max: Annotated[str | None, Query(max_length=40, description="decimal string")] = None,
    currency: Annotated[str, Query(max_length=12)] = "EUR",
) -> Page[AdminWithdrawalOut]:
    """Newest first."""
    code = check_currency(settings, currency)
    low = (
        await parse_money(session, amount_min, code, max_amount=10**15, field="amount_min")
        if amount_min
        else None
    )
    high = (
        await parse_money(session, amount_max, code, max_amount=10**15, field="amount_max")
        if amount_max
        else None
    )
    rows, cursor, names = await service.list_withdrawals_for_staff(
        session,
        service.WithdrawalFilter(
            status=status,
            entity_id=entity_id,
            user_id=user_id,
            date_from=as_utc(date_from),
            date_to=as_utc(date_to),
            amount_min=low,
            amount_max=high,
        ),
        page,
    )
    scales = await ledger.asset_scales(session)
    return Page(
        items=[AdminWithdrawalOut.of(w, scales, names.get(w.entity_id)) for w in rows],
        next_cursor=cursor,
    )


@admin_router.post("/withdrawals/{withdrawal_id}/approve", response_model=AdminWithdrawalOut)
async def approve_withdrawal(
    withdrawal_id: uuid.UUID, request: Request, principal: WithdrawalsApprover, session: SessionDep
) -> AdminWithdrawalOut:
    """PENDING -> APPROVED -> PROCESSING (both recorded)."""
    row = await service.approve_withdrawal(
        session, withdrawal_id, staff_id=principal.user_id, actor=principal.actor(request)
    )
    return AdminWithdrawalOut.of(row, await ledger.asset_scales(session))


@admin_router.post("/withdrawals/{withdrawal_id}/reject", response_model=AdminWithdrawalOut)
async def reject_withdrawal(
    withdrawal_id: uuid.UUID,
    body: ReasonIn,
    request: Request,
    principal: WithdrawalsApprover,
    session: SessionDep,
) -> AdminWithdrawalOut:
    """-> REJECTED; the reserved funds become available again."""
    row = await service.reject_withdrawal(
        session,
        withdrawal_id,
        staff_id=principal.user_id,
        reason=body.reason,
        actor=principal.actor(request),
    )
    return AdminWithdrawalOut.of(row, await ledger.asset_scales(session))


@admin_router.post("/withdrawals/{withdrawal_id}/complete", response_model=AdminWithdrawalOut)
async def complete_withdrawal(
    withdrawal_id: uuid.UUID,
    body: WithdrawalCompleteIn,
    request: Request,
    principal: WithdrawalsExecutor,
    session: SessionDep,
) -> AdminWithdrawalOut:
    """PROCESSING -> COMPLETED (``reserved -> bank``) by staff other than the approver
    (``same_approver`` 409)."""
    row = await service.complete_withdrawal(
        session,
        withdrawal_id,
        staff_id=principal.user_id,
        wire_reference=body.wire_reference,
        executed_at=body.executed_at,
        actor=principal.actor(request),
    )
    return AdminWithdrawalOut.of(row, await ledger.asset_scales(session))
