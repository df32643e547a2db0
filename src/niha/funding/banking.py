"""IBAN and BIC checks with schwifty (no I/O): what a client types -> normalized or refused.

An IBAN must have a known country, that country's length and structure, valid check digits
(mod 97) and — where schwifty knows the algorithm — valid national check digits. A BIC must
be 8 or 11 characters of the right shape with a real country, and that country must be the
IBAN's (or one sharing its IBAN scheme: Jersey, Guernsey and Man bank with GB IBANs, Monaco
and the French overseas territories with FR ones, Åland with FI). Each refusal names its
``field`` and a stable ``code``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from schwifty import BIC, IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    SchwiftyException,
)

IBAN_GROUPS: tuple[frozenset[str], ...] = (
    frozenset({"GB", "JE", "GG", "IM"}),
    frozenset({"FR", "MC", "GF", "GP", "MQ", "RE", "PF", "TF", "YT", "NC", "PM", "WF", "BL", "MF"}),
    frozenset({"FI", "AX"}),
)


class BankDetailsError(ValueError):
    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CheckedIban:
    iban: str  # compact, upper case
    formatted: str  # groups of four
    country: str
    bank_name: str | None
    bic: str | None  # the bank's BIC where schwifty's registry knows it


def _parse_iban(value: str) -> IBAN:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no national checksum algorithm for XX"
        return IBAN(value, validate_bban=True)


def check_iban(value: str) -> CheckedIban:
    text = (value or "").strip()
    if not text:
        raise BankDetailsError("iban", "invalid_iban", "Enter an IBAN")
    if len(text) > 64:
        raise BankDetailsError("iban", "invalid_iban", "This is too long for an IBAN")
    try:
        iban = _parse_iban(text)
    except InvalidCountryCode:
        raise BankDetailsError(
            "iban", "invalid_iban_country", "The IBAN does not start with a known country code"
        ) from None
    except InvalidLength:
        raise BankDetailsError(
            "iban", "invalid_iban_length", "The IBAN has the wrong length for its country"
        ) from None
    except InvalidChecksumDigits:
        raise BankDetailsError(
            "iban", "invalid_iban_checksum", "The IBAN's check digits are wrong: check for typos"
        ) from None
    except SchwiftyException as exc:
        raise BankDetailsError(
            "iban", "invalid_iban", f"This is not a valid IBAN ({exc})"
        ) from None
    if iban.is_aspirational:
        raise BankDetailsError(
            "iban", "invalid_iban_country", f"IBANs of {iban.country_code} are not supported"
        )
    bank_name = iban.bank_name
    bic = iban.bic
    return CheckedIban(
        iban=str(iban.compact),
        formatted=str(iban.formatted),
        country=str(iban.country_code),
        bank_name=str(bank_name) if bank_name else None,
        bic=str(bic.compact) if bic is not None else None,
    )


def same_iban_scheme(a: str, b: str) -> bool:
    return a == b or any(a in group and b in group for group in IBAN_GROUPS)


def check_bic(value: str, iban_country: str | None = None) -> str:
    """The compact BIC (8 or 11 characters); its country must suit the IBAN's."""
    text = (value or "").strip()
    if not text:
        raise BankDetailsError("swift", "invalid_bic", "Enter the bank's BIC (SWIFT code)")
    if len(text) > 20:
        raise BankDetailsError("swift", "invalid_bic", "This is too long for a BIC")
    try:
        bic = BIC(text)
    except SchwiftyException:
        raise BankDetailsError(
            "swift", "invalid_bic", "A BIC has 8 or 11 letters and digits, like DEUTDEFF"
        ) from None
    if iban_country is not None and not same_iban_scheme(str(bic.country_code), iban_country):
        raise BankDetailsError(
            "swift",
            "bic_country_mismatch",
            f"The BIC is of a bank in {bic.country_code} but the IBAN is from {iban_country}",
        )
    return str(bic.compact)


@dataclass(frozen=True)
class CheckedAccount:
    iban: str
    bic: str
    country: str


def check_account(iban: str, swift: str, country: str | None) -> CheckedAccount:
    """Validate IBAN, BIC and the stated country together."""
    checked = check_iban(iban)
    bic = check_bic(swift, checked.country)
    stated = (country or "").strip().upper()
    if stated and not same_iban_scheme(stated, checked.country):
        raise BankDetailsError(
            "country",
            "country_mismatch",
            f"The IBAN is from {checked.country}, not {stated}",
        )
    return CheckedAccount(iban=checked.iban, bic=bic, country=stated or checked.country)


def mask_iban(iban: str) -> str:
    """``DE89370400440532013000`` -> ``DE89 •••• 3000`` (for lists and notifications)."""
    return f"{iban[:4]} •••• {iban[-4:]}" if len(iban) > 8 else iban


def format_iban(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
