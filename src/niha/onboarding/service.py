"""Onboarding rules: contact requests, entities and their review, entity members.

Functions take a session and never commit. Client-facing functions take the caller's
``entity_id`` and answer 404 for any other entity's id (an entity's existence is not
revealed to other clients). Every client submission and every staff decision is audited;
staff decisions also push an event to the entity's users (``notifications``) and to staff
(``backoffice``).

KYC documents belong to the KYC domain; this module asks :mod:`niha.kyc.service` for the
checklist (submitting and approving depend on it), and the KYC service asks this one to
refresh an entity's ``kyc_status`` when documents change (the two modules import each other;
neither uses the other at import time).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.audit import service as audit
from niha.audit.models import AuditLog
from niha.audit.service import Actor
from niha.config import Settings
from niha.core.clock import utcnow
from niha.core.db import fetch
from niha.core.errors import Conflict, NotFound, Unprocessable
from niha.core.events import emit
from niha.core.ids import new_id
from niha.core.pagination import PageParams, build_page, keyset_page
from niha.identity import service as identity
from niha.identity.models import User
from niha.identity.roles import EntityRole, UserStatus
from niha.kyc import service as kyc
from niha.kyc.checklist import Evaluation
from niha.kyc.models import KycDocument
from niha.onboarding.countries import jurisdiction_country
from niha.onboarding.models import ContactRequest, Entity
from niha.onboarding.states import (
    CONTACT_INVITABLE,
    EDITABLE,
    ContactStatus,
    EntityAction,
    EntityStatus,
    EntityType,
    contact_transition_allowed,
    entity_transition,
)
from niha.onboarding.validation import InvalidTaxIdError, normalize_tax_id

CONTACT_RESOURCE = "contact_request"
ENTITY_RESOURCE = "entity"

# --------------------------------------------------------------------------- errors


class ContactRequestNotFound(NotFound):
    code = "contact_request_not_found"
    title = "Contact request not found"


class EntityNotFound(NotFound):
    code = "entity_not_found"
    title = "Entity not found"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "This status change is not allowed"


class EntityNotEditable(Conflict):
    code = "entity_not_editable"
    title = "The entity can only be edited in DRAFT or CHANGES_REQUESTED"


class EntityExists(Conflict):
    code = "entity_exists"
    title = "You already belong to an entity"


class IncompleteEntity(Unprocessable):
    code = "incomplete_entity"
    title = "The entity is not complete"


class KycIncomplete(Conflict):
    code = "kyc_incomplete"
    title = "Required KYC documents are not approved"


class InvalidTaxId(Unprocessable):
    code = "invalid_tax_id"
    title = "Invalid tax id"


class MemberEmailTaken(Conflict):
    code = "email_taken"
    title = "A user with this email already exists"


class MemberNotFound(NotFound):
    code = "member_not_found"
    title = "No such member of your organisation"


class LastOwner(Conflict):
    code = "last_owner"
    title = "An organisation keeps at least one active owner"


# --------------------------------------------------------------------------- contact requests


@dataclass(frozen=True)
class ContactRequestData:
    name: str
    email: str
    company: str | None
    country: str
    message: str
    interest: str


def _contact_snapshot(row: ContactRequest) -> dict[str, Any]:
    return {"status": row.status, "notes": row.notes}


def _contact_event(row: ContactRequest) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "status": row.status,
        "name": row.name,
        "company": row.company,
        "country": row.country,
        "interest": row.interest,
    }


async def create_contact_request(
    session: AsyncSession, data: ContactRequestData, *, actor: Actor
) -> ContactRequest:
    now = utcnow()
    row = ContactRequest(
        id=new_id(),
        name=data.name,
        email=identity.normalize_email(data.email),
        company=data.company,
        country=data.country,
        message=data.message,
        interest=data.interest,
        status=ContactStatus.NEW.value,
        ip=actor.ip,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor,
        "contact_request_created",
        CONTACT_RESOURCE,
        row.id,
        after={"email": row.email, "company": row.company, "interest": row.interest},
    )
    await emit(session, "backoffice", "contact_request.created", _contact_event(row))
    return row


@dataclass(frozen=True)
class ContactFilter:
    status: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    search: str | None = None


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_contact_requests(
    session: AsyncSession, f: ContactFilter, page: PageParams
) -> tuple[list[ContactRequest], str | None]:
    """Newest first, keyset-paged on (created_at, id)."""
    conditions: list[ColumnElement[bool]] = []
    if f.status:
        conditions.append(ContactRequest.status == f.status)
    if f.date_from:
        conditions.append(ContactRequest.created_at >= f.date_from)
    if f.date_to:
        conditions.append(ContactRequest.created_at < f.date_to)
    if f.search:
        pattern = f"%{_escape_like(f.search)}%"
        conditions.append(
            ContactRequest.email.ilike(pattern, escape="\\")
            | ContactRequest.name.ilike(pattern, escape="\\")
            | ContactRequest.company.ilike(pattern, escape="\\")
        )
    columns = ContactRequest.__table__.c
    stmt = keyset_page(
        select(ContactRequest).where(*conditions),
        [columns.created_at, columns.id],
        page,
        descending=True,
        parse=[datetime.fromisoformat, uuid.UUID],
    )
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page, lambda r: [r.created_at, r.id])


async def _lock_contact(session: AsyncSession, request_id: uuid.UUID) -> ContactRequest:
    row = await session.get(
        ContactRequest, request_id, with_for_update=True, populate_existing=True
    )
    if row is None:
        raise ContactRequestNotFound()
    return row


async def get_contact_request(session: AsyncSession, request_id: uuid.UUID) -> ContactRequest:
    row = await session.get(ContactRequest, request_id)
    if row is None:
        raise ContactRequestNotFound()
    return row


async def update_contact_request(
    session: AsyncSession,
    request_id: uuid.UUID,
    *,
    status: str | None,
    notes: str | None,
    notes_set: bool,
    actor: Actor,
) -> ContactRequest:
    """Change the status (``NEW -> CONTACTED -> CONVERTED | CLOSED``) and/or the notes."""
    row = await _lock_contact(session, request_id)
    before = _contact_snapshot(row)
    current = ContactStatus(row.status)
    if status is not None and status != current:
        target = ContactStatus(status)
        if not contact_transition_allowed(current, target):
            raise InvalidTransition(
                f"A {current.value} contact request cannot become {target.value}",
                current=current.value,
                target=target.value,
            )
        row.status = target.value
    if notes_set:
        row.notes = notes
    if _contact_snapshot(row) == before:
        return row
    row.updated_at = utcnow()
    row.handled_by = actor.id
    await session.flush()
    await audit.record(
        session,
        actor,
        "contact_request_updated",
        CONTACT_RESOURCE,
        row.id,
        before=before,
        after=_contact_snapshot(row),
    )
    await emit(session, "backoffice", "contact_request.updated", _contact_event(row))
    return row


async def invite_contact(
    session: AsyncSession,
    settings: Settings,
    request_id: uuid.UUID,
    *,
    name: str | None,
    email: str | None,
    actor: Actor,
) -> tuple[ContactRequest, User]:
    """Invite the prospect as the owner of an entity still to be created; -> CONVERTED.

    A CONVERTED request may be invited again (a fresh link while the invitation is not
    accepted). An address that already belongs to a user (other than this request's invited,
    entity-less owner) answers 409 ``email_taken``.
    """
    row = await _lock_contact(session, request_id)
    current = ContactStatus(row.status)
    if current not in CONTACT_INVITABLE:
        raise InvalidTransition(
            f"A {current.value} contact request cannot be invited",
            current=current.value,
            target=ContactStatus.CONVERTED.value,
        )
    address = identity.normalize_email(email or row.email)
    existing = await identity.find_user_by_email(session, address)
    if existing is not None and (
        existing.status != UserStatus.INVITED
        or existing.role is not None
        or existing.entity_id is not None
    ):
        raise MemberEmailTaken()
    user, _ = await identity.invite_user(
        session,
        settings,
        email=address,
        name=(name or row.name).strip(),
        entity_role=EntityRole.OWNER.value,
        actor=actor,
    )
    before = _contact_snapshot(row)
    now = utcnow()
    row.status = ContactStatus.CONVERTED.value
    row.invited_user_id, row.invited_at = user.id, now
    row.handled_by, row.updated_at = actor.id, now
    await session.flush()
    await audit.record(
        session,
        actor,
        "contact_request_invited",
        CONTACT_RESOURCE,
        row.id,
        before=before,
        after={**_contact_snapshot(row), "user_id": str(user.id), "email": user.email},
    )
    await emit(session, "backoffice", "contact_request.updated", _contact_event(row))
    return row, user


# --------------------------------------------------------------------------- entities


@dataclass(frozen=True)
class EntityFields:
    """What the client edits (already shape-checked by the API schema)."""

    entity_type: str
    legal_name: str | None = None
    registration_number: str | None = None
    jurisdiction: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None
    tax_id: str | None = None
    incorporation_date: date | None = None
    website: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(EntityFields))
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    EntityType.COMPANY: (
        "legal_name",
        "registration_number",
        "jurisdiction",
        "address_line1",
        "city",
        "postal_code",
        "country",
        "incorporation_date",
    ),
    EntityType.INDIVIDUAL: (
        "legal_name",
        "registration_number",
        "jurisdiction",
        "address_line1",
        "city",
        "postal_code",
        "country",
    ),
}


def missing_fields(entity: Entity) -> list[str]:
    return [
        name
        for name in REQUIRED_FIELDS[EntityType(entity.entity_type)]
        if getattr(entity, name) in (None, "")
    ]


def _snapshot(entity: Entity) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(entity, name) for name in FIELD_NAMES}
    if entity.incorporation_date is not None:
        data["incorporation_date"] = entity.incorporation_date.isoformat()
    data["status"] = entity.status
    return data


def _checked_fields(data: EntityFields) -> EntityFields:
    """Validate the tax id against the entity's country (python-stdnum)."""
    if not data.tax_id:
        return data
    country = jurisdiction_country(data.jurisdiction) if data.jurisdiction else data.country
    try:
        tax_id = normalize_tax_id(
            data.tax_id, entity_type=EntityType(data.entity_type), country=country
        )
    except InvalidTaxIdError as exc:
        message = str(exc)
        raise InvalidTaxId(
            f"tax_id: {message}",
            field="tax_id",
            errors=[{"field": "tax_id", "message": message, "code": "invalid_tax_id"}],
        ) from exc
    return EntityFields(**{**{n: getattr(data, n) for n in FIELD_NAMES}, "tax_id": tax_id})


