"""HTTP routes of onboarding: the public contact form, staff contact-request handling, the
client's entity and its members, and staff entity review."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, Request

from niha.core.clock import as_utc
from niha.core.deps import RateLimiterDep, SessionDep, SettingsDep, client_ip
from niha.core.pagination import Page, PageParams, page_params
from niha.identity.access import Permission, Principal, require
from niha.identity.principal import anonymous_actor
from niha.onboarding import service
from niha.onboarding.schemas import (
    ContactInviteIn,
    ContactRequestCreatedOut,
    ContactRequestIn,
    ContactRequestOut,
    ContactRequestPatch,
    EntityDetailOut,
    EntityIn,
    EntityOut,
    MemberInviteIn,
    MemberOut,
    MemberPatchIn,
    ReactivateIn,
    ReviewCommentsIn,
    SuspendIn,
)
from niha.onboarding.states import ContactStatus, EntityStatus, EntityType

public_router = APIRouter(tags=["onboarding"])
client_router = APIRouter(prefix="/onboarding", tags=["onboarding"])
admin_router = APIRouter(prefix="/admin", tags=["onboarding"])

ContactsReader = Annotated[Principal, Depends(require(Permission.CONTACTS_READ))]
ContactsManager = Annotated[Principal, Depends(require(Permission.CONTACTS_MANAGE))]
EntitiesReader = Annotated[Principal, Depends(require(Permission.ENTITIES_READ))]
EntitiesReviewer = Annotated[Principal, Depends(require(Permission.ENTITIES_REVIEW))]
EntityReader = Annotated[Principal, Depends(require(Permission.ENTITY_READ))]
EntityManager = Annotated[Principal, Depends(require(Permission.ENTITY_MANAGE))]
Paging = Annotated[PageParams, Depends(page_params)]
KycStatusValue = Literal["NOT_STARTED", "IN_PROGRESS", "SUBMITTED", "APPROVED", "REJECTED"]


def _fields(body: EntityIn) -> service.EntityFields:
    return service.EntityFields(**body.model_dump())


# --------------------------------------------------------------------------- public


@public_router.post(
    "/contact-requests",
    response_model=ContactRequestCreatedOut,
    status_code=201,
    summary="Ask for access (public; rate-limited per IP)",
)
async def create_contact_request(
    body: ContactRequestIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limiter: RateLimiterDep,
) -> ContactRequestCreatedOut:
    await limiter.check(settings.contact_rate_per_ip, "contact-request", client_ip(request))
    row = await service.create_contact_request(
        session,
        service.ContactRequestData(
            name=body.name,
            email=str(body.email),
            company=body.company,
            country=body.country,
            message=body.message,
            interest=body.interest.value,
        ),
        actor=anonymous_actor(request, str(body.email).strip().lower()),
    )
    return ContactRequestCreatedOut(
        id=row.id, status=ContactStatus(row.status), created_at=row.created_at
    )


# --------------------------------------------------------------------------- staff: contacts


@admin_router.get("/contact-requests", response_model=Page[ContactRequestOut])
async def list_contact_requests(
    _: ContactsReader,
    session: SessionDep,
    page: Paging,
    status: ContactStatus | None = None,
    date_from: Annotated[datetime | None, Query(description="inclusive, ISO 8601")] = None,
    date_to: Annotated[datetime | None, Query(description="exclusive, ISO 8601")] = None,
    search: Annotated[str | None, Query(max_length=200, description="name, email or company")] = (
        None
    ),
) -> Page[ContactRequestOut]:
    rows, cursor = await service.list_contact_requests(
        session,
        service.ContactFilter(
            status=status.value if status else None,
            date_from=as_utc(date_from),
            date_to=as_utc(date_to),
            search=search or None,
        ),
        page,
    )
    return Page(items=[ContactRequestOut.model_validate(r) for r in rows], next_cursor=cursor)


@admin_router.patch("/contact-requests/{request_id}", response_model=ContactRequestOut)
async def update_contact_request(
    request_id: uuid.UUID,
    body: ContactRequestPatch,
    request: Request,
    principal: ContactsManager,
    session: SessionDep,
) -> ContactRequestOut:
    row = await service.update_contact_request(
        session,
        request_id,
        status=body.status.value if body.status else None,
        notes=body.notes,
        notes_set="notes" in body.model_fields_set,
        actor=principal.actor(request),
    )
    return ContactRequestOut.model_validate(row)


@admin_router.post(
    "/contact-requests/{request_id}/invite",
    response_model=ContactRequestOut,
    summary="Invite the prospect as the owner of a new entity (status CONVERTED)",
)
async def invite_contact(
    request_id: uuid.UUID,
    request: Request,
    principal: ContactsManager,
    session: SessionDep,
    settings: SettingsDep,
    body: Annotated[ContactInviteIn | None, Body()] = None,
) -> ContactRequestOut:
    row, _ = await service.invite_contact(
        session,
        settings,
        request_id,
        name=body.name if body else None,
        email=str(body.email) if body and body.email else None,
        actor=principal.actor(request),
    )
    return ContactRequestOut.model_validate(row)


# --------------------------------------------------------------------------- client: entity


@client_router.get("/entity", response_model=EntityOut, summary="My entity")
async def my_entity(principal: EntityReader, session: SessionDep) -> EntityOut:
    return EntityOut.model_validate(await service.my_entity(session, principal.entity_id))


@client_router.post("/entity", response_model=EntityOut, status_code=201)
async def create_entity(
    body: EntityIn, request: Request, principal: EntityManager, session: SessionDep
) -> EntityOut:
    entity = await service.create_entity(
        session,
        user_id=principal.user_id,
        caller_entity_id=principal.entity_id,
        data=_fields(body),
        actor=principal.actor(request),
    )
    return EntityOut.model_validate(entity)


@client_router.put("/entity/{entity_id}", response_model=EntityOut)
async def update_entity(
    entity_id: uuid.UUID,
    body: EntityIn,
    request: Request,
    principal: EntityManager,
    session: SessionDep,
) -> EntityOut:
    entity = await service.update_entity(
        session,
        entity_id,
        caller_entity_id=principal.entity_id,
        data=_fields(body),
        actor=principal.actor(request),
    )
    return EntityOut.model_validate(entity)


@client_router.post("/entity/{entity_id}/submit", response_model=EntityOut)
async def submit_entity(
    entity_id: uuid.UUID, request: Request, principal: EntityManager, session: SessionDep
) -> EntityOut:
    entity = await service.submit_entity(
        session, entity_id, caller_entity_id=principal.entity_id, actor=principal.actor(request)
    )
    return EntityOut.model_validate(entity)


@client_router.get("/entity/{entity_id}/members", response_model=list[MemberOut])
async def list_members(
    entity_id: uuid.UUID, principal: EntityReader, session: SessionDep
) -> list[MemberOut]:
    users = await service.list_members(session, entity_id, caller_entity_id=principal.entity_id)
    return [MemberOut.model_validate(u) for u in users]


@client_router.post("/entity/{entity_id}/members", response_model=MemberOut, status_code=201)
async def invite_member(
    entity_id: uuid.UUID,
    body: MemberInviteIn,
    request: Request,
    principal: EntityManager,
    session: SessionDep,
    settings: SettingsDep,
) -> MemberOut:
    user = await service.invite_member(
        session,
        settings,
        entity_id,
        caller_entity_id=principal.entity_id,
        email=str(body.email),
        name=body.name,
        entity_role=body.entity_role.value,
        actor=principal.actor(request),
    )
    return MemberOut.model_validate(user)


@client_router.patch("/entity/{entity_id}/members/{user_id}", response_model=MemberOut)
async def update_member(
    entity_id: uuid.UUID,
    user_id: uuid.UUID,
    body: MemberPatchIn,
    request: Request,
    principal: EntityManager,
    session: SessionDep,
) -> MemberOut:
    """An owner changes a colleague's role, or removes or restores their access."""
    user = await service.update_member(
        session,
        entity_id,
        user_id,
        caller_entity_id=principal.entity_id,
        actor=principal.actor(request),
        entity_role=body.entity_role.value if body.entity_role else None,
        status=body.status,
    )
    return MemberOut.model_validate(user)


