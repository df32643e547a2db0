"""Who is calling: the authenticated user of a request (re-exported by ``access``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from niha.audit.service import Actor


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    email: str
    name: str
    role: str | None
    entity_id: uuid.UUID | None
    entity_role: str | None
    session_id: uuid.UUID

    @property
    def is_staff(self) -> bool:
        return self.role is not None

    def actor(self, request: HTTPConnection) -> Actor:
        return Actor(
            id=self.user_id,
            email=self.email,
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )


def anonymous_actor(request: HTTPConnection, email: str | None = None) -> Actor:
    return Actor(
        id=None,
        email=email,
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
