"""KYC rules: document upload, review and deletion, the per-entity checklist, and the gate.

Functions take a session and never commit. Clients reach only their own entity's documents
(any other id is 404). Every upload and deletion by a client and every staff decision is
audited; staff decisions push an event to the entity's users (``notifications``) and to staff
(``backoffice``). After any change the entity's ``kyc_status`` is recomputed through the
onboarding service (which in turn asks :func:`evaluate`; the modules import each other and use
each other only at call time).

:func:`require_approved` is the gate later domains call before moving money or trading.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.audit import service as audit
from niha.audit.service import Actor
from niha.config import Settings
from niha.core.clock import utcnow
from niha.core.db import Expectation, after_commit
from niha.core.errors import Conflict, DomainError, Forbidden, NotFound
from niha.core.events import emit
from niha.core.ids import new_id
from niha.core.pagination import PageParams, build_page, keyset_page
from niha.kyc import files
from niha.kyc.checklist import (
    DELETABLE,
    DocumentStatus,
    DocumentType,
    DocView,
    Evaluation,
    KycStatus,
)
from niha.kyc.checklist import (
    evaluate as evaluate_checklist,
)
from niha.kyc.models import KycDocument
from niha.kyc.storage import FileStore
from niha.onboarding import service as onboarding

RESOURCE = "kyc_document"

# --------------------------------------------------------------------------- errors


class KycRequired(Forbidden):
    code = "kyc_required"
    title = "KYC approval required"


class DocumentNotFound(NotFound):
    code = "document_not_found"
    title = "Document not found"


class DocumentNotDeletable(Conflict):
    code = "document_not_deletable"
    title = "Only documents pending review or rejected can be deleted"


class InvalidDocumentTransition(Conflict):
    code = "invalid_transition"
    title = "This document has already been reviewed"


class DuplicateDocument(Conflict):
    code = "duplicate_document"
    title = "This file is already on file"


class EntityRequired(Conflict):
    code = "entity_required"
    title = "Create your entity first"


class EntitySuspended(Conflict):
    code = "entity_suspended"
    title = "The entity is suspended"


class FileRefused(DomainError):
    """An upload refused for its content (``file_too_large``, ``unsupported_file_type``, ...)."""

    title = "File refused"


def file_refused(refusal: files.FileRefusal) -> FileRefused:
    return FileRefused(
        refusal.message,
        code=refusal.code,
        status=refusal.status,
        errors=[{"field": "file", "message": refusal.message, "code": refusal.code}],
    )


# --------------------------------------------------------------------------- checklist


def _view(doc: KycDocument) -> DocView:
    return DocView(
        id=doc.id,
        document_type=doc.document_type,
        status=doc.status,
        created_at=doc.created_at,
        rejection_reason=doc.rejection_reason,
    )


async def entity_documents(
    session: AsyncSession, entity_id: uuid.UUID, *, include_deleted: bool = False
) -> list[KycDocument]:
    """An entity's documents (without the deleted ones unless asked), newest first."""
    stmt = select(KycDocument).where(KycDocument.entity_id == entity_id)
    if not include_deleted:
        stmt = stmt.where(KycDocument.deleted_at.is_(None))
    rows = await session.scalars(
        stmt.order_by(KycDocument.created_at.desc(), KycDocument.id.desc())
    )
    return list(rows.all())


def checklist_of(entity_type: str, entity_status: str, docs: list[KycDocument]) -> Evaluation:
    return evaluate_checklist(entity_type, entity_status, [_view(d) for d in docs])


async def evaluate(
    session: AsyncSession, entity_id: uuid.UUID, entity_type: str, entity_status: str
) -> Evaluation:
    return checklist_of(entity_type, entity_status, await entity_documents(session, entity_id))


@dataclass(frozen=True)
class Comment:
    scope: str  # "entity" | "document"
    text: str
    document_id: uuid.UUID | None
    document_type: str | None
    created_at: datetime | None


@dataclass(frozen=True)
class StatusReport:
    status: KycStatus
    entity_id: uuid.UUID | None
    entity_type: str | None
    entity_status: str | None
    evaluation: Evaluation
    documents: list[KycDocument]
    comments: list[Comment]


