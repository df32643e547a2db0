"""API shapes of the KYC domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainSerializer, StringConstraints

from niha.core.clock import isoformat_z
from niha.kyc.checklist import DocumentStatus, DocumentType, Evaluation, ItemState, KycStatus
from niha.kyc.models import KycDocument
from niha.onboarding.states import EntityStatus, EntityType

UtcDatetime = Annotated[datetime, PlainSerializer(isoformat_z, return_type=str)]
ContentType = Literal["application/pdf", "image/png", "image/jpeg"]


def _no_control(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        raise ValueError("must not contain control characters")
    return value


Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(_no_control),
]


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    entity_id: uuid.UUID
    document_type: DocumentType
    status: DocumentStatus
    filename: str
    content_type: ContentType
    size_bytes: int
    sha256: str
    client_notes: str | None
    rejection_reason: str | None
    uploaded_by: uuid.UUID | None
    created_at: UtcDatetime
    reviewed_by: uuid.UUID | None
    reviewed_at: UtcDatetime | None
    entity_name: str | None = None

    @classmethod
    def of(cls, doc: KycDocument, entity_name: str | None = None) -> DocumentOut:
        out = cls.model_validate(doc)
        out.entity_name = entity_name
        return out


class ChecklistItemOut(BaseModel):
    document_type: DocumentType
    state: ItemState
    accepted_types: list[DocumentType]
    document_id: uuid.UUID | None
    rejection_reason: str | None


class KycChecklistOut(BaseModel):
    required: list[DocumentType]
    missing: list[DocumentType]
    checklist: list[ChecklistItemOut]

    @classmethod
    def of(cls, evaluation: Evaluation) -> KycChecklistOut:
        return cls(
            required=evaluation.required,
            missing=evaluation.missing,
            checklist=[
                ChecklistItemOut(
                    document_type=i.document_type,
                    state=i.state,
                    accepted_types=list(i.accepted_types),
                    document_id=i.document_id,
                    rejection_reason=i.rejection_reason,
                )
                for i in evaluation.items
            ],
        )


class CommentOut(BaseModel):
    scope: Literal["entity", "document"]
    text: str
    document_id: uuid.UUID | None
    document_type: DocumentType | None
    created_at: UtcDatetime | None


class KycStatusOut(KycChecklistOut):
    status: KycStatus
    entity_id: uuid.UUID | None
    entity_type: EntityType | None
    entity_status: EntityStatus | None
    documents: list[DocumentOut]
    comments: list[CommentOut]


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason
