"""The KYC checklist and status, on plain data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from niha.kyc.checklist import (
    REQUIRED,
    DocumentType,
    DocView,
    ItemState,
    KycStatus,
    evaluate,
    required_for,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
COMPANY = list(REQUIRED["COMPANY"])
INDIVIDUAL = list(REQUIRED["INDIVIDUAL"])


def doc(kind: str, status: str, minutes: int = 0, reason: str | None = None) -> DocView:
    return DocView(uuid.uuid4(), kind, status, T0 + timedelta(minutes=minutes), reason)


def all_approved(kinds: list[DocumentType]) -> list[DocView]:
    return [doc(k.value, "APPROVED") for k in kinds]


def test_required_documents_per_entity_type() -> None:
    assert set(required_for("COMPANY")) == {
        DocumentType.COMPANY_REGISTRATION,
        DocumentType.ARTICLES_OF_ASSOCIATION,
        DocumentType.SHAREHOLDER_REGISTER,
        DocumentType.UBO_DECLARATION,
        DocumentType.PASSPORT,
    }
    assert set(required_for("INDIVIDUAL")) == {
        DocumentType.PASSPORT,
        DocumentType.PROOF_OF_ADDRESS,
    }
    assert required_for(None) == ()


def test_no_entity_is_not_started() -> None:
    e = evaluate(None, None, [])
    assert (e.status, e.required, e.missing) == (KycStatus.NOT_STARTED, [], [])


def test_draft_without_documents_is_not_started_and_lists_everything_missing() -> None:
    e = evaluate("INDIVIDUAL", "DRAFT", [])
    assert e.status is KycStatus.NOT_STARTED
    assert e.missing == INDIVIDUAL
    assert all(i.state is ItemState.MISSING for i in e.items)


def test_draft_with_a_document_is_in_progress() -> None:
    e = evaluate("INDIVIDUAL", "DRAFT", [doc("passport", "PENDING_REVIEW")])
    assert e.status is KycStatus.IN_PROGRESS
    assert e.missing == [DocumentType.PROOF_OF_ADDRESS]


def test_pending_review_entity_is_submitted() -> None:
    docs = [doc(k.value, "PENDING_REVIEW") for k in COMPANY]
    e = evaluate("COMPANY", "PENDING_REVIEW", docs)
    assert e.status is KycStatus.SUBMITTED
    assert e.missing == []
    assert not e.all_approved


def test_approved_needs_the_entity_and_every_document_approved() -> None:
    assert evaluate("COMPANY", "APPROVED", all_approved(COMPANY)).status is KycStatus.APPROVED
    assert evaluate("COMPANY", "PENDING_REVIEW", all_approved(COMPANY)).status is (
        KycStatus.SUBMITTED
    )
    partial = [*all_approved(COMPANY[:-1]), doc(COMPANY[-1].value, "PENDING_REVIEW")]
    assert evaluate("COMPANY", "APPROVED", partial).status is KycStatus.IN_PROGRESS


def test_a_rejected_required_document_makes_it_rejected_until_replaced() -> None:
    rejected = doc("passport", "REJECTED", 0, "Expired passport")
    e = evaluate("INDIVIDUAL", "PENDING_REVIEW", [rejected, doc("proof_of_address", "APPROVED")])
    assert e.status is KycStatus.REJECTED
    assert e.missing == [DocumentType.PASSPORT]
    item = e.items[0]
    assert (item.state, item.rejection_reason, item.document_id) == (
        ItemState.REJECTED,
        "Expired passport",
        rejected.id,
    )
    replaced = [rejected, doc("passport", "PENDING_REVIEW", 5), doc("proof_of_address", "APPROVED")]
    e = evaluate("INDIVIDUAL", "PENDING_REVIEW", replaced)
    assert e.status is KycStatus.SUBMITTED
    assert e.missing == []


def test_a_national_id_stands_in_for_a_passport() -> None:
    e = evaluate(
        "INDIVIDUAL",
        "APPROVED",
        [doc("national_id", "APPROVED"), doc("proof_of_address", "APPROVED")],
    )
    assert e.status is KycStatus.APPROVED
    assert DocumentType.NATIONAL_ID in e.items[0].accepted_types


def test_suspended_entity_is_rejected() -> None:
    assert evaluate("COMPANY", "SUSPENDED", all_approved(COMPANY)).status is KycStatus.REJECTED


@pytest.mark.parametrize("status", ["DRAFT", "CHANGES_REQUESTED"])
def test_editable_entity_with_documents_is_in_progress(status: str) -> None:
    assert evaluate("COMPANY", status, all_approved(COMPANY)).status is KycStatus.IN_PROGRESS


def test_approved_document_wins_over_older_and_newer_rejections() -> None:
    docs = [
        doc("passport", "REJECTED", 0, "blurry"),
        doc("passport", "APPROVED", 1),
        doc("passport", "REJECTED", 2, "wrong person"),
    ]
    item = evaluate("INDIVIDUAL", "DRAFT", docs).items[0]
    assert item.state is ItemState.APPROVED


def test_a_submitted_entity_missing_a_document_is_back_in_progress() -> None:
    # e.g. the client withdrew a pending document after submitting
    e = evaluate("INDIVIDUAL", "PENDING_REVIEW", [doc("passport", "PENDING_REVIEW")])
    assert e.status is KycStatus.IN_PROGRESS
    assert e.missing == [DocumentType.PROOF_OF_ADDRESS]