async def status_report(session: AsyncSession, entity_id: uuid.UUID | None) -> StatusReport:
    """The checklist, documents and staff comments of the caller's entity."""
    entity = await onboarding.find_entity(session, entity_id) if entity_id else None
    if entity is None:
        empty = evaluate_checklist(None, None, [])
        return StatusReport(KycStatus.NOT_STARTED, None, None, None, empty, [], [])
    docs = await entity_documents(session, entity.id)
    evaluation = evaluate_checklist(entity.entity_type, entity.status, [_view(d) for d in docs])
    comments: list[Comment] = []
    if entity.review_comments and entity.status in {"CHANGES_REQUESTED", "SUSPENDED"}:
        comments.append(
            Comment("entity", entity.review_comments, None, None, entity.status_updated_at)
        )
    by_type = {t: item for item in evaluation.items for t in item.accepted_types}
    for doc in docs:
        if doc.status != DocumentStatus.REJECTED or not doc.rejection_reason:
            continue
        item = by_type.get(DocumentType(doc.document_type))
        if item is not None:
            shown = item.document_id == doc.id
        else:
            shown = not any(
                d.document_type == doc.document_type and d.created_at > doc.created_at for d in docs
            )
        if shown:
            comments.append(
                Comment(
                    "document", doc.rejection_reason, doc.id, doc.document_type, doc.reviewed_at
                )
            )
    return StatusReport(
        evaluation.status,
        entity.id,
        entity.entity_type,
        entity.status,
        evaluation,
        docs,
        comments,
    )


async def require_approved(session: AsyncSession, entity_id: uuid.UUID | None) -> None:
    """The gate: 403 ``kyc_required`` unless the entity is approved with its KYC approved."""
    if entity_id is None:
        raise _kyc_required(KycStatus.NOT_STARTED.value)
    refused = await approval_errors(session, [entity_id])
    if entity_id in refused:
        raise refused[entity_id]


async def approval_errors(
    session: AsyncSession, entity_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, KycRequired]:
    """The gate for many entities in one query: the refusal of each one not approved."""
    wanted = set(entity_ids)
    found = await onboarding.entity_statuses(session, wanted)
    refused = {}
    for entity_id in wanted:
        status, kyc_status = found.get(entity_id, (None, KycStatus.NOT_STARTED.value))
        if status != "APPROVED" or kyc_status != KycStatus.APPROVED:
            refused[entity_id] = _kyc_required(kyc_status)
    return refused


_APPROVED = (
    "(SELECT count(*) FROM onboarding_entity WHERE id = ANY(%(ids)s) "
    "AND status = 'APPROVED' AND kyc_status = %(kyc)s) = %(n)s"
)


def expect_approved(entity_ids: Collection[uuid.UUID]) -> Expectation:
    """That every one of ``entity_ids`` passes the gate of :func:`approval_errors`, for a
    caller that remembered them approved (see :func:`niha.core.db.send_expectations`)."""
    ids = list(set(entity_ids))
    return Expectation(
        _APPROVED, {"ids": ids, "kyc": KycStatus.APPROVED.value, "n": len(ids)},
        "an entity's approval",
    )  # fmt: skip


def _kyc_required(kyc_status: str) -> KycRequired:
    return KycRequired(
        "Your organisation's KYC must be approved before you can do this", kyc_status=kyc_status
    )


# --------------------------------------------------------------------------- client: documents


def store(settings: Settings) -> FileStore:
    return FileStore(settings.storage_dir)


def _doc_event(doc: KycDocument, **extra: Any) -> dict[str, Any]:
    return {
        "document_id": str(doc.id),
        "entity_id": str(doc.entity_id),
        "document_type": doc.document_type,
        "status": doc.status,
        **extra,
    }


def _doc_audit(doc: KycDocument) -> dict[str, Any]:
    return {
        "entity_id": str(doc.entity_id),
        "document_type": doc.document_type,
        "status": doc.status,
        "filename": doc.filename,
        "content_type": doc.content_type,
        "size_bytes": doc.size_bytes,
        "sha256": doc.sha256,
    }


