"""API shapes of the onboarding domain (contact requests, entities, members)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
    model_validator,
)

from niha.core.clock import isoformat_z, utcnow
from niha.identity.roles import EntityRole
from niha.kyc.schemas import DocumentOut, KycChecklistOut
from niha.onboarding.countries import normalize_country, normalize_jurisdiction
from niha.onboarding.service import EntityDetail
from niha.onboarding.states import ContactInterest, ContactStatus, EntityStatus, EntityType
from niha.onboarding.validation import normalize_website

UtcDatetime = Annotated[datetime, PlainSerializer(isoformat_z, return_type=str)]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _single_line(value: str) -> str:
    if "\n" in value or "\r" in value or _CONTROL.search(value):
        raise ValueError("must be a single line of text")
    return value


def _str(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


Line200 = Annotated[str, _str(200), AfterValidator(_single_line)]
Email = Annotated[EmailStr, Field(max_length=320)]
Country = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=2)]
LongText = Annotated[str, _str(5000), AfterValidator(_no_control)]
OptionalText = Annotated[
    Annotated[str, _str(5000), AfterValidator(_no_control)] | None,
    BeforeValidator(_blank_to_none),
]
# Optional single-line fields: blank means "not given".
Opt2 = Annotated[Annotated[str, _str(2)] | None, BeforeValidator(_blank_to_none)]
Opt6 = Annotated[Annotated[str, _str(6)] | None, BeforeValidator(_blank_to_none)]
Opt20 = Annotated[Annotated[str, _str(20)] | None, BeforeValidator(_blank_to_none)]
Opt40 = Annotated[Annotated[str, _str(40)] | None, BeforeValidator(_blank_to_none)]
Opt50 = Annotated[Annotated[str, _str(50)] | None, BeforeValidator(_blank_to_none)]
Opt100 = Annotated[Annotated[str, _str(100)] | None, BeforeValidator(_blank_to_none)]
Opt200 = Annotated[Annotated[str, _str(200)] | None, BeforeValidator(_blank_to_none)]
Opt300 = Annotated[Annotated[str, _str(300)] | None, BeforeValidator(_blank_to_none)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- contact requests


class ContactRequestIn(Strict):
    name: Line200
    email: Email
    company: Opt200 = None
    country: Country
    message: LongText
    interest: ContactInterest

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        return normalize_country(v)

    @field_validator("company")
    @classmethod
    def _company_line(cls, v: str | None) -> str | None:
        return _single_line(v) if v else v


class ContactRequestCreatedOut(BaseModel):
    id: uuid.UUID
    status: ContactStatus
    created_at: UtcDatetime


class ContactRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    email: str
    company: str | None
    country: str
    message: str
    interest: ContactInterest
    status: ContactStatus
    notes: str | None
    ip: str | None
    handled_by: uuid.UUID | None
    invited_user_id: uuid.UUID | None
    invited_at: UtcDatetime | None
    created_at: UtcDatetime
    updated_at: UtcDatetime


class ContactRequestPatch(Strict):
    """``status`` and/or ``notes`` (``notes: null`` clears them)."""

    status: ContactStatus | None = None
    notes: OptionalText = None


class ContactInviteIn(Strict):
    """Optional corrections of the prospect's name or address before inviting."""

    name: Opt200 = None
    email: Email | None = None


# --------------------------------------------------------------------------- entities


