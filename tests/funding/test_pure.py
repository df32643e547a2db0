"""The pure parts of funding: reference codes, name matching, AML rules, IBAN/BIC checks."""

from __future__ import annotations

import contextlib
import itertools
import random
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from niha.funding import aml, banking, reference
from niha.funding.aml import AmlRules, DepositFacts, Flag, HoldReason
from niha.funding.names import names_match
from tests.funding.helpers import VALID_IBANS

# --------------------------------------------------------------------------- reference codes

payloads = st.text(alphabet=reference.ALPHABET, min_size=7, max_size=7)


@given(payloads)
def test_reference_codes_are_well_formed_and_valid(payload: str) -> None:
    code = reference.build(payload)
    assert len(code) == len("NIHA-7KQ2-9XD4")
    assert code.startswith("NIHA-") and code[9] == "-"
    assert reference.is_valid(code)
    assert not set(code[5:]) & set("01ILOU")  # no look-alikes
    assert reference.normalize(code.lower().replace("-", " ")) == code


@given(payloads, st.integers(0, 7), st.sampled_from(reference.ALPHABET))
def test_any_single_character_change_is_detected(payload: str, pos: int, ch: str) -> None:
    code = reference.build(payload)
    body = code[5:9] + code[10:]
    if body[pos] == ch:
        return
    changed = body[:pos] + ch + body[pos + 1 :]
    assert not reference.is_valid(f"NIHA-{changed[:4]}-{changed[4:]}")


@given(payloads, st.integers(0, 6))
def test_swapping_neighbours_is_detected(payload: str, pos: int) -> None:
    body = reference.build(payload)[5:].replace("-", "")
    if body[pos] == body[pos + 1]:
        return
    if {body[pos], body[pos + 1]} == {reference.ALPHABET[0], reference.ALPHABET[-1]}:
        return  # Luhn mod N's one blind spot (documented in the module)
    swapped = body[:pos] + body[pos + 1] + body[pos] + body[pos + 2 :]
    assert not reference.is_valid(f"NIHA-{swapped[:4]}-{swapped[4:]}")


def test_the_one_swap_luhn_misses_is_the_documented_one() -> None:
    missed = set()
    for a, b in itertools.permutations(reference.ALPHABET, 2):
        body = reference.build(a + b + "22222")[5:].replace("-", "")
        swapped = body[1] + body[0] + body[2:]
        if reference.is_valid(f"NIHA-{swapped[:4]}-{swapped[4:]}"):
            missed.add(frozenset((a, b)))
    assert missed == {frozenset(("2", "Z"))}


def test_reference_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        reference.build("ABC")
    with pytest.raises(ValueError):
        reference.build("ABCDEF0")  # 0 is not in the alphabet
    for bad in ["", "NIHA-7KQ2-9XD", "XXXX-7KQ2-9XD4", "NIHA-7KQ2-9XD4-", "NIHA-OOOO-0000"]:
        assert not reference.is_valid(bad)


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Carbon GmbH", "ACME CARBON GMBH"),
        ("Acme Carbon GmbH", "Acme Carbon"),
        ("Acme Carbon Ltd.", "Acme Carbon Limited"),
        ("Société Générale S.A.", "SOCIETE GENERALE SA"),
        ("Erika Mustermann", "Mustermann Erika"),
        ("Müller & Söhne KG", "Mueller und Soehne"),
    ],
)
def test_names_that_match(a: str, b: str) -> None:
    assert names_match(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Carbon GmbH", "Apex Energy GmbH"),
        ("Erika Mustermann", "Max Mustermann"),
        ("Acme Carbon GmbH", None),
        ("", "Acme"),
    ],
)
def test_names_that_do_not_match(a: str, b: str | None) -> None:
    assert not names_match(a, b)


# --------------------------------------------------------------------------- AML rules

RULES = AmlRules(high_risk_jurisdictions=frozenset({"IR", "KP"}))


def facts(**kw: object) -> DepositFacts:
    base: dict[str, object] = {
        "amount": 100_000,
        "currency": "EUR",
        "announced_amount": 100_000,
        "announced_currency": "EUR",
        "payer_name_matches": True,
        "payer_iban_known": True,
        "entity_jurisdictions": ["DE"],
        "payer_country": "DE",
        "first_deposit": False,
    }
    base.update(kw)
    return DepositFacts(**base)  # type: ignore[arg-type]


def test_a_plain_deposit_gets_the_standard_hold_and_no_flag() -> None:
    a = aml.assess(facts(), RULES)
    assert a.hold == timedelta(hours=RULES.standard_hours)
    assert a.reasons == [HoldReason.STANDARD]
    assert a.flags == []


def test_the_longest_applicable_period_wins_and_every_reason_is_named() -> None:
    a = aml.assess(facts(first_deposit=True), RULES)
    assert a.hold == timedelta(hours=72)
    assert HoldReason.FIRST_DEPOSIT in a.reasons
    a = aml.assess(facts(amount=RULES.large_amount, announced_amount=RULES.large_amount), RULES)
    assert a.hold == timedelta(hours=RULES.large_amount_hours)
    assert HoldReason.LARGE_AMOUNT in a.reasons
    a = aml.assess(facts(first_deposit=True, entity_jurisdictions=["IR"]), RULES)
    assert a.hold == timedelta(hours=RULES.high_risk_hours)
    assert {HoldReason.FIRST_DEPOSIT, HoldReason.HIGH_RISK_JURISDICTION} <= set(a.reasons)