async def upload_document(
    session: AsyncSession,
    settings: Settings,
    *,
    entity_id: uuid.UUID | None,
    user_id: uuid.UUID,
    document_type: DocumentType,
    filename: str | None,
    data: bytes,
    client_notes: str | None,
    actor: Actor,
) -> KycDocument:
    """Check the bytes, store them under a generated name, record the document (PENDING_REVIEW).

    Refusals: ``empty_file`` 422, ``file_too_large`` 413, ``unsupported_file_type`` 415,
    ``file_rejected`` 422 (polyglots, markup, scripts), ``duplicate_document`` 409 (the same
    bytes are already pending or approved for this type), ``entity_required`` 409,
    ``entity_suspended`` 409.
    """
    entity = await onboarding.find_entity(session, entity_id) if entity_id else None
    if entity is None:
        raise EntityRequired("Create your organisation's profile before uploading documents")
    if entity.status == "SUSPENDED":
        raise EntitySuspended("Your organisation is suspended; contact Niha")
    try:
        content_type = files.inspect(data, settings.kyc_max_upload_bytes)
    except files.FileRefusal as refusal:
        raise file_refused(refusal) from refusal
    digest = hashlib.sha256(data).hexdigest()
    duplicate = await session.scalar(
        select(KycDocument.id).where(
            KycDocument.entity_id == entity.id,
            KycDocument.document_type == document_type.value,
            KycDocument.sha256 == digest,
            KycDocument.deleted_at.is_(None),
            KycDocument.status.in_([DocumentStatus.PENDING_REVIEW, DocumentStatus.APPROVED]),
        )
    )
    if duplicate is not None:
        raise DuplicateDocument(
            "You already uploaded this exact file for this document type",
            document_id=str(duplicate),
        )
    fs = store(settings)
    key = await fs.write(entity.id, data)
    try:
        doc = KycDocument(
            id=new_id(),
            entity_id=entity.id,
            document_type=document_type.value,
            status=DocumentStatus.PENDING_REVIEW.value,
            filename=files.safe_filename(filename, content_type),
            content_type=content_type,
            size_bytes=len(data),
            sha256=digest,
            storage_key=key,
            client_notes=client_notes or None,
            uploaded_by=user_id,
            created_at=utcnow(),
        )
        session.add(doc)
        await session.flush()
        await onboarding.refresh_kyc_status_of(session, entity.id)
        await audit.record(
            session, actor, "kyc_document_uploaded", RESOURCE, doc.id, after=_doc_audit(doc)
        )
        await emit(session, "backoffice", "kyc_document.uploaded", _doc_event(doc))
    except BaseException:
        await fs.delete(key)
        raise
    return doc


async def my_documents(session: AsyncSession, entity_id: uuid.UUID | None) -> list[KycDocument]:
    if entity_id is None:
        return []
    return await entity_documents(session, entity_id)


async def _doc(session: AsyncSession, document_id: uuid.UUID, *, lock: bool = False) -> KycDocument:
    doc = await session.get(KycDocument, document_id, with_for_update=lock, populate_existing=lock)
    if doc is None or doc.deleted_at is not None:
        raise DocumentNotFound()
    return doc


async def own_document(
    session: AsyncSession,
    document_id: uuid.UUID,
    entity_id: uuid.UUID | None,
    *,
    lock: bool = False,
) -> KycDocument:
    doc = await _doc(session, document_id, lock=lock)
    if entity_id is None or doc.entity_id != entity_id:
        raise DocumentNotFound()
    return doc


async def delete_document(
    session: AsyncSession,
    settings: Settings,
    document_id: uuid.UUID,
    *,
    entity_id: uuid.UUID | None,
    user_id: uuid.UUID,
    actor: Actor,
) -> None:
    """Withdraw a document that is pending review or rejected; its file is removed after
    commit, the row stays (``deleted_at``) for the record."""
    doc = await own_document(session, document_id, entity_id, lock=True)
    if DocumentStatus(doc.status) not in DELETABLE:
        raise DocumentNotDeletable(
            f"This document is {doc.status} and can no longer be deleted", status_value=doc.status
        )
    doc.deleted_at = utcnow()
    doc.deleted_by = user_id
    await session.flush()
    await onboarding.refresh_kyc_status_of(session, doc.entity_id)
    await audit.record(
        session, actor, "kyc_document_deleted", RESOURCE, doc.id, before=_doc_audit(doc)
    )
    await emit(session, "backoffice", "kyc_document.deleted", _doc_event(doc))
    fs, key = store(settings), doc.storage_key

    async def _remove() -> None:
        with contextlib.suppress(OSError):
            await fs.delete(key)

    after_commit(session, _remove)