async def find_entity(session: AsyncSession, entity_id: uuid.UUID) -> Entity | None:
    return await session.get(Entity, entity_id)


async def entity_statuses(
    session: AsyncSession, entity_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str]]:
    """``(status, kyc_status)`` of each existing entity of ``entity_ids``, in one query.

    Plain SQL: the exchange checks every group of orders with it.
    """
    rows = await fetch(
        session,
        "SELECT id, status, kyc_status FROM onboarding_entity WHERE id = ANY(%s)",
        (list(entity_ids),),
    )
    return {r[0]: (r[1], r[2]) for r in rows}


async def get_entity(session: AsyncSession, entity_id: uuid.UUID) -> Entity:
    entity = await session.get(Entity, entity_id)
    if entity is None:
        raise EntityNotFound()
    return entity


async def _lock_entity(session: AsyncSession, entity_id: uuid.UUID) -> Entity:
    entity = await session.get(Entity, entity_id, with_for_update=True, populate_existing=True)
    if entity is None:
        raise EntityNotFound()
    return entity


def _own(entity_id: uuid.UUID, caller_entity_id: uuid.UUID | None) -> None:
    """Clients reach only their own entity; any other id is simply not found."""
    if caller_entity_id is None or entity_id != caller_entity_id:
        raise EntityNotFound()


