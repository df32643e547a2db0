"""Funding API shapes. Money is a decimal string (``"1500.00"``) in and out; times are
ISO 8601 UTC with ``Z``. Clients get their own view of deposits and withdrawals (no staff
notes, no AML flags); staff get the full one."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictStr,
    StringConstraints,
)

from niha.core.clock import isoformat_z
from niha.core.money import format_amount
from niha.funding import banking
from niha.funding.models import AmlHold, BankAccount, Deposit, Withdrawal
from niha.funding.service import Transaction, WireInstructions

UtcDatetime = Annotated[datetime, PlainSerializer(isoformat_z, return_type=str)]


def _no_control(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        raise ValueError("must not contain control characters")
    return value


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise ValueError("date is out of range") from exc


AmountIn = Annotated[
    StrictStr,
    Field(
        min_length=1,
        max_length=40,
        description='decimal string with at most 2 decimals, e.g. "1500.00"',
        examples=["1500.00"],
    ),
]
CurrencyIn = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=12)]
UtcIn = Annotated[datetime, AfterValidator(_utc)]
_Clean = AfterValidator(_no_control)
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _Clean
]
OptionalName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), _Clean]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), _Clean
]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), _Clean]
ShortNote = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), _Clean]
WireReference = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=140), _Clean
]

BankAccountStatusValue = Literal["PENDING_VERIFICATION", "VERIFIED", "REJECTED"]
DepositStatusValue = Literal["PENDING", "ON_HOLD", "CLEARED", "REJECTED", "RETURNED", "CANCELLED"]
HoldStatusValue = Literal["ACTIVE", "CLEARED", "REJECTED"]
WithdrawalStatusValue = Literal[
    "PENDING", "APPROVED", "PROCESSING", "COMPLETED", "REJECTED", "CANCELLED"
]
TransactionType = Literal[
    "deposit", "withdrawal", "hold", "fee", "trade", "settlement", "adjustment", "other"
]


def _money(units: int | None, currency: str | None, scales: Mapping[str, int]) -> str | None:
    if units is None or currency is None:
        return None
    return format_amount(units, scales.get(currency, 2))


class HistoryItemOut(BaseModel):
    status: str
    at: str = Field(description="ISO 8601 UTC")
    note: str | None = None


def _history(items: list[dict[str, Any]], *, staff: bool) -> list[HistoryItemOut]:
    """The timeline. Clients see the notes meant for them: a rejection's reason and what
    the platform itself wrote (``by`` None, e.g. an expired announcement); staff see all."""
    return [
        HistoryItemOut(
            status=str(i["status"]),
            at=str(i["at"]),
            note=(
                i.get("note") if staff or i["status"] == "REJECTED" or i.get("by") is None else None
            ),
        )
        for i in items
    ]


# --------------------------------------------------------------------------- bank accounts


class BankAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_name: Name = Field(description="the account holder, as the bank knows it")
    iban: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    swift: Annotated[str, StringConstraints(min_length=1, max_length=20)] = Field(
        description="the bank's BIC (SWIFT code), 8 or 11 characters"
    )
    bank_name: Name
    country: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")] = Field(
        description="the bank's country (ISO 3166 alpha-2); must be the IBAN's"
    )


class IbanCheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    iban: Annotated[str, StringConstraints(max_length=64)]
    swift: Annotated[str | None, StringConstraints(max_length=20)] = None


class IbanCheckOut(BaseModel):
    valid: bool
    iban: str | None = None
    formatted: str | None = None
    country: str | None = None
    bank_name: str | None = None
    bic: str | None = Field(None, description="the bank's BIC when the registry knows it")
    swift_valid: bool | None = None
    code: str | None = None
    field: str | None = None
    message: str | None = None


class BankAccountOut(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    entity_name: str | None = None
    account_name: str
    iban: str
    iban_formatted: str
    swift: str
    bank_name: str
    country: str
    status: BankAccountStatusValue
    is_primary: bool
    name_mismatch: bool
    has_proof: bool
    proof_filename: str | None = None
    verification_notes: str | None = None
    verified_at: UtcDatetime | None
    rejection_reason: str | None
    created_at: UtcDatetime
    updated_at: UtcDatetime

    @classmethod
    def of(
        cls, row: BankAccount, entity_name: str | None = None, *, staff: bool = False
    ) -> BankAccountOut:
        return cls(
            id=row.id,
            entity_id=row.entity_id,
            entity_name=entity_name,
            account_name=row.account_name,
            iban=row.iban,
            iban_formatted=banking.format_iban(row.iban),
            swift=row.bic,
            bank_name=row.bank_name,
            country=row.country,
            status=row.status,
            is_primary=row.is_primary,
            name_mismatch=row.name_mismatch,
            has_proof=row.proof_storage_key is not None,
            proof_filename=row.proof_filename if staff else None,
            verification_notes=row.verification_notes if staff else None,
            verified_at=row.verified_at,
            rejection_reason=row.rejection_reason,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


# --------------------------------------------------------------------------- deposits


class DepositAnnounceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: AmountIn
    currency: CurrencyIn = "EUR"
    wire_reference: WireReference | None = Field(
        None, description="your own reference for the wire, if any"
    )
    bank_account_id: uuid.UUID | None = Field(
        None, description="the registered account the wire comes from, if known"
    )


class WireInstructionsOut(BaseModel):
    beneficiary: str
    iban: str
    bic: str
    bank_name: str
    bank_address: str
    reference: str = Field(description="quote exactly this on the wire")
    amount: str | None
    currency: str
    valid_until: UtcDatetime = Field(
        description="the announcement expires if no wire has arrived by then"
    )

    @classmethod
    def of(cls, w: WireInstructions) -> WireInstructionsOut:
        return cls(**w.__dict__)


class DepositOut(BaseModel):
    """A client's deposit as the client sees it."""

    id: uuid.UUID
    reference_code: str
    status: DepositStatusValue
    currency: str
    amount: str | None = Field(description="the amount announced")
    received_amount: str | None
    received_currency: str | None
    wire_reference: str | None
    bank_account_id: uuid.UUID | None
    received_at: UtcDatetime | None
    expected_release_at: UtcDatetime | None = Field(
        description="when the hold is expected to clear (on hold, no review needed)"
    )
    rejection_reason: str | None
    history: list[HistoryItemOut]
    wire_instructions: WireInstructionsOut | None
    created_at: UtcDatetime
    updated_at: UtcDatetime

    @classmethod
    def of(
        cls,
        d: Deposit,
        scales: Mapping[str, int],
        *,
        hold: AmlHold | None = None,
        instructions: WireInstructions | None = None,
    ) -> DepositOut:
        expected = (
            hold.expires_at
            if hold is not None and hold.status == "ACTIVE" and not hold.flagged
            else None
        )
        return cls(
            id=d.id,
            reference_code=d.reference_code,
            status=d.status,
            currency=d.currency,
            amount=_money(d.announced_amount, d.currency, scales),
            received_amount=_money(d.actual_amount, d.actual_currency, scales),
            received_currency=d.actual_currency,
            wire_reference=d.wire_reference,
            bank_account_id=d.bank_account_id,
            received_at=d.received_at,
            expected_release_at=expected,
            rejection_reason=d.rejection_reason if d.status == "REJECTED" else None,
            history=_history(d.history, staff=False),
            wire_instructions=(
                WireInstructionsOut.of(instructions)
                if instructions is not None and d.status == "PENDING"
                else None
            ),
            created_at=d.created_at,
            updated_at=d.updated_at,
        )


