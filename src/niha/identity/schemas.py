"""API shapes of the identity domain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    StringConstraints,
    model_validator,
)

from niha.core.clock import isoformat_z
from niha.identity.roles import EntityRole, StaffRole

UtcDatetime = Annotated[datetime, PlainSerializer(isoformat_z, return_type=str)]
Email = Annotated[EmailStr, Field(max_length=320)]
# Long enough for any policy-compliant password; the policy (12..128) answers weak_password.
PasswordIn = Annotated[str, Field(min_length=1, max_length=1024)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TotpCode = Annotated[str, Field(min_length=1, max_length=16)]
Token = Annotated[str, Field(min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str
    role: StaffRole | None
    entity_id: uuid.UUID | None
    entity_role: EntityRole | None
    status: Literal["active", "disabled", "invited"]
    totp_enabled: bool
    created_at: UtcDatetime
    last_login_at: UtcDatetime | None


class LoginIn(Strict):
    email: Email
    password: PasswordIn
    totp_code: TotpCode | None = None


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    user: UserOut


class PasswordChangeIn(Strict):
    current_password: PasswordIn
    new_password: PasswordIn


class PasswordResetRequestIn(Strict):
    email: Email


class PasswordResetConfirmIn(Strict):
    token: Token
    password: PasswordIn


class StatusOut(BaseModel):
    status: Literal["ok"] = "ok"


class TotpEnrollOut(BaseModel):
    secret: str
    otpauth_uri: str


class TotpConfirmIn(Strict):
    code: TotpCode


class InvitationOut(BaseModel):
    email: str
    name: str
    role: StaffRole | None
    entity_role: EntityRole | None
    expires_at: UtcDatetime


class InvitationAcceptIn(Strict):
    password: PasswordIn
    name: Name | None = None


class StaffUserCreateIn(Strict):
    email: Email
    name: Name
    role: StaffRole
    password: PasswordIn


class InviteIn(Strict):
    """Exactly one of ``role`` (staff) or ``entity_role`` (+ optional ``entity_id``)."""

    email: Email
    name: Name
    role: StaffRole | None = None
    entity_role: EntityRole | None = None
    entity_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> InviteIn:
        if (self.role is None) == (self.entity_role is None):
            raise ValueError("give exactly one of role or entity_role")
        if self.role is not None and self.entity_id is not None:
            raise ValueError("entity_id only goes with entity_role")
        return self


class TotpResetIn(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]


class UserPatchIn(Strict):
    role: StaffRole | None = None
    entity_role: EntityRole | None = None
    status: Literal["active", "disabled"] | None = None
