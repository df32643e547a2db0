"""What the funding modules share: errors, money parsing, rules from settings, events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from niha.audit.service import Actor
from niha.config import Settings
from niha.core.clock import isoformat_z
from niha.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from niha.core.events import emit
from niha.core.money import InvalidAmount, format_amount, parse_amount
from niha.funding.aml import AmlRules
from niha.ledger import service as ledger

NOTIFICATIONS = "notifications"
BACKOFFICE = "backoffice"

# Ledger transfer kinds posted by funding (``reference_type`` names the row).
KIND_DEPOSIT = "deposit"  # platform bank -> client on_hold
KIND_DEPOSIT_CLEARED = "deposit_cleared"  # on_hold -> available
KIND_DEPOSIT_RETURNED = "deposit_returned"  # on_hold -> platform bank
KIND_WITHDRAWAL_RESERVE = "withdrawal_reserve"  # available -> reserved
KIND_WITHDRAWAL_RELEASE = "withdrawal_release"  # reserved -> available
KIND_WITHDRAWAL = "withdrawal"  # reserved -> platform bank
REF_DEPOSIT = "funding_deposit"
REF_WITHDRAWAL = "funding_withdrawal"


# --------------------------------------------------------------------------- errors


class InvalidAmountError(Unprocessable):
    code = "invalid_amount"
    title = "Invalid amount"


class UnsupportedCurrency(Unprocessable):
    code = "unsupported_currency"
    title = "Unsupported currency"


class InvalidBankDetails(Unprocessable):
    code = "invalid_bank_details"
    title = "Invalid bank details"


class InvalidDate(Unprocessable):
    code = "invalid_date"
    title = "Invalid date"


class EntityRequired(Forbidden):
    code = "entity_required"
    title = "Only members of a client entity can do this"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "This status change is not allowed"


class SameApprover(Conflict):
    code = "same_approver"
    title = "A second, different staff member must do this"


class BankAccountNotFound(NotFound):
    code = "bank_account_not_found"
    title = "Bank account not found"


class DepositNotFound(NotFound):
    code = "deposit_not_found"
    title = "Deposit not found"


class HoldNotFound(NotFound):
    code = "hold_not_found"
    title = "AML hold not found"


class WithdrawalNotFound(NotFound):
    code = "withdrawal_not_found"
    title = "Withdrawal not found"


def require_entity(entity_id: uuid.UUID | None) -> uuid.UUID:
    if entity_id is None:
        raise EntityRequired("This user does not belong to a client entity")
    return entity_id


def transition_error(kind: str, current: str, action: str) -> InvalidTransition:
    return InvalidTransition(f"A {kind} that is {current} cannot be {action}", status_value=current)


# --------------------------------------------------------------------------- money


def check_currency(settings: Settings, currency: str, field: str = "currency") -> str:
    code = (currency or "").strip().upper()
    if code not in settings.funding_currencies:
        raise UnsupportedCurrency(
            f"{currency!r} is not supported; use one of {', '.join(settings.funding_currencies)}",
            field=field,
        )
    return code


async def parse_money(
    session: AsyncSession, value: str, currency: str, *, max_amount: int, field: str = "amount"
) -> int:
    """A positive decimal string at the currency's scale, at most ``max_amount`` minor units.

    Refusals (422): ``invalid_amount``, ``too_many_decimals``, ``amount_zero``,
    ``amount_negative``, ``amount_too_large`` — each naming ``field``.
    """
    scale = await ledger.scale_of(session, currency)
    try:
        return parse_amount(value, scale, max_abs=max_amount)
    except InvalidAmount as exc:
        detail = str(exc)
        if exc.code == "amount_too_large":
            detail = f"amount must not exceed {format_amount(max_amount, scale)} {currency}"
        raise InvalidAmountError(
            detail,
            code=exc.code,
            field=field,
            errors=[{"field": field, "message": detail, "code": exc.code}],
        ) from None


async def money(session: AsyncSession, units: int | None, currency: str | None) -> str | None:
    if units is None or currency is None:
        return None
    return format_amount(units, await ledger.scale_of(session, currency))


def rules(settings: Settings) -> AmlRules:
    return AmlRules(
        standard_hours=settings.aml_hold_standard_hours,
        first_deposit_hours=settings.aml_hold_first_deposit_hours,
        large_amount=settings.aml_hold_large_amount,
        large_amount_hours=settings.aml_hold_large_amount_hours,
        high_risk_hours=settings.aml_hold_high_risk_hours,
        high_risk_jurisdictions=frozenset(c.upper() for c in settings.aml_high_risk_jurisdictions),
        reporting_threshold=settings.aml_reporting_threshold,
        structuring_margin_percent=settings.aml_structuring_margin_percent,
        structuring_window_days=settings.aml_structuring_window_days,
        structuring_min_deposits=settings.aml_structuring_min_deposits,
        two_person_release_amount=settings.aml_two_person_release_amount,
    )


# --------------------------------------------------------------------------- history, events


def history_entry(
    status: str, at: datetime, actor: Actor, note: str | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "status": status,
        "at": isoformat_z(at),
        "by": str(actor.id) if actor.id else None,
    }
    if note:
        entry["note"] = note
    return entry


async def publish(
    session: AsyncSession,
    entity_id: uuid.UUID,
    event: str,
    data: dict[str, Any],
    *,
    title: str,
    message: str,
) -> None:
    """One private event to the entity's users and one to staff."""
    await emit(
        session,
        NOTIFICATIONS,
        event,
        {**data, "title": title, "message": message},
        entity_id=entity_id,
    )
    await emit(session, BACKOFFICE, event, {**data, "entity_id": str(entity_id)})