async def my_entity(session: AsyncSession, caller_entity_id: uuid.UUID | None) -> Entity:
    if caller_entity_id is None:
        raise EntityNotFound("You have not created your entity yet")
    return await get_entity(session, caller_entity_id)


async def refresh_kyc_status(session: AsyncSession, entity: Entity) -> str:
    """Recompute ``entity.kyc_status`` from the entity and its documents."""
    evaluation = await kyc.evaluate(session, entity.id, entity.entity_type, entity.status)
    entity.kyc_status = evaluation.status.value
    return entity.kyc_status


async def refresh_kyc_status_of(session: AsyncSession, entity_id: uuid.UUID) -> str:
    """For the KYC service after a document changed (locks the entity row)."""
    return await refresh_kyc_status(session, await _lock_entity(session, entity_id))


async def create_entity(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    caller_entity_id: uuid.UUID | None,
    data: EntityFields,
    actor: Actor,
) -> Entity:
    """A new DRAFT entity; the caller (an invited owner without an entity) becomes its owner."""
    if caller_entity_id is not None:
        raise EntityExists()
    data = _checked_fields(data)
    now = utcnow()
    entity = Entity(
        id=new_id(),
        **{name: getattr(data, name) for name in FIELD_NAMES},
        status=EntityStatus.DRAFT.value,
        status_updated_at=now,
        status_updated_by=user_id,
        kyc_status="NOT_STARTED",
        created_by=user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(entity)
    await session.flush()
    await identity.attach_to_entity(
        session,
        user_id=user_id,
        entity_id=entity.id,
        entity_role=EntityRole.OWNER.value,
        actor=actor,
    )
    await refresh_kyc_status(session, entity)
    await audit.record(
        session, actor, "entity_created", ENTITY_RESOURCE, entity.id, after=_snapshot(entity)
    )
    return entity


async def update_entity(
    session: AsyncSession,
    entity_id: uuid.UUID,
    *,
    caller_entity_id: uuid.UUID | None,
    data: EntityFields,
    actor: Actor,
) -> Entity:
    """Replace the editable fields (PUT); only in DRAFT or CHANGES_REQUESTED."""
    _own(entity_id, caller_entity_id)
    entity = await _lock_entity(session, entity_id)
    if EntityStatus(entity.status) not in EDITABLE:
        raise EntityNotEditable(
            f"The entity is {entity.status}; it can only be edited in DRAFT or CHANGES_REQUESTED",
            status_value=entity.status,
        )
    data = _checked_fields(data)
    before = _snapshot(entity)
    for name in FIELD_NAMES:
        setattr(entity, name, getattr(data, name))
    after = _snapshot(entity)
    if after == before:
        return entity
    entity.updated_at = utcnow()
    await refresh_kyc_status(session, entity)
    await session.flush()
    changed = {k for k in after if after[k] != before[k]}
    await audit.record(
        session,
        actor,
        "entity_updated",
        ENTITY_RESOURCE,
        entity.id,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return entity


def _event(entity: Entity, **extra: Any) -> dict[str, Any]:
    return {
        "entity_id": str(entity.id),
        "legal_name": entity.legal_name,
        "status": entity.status,
        "kyc_status": entity.kyc_status,
        **extra,
    }


async def _transition(
    session: AsyncSession, entity: Entity, action: EntityAction, actor: Actor
) -> tuple[str, str]:
    current = EntityStatus(entity.status)
    suspended_from = EntityStatus(entity.suspended_from) if entity.suspended_from else None
    target = entity_transition(current, action, suspended_from)
    if target is None:
        raise InvalidTransition(
            f"Cannot {action.value.replace('_', ' ')} an entity that is {current.value}",
            current=current.value,
            action=action.value,
        )
    now = utcnow()
    entity.suspended_from = current.value if target is EntityStatus.SUSPENDED else None
    entity.status = target.value
    entity.status_updated_at = entity.updated_at = now
    entity.status_updated_by = actor.id
    return current.value, target.value


async def submit_entity(
    session: AsyncSession, entity_id: uuid.UUID, *, caller_entity_id: uuid.UUID | None, actor: Actor
) -> Entity:
    """DRAFT | CHANGES_REQUESTED -> PENDING_REVIEW, when every required field and document is
    there (pending review counts); otherwise 422 ``incomplete_entity`` listing what is missing."""
    _own(entity_id, caller_entity_id)
    entity = await _lock_entity(session, entity_id)
    if EntityStatus(entity.status) not in EDITABLE:
        raise InvalidTransition(
            f"Cannot submit an entity that is {entity.status}",
            current=entity.status,
            action=EntityAction.SUBMIT.value,
        )
    evaluation = await kyc.evaluate(session, entity.id, entity.entity_type, entity.status)
    lacking = missing_fields(entity)
    docs = [d.value for d in evaluation.missing]
    if lacking or docs:
        parts = []
        if lacking:
            parts.append("fields: " + ", ".join(lacking))
        if docs:
            parts.append("documents: " + ", ".join(docs))
        raise IncompleteEntity(
            "Complete the entity before submitting it; missing " + "; ".join(parts),
            missing_fields=lacking,
            missing_documents=docs,
        )
    before, after = await _transition(session, entity, EntityAction.SUBMIT, actor)
    entity.submitted_at = entity.status_updated_at
    await refresh_kyc_status(session, entity)
    await session.flush()
    await audit.record(
        session,
        actor,
        "entity_submitted",
        ENTITY_RESOURCE,
        entity.id,
        before={"status": before},
        after={"status": after},
    )
    await emit(session, "backoffice", "entity.submitted", _event(entity))
    return entity


async def _decide(
    session: AsyncSession,
    entity: Entity,
    action: EntityAction,
    *,
    actor: Actor,
    audit_action: str,
    event: str,
    comments: str | None = None,
) -> Entity:
    before, after = await _transition(session, entity, action, actor)
    if action in (EntityAction.REQUEST_CHANGES, EntityAction.SUSPEND):
        entity.review_comments = comments
    elif action is EntityAction.REACTIVATE:
        entity.review_comments = None
    await refresh_kyc_status(session, entity)
    await session.flush()
    details: dict[str, Any] = {"status": after}
    if comments:
        details["comments"] = comments
    await audit.record(
        session,
        actor,
        audit_action,
        ENTITY_RESOURCE,
        entity.id,
        before={"status": before},
        after=details,
    )
    payload = _event(entity, comments=comments)
    await emit(session, "notifications", event, payload, entity_id=entity.id)
    await emit(session, "backoffice", event, payload)
    return entity


async def approve_entity(session: AsyncSession, entity_id: uuid.UUID, *, actor: Actor) -> Entity:
    """PENDING_REVIEW -> APPROVED, only when every required KYC document is approved."""
    entity = await _lock_entity(session, entity_id)
    if entity.status == EntityStatus.PENDING_REVIEW:
        evaluation = await kyc.evaluate(session, entity.id, entity.entity_type, entity.status)
        if not evaluation.all_approved:
            waiting = [i.document_type.value for i in evaluation.items if i.state != "approved"]
            raise KycIncomplete(
                "Approve every required KYC document first; not approved: " + ", ".join(waiting),
                documents=waiting,
            )
        lacking = missing_fields(entity)
        if lacking:
            raise IncompleteEntity(
                "The entity lacks required fields: " + ", ".join(lacking),
                missing_fields=lacking,
                missing_documents=[],
            )
    entity = await _decide(
        session,
        entity,
        EntityAction.APPROVE,
        actor=actor,
        audit_action="entity_approved",
        event="entity.approved",
    )
    entity.approved_at = entity.status_updated_at
    entity.review_comments = None
    return entity


async def request_changes(
    session: AsyncSession, entity_id: uuid.UUID, *, comments: str, actor: Actor
) -> Entity:
    entity = await _lock_entity(session, entity_id)
    return await _decide(
        session,
        entity,
        EntityAction.REQUEST_CHANGES,
        actor=actor,
        audit_action="entity_changes_requested",
        event="entity.changes_requested",
        comments=comments,
    )


async def suspend_entity(
    session: AsyncSession, entity_id: uuid.UUID, *, reason: str, actor: Actor
) -> Entity:
    entity = await _lock_entity(session, entity_id)
    return await _decide(
        session,
        entity,
        EntityAction.SUSPEND,
        actor=actor,
        audit_action="entity_suspended",
        event="entity.suspended",
        comments=reason,
    )


async def reactivate_entity(
    session: AsyncSession, entity_id: uuid.UUID, *, comments: str | None, actor: Actor
) -> Entity:
    entity = await _lock_entity(session, entity_id)
    return await _decide(
        session,
        entity,
        EntityAction.REACTIVATE,
        actor=actor,
        audit_action="entity_reactivated",
        event="entity.reactivated",
        comments=comments,
    )


@dataclass(frozen=True)
class EntityFilter:
    status: str | None = None
    jurisdiction: str | None = None
    entity_type: str | None = None
    kyc_status: str | None = None
    search: str | None = None


def _filtered_entities(f: EntityFilter) -> Select[Any]:
    conditions: list[ColumnElement[bool]] = []
    if f.status:
        conditions.append(Entity.status == f.status)
    if f.jurisdiction:
        conditions.append(Entity.jurisdiction == f.jurisdiction)
    if f.entity_type:
        conditions.append(Entity.entity_type == f.entity_type)
    if f.kyc_status:
        conditions.append(Entity.kyc_status == f.kyc_status)
    if f.search:
        pattern = f"%{_escape_like(f.search)}%"
        conditions.append(
            Entity.legal_name.ilike(pattern, escape="\\")
            | Entity.registration_number.ilike(pattern, escape="\\")
        )
    return select(Entity).where(*conditions)


async def list_entities(
    session: AsyncSession, f: EntityFilter, page: PageParams
) -> tuple[list[Entity], str | None]:
    """Newest first, keyset-paged on (created_at, id)."""
    columns = Entity.__table__.c
    stmt = keyset_page(
        _filtered_entities(f),
        [columns.created_at, columns.id],
        page,
        descending=True,
        parse=[datetime.fromisoformat, uuid.UUID],
    )
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page, lambda e: [e.created_at, e.id])


async def entity_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    if not ids:
        return {}
    rows = await session.execute(select(Entity.id, Entity.legal_name).where(Entity.id.in_(ids)))
    return {row[0]: row[1] for row in rows}


# --------------------------------------------------------------------------- members


async def members(session: AsyncSession, entity_id: uuid.UUID) -> list[User]:
    rows, _ = await identity.list_users(
        session, identity.UserFilter(entity_id=entity_id), PageParams(limit=200)
    )
    return sorted(rows, key=lambda u: u.created_at)


async def list_members(
    session: AsyncSession, entity_id: uuid.UUID, *, caller_entity_id: uuid.UUID | None
) -> list[User]:
    _own(entity_id, caller_entity_id)
    await get_entity(session, entity_id)
    return await members(session, entity_id)


async def update_member(
    session: AsyncSession,
    entity_id: uuid.UUID,
    member_id: uuid.UUID,
    *,
    caller_entity_id: uuid.UUID | None,
    actor: Actor,
    entity_role: str | None = None,
    status: str | None = None,
) -> User:
    """An owner changes a colleague's role, or removes (``disabled``: every session of theirs
    ends at once) or restores their access.

    Only members of the owner's own entity (anyone else: ``member_not_found``), never the
    owner themself (``cannot_modify_self``), and the entity keeps at least one active owner
    (``last_owner``). The entity row is locked, so two owners demoting each other at once
    cannot both succeed.
    """
    _own(entity_id, caller_entity_id)
    if actor.id == member_id:
        raise identity.CannotModifySelf()
    entity = await _lock_entity(session, entity_id)
    user = await session.scalar(
        select(User).where(User.id == member_id).execution_options(populate_existing=True)
    )
    if user is None or user.entity_id != entity_id or user.role is not None:
        raise MemberNotFound()
    stays_owner = (entity_role or user.entity_role) == EntityRole.OWNER and (
        (status or user.status) == UserStatus.ACTIVE
    )
    if (
        user.entity_role == EntityRole.OWNER
        and user.status == UserStatus.ACTIVE
        and not stays_owner
    ):
        others = await session.scalar(
            select(func.count())
            .select_from(User)
            .where(
                User.entity_id == entity_id,
                User.id != user.id,
                User.role.is_(None),
                User.entity_role == EntityRole.OWNER.value,
                User.status == UserStatus.ACTIVE.value,
            )
        )
        if not others:
            raise LastOwner()
    before = {"entity_role": user.entity_role, "status": user.status}
    user = await identity.update_user(
        session, user_id=member_id, actor=actor, entity_role=entity_role, status=status
    )
    after = {"entity_role": user.entity_role, "status": user.status}
    if after != before:
        await audit.record(
            session, actor, "entity_member_updated", ENTITY_RESOURCE, entity.id,
            before={"user_id": str(user.id), **before}, after={"user_id": str(user.id), **after},
        )  # fmt: skip
    return user


async def invite_member(
    session: AsyncSession,
    settings: Settings,
    entity_id: uuid.UUID,
    *,
    caller_entity_id: uuid.UUID | None,
    email: str,
    name: str,
    entity_role: str,
    actor: Actor,
) -> User:
    """An owner invites a colleague to their entity (an invitation email with a link).

    Only new addresses, or users invited to this same entity who have not accepted yet (a fresh
    link); anyone else's address -> 409 ``email_taken``.
    """
    _own(entity_id, caller_entity_id)
    entity = await _lock_entity(session, entity_id)
    if entity.status == EntityStatus.SUSPENDED:
        raise InvalidTransition("The entity is suspended", current=entity.status)
    existing = await identity.find_user_by_email(session, email)
    if existing is not None and (
        existing.status != UserStatus.INVITED
        or existing.role is not None
        or existing.entity_id != entity_id
    ):
        raise MemberEmailTaken()
    user, _ = await identity.invite_user(
        session,
        settings,
        email=email,
        name=name,
        entity_role=EntityRole(entity_role).value,
        entity_id=entity_id,
        actor=actor,
    )
    await audit.record(
        session,
        actor,
        "entity_member_invited",
        ENTITY_RESOURCE,
        entity.id,
        after={"user_id": str(user.id), "email": user.email, "entity_role": user.entity_role},
    )
    return user


# --------------------------------------------------------------------------- staff: detail


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    at: datetime
    action: str
    actor_email: str | None
    resource_type: str
    resource_id: str | None
    details: dict[str, Any] | None


def _history(row: AuditLog) -> HistoryEntry:
    return HistoryEntry(
        seq=row.seq,
        at=row.created_at,
        action=row.action,
        actor_email=row.actor_email,
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        details=row.after,
    )


async def entity_history(
    session: AsyncSession, entity_id: uuid.UUID, document_ids: list[uuid.UUID]
) -> list[HistoryEntry]:
    """The entity's audit trail and its documents', oldest first."""
    rows = list(await audit.resource_timeline(session, ENTITY_RESOURCE, str(entity_id)))
    for doc_id in document_ids:
        rows.extend(await audit.resource_timeline(session, kyc.RESOURCE, str(doc_id)))
    return [_history(r) for r in sorted(rows, key=lambda r: r.seq)]


@dataclass(frozen=True)
class EntityDetail:
    entity: Entity
    members: list[User]
    documents: list[KycDocument]
    evaluation: Evaluation
    history: list[HistoryEntry]


async def entity_detail(session: AsyncSession, entity_id: uuid.UUID) -> EntityDetail:
    """Everything staff need to review an entity: members, documents, checklist, history."""
    entity = await get_entity(session, entity_id)
    documents = await kyc.entity_documents(session, entity.id, include_deleted=True)
    live = [d for d in documents if d.deleted_at is None]
    return EntityDetail(
        entity=entity,
        members=await members(session, entity.id),
        documents=live,
        evaluation=kyc.checklist_of(entity.entity_type, entity.status, live),
        history=await entity_history(session, entity.id, [d.id for d in documents]),
    )