class EntityIn(Strict):
    """A draft may be incomplete; submitting checks that the required fields are there."""

    entity_type: EntityType
    legal_name: Opt200 = None
    registration_number: Opt100 = None
    jurisdiction: Opt6 = None
    address_line1: Opt200 = None
    address_line2: Opt200 = None
    city: Opt100 = None
    postal_code: Opt20 = None
    country: Opt2 = None
    tax_id: Opt50 = None
    incorporation_date: Annotated[date | None, BeforeValidator(_blank_to_none)] = None
    website: Opt300 = None
    contact_email: Annotated[Email | None, BeforeValidator(_blank_to_none)] = None
    contact_phone: Opt40 = None

    @field_validator(
        "legal_name",
        "registration_number",
        "address_line1",
        "address_line2",
        "city",
        "postal_code",
        "contact_phone",
    )
    @classmethod
    def _lines(cls, v: str | None) -> str | None:
        return _single_line(v) if v else v

    @field_validator("country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        return normalize_country(v) if v else v

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction(cls, v: str | None) -> str | None:
        return normalize_jurisdiction(v) if v else v

    @field_validator("website")
    @classmethod
    def _website(cls, v: str | None) -> str | None:
        return normalize_website(v) if v else v

    @field_validator("postal_code")
    @classmethod
    def _postal(cls, v: str | None) -> str | None:
        if v and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 \-]*", v):
            raise ValueError("use letters, digits, spaces and dashes")
        return v.upper() if v else v

    @field_validator("contact_phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v and not re.fullmatch(r"\+?[0-9][0-9 ()\-./]{5,38}", v):
            raise ValueError("must be a phone number such as +49 30 1234567")
        return v

    @field_validator("incorporation_date")
    @classmethod
    def _past(cls, v: date | None) -> date | None:
        if v is not None and (v > utcnow().date() or v.year < 1600):
            raise ValueError("must be a date in the past")
        return v


class EntityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    entity_type: EntityType
    legal_name: str | None
    registration_number: str | None
    jurisdiction: str | None
    address_line1: str | None
    address_line2: str | None
    city: str | None
    postal_code: str | None
    country: str | None
    tax_id: str | None
    incorporation_date: date | None
    website: str | None
    contact_email: str | None
    contact_phone: str | None
    status: EntityStatus
    status_updated_at: UtcDatetime
    status_updated_by: uuid.UUID | None
    kyc_status: Literal["NOT_STARTED", "IN_PROGRESS", "SUBMITTED", "APPROVED", "REJECTED"]
    review_comments: str | None
    submitted_at: UtcDatetime | None
    approved_at: UtcDatetime | None
    created_at: UtcDatetime
    updated_at: UtcDatetime


class ReviewCommentsIn(Strict):
    comments: LongText


class SuspendIn(Strict):
    reason: LongText


class ReactivateIn(Strict):
    comments: OptionalText = None


class MemberOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str
    entity_role: EntityRole | None
    status: Literal["active", "disabled", "invited"]
    created_at: UtcDatetime
    last_login_at: UtcDatetime | None


class MemberInviteIn(Strict):
    email: Email
    name: Line200
    entity_role: EntityRole


class MemberPatchIn(Strict):
    """What an owner changes of a member: the role, or access (``disabled`` removes it)."""

    entity_role: EntityRole | None = None
    status: Literal["active", "disabled"] | None = None

    @model_validator(mode="after")
    def _something(self) -> MemberPatchIn:
        if self.entity_role is None and self.status is None:
            raise ValueError("give entity_role or status")
        return self


class HistoryOut(BaseModel):
    seq: int
    at: UtcDatetime
    action: str
    actor_email: str | None
    resource_type: str
    resource_id: str | None
    details: dict[str, Any] | None


class EntityDetailOut(EntityOut):
    members: list[MemberOut]
    documents: list[DocumentOut]
    kyc: KycChecklistOut
    history: list[HistoryOut]

    @classmethod
    def of(cls, detail: EntityDetail) -> EntityDetailOut:
        base = {name: getattr(detail.entity, name) for name in EntityOut.model_fields}
        return cls(
            **base,
            members=[MemberOut.model_validate(u) for u in detail.members],
            documents=[DocumentOut.of(d) for d in detail.documents],
            kyc=KycChecklistOut.of(detail.evaluation),
            history=[
                HistoryOut(
                    seq=h.seq,
                    at=h.at,
                    action=h.action,
                    actor_email=h.actor_email,
                    resource_type=h.resource_type,
                    resource_id=h.resource_id,
                    details=h.details,
                )
                for h in detail.history
            ],
        )
