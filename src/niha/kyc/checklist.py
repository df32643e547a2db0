"""Which KYC documents an entity needs, and its KYC status (pure: no I/O).

The checklist is data, per entity type. A requirement is met by an APPROVED document of its
type (or of an accepted substitute: a national ID card instead of a passport). Each required
item is in one state:

- ``approved``: an approved document is on file;
- ``pending``: none approved, one is waiting for review;
- ``rejected``: none approved or pending, the latest was rejected — upload a new one;
- ``missing``: nothing uploaded.

``missing`` (what the client still has to upload) lists the items that are missing or
rejected. The KYC status of an entity:

- ``NOT_STARTED``: no entity yet, or a draft without any document;
- ``APPROVED``: the entity is approved and every required item is approved;
- ``REJECTED``: the entity is suspended, or a required document was rejected and nothing
  replaced it yet;
- ``SUBMITTED``: the entity waits for review with every required document on file;
- ``IN_PROGRESS``: anything else (the client is still completing it).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class DocumentType(StrEnum):
    PASSPORT = "passport"
    NATIONAL_ID = "national_id"
    PROOF_OF_ADDRESS = "proof_of_address"
    COMPANY_REGISTRATION = "company_registration"
    ARTICLES_OF_ASSOCIATION = "articles_of_association"
    SHAREHOLDER_REGISTER = "shareholder_register"
    UBO_DECLARATION = "ubo_declaration"


class DocumentStatus(StrEnum):
    PENDING_REVIEW = "PENDING_REVIEW"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class KycStatus(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class ItemState(StrEnum):
    MISSING = "missing"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


REQUIRED: dict[str, tuple[DocumentType, ...]] = {
    "COMPANY": (
        DocumentType.COMPANY_REGISTRATION,
        DocumentType.ARTICLES_OF_ASSOCIATION,
        DocumentType.SHAREHOLDER_REGISTER,
        DocumentType.UBO_DECLARATION,
        DocumentType.PASSPORT,  # of the authorised representative
    ),
    "INDIVIDUAL": (DocumentType.PASSPORT, DocumentType.PROOF_OF_ADDRESS),
}
SUBSTITUTES: dict[DocumentType, frozenset[DocumentType]] = {
    DocumentType.PASSPORT: frozenset({DocumentType.NATIONAL_ID}),
}
DELETABLE: frozenset[DocumentStatus] = frozenset(
    {DocumentStatus.PENDING_REVIEW, DocumentStatus.REJECTED}
)


@dataclass(frozen=True)
class DocView:
    id: uuid.UUID
    document_type: str
    status: str
    created_at: datetime
    rejection_reason: str | None = None


@dataclass(frozen=True)
class Item:
    document_type: DocumentType
    state: ItemState
    document_id: uuid.UUID | None
    rejection_reason: str | None
    accepted_types: tuple[DocumentType, ...]


@dataclass(frozen=True)
class Evaluation:
    status: KycStatus
    required: list[DocumentType]
    missing: list[DocumentType]
    items: list[Item]

    @property
    def all_approved(self) -> bool:
        return all(item.state is ItemState.APPROVED for item in self.items)


def required_for(entity_type: str | None) -> tuple[DocumentType, ...]:
    return REQUIRED.get(entity_type or "", ())


def accepted_types(requirement: DocumentType) -> tuple[DocumentType, ...]:
    return (requirement, *sorted(SUBSTITUTES.get(requirement, frozenset())))


def _item(requirement: DocumentType, docs: Sequence[DocView]) -> Item:
    types = accepted_types(requirement)
    mine = sorted(
        (d for d in docs if d.document_type in types), key=lambda d: d.created_at, reverse=True
    )
    for status, state in (
        (DocumentStatus.APPROVED, ItemState.APPROVED),
        (DocumentStatus.PENDING_REVIEW, ItemState.PENDING),
        (DocumentStatus.REJECTED, ItemState.REJECTED),
    ):
        match = next((d for d in mine if d.status == status), None)
        if match is not None:
            reason = match.rejection_reason if state is ItemState.REJECTED else None
            return Item(requirement, state, match.id, reason, types)
    return Item(requirement, ItemState.MISSING, None, None, types)


def evaluate(
    entity_type: str | None, entity_status: str | None, docs: Sequence[DocView]
) -> Evaluation:
    """The checklist and KYC status of an entity (``entity_status`` ``None``: no entity)."""
    required = list(required_for(entity_type))
    items = [_item(r, docs) for r in required]
    missing = [i.document_type for i in items if i.state in (ItemState.MISSING, ItemState.REJECTED)]
    all_approved = all(i.state is ItemState.APPROVED for i in items)
    if entity_status is None:
        status = KycStatus.NOT_STARTED
    elif entity_status == "APPROVED" and all_approved:
        status = KycStatus.APPROVED
    elif entity_status == "SUSPENDED" or any(i.state is ItemState.REJECTED for i in items):
        status = KycStatus.REJECTED
    elif entity_status == "PENDING_REVIEW" and not missing:
        status = KycStatus.SUBMITTED
    elif entity_status == "DRAFT" and not docs:
        status = KycStatus.NOT_STARTED
    else:
        status = KycStatus.IN_PROGRESS
    return Evaluation(status=status, required=required, missing=missing, items=items)
