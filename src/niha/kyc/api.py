"""HTTP routes of KYC: client uploads, documents and status; staff review queue and decisions."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from starlette.types import Message

from niha.config import Settings
from niha.core.deps import SessionDep, SettingsDep
from niha.core.errors import problem
from niha.core.pagination import Page, PageParams, page_params
from niha.identity.access import Permission, Principal, has_permission, require
from niha.kyc import service
from niha.kyc.checklist import DocumentStatus, DocumentType
from niha.kyc.schemas import CommentOut, DocumentOut, KycChecklistOut, KycStatusOut, RejectIn
from niha.onboarding.states import EntityStatus, EntityType

# Multipart framing and the small form fields around the file.
FORM_OVERHEAD = 64 * 1024


class _BodyTooLarge(Exception):
    pass


def _too_large(settings: Settings) -> Response:
    limit_mb = settings.kyc_max_upload_bytes // (1024 * 1024)
    message = f"The file is larger than the limit of {limit_mb} MB."
    return problem(
        413,
        "file_too_large",
        "File refused",
        message,
        errors=[{"field": "file", "message": message, "code": "file_too_large"}],
    )


class UploadLimitRoute(APIRoute):
    """Refuses a request body larger than the upload limit before parsing it (declared
    ``Content-Length``) and while parsing it (chunked bodies), so an oversized upload is never
    spooled to disk in full."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            settings: Settings = request.app.state.settings
            limit = settings.kyc_max_upload_bytes + FORM_OVERHEAD
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                return _too_large(settings)
            received = 0
            exceeded = False
            receive = request.receive

            async def counting() -> Message:
                nonlocal received, exceeded
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        exceeded = True
                        raise _BodyTooLarge()
                return message

            try:
                return await handler(Request(request.scope, counting, request._send))
            except Exception:
                if exceeded:
                    return _too_large(settings)
                raise

        return limited


router = APIRouter(tags=["kyc"])
upload_router = APIRouter(tags=["kyc"], route_class=UploadLimitRoute)

EntityReader = Annotated[Principal, Depends(require(Permission.ENTITY_READ))]
EntityManager = Annotated[Principal, Depends(require(Permission.ENTITY_MANAGE))]
FilesReader = Annotated[Principal, Depends(require(Permission.KYC_FILES))]
KycReader = Annotated[Principal, Depends(require(Permission.KYC_READ))]
KycReviewer = Annotated[Principal, Depends(require(Permission.KYC_REVIEW))]
Paging = Annotated[PageParams, Depends(page_params)]


# --------------------------------------------------------------------------- client


@upload_router.post(
    "/kyc/documents/upload",
    response_model=DocumentOut,
    status_code=201,
    summary="Upload a KYC document (PDF, JPEG or PNG, at most 10 MB)",
    responses={
        413: {"description": "file_too_large"},
        415: {"description": "unsupported_file_type"},
        422: {"description": "empty_file, file_rejected or a validation error"},
    },
)
async def upload_document(
    request: Request,
    principal: EntityManager,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG; decided by its content")],
    document_type: Annotated[DocumentType, Form()],
    client_notes: Annotated[str | None, Form(max_length=2000)] = None,
) -> DocumentOut:
    data = await file.read(settings.kyc_max_upload_bytes + 1)
    doc = await service.upload_document(
        session,
        settings,
        entity_id=principal.entity_id,
        user_id=principal.user_id,
        document_type=document_type,
        filename=file.filename,
        data=data,
        client_notes=(client_notes or "").strip() or None,
        actor=principal.actor(request),
    )
    return DocumentOut.of(doc)


@router.get("/kyc/documents/my-documents", response_model=list[DocumentOut])
async def my_documents(principal: EntityReader, session: SessionDep) -> list[DocumentOut]:
    docs = await service.my_documents(session, principal.entity_id)
    return [DocumentOut.of(d) for d in docs]


@router.delete("/kyc/documents/{document_id}", status_code=204, response_class=Response)
async def delete_document(
    document_id: uuid.UUID,
    request: Request,
    principal: EntityManager,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    await service.delete_document(
        session,
        settings,
        document_id,
        entity_id=principal.entity_id,
        user_id=principal.user_id,
        actor=principal.actor(request),
    )
    return Response(status_code=204)


@router.get(
    "/kyc/documents/{document_id}/file",
    response_class=FileResponse,
    summary="Download a document's file (the entity's owner, or staff)",
    responses={
        200: {
            "content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}},
            "description": "The file, as an attachment",
        }
    },
)
async def document_file(
    document_id: uuid.UUID, principal: FilesReader, session: SessionDep, settings: SettingsDep
) -> FileResponse:
    f = await service.document_file(
        session,
        settings,
        document_id,
        entity_id=principal.entity_id,
        is_staff=principal.is_staff and has_permission(principal, Permission.KYC_FILES),
    )
    return FileResponse(
        f.path,
        media_type=f.content_type,
        filename=f.filename,
        content_disposition_type="attachment",
        headers={
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@router.get("/kyc/status", response_model=KycStatusOut)
async def kyc_status(principal: EntityReader, session: SessionDep) -> KycStatusOut:
    report = await service.status_report(session, principal.entity_id)
    checklist = KycChecklistOut.of(report.evaluation)
    return KycStatusOut(
        status=report.status,
        entity_id=report.entity_id,
        entity_type=EntityType(report.entity_type) if report.entity_type else None,
        entity_status=EntityStatus(report.entity_status) if report.entity_status else None,
        required=checklist.required,
        missing=checklist.missing,
        checklist=checklist.checklist,
        documents=[DocumentOut.of(d) for d in report.documents],
        comments=[
            CommentOut(
                scope="entity" if c.scope == "entity" else "document",
                text=c.text,
                document_id=c.document_id,
                document_type=DocumentType(c.document_type) if c.document_type else None,
                created_at=c.created_at,
            )
            for c in report.comments
        ],
    )


# --------------------------------------------------------------------------- staff


@router.get("/admin/kyc/documents", response_model=Page[DocumentOut])
async def review_queue(
    _: KycReader,
    session: SessionDep,
    page: Paging,
    status: DocumentStatus | None = None,
    entity_id: uuid.UUID | None = None,
    document_type: DocumentType | None = None,
) -> Page[DocumentOut]:
    """Oldest first: ``?status=PENDING_REVIEW`` is the review queue."""
    items, cursor, names = await service.review_queue(
        session,
        service.DocumentFilter(
            status=status.value if status else None,
            entity_id=entity_id,
            document_type=document_type.value if document_type else None,
        ),
        page,
    )
    return Page(
        items=[DocumentOut.of(d, names.get(d.entity_id)) for d in items], next_cursor=cursor
    )


@router.post("/admin/kyc/documents/{document_id}/approve", response_model=DocumentOut)
async def approve_document(
    document_id: uuid.UUID, request: Request, principal: KycReviewer, session: SessionDep
) -> DocumentOut:
    doc = await service.approve_document(session, document_id, actor=principal.actor(request))
    return DocumentOut.of(doc)


@router.post("/admin/kyc/documents/{document_id}/reject", response_model=DocumentOut)
async def reject_document(
    document_id: uuid.UUID,
    body: RejectIn,
    request: Request,
    principal: KycReviewer,
    session: SessionDep,
) -> DocumentOut:
    doc = await service.reject_document(
        session, document_id, reason=body.reason, actor=principal.actor(request)
    )
    return DocumentOut.of(doc)