class HoldSummaryOut(BaseModel):
    id: uuid.UUID
    status: HoldStatusValue
    flagged: bool
    expires_at: UtcDatetime


class AdminDepositOut(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    entity_name: str | None
    reference_code: str
    status: DepositStatusValue
    currency: str
    amount: str | None = Field(description="the amount announced (none: unannounced)")
    received_amount: str | None
    received_currency: str | None
    wire_reference: str | None
    bank_account_id: uuid.UUID | None
    announced_by: uuid.UUID | None
    received_at: UtcDatetime | None
    payer_name: str | None
    payer_iban: str | None
    admin_notes: str | None
    confirmed_by: uuid.UUID | None
    confirmed_at: UtcDatetime | None
    rejection_reason: str | None
    decided_by: uuid.UUID | None
    decided_at: UtcDatetime | None
    hold: HoldSummaryOut | None
    history: list[HistoryItemOut]
    created_at: UtcDatetime
    updated_at: UtcDatetime

    @classmethod
    def of(
        cls,
        d: Deposit,
        scales: Mapping[str, int],
        *,
        entity_name: str | None = None,
        hold: AmlHold | None = None,
    ) -> AdminDepositOut:
        return cls(
            id=d.id,
            entity_id=d.entity_id,
            entity_name=entity_name,
            reference_code=d.reference_code,
            status=d.status,
            currency=d.currency,
            amount=_money(d.announced_amount, d.currency, scales),
            received_amount=_money(d.actual_amount, d.actual_currency, scales),
            received_currency=d.actual_currency,
            wire_reference=d.wire_reference,
            bank_account_id=d.bank_account_id,
            announced_by=d.announced_by,
            received_at=d.received_at,
            payer_name=d.payer_name,
            payer_iban=d.payer_iban,
            admin_notes=d.admin_notes,
            confirmed_by=d.confirmed_by,
            confirmed_at=d.confirmed_at,
            rejection_reason=d.rejection_reason,
            decided_by=d.decided_by,
            decided_at=d.decided_at,
            hold=(
                HoldSummaryOut(
                    id=hold.id,
                    status=hold.status,
                    flagged=hold.flagged,
                    expires_at=hold.expires_at,
                )
                if hold is not None
                else None
            ),
            history=_history(d.history, staff=True),
            created_at=d.created_at,
            updated_at=d.updated_at,
        )


class DepositConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actual_amount: AmountIn
    actual_currency: CurrencyIn = "EUR"
    received_at: UtcIn = Field(description="when the wire reached the platform's account")
    admin_notes: Note | None = None
    payer_name: OptionalName | None = None
    payer_iban: Annotated[str | None, StringConstraints(max_length=64)] = None


class DepositRecordIn(DepositConfirmIn):
    """A wire that arrived without an announcement."""

    entity_id: uuid.UUID
    wire_reference: WireReference | None = None


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


# --------------------------------------------------------------------------- holds


class FlagOut(BaseModel):
    code: str
    detail: str


class ExtensionOut(BaseModel):
    from_: str = Field(alias="from", serialization_alias="from")
    until: str
    reason: str
    by: str | None
    at: str

    model_config = ConfigDict(populate_by_name=True)


class HoldOut(BaseModel):
    id: uuid.UUID
    deposit_id: uuid.UUID
    deposit_reference_code: str | None
    entity_id: uuid.UUID
    entity_name: str | None
    currency: str
    amount: str
    status: HoldStatusValue
    reasons: list[str]
    flags: list[FlagOut]
    flagged: bool
    releases_required: int
    releases_given: int
    first_release_by: uuid.UUID | None
    expires_at: UtcDatetime
    expiring_soon: bool
    extensions: list[ExtensionOut]
    announced_amount: str | None
    received_at: UtcDatetime | None
    payer_name: str | None
    payer_iban: str | None
    released_by: uuid.UUID | None
    released_at: UtcDatetime | None
    rejection_reason: str | None
    rejected_by: uuid.UUID | None
    created_at: UtcDatetime

    @classmethod
    def of(
        cls,
        h: AmlHold,
        scales: Mapping[str, int],
        *,
        deposit: Deposit | None,
        entity_name: str | None,
        now: datetime,
        soon_hours: int,
    ) -> HoldOut:
        given = 0
        if h.status == "CLEARED":
            given = h.releases_required
        elif h.first_release_by is not None:
            given = 1
        return cls(
            id=h.id,
            deposit_id=h.deposit_id,
            deposit_reference_code=deposit.reference_code if deposit else None,
            entity_id=h.entity_id,
            entity_name=entity_name,
            currency=h.currency,
            amount=format_amount(h.amount, scales.get(h.currency, 2)),
            status=h.status,
            reasons=list(h.reasons),
            flags=[FlagOut(code=str(f["code"]), detail=str(f["detail"])) for f in h.flags],
            flagged=h.flagged,
            releases_required=h.releases_required,
            releases_given=given,
            first_release_by=h.first_release_by,
            expires_at=h.expires_at,
            expiring_soon=h.status == "ACTIVE"
            and (h.expires_at - now).total_seconds() <= soon_hours * 3600,
            extensions=[ExtensionOut.model_validate(e) for e in h.extensions],
            announced_amount=(
                _money(deposit.announced_amount, deposit.currency, scales) if deposit else None
            ),
            received_at=deposit.received_at if deposit else None,
            payer_name=deposit.payer_name if deposit else None,
            payer_iban=deposit.payer_iban if deposit else None,
            released_by=h.released_by,
            released_at=h.released_at,
            rejection_reason=h.rejection_reason,
            rejected_by=h.rejected_by,
            created_at=h.created_at,
        )


class HoldExtendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: UtcIn
    reason: Reason


# --------------------------------------------------------------------------- withdrawals


class WithdrawalRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: AmountIn
    currency: CurrencyIn = "EUR"
    bank_account_id: uuid.UUID
    reason: ShortNote | None = None


class WithdrawalOut(BaseModel):
    id: uuid.UUID
    status: WithdrawalStatusValue
    amount: str
    currency: str
    bank_account_id: uuid.UUID
    iban: str = Field(description="masked")
    account_name: str
    reason: str | None
    wire_reference: str | None
    executed_at: UtcDatetime | None
    rejection_reason: str | None
    history: list[HistoryItemOut]
    created_at: UtcDatetime
    updated_at: UtcDatetime

    @classmethod
    def of(cls, w: Withdrawal, scales: Mapping[str, int]) -> WithdrawalOut:
        return cls(
            id=w.id,
            status=w.status,
            amount=format_amount(w.amount, scales.get(w.currency, 2)),
            currency=w.currency,
            bank_account_id=w.bank_account_id,
            iban=banking.mask_iban(w.iban),
            account_name=w.account_name,
            reason=w.reason,
            wire_reference=w.wire_reference,
            executed_at=w.executed_at,
            rejection_reason=w.rejection_reason,
            history=_history(w.history, staff=False),
            created_at=w.created_at,
            updated_at=w.updated_at,
        )


class AdminWithdrawalOut(BaseModel):
    id: uuid.UUID
    entity_id: uuid.UUID
    entity_name: str | None
    status: WithdrawalStatusValue
    amount: str
    currency: str
    bank_account_id: uuid.UUID
    iban: str
    iban_formatted: str
    swift: str
    account_name: str
    reason: str | None
    requested_by: uuid.UUID
    approved_by: uuid.UUID | None
    approved_at: UtcDatetime | None
    completed_by: uuid.UUID | None
    completed_at: UtcDatetime | None
    wire_reference: str | None
    executed_at: UtcDatetime | None
    rejection_reason: str | None
    decided_by: uuid.UUID | None
    history: list[HistoryItemOut]
    created_at: UtcDatetime
    updated_at: UtcDatetime

    @classmethod
    def of(
        cls, w: Withdrawal, scales: Mapping[str, int], entity_name: str | None = None
    ) -> AdminWithdrawalOut:
        return cls(
            id=w.id,
            entity_id=w.entity_id,
            entity_name=entity_name,
            status=w.status,
            amount=format_amount(w.amount, scales.get(w.currency, 2)),
            currency=w.currency,
            bank_account_id=w.bank_account_id,
            iban=w.iban,
            iban_formatted=banking.format_iban(w.iban),
            swift=w.bic,
            account_name=w.account_name,
            reason=w.reason,
            requested_by=w.requested_by,
            approved_by=w.approved_by,
            approved_at=w.approved_at,
            completed_by=w.completed_by,
            completed_at=w.completed_at,
            wire_reference=w.wire_reference,
            executed_at=w.executed_at,
            rejection_reason=w.rejection_reason,
            decided_by=w.decided_by,
            history=_history(w.history, staff=True),
            created_at=w.created_at,
            updated_at=w.updated_at,
        )


class WithdrawalCompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wire_reference: WireReference = Field(description="the bank's reference of the wire sent")
    executed_at: UtcIn


# --------------------------------------------------------------------------- history


class TransactionOut(BaseModel):
    id: uuid.UUID
    created_at: UtcDatetime
    type: TransactionType
    kind: str = Field(description="the ledger transfer's kind")
    description: str
    asset: str
    amount: str
    net_change: str = Field(description="change of your total holdings of the asset, signed")
    from_bucket: str = Field(description="your bucket, or 'external'")
    to_bucket: str = Field(description="your bucket, or 'external'")
    status: str | None = Field(description="status of the deposit or withdrawal, if any")
    reference_type: str | None
    reference_id: str | None
    reference: str | None = Field(description="deposit reference code or masked IBAN")

    @classmethod
    def of(cls, t: Transaction) -> TransactionOut:
        return cls(**t.__dict__)