@pytest.mark.parametrize(
    ("kw", "flag"),
    [
        ({"amount": 99_999}, Flag.AMOUNT_MISMATCH),
        ({"currency": "USD"}, Flag.CURRENCY_MISMATCH),
        ({"payer_name_matches": False}, Flag.PAYER_NAME_MISMATCH),
        ({"payer_iban_known": False}, Flag.PAYER_IBAN_UNKNOWN),
        ({"entity_jurisdictions": ["KP"]}, Flag.HIGH_RISK_JURISDICTION),
        ({"entity_jurisdictions": ["DE", "IR-07"]}, Flag.HIGH_RISK_JURISDICTION),
        ({"payer_country": "IR"}, Flag.HIGH_RISK_JURISDICTION),
    ],
)
def test_each_flag(kw: dict[str, object], flag: Flag) -> None:
    codes = [f.code for f in aml.assess(facts(**kw), RULES).flags]
    assert codes == [flag]


def test_unknown_payer_details_raise_no_flag() -> None:
    a = aml.assess(facts(payer_name_matches=None, payer_iban_known=None, payer_country=None), RULES)
    assert a.flags == []


def test_unannounced_deposits_have_no_mismatch_but_a_reason() -> None:
    a = aml.assess(facts(announced_amount=None, announced_currency=None, amount=5), RULES)
    assert a.flags == []
    assert HoldReason.UNANNOUNCED in a.reasons


def test_structuring_needs_several_deposits_just_below_the_threshold() -> None:
    just_below = RULES.reporting_threshold - 1
    near = RULES.reporting_threshold * 95 // 100
    one = facts(amount=just_below, announced_amount=just_below, recent_amounts=[near])
    assert aml.assess(one, RULES).flags == []  # two in the window: not yet "several"
    two = facts(amount=just_below, announced_amount=just_below, recent_amounts=[near, near])
    assert [f.code for f in aml.assess(two, RULES).flags] == [Flag.STRUCTURING]
    # at or over the threshold, or far below it, is not structuring
    at = facts(
        amount=RULES.reporting_threshold,
        announced_amount=RULES.reporting_threshold,
        recent_amounts=[near, near],
    )
    assert aml.assess(at, RULES).flags == []
    small = facts(amount=500_000, announced_amount=500_000, recent_amounts=[near, near])
    assert aml.assess(small, RULES).flags == []


def test_two_person_release_only_for_flagged_large_holds() -> None:
    limit = RULES.two_person_release_amount
    assert aml.needs_two_releases(limit, True, RULES)
    assert not aml.needs_two_releases(limit - 1, True, RULES)
    assert not aml.needs_two_releases(limit * 10, False, RULES)


# --------------------------------------------------------------------------- IBAN / BIC


@pytest.mark.parametrize(("iban", "bic", "country"), VALID_IBANS)
def test_real_ibans_are_accepted(iban: str, bic: str, country: str) -> None:
    checked = banking.check_account(iban, bic, country)
    assert checked.iban == iban
    assert checked.country == country
    # spaces and lower case are normalized
    spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)).lower()
    assert banking.check_iban(spaced).iban == iban


@pytest.mark.parametrize(("iban", "bic", "country"), VALID_IBANS)
def test_every_single_digit_change_is_refused(iban: str, bic: str, country: str) -> None:
    for pos, old in enumerate(iban):
        if pos < 2 or not old.isdigit():
            continue
        for digit in "0123456789":
            if digit == old:
                continue
            changed = iban[:pos] + digit + iban[pos + 1 :]
            with pytest.raises(banking.BankDetailsError) as info:
                banking.check_iban(changed)
            assert info.value.field == "iban"
            assert info.value.code.startswith("invalid_iban")


def test_iban_refusals_have_stable_codes() -> None:
    cases = {
        "": "invalid_iban",
        "XX89370400440532013000": "invalid_iban_country",
        "DE8937040044053201300": "invalid_iban_length",
        "DE88370400440532013000": "invalid_iban_checksum",
        "DE89370400440532O13000": "invalid_iban",
        "x" * 100: "invalid_iban",
    }
    for value, code in cases.items():
        with pytest.raises(banking.BankDetailsError) as info:
            banking.check_iban(value)
        assert info.value.code == code, value


def test_bic_format_and_country() -> None:
    assert banking.check_bic("deut de ff", "DE") == "DEUTDEFF"
    assert banking.check_bic("DEUTDEFF500", "DE") == "DEUTDEFF500"
    for bad in ["DEUT", "DEUTDEFF5", "12345678", "DEUTXXFF"]:
        with pytest.raises(banking.BankDetailsError) as info:
            banking.check_bic(bad, "DE")
        assert info.value.code == "invalid_bic", bad
    with pytest.raises(banking.BankDetailsError) as info:
        banking.check_bic("DEUTDEFF", "FR")
    assert info.value.code == "bic_country_mismatch"
    # Jersey banks use GB IBANs; Monaco uses the French scheme
    assert banking.check_bic("RBOSJESH", "GB") == "RBOSJESH"
    assert banking.check_bic("BPPBMCMC", "FR") == "BPPBMCMC"


def test_stated_country_must_be_the_ibans() -> None:
    with pytest.raises(banking.BankDetailsError) as info:
        banking.check_account("DE89370400440532013000", "COBADEFF", "FR")
    assert (info.value.field, info.value.code) == ("country", "country_mismatch")


def test_random_strings_never_crash_the_checks() -> None:
    rng = random.Random(7)
    chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -"
    for n in itertools.chain(range(0, 40), [64]):
        text = "".join(rng.choice(chars) for _ in range(n))
        with contextlib.suppress(banking.BankDetailsError):
            banking.check_iban(text)
        with contextlib.suppress(banking.BankDetailsError):
            banking.check_bic(text, "DE")


def test_masking() -> None:
    assert banking.mask_iban("DE89370400440532013000") == "DE89 •••• 3000"
    assert banking.format_iban("NL91ABNA0417164300") == "NL91 ABNA 0417 1643 00"
