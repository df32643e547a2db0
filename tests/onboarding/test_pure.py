"""The onboarding state machines and field rules, on plain data: every transition."""

from __future__ import annotations

import itertools

import pytest

from niha.onboarding.countries import normalize_country, normalize_jurisdiction
from niha.onboarding.states import (
    CONTACT_INVITABLE,
    ContactStatus,
    EntityAction,
    EntityStatus,
    EntityType,
    contact_transition_allowed,
    entity_transition,
)
from niha.onboarding.validation import InvalidTaxIdError, normalize_tax_id, normalize_website

C = ContactStatus
S = EntityStatus
A = EntityAction

CONTACT_ALLOWED = {
    (C.NEW, C.CONTACTED),
    (C.NEW, C.CLOSED),
    (C.CONTACTED, C.CONVERTED),
    (C.CONTACTED, C.CLOSED),
}


@pytest.mark.parametrize("current,target", list(itertools.product(C, C)))
def test_contact_transitions(current: ContactStatus, target: ContactStatus) -> None:
    assert contact_transition_allowed(current, target) == ((current, target) in CONTACT_ALLOWED)


def test_contact_invite_allowed_unless_closed() -> None:
    assert frozenset(C) - CONTACT_INVITABLE == {C.CLOSED}


ENTITY_ALLOWED: dict[tuple[EntityAction, EntityStatus], EntityStatus] = {
    (A.SUBMIT, S.DRAFT): S.PENDING_REVIEW,
    (A.SUBMIT, S.CHANGES_REQUESTED): S.PENDING_REVIEW,
    (A.APPROVE, S.PENDING_REVIEW): S.APPROVED,
    (A.REQUEST_CHANGES, S.PENDING_REVIEW): S.CHANGES_REQUESTED,
    (A.SUSPEND, S.PENDING_REVIEW): S.SUSPENDED,
    (A.SUSPEND, S.CHANGES_REQUESTED): S.SUSPENDED,
    (A.SUSPEND, S.APPROVED): S.SUSPENDED,
    (A.REACTIVATE, S.SUSPENDED): S.APPROVED,  # with suspended_from=APPROVED below
}


@pytest.mark.parametrize("action,current", list(itertools.product(A, S)))
def test_entity_transitions(action: EntityAction, current: EntityStatus) -> None:
    result = entity_transition(current, action, S.APPROVED)
    assert result == ENTITY_ALLOWED.get((action, current))


@pytest.mark.parametrize("before", [S.PENDING_REVIEW, S.CHANGES_REQUESTED, S.APPROVED])
def test_reactivation_returns_to_the_status_before_suspension(before: EntityStatus) -> None:
    suspended = entity_transition(before, A.SUSPEND)
    assert suspended is S.SUSPENDED
    assert entity_transition(suspended, A.REACTIVATE, before) is before


@pytest.mark.parametrize(
    "value,entity_type,country,expected",
    [
        ("DE 136 695 976", EntityType.COMPANY, "DE", "DE136695976"),
        ("de136695976", EntityType.COMPANY, "US", "DE136695976"),  # EU VAT wherever the entity
        ("EL094259216", EntityType.COMPANY, "GR", "EL094259216"),
        ("91110000600037341L", EntityType.COMPANY, "CN", "91110000600037341L"),
        ("04-2103594", EntityType.COMPANY, "US", "04-2103594"),
        ("GB980780684", EntityType.COMPANY, "GB", "GB980780684"),
        ("CHE-100.155.212", EntityType.COMPANY, "CH", "CHE-100.155.212"),
        ("36 574 261 809", EntityType.INDIVIDUAL, "DE", "36574261809"),
        ("TRN-100200300", EntityType.COMPANY, "AE", "TRN-100200300"),  # no validator: shape only
        ("A1234", EntityType.COMPANY, None, "A1234"),
    ],
)
def test_tax_ids_accepted(
    value: str, entity_type: EntityType, country: str | None, expected: str
) -> None:
    assert normalize_tax_id(value, entity_type=entity_type, country=country) == expected


@pytest.mark.parametrize(
    "value,entity_type,country",
    [
        ("DE136695977", EntityType.COMPANY, "DE"),  # bad check digit
        ("FR00000000000", EntityType.COMPANY, "FR"),
        ("123456", EntityType.COMPANY, "FR"),
        ("91110000600037341X", EntityType.COMPANY, "CN"),
        ("12345", EntityType.INDIVIDUAL, "DE"),
        ("<script>", EntityType.COMPANY, "AE"),
        ("x", EntityType.COMPANY, "AE"),
        ("A" * 41, EntityType.COMPANY, "AE"),
    ],
)
def test_tax_ids_refused(value: str, entity_type: EntityType, country: str | None) -> None:
    with pytest.raises(InvalidTaxIdError):
        normalize_tax_id(value, entity_type=entity_type, country=country)


def test_countries_and_jurisdictions() -> None:
    assert normalize_country(" de ") == "DE"
    assert normalize_jurisdiction("us-de") == "US-DE"
    assert normalize_jurisdiction("CN") == "CN"
    for bad in ["XX", "DEU", "", "UK", "D3"]:
        with pytest.raises(ValueError):
            normalize_country(bad)
    for bad in ["XX-DE", "US-", "US-ABCD", "DE_BY"]:
        with pytest.raises(ValueError):
            normalize_jurisdiction(bad)


def test_websites() -> None:
    assert normalize_website("acme.example") == "https://acme.example"
    assert normalize_website("http://acme.example/about") == "http://acme.example/about"
    for bad in [
        "javascript:alert(1)",
        "ftp://acme.example",
        "localhost",
        "https://u:p@a.b",
        "a b.c",
    ]:
        with pytest.raises(ValueError):
            normalize_website(bad)