# --------------------------------------------------------------------------- staff: entities


@admin_router.get("/entities", response_model=Page[EntityOut])
async def list_entities(
    _: EntitiesReader,
    session: SessionDep,
    page: Paging,
    status: EntityStatus | None = None,
    jurisdiction: Annotated[str | None, Query(max_length=6)] = None,
    entity_type: EntityType | None = None,
    kyc_status: KycStatusValue | None = None,
    search: Annotated[str | None, Query(max_length=200, description="legal name or number")] = (
        None
    ),
) -> Page[EntityOut]:
    rows, cursor = await service.list_entities(
        session,
        service.EntityFilter(
            status=status.value if status else None,
            jurisdiction=jurisdiction.upper() if jurisdiction else None,
            entity_type=entity_type.value if entity_type else None,
            kyc_status=kyc_status,
            search=search or None,
        ),
        page,
    )
    return Page(items=[EntityOut.model_validate(e) for e in rows], next_cursor=cursor)


@admin_router.get("/entities/{entity_id}", response_model=EntityDetailOut)
async def get_entity(
    entity_id: uuid.UUID, _: EntitiesReader, session: SessionDep
) -> EntityDetailOut:
    detail = await service.entity_detail(session, entity_id)
    return EntityDetailOut.of(detail)


@admin_router.post("/entities/{entity_id}/approve", response_model=EntityOut)
async def approve_entity(
    entity_id: uuid.UUID, request: Request, principal: EntitiesReviewer, session: SessionDep
) -> EntityOut:
    entity = await service.approve_entity(session, entity_id, actor=principal.actor(request))
    return EntityOut.model_validate(entity)


@admin_router.post("/entities/{entity_id}/request-changes", response_model=EntityOut)
async def request_changes(
    entity_id: uuid.UUID,
    body: ReviewCommentsIn,
    request: Request,
    principal: EntitiesReviewer,
    session: SessionDep,
) -> EntityOut:
    entity = await service.request_changes(
        session, entity_id, comments=body.comments, actor=principal.actor(request)
    )
    return EntityOut.model_validate(entity)


@admin_router.post("/entities/{entity_id}/suspend", response_model=EntityOut)
async def suspend_entity(
    entity_id: uuid.UUID,
    body: SuspendIn,
    request: Request,
    principal: EntitiesReviewer,
    session: SessionDep,
) -> EntityOut:
    entity = await service.suspend_entity(
        session, entity_id, reason=body.reason, actor=principal.actor(request)
    )
    return EntityOut.model_validate(entity)


@admin_router.post("/entities/{entity_id}/reactivate", response_model=EntityOut)
async def reactivate_entity(
    entity_id: uuid.UUID,
    request: Request,
    principal: EntitiesReviewer,
    session: SessionDep,
    body: Annotated[ReactivateIn | None, Body()] = None,
) -> EntityOut:
    entity = await service.reactivate_entity(
        session,
        entity_id,
        comments=body.comments if body else None,
        actor=principal.actor(request),
    )
    return EntityOut.model_validate(entity)
