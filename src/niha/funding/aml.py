"""AML risk rules for confirmed deposits (pure: no I/O, no clock).

:func:`assess` decides, from facts the service gathers, how long a deposit stays on hold
(the longest period of every rule that applies, each named in ``reasons``) and which
``flags`` stop it from clearing automatically (a person must look at it):

- ``amount_mismatch`` / ``currency_mismatch``: the wire differs from the announcement;
- ``payer_name_mismatch``: the payer is not the client (third-party payment);
- ``payer_iban_unknown``: the paying account is none of the client's verified accounts;
- ``high_risk_jurisdiction``: the client's jurisdiction or the payer's bank country is
  on the configured list;
- ``structuring``: several deposits just below the reporting threshold within N days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum


class HoldReason(StrEnum):
    STANDARD = "standard"
    FIRST_DEPOSIT = "first_deposit"
    LARGE_AMOUNT = "large_amount"
    HIGH_RISK_JURISDICTION = "high_risk_jurisdiction"
    UNANNOUNCED = "unannounced"


class Flag(StrEnum):
    AMOUNT_MISMATCH = "amount_mismatch"
    CURRENCY_MISMATCH = "currency_mismatch"
    PAYER_NAME_MISMATCH = "payer_name_mismatch"
    PAYER_IBAN_UNKNOWN = "payer_iban_unknown"
    HIGH_RISK_JURISDICTION = "high_risk_jurisdiction"
    STRUCTURING = "structuring"


@dataclass(frozen=True)
class AmlRules:
    standard_hours: int = 24
    first_deposit_hours: int = 72
    large_amount: int = 5_000_000
    large_amount_hours: int = 48
    high_risk_hours: int = 120
    high_risk_jurisdictions: frozenset[str] = frozenset()
    reporting_threshold: int = 1_000_000
    structuring_margin_percent: int = 10
    structuring_window_days: int = 7
    structuring_min_deposits: int = 3
    two_person_release_amount: int = 10_000_000

    def just_below_threshold(self, amount: int) -> bool:
        low = self.reporting_threshold * (100 - self.structuring_margin_percent) // 100
        return low <= amount < self.reporting_threshold


@dataclass(frozen=True)
class DepositFacts:
    """What is known about a deposit when staff confirm its receipt."""

    amount: int
    currency: str
    announced_amount: int | None
    announced_currency: str | None
    payer_name_matches: bool | None  # None: no payer name given
    payer_iban_known: bool | None  # None: no payer IBAN given
    entity_jurisdictions: Sequence[str]  # jurisdiction and country of the client
    payer_country: str | None
    first_deposit: bool
    #: amounts of the client's other deposits received within the structuring window
    recent_amounts: Sequence[int] = ()


@dataclass(frozen=True)
class FlagItem:
    code: Flag
    detail: str


@dataclass(frozen=True)
class Assessment:
    hold: timedelta
    reasons: list[HoldReason]
    flags: list[FlagItem] = field(default_factory=list)


def _country(code: str | None) -> str | None:
    return code.split("-", 1)[0].upper() if code else None


def assess(facts: DepositFacts, rules: AmlRules) -> Assessment:
    hours: dict[HoldReason, int] = {HoldReason.STANDARD: rules.standard_hours}
    flags: list[FlagItem] = []
    if facts.announced_amount is None:
        hours[HoldReason.UNANNOUNCED] = rules.standard_hours
    if facts.first_deposit:
        hours[HoldReason.FIRST_DEPOSIT] = rules.first_deposit_hours
    if facts.amount >= rules.large_amount:
        hours[HoldReason.LARGE_AMOUNT] = rules.large_amount_hours

    risky = sorted(
        {c for c in map(_country, [*facts.entity_jurisdictions, facts.payer_country]) if c}
        & rules.high_risk_jurisdictions
    )
    if risky:
        hours[HoldReason.HIGH_RISK_JURISDICTION] = rules.high_risk_hours
        flags.append(
            FlagItem(Flag.HIGH_RISK_JURISDICTION, "high-risk jurisdiction: " + ", ".join(risky))
        )

    if facts.announced_currency is not None and facts.currency != facts.announced_currency:
        flags.append(
            FlagItem(
                Flag.CURRENCY_MISMATCH,
                f"announced in {facts.announced_currency}, received in {facts.currency}",
            )
        )
    elif facts.announced_amount is not None and facts.amount != facts.announced_amount:
        flags.append(
            FlagItem(Flag.AMOUNT_MISMATCH, "the amount received differs from the announcement")
        )
    if facts.payer_name_matches is False:
        flags.append(
            FlagItem(Flag.PAYER_NAME_MISMATCH, "the payer's name does not match the client")
        )
    if facts.payer_iban_known is False:
        flags.append(
            FlagItem(
                Flag.PAYER_IBAN_UNKNOWN,
                "the paying account is none of the client's verified bank accounts",
            )
        )
    if rules.just_below_threshold(facts.amount):
        below = 1 + sum(1 for a in facts.recent_amounts if rules.just_below_threshold(a))
        if below >= rules.structuring_min_deposits:
            flags.append(
                FlagItem(
                    Flag.STRUCTURING,
                    f"{below} deposits just below the reporting threshold within "
                    f"{rules.structuring_window_days} days",
                )
            )

    longest = max(hours.values())
    reasons = [r for r in HoldReason if r in hours]
    return Assessment(hold=timedelta(hours=longest), reasons=reasons, flags=flags)


def needs_two_releases(amount: int, flagged: bool, rules: AmlRules) -> bool:
    """A flagged hold at or above the configured amount needs two different staff."""
    return flagged and amount >= rules.two_person_release_amount