@dataclass(frozen=True)
class FileToSend:
    path: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str


async def document_file(
    session: AsyncSession,
    settings: Settings,
    document_id: uuid.UUID,
    *,
    entity_id: uuid.UUID | None,
    is_staff: bool,
) -> FileToSend:
    """A document's file: staff (with ``kyc:files``) any entity's, clients their own."""
    if is_staff:
        doc = await _doc(session, document_id)
    else:
        doc = await own_document(session, document_id, entity_id)
    fs = store(settings)
    if not fs.exists(doc.storage_key):
        raise DocumentNotFound("The file of this document is no longer available")
    return FileToSend(
        path=str(fs.path(doc.storage_key)),
        filename=doc.filename,
        content_type=doc.content_type,
        size_bytes=doc.size_bytes,
        sha256=doc.sha256,
    )


# --------------------------------------------------------------------------- staff: review


@dataclass(frozen=True)
class DocumentFilter:
    status: str | None = None
    entity_id: uuid.UUID | None = None
    document_type: str | None = None


async def review_queue(
    session: AsyncSession, f: DocumentFilter, page: PageParams
) -> tuple[list[KycDocument], str | None, dict[uuid.UUID, str | None]]:
    """Documents oldest first (a review queue), keyset-paged on (created_at, id); with the
    legal names of their entities."""
    conditions: list[ColumnElement[bool]] = [KycDocument.deleted_at.is_(None)]
    if f.status:
        conditions.append(KycDocument.status == f.status)
    if f.entity_id:
        conditions.append(KycDocument.entity_id == f.entity_id)
    if f.document_type:
        conditions.append(KycDocument.document_type == f.document_type)
    columns = KycDocument.__table__.c
    stmt = keyset_page(
        select(KycDocument).where(*conditions),
        [columns.created_at, columns.id],
        page,
        descending=False,
        parse=[datetime.fromisoformat, uuid.UUID],
    )
    rows = (await session.scalars(stmt)).all()
    items, cursor = build_page(rows, page, lambda d: [d.created_at, d.id])
    names = await onboarding.entity_names(session, {d.entity_id for d in items})
    return items, cursor, names


async def _review(
    session: AsyncSession,
    document_id: uuid.UUID,
    *,
    approve: bool,
    reason: str | None,
    actor: Actor,
) -> KycDocument:
    doc = await _doc(session, document_id, lock=True)
    if doc.status != DocumentStatus.PENDING_REVIEW:
        raise InvalidDocumentTransition(
            f"This document is already {doc.status}", status_value=doc.status
        )
    doc.status = (DocumentStatus.APPROVED if approve else DocumentStatus.REJECTED).value
    doc.rejection_reason = None if approve else reason
    doc.reviewed_by, doc.reviewed_at = actor.id, utcnow()
    await session.flush()
    await onboarding.refresh_kyc_status_of(session, doc.entity_id)
    action = "kyc_document_approved" if approve else "kyc_document_rejected"
    after: dict[str, Any] = {
        "status": doc.status,
        "entity_id": str(doc.entity_id),
        "document_type": doc.document_type,
    }
    if reason and not approve:
        after["reason"] = reason
    await audit.record(
        session, actor, action, RESOURCE, doc.id, before={"status": "PENDING_REVIEW"}, after=after
    )
    event = "kyc_document.approved" if approve else "kyc_document.rejected"
    payload = _doc_event(doc, reason=doc.rejection_reason)
    await emit(session, "notifications", event, payload, entity_id=doc.entity_id)
    await emit(session, "backoffice", event, payload)
    return doc


async def approve_document(
    session: AsyncSession, document_id: uuid.UUID, *, actor: Actor
) -> KycDocument:
    return await _review(session, document_id, approve=True, reason=None, actor=actor)


async def reject_document(
    session: AsyncSession, document_id: uuid.UUID, *, reason: str, actor: Actor
) -> KycDocument:
    return await _review(session, document_id, approve=False, reason=reason, actor=actor)
