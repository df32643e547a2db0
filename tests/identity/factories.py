"""Users and tokens for tests (any domain may import these)."""

from __future__ import annotations

import uuid
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.audit.models import AuditLog
from niha.config import Settings
from niha.core.clock import utcnow
from niha.core.ids import new_id
from niha.core.security import hash_password
from niha.identity import service
from niha.identity.models import User

PASSWORD = "correct horse battery staple"


@lru_cache(maxsize=1)
def password_hash() -> str:
    return hash_password(PASSWORD)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def make_user(
    session: AsyncSession,
    *,
    role: str | None = None,
    entity_role: str | None = None,
    entity_id: uuid.UUID | None = None,
    email: str | None = None,
    name: str = "Test User",
    status: str = "active",
    with_password: bool = True,
) -> User:
    """A user with password :data:`PASSWORD` (staff ``role`` or entity member ``entity_role``).

    With neither, a staff ``admin`` is made. Entity members get a random ``entity_id``.
    """
    if role is None and entity_role is None:
        role = "admin"
    if entity_role is not None and entity_id is None:
        entity_id = uuid.uuid4()
    now = utcnow()
    user = User(
        id=new_id(),
        email=(email or unique_email(role or entity_role or "user")).lower(),
        name=name,
        role=role,
        entity_id=entity_id,
        entity_role=entity_role,
        status=status,
        password_hash=password_hash() if with_password else None,
        totp_enabled=False,
        failed_login_count=0,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    await session.flush()
    return user


async def token_for(session: AsyncSession, settings: Settings, user: User) -> str:
    """A fresh session's access token for ``user`` (no password check)."""
    tokens = await service.open_session(session, settings, user)
    return tokens.access_token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def reload_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    return (
        await session.execute(
            select(User).where(User.id == user_id).execution_options(populate_existing=True)
        )
    ).scalar_one()


async def audit_rows(
    session: AsyncSession, action: str, resource_id: object | None = None
) -> list[AuditLog]:
    stmt = select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.seq)
    if resource_id is not None:
        stmt = stmt.where(AuditLog.resource_id == str(resource_id))
    return list((await session.scalars(stmt)).all())
