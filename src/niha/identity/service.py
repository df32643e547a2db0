"""Identity rules: logins, sessions and refresh rotation, passwords, TOTP, invitations, users.

Functions take a session and never commit. A few refusals must still be *recorded* (a failed
login counts towards the lockout and is audited; a replayed refresh token revokes its whole
family): those errors derive from :class:`CommitsOnRefusal`, and the HTTP layer answers them
without rolling the transaction back (see ``api.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from niha.audit import service as audit
from niha.audit.service import Actor
from niha.config import Settings
from niha.core.clock import isoformat_z, utcnow
from niha.core.db import Database, Expectation, Sent, send
from niha.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
)
from niha.core.ids import new_id
from niha.core.pagination import PageParams, build_page, keyset_page
from niha.core.security import (
    AccessClaims,
    decode_access_token,
    hash_password,
    hash_token,
    issue_access_token,
    needs_rehash,
    new_token,
    verify_password,
)
from niha.identity import totp
from niha.identity.models import AuthSession, Invitation, PasswordReset, RefreshToken, User
from niha.identity.passwords import WeakPassword, check_password
from niha.identity.principal import Principal
from niha.identity.roles import EntityRole, StaffRole, UserStatus
from niha.notifications.service import queue_email

RESOURCE = "user"

# --------------------------------------------------------------------------- errors


class CommitsOnRefusal(DomainError):
    """Marker: the transaction holds bookkeeping (counters, revocations, audit rows) that must be
    committed even though the request is refused."""


class InvalidCredentials(CommitsOnRefusal, Unauthorized):
    code = "invalid_credentials"
    title = "Invalid email or password"


class AccountLocked(CommitsOnRefusal, TooManyRequests):
    code = "account_locked"
    title = "Account temporarily locked"


class TotpRequired(Unauthorized):
    code = "totp_required"
    title = "A TOTP code is required"


class LoginTotpInvalid(CommitsOnRefusal, Unauthorized):
    code = "totp_invalid"
    title = "Invalid TOTP code"


class TotpInvalid(DomainError):
    status = 400
    code = "totp_invalid"
    title = "Invalid TOTP code"


class TotpAlreadyEnabled(Conflict):
    code = "totp_already_enabled"
    title = "TOTP is already enabled"


class TotpNotEnrolled(Conflict):
    code = "totp_not_enrolled"
    title = "Start TOTP enrolment first"


class InvalidRefreshToken(CommitsOnRefusal, Unauthorized):
    code = "invalid_refresh_token"
    title = "Invalid refresh token"


class InvalidToken(DomainError):
    status = 400
    code = "invalid_token"
    title = "Invalid or expired token"


class InvalidPassword(DomainError):
    status = 400
    code = "invalid_password"
    title = "The current password is wrong"


class EmailTaken(Conflict):
    code = "email_taken"
    title = "A user with this email already exists"


class TotpNotEnabled(Conflict):
    code = "totp_not_enabled"
    title = "This user has no two-factor authentication to reset"


class CannotModifySelf(Conflict):
    code = "cannot_modify_self"
    title = "You cannot change your own role or status"


class SuperAdminRequired(Forbidden):
    code = "super_admin_required"
    title = "Only a super admin may grant or change the super_admin role"


class UserNotFound(NotFound):
    code = "user_not_found"
    title = "User not found"


class RoleKindMismatch(Conflict):
    code = "role_kind_mismatch"
    title = "Staff users have a role, entity members an entity_role"


class InvitationNotFound(NotFound):
    code = "invitation_not_found"
    title = "Invitation not found"


class InvitationExpired(Gone):
    code = "invitation_expired"
    title = "Invitation expired"


class InvitationRevoked(Gone):
    code = "invitation_revoked"
    title = "Invitation no longer valid"


class InvitationUsed(Conflict):
    code = "invitation_used"
    title = "Invitation already used"


# --------------------------------------------------------------------------- helpers


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _user_actor(actor: Actor, user: User) -> Actor:
    return replace(actor, id=user.id, email=user.email)


def _user_snapshot(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "entity_id": str(user.entity_id) if user.entity_id else None,
        "entity_role": user.entity_role,
        "status": user.status,
    }


async def _lock_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id, with_for_update=True, populate_existing=True)
    if user is None:
        raise UserNotFound()
    return user


async def _actor_role(session: AsyncSession, actor: Actor) -> str | None:
    if actor.id is None:
        return None
    return await session.scalar(select(User.role).where(User.id == actor.id))


async def _require_super_admin(session: AsyncSession, actor: Actor) -> None:
    """System actors (CLI, seed; ``actor.id is None``) may; users must be super admins."""
    if actor.id is not None and await _actor_role(session, actor) != StaffRole.SUPER_ADMIN:
        raise SuperAdminRequired()


async def revoke_user_sessions(
    session: AsyncSession, user_id: uuid.UUID, reason: str, *, keep: uuid.UUID | None = None
) -> int:
    """Revoke every live session of a user (all refresh tokens and access tokens die with them)."""
    stmt = (
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    if keep is not None:
        stmt = stmt.where(AuthSession.id != keep)
    result = await session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _expire_password_resets(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
    )


async def _revoke_invitations(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(
        update(Invitation)
        .where(
            Invitation.user_id == user_id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )


# --------------------------------------------------------------------------- sessions & tokens


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    session_id: uuid.UUID
    user: User


def _access_token(settings: Settings, user: User, session_id: uuid.UUID) -> str:
    token, _ = issue_access_token(
        settings.secret_key, user.id, session_id, settings.access_token_ttl_seconds
    )
    return token


async def _new_refresh_token(
    session: AsyncSession, settings: Settings, session_id: uuid.UUID
) -> str:
    now = utcnow()
    token = new_token()
    session.add(
        RefreshToken(
            id=new_id(),
            session_id=session_id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    await session.flush()
    return token


async def open_session(
    session: AsyncSession,
    settings: Settings,
    user: User,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
) -> Tokens:
    """Start a session (a refresh-token family) for ``user``; no checks — callers authenticate."""
    now = utcnow()
    auth = AuthSession(
        id=new_id(),
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.refresh_token_ttl_seconds),
        ip=ip,
        user_agent=(user_agent or None) and user_agent[:1000],
    )
    session.add(auth)
    await session.flush()
    refresh = await _new_refresh_token(session, settings, auth.id)
    return Tokens(
        access_token=_access_token(settings, user, auth.id),
        expires_in=settings.access_token_ttl_seconds,
        refresh_token=refresh,
        refresh_expires_in=settings.refresh_token_ttl_seconds,
        session_id=auth.id,
        user=user,
    )


# Every authenticated request runs this: plain SQL, columns only (no ORM object).
_PRINCIPAL_SQL = f"""
    SELECT u.id, u.email, u.name, u.role, u.entity_id, u.entity_role, s.id
    FROM identity_session AS s JOIN identity_user AS u ON u.id = s.user_id
    WHERE {{sessions}} AND s.revoked_at IS NULL AND s.expires_at > {{now}}
      AND u.status = '{UserStatus.ACTIVE.value}'
"""
_PRINCIPAL_OF_SESSION = _PRINCIPAL_SQL.format(sessions="s.id = %s AND s.user_id = %s", now="%s")
_PRINCIPALS_OF_SESSIONS = _PRINCIPAL_SQL.format(sessions="s.id = ANY(%s)", now="%s")


def _principal(row: tuple[Any, ...]) -> Principal:
    user_id, email, name, role, entity_id, entity_role, session_id = row
    return Principal(
        user_id=user_id,
        email=email,
        name=name,
        role=role,
        entity_id=entity_id,
        entity_role=entity_role,
        session_id=session_id,
    )


async def principal_from_token(db: Database, settings: Settings, token: str) -> Principal | None:
    """The principal of a bearer access token, or ``None``.

    Besides the JWT signature and expiry, this checks — with one primary-key lookup of the
    session joined to its user per request — that the session is not revoked or expired and
    that the user is active. Revoking a session, logging out, changing or resetting a password,
    or disabling the user therefore stops every access token issued for it immediately, not at
    the token's expiry.
    """
    claims = decode_access_token(settings.secret_key, token)
    if claims is None:
        return None
    rows = await db.autocommit(_PRINCIPAL_OF_SESSION, (claims.session_id, claims.user_id, utcnow()))
    return _principal(rows[0]) if rows else None


class PrincipalCheck:
    """Which sessions among some principals no longer stand as seen (revoked, expired, the
    user disabled, or the user's role or organisation changed since).

    One query for many callers, sent in the caller's transaction (and pipeline, if any): a
    command that checks its callers this way, in the transaction that writes it, acts only
    for sessions that are valid when it commits -- the order lane's callers, whose
    principal may be a snapshot (:class:`PrincipalSnapshots`).
    """

    def __init__(self, principals: Collection[Principal], sent: Sent | None) -> None:
        self._principals = principals
        self._sent = sent

    async def stale(self) -> set[uuid.UUID]:
        if self._sent is None:
            return set()
        live = {p.session_id: p for p in map(_principal, await self._sent.rows())}
        return {p.session_id for p in self._principals if live.get(p.session_id) != p}


async def send_principal_check(driver: Any, principals: Collection[Principal]) -> PrincipalCheck:
    """Send the query of a :class:`PrincipalCheck` on ``driver`` (a psycopg connection)."""
    if not principals:
        return PrincipalCheck(principals, None)
    ids = list({p.session_id for p in principals})
    return PrincipalCheck(principals, await send(driver, _PRINCIPALS_OF_SESSIONS, (ids, utcnow())))


# The sessions that are live (``_PRINCIPAL_SQL``, the one definition) and still show
# exactly the principal a caller saw (they travel as one JSON document).
_SAME_PRINCIPALS = f"""(
    SELECT count(*)
    FROM ({_PRINCIPAL_SQL.format(sessions="s.id = ANY(%(sessions)s)", now="%(now)s")})
         AS p(user_id, email, name, role, entity_id, entity_role, session_id)
    JOIN jsonb_to_recordset(%(seen)s::jsonb)
         AS e(session_id uuid, user_id uuid, email text, name text, role text, entity_id uuid,
              entity_role text)
      ON p.session_id = e.session_id AND p.user_id = e.user_id AND p.email = e.email
     AND p.name = e.name AND p.role IS NOT DISTINCT FROM e.role
     AND p.entity_id IS NOT DISTINCT FROM e.entity_id
     AND p.entity_role IS NOT DISTINCT FROM e.entity_role
) = %(n)s"""
_PRINCIPAL_FIELDS = (
    "session_id", "user_id", "email", "name", "role", "entity_id", "entity_role",
)  # fmt: skip


def expect_principals(principals: Collection[Principal]) -> Expectation | None:
    """:class:`PrincipalCheck` for a caller that does not wait for its answer: that every
    session of ``principals`` still stands exactly as seen (see
    :func:`niha.core.db.send_expectations`); ``None`` without principals."""
    seen = list(set(principals))
    if not seen:
        return None
    rows = [{name: getattr(p, name) for name in _PRINCIPAL_FIELDS} for p in seen]
    return Expectation(
        _SAME_PRINCIPALS,
        {
            "sessions": [p.session_id for p in seen],
            "now": utcnow(),
            "seen": orjson.dumps(rows).decode(),
            "n": len(seen),
        },
        "a caller's session",
    )


class SessionChanged(Unauthorized):
    """The caller's session no longer stands as it was when the request was accepted."""

    def __init__(self) -> None:
        super().__init__("A valid access token is required", headers={"WWW-Authenticate": "Bearer"})


class PrincipalSnapshots:
    """The principal last seen per session (bounded), for callers whose command re-checks
    it with a :class:`PrincipalCheck` in its own transaction -- never as proof alone."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._seen: dict[uuid.UUID, Principal] = {}

    def get(self, claims: AccessClaims) -> Principal | None:
        found = self._seen.get(claims.session_id)
        return found if found is not None and found.user_id == claims.user_id else None

    def remember(self, principal: Principal) -> None:
        if len(self._seen) >= self.size:
            self._seen.pop(next(iter(self._seen)))
        self._seen[principal.session_id] = principal

    def forget(self, session_id: uuid.UUID) -> None:
        self._seen.pop(session_id, None)


async def _login_failed(
    session: AsyncSession,
    settings: Settings,
    user: User,
    actor: Actor,
    reason: str,
) -> None:
    now = utcnow()
    user.failed_login_count += 1
    after: dict[str, Any] = {"reason": reason, "failed_count": user.failed_login_count}
    if user.failed_login_count >= settings.login_max_failures:
        user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
        after["locked_until"] = isoformat_z(user.locked_until)
    await audit.record(
        session, _user_actor(actor, user), "login_failed", RESOURCE, user.id, after=after
    )


async def login(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    password: str,
    totp_code: str | None,
    actor: Actor,
) -> Tokens:
    """Authenticate; wrong email and wrong password cost the same and answer the same.

    Disabled (and invited) users get the same ``invalid_credentials`` as a wrong password, so a
    login attempt tells nothing about an account's state; the audit row records the reason.
    After ``login_max_failures`` failures in a row the account is locked for
    ``login_lockout_minutes`` (``account_locked``, even with the right password).
    Staff without TOTP may log in (``user.totp_enabled`` is false and the UI pushes enrolment);
    once TOTP is enabled, the code is required.
    """
    email = normalize_email(email)
    now = utcnow()
    user = await session.scalar(
        select(User)
        .where(User.email == email)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if user is None:
        verify_password(None, password)  # the same work as for a known address
        await audit.record(
            session,
            actor,
            "login_failed",
            RESOURCE,
            None,
            after={"email": email, "reason": "unknown_email"},
        )
        raise InvalidCredentials()

    if user.locked_until is not None:
        if user.locked_until > now:
            verify_password(None, password)
            await audit.record(
                session,
                _user_actor(actor, user),
                "login_failed",
                RESOURCE,
                user.id,
                after={"reason": "locked", "locked_until": isoformat_z(user.locked_until)},
            )
            retry = max(1, int((user.locked_until - now).total_seconds()))
            raise AccountLocked(
                "Too many failed logins; try again later", headers={"Retry-After": str(retry)}
            )
        user.locked_until = None
        user.failed_login_count = 0

    if not verify_password(user.password_hash, password):
        await _login_failed(session, settings, user, actor, "wrong_password")
        raise InvalidCredentials()

    if user.status != UserStatus.ACTIVE:
        await audit.record(
            session,
            _user_actor(actor, user),
            "login_failed",
            RESOURCE,
            user.id,
            after={"reason": f"status_{user.status}"},
        )
        raise InvalidCredentials()

    if user.totp_enabled:
        if not totp_code:
            raise TotpRequired("Enter the code from your authenticator app")
        check = totp.verify(user.totp_secret or "", totp_code, now, user.totp_last_step)
        if not check.ok:
            await _login_failed(session, settings, user, actor, f"totp_{check.reason}")
            raise LoginTotpInvalid()
        user.totp_last_step = check.step

    user.failed_login_count = 0
    user.last_login_at = now
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    tokens = await open_session(session, settings, user, ip=actor.ip, user_agent=actor.user_agent)
    await audit.record(
        session,
        _user_actor(actor, user),
        "login_succeeded",
        RESOURCE,
        user.id,
        after={"session_id": str(tokens.session_id), "totp": user.totp_enabled},
    )
    return tokens


async def refresh(
    session: AsyncSession, settings: Settings, *, refresh_token: str | None, actor: Actor
) -> Tokens:
    """Rotate a refresh token. Presenting an already rotated token revokes the whole family."""
    if not refresh_token or len(refresh_token) > 200:
        raise InvalidRefreshToken()
    now = utcnow()
    row = await session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == hash_token(refresh_token))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise InvalidRefreshToken()
    auth = await session.get(
        AuthSession, row.session_id, with_for_update=True, populate_existing=True
    )
    user = await session.get(User, auth.user_id) if auth else None
    if auth is None or user is None:
        raise InvalidRefreshToken()
    if row.used_at is not None:
        if auth.revoked_at is None:
            auth.revoked_at, auth.revoked_reason = now, "token_reuse"
            await audit.record(
                session,
                _user_actor(actor, user),
                "token_reuse_detected",
                RESOURCE,
                user.id,
                after={"session_id": str(auth.id)},
            )
        raise InvalidRefreshToken("This refresh token was already used; the session is revoked")
    if (
        auth.revoked_at is not None
        or auth.expires_at <= now
        or row.expires_at <= now
        or user.status != UserStatus.ACTIVE
    ):
        raise InvalidRefreshToken()
    row.used_at = now
    auth.refreshed_at = now
    auth.expires_at = now + timedelta(seconds=settings.refresh_token_ttl_seconds)
    new_refresh = await _new_refresh_token(session, settings, auth.id)
    return Tokens(
        access_token=_access_token(settings, user, auth.id),
        expires_in=settings.access_token_ttl_seconds,
        refresh_token=new_refresh,
        refresh_expires_in=settings.refresh_token_ttl_seconds,
        session_id=auth.id,
        user=user,
    )


async def logout(
    session: AsyncSession,
    *,
    refresh_token: str | None,
    principal: Principal | None,
    actor: Actor,
) -> None:
    """Revoke the session named by the refresh cookie and/or the access token (idempotent)."""
    ids: set[uuid.UUID] = set()
    if principal is not None:
        ids.add(principal.session_id)
    if refresh_token and len(refresh_token) <= 200:
        sid = await session.scalar(
            select(RefreshToken.session_id).where(
                RefreshToken.token_hash == hash_token(refresh_token)
            )
        )
        if sid is not None:
            ids.add(sid)
    for sid in sorted(ids):
        auth = await session.get(AuthSession, sid, with_for_update=True, populate_existing=True)
        if auth is None or auth.revoked_at is not None:
            continue
        auth.revoked_at, auth.revoked_reason = utcnow(), "logout"
        user = await session.get(User, auth.user_id)
        who = _user_actor(actor, user) if user else actor
        await audit.record(
            session, who, "logout", RESOURCE, auth.user_id, after={"session_id": str(sid)}
        )


# --------------------------------------------------------------------------- passwords


async def change_password(
    session: AsyncSession,
    principal: Principal,
    *,
    current_password: str,
    new_password: str,
    actor: Actor,
) -> None:
    """Change one's password; every other session of the user is revoked."""
    user = await _lock_user(session, principal.user_id)
    if not verify_password(user.password_hash, current_password):
        raise InvalidPassword(field="current_password")
    check_password(new_password, user.email, "new_password")
    if new_password == current_password:
        raise WeakPassword(
            "new_password: must differ from the current password", field="new_password"
        )
    now = utcnow()
    user.password_hash = hash_password(new_password)
    user.password_changed_at = user.updated_at = now
    revoked = await revoke_user_sessions(
        session, user.id, "password_changed", keep=principal.session_id
    )
    await _expire_password_resets(session, user.id)
    await audit.record(
        session,
        actor,
        "password_changed",
        RESOURCE,
        user.id,
        after={"sessions_revoked": revoked},
    )


async def request_password_reset(
    session: AsyncSession, settings: Settings, *, email: str, actor: Actor
) -> None:
    """Email a single-use reset link when an active account has this address.

    The caller answers the same whatever happens here; both paths do comparable work (a token
    is drawn and hashed, an audit row is written) so timing tells little either.
    """
    email = normalize_email(email)
    now = utcnow()
    token = new_token()
    token_hash = hash_token(token)
    user = await session.scalar(select(User).where(User.email == email))
    if user is None or user.status != UserStatus.ACTIVE:
        await audit.record(
            session,
            actor,
            "password_reset_requested",
            RESOURCE,
            user.id if user else None,
            after={"email": email, "sent": False},
        )
        return
    expires = now + timedelta(minutes=settings.password_reset_ttl_minutes)
    session.add(
        PasswordReset(
            id=new_id(), user_id=user.id, token_hash=token_hash, created_at=now, expires_at=expires
        )
    )
    await session.flush()
    await queue_email(
        session,
        to=user.email,
        template="password_reset",
        context={
            "name": user.name,
            "link": f"{settings.public_url.rstrip('/')}/reset-password/{token}",
            "expires_minutes": settings.password_reset_ttl_minutes,
        },
    )
    await audit.record(
        session,
        actor,
        "password_reset_requested",
        RESOURCE,
        user.id,
        after={"email": email, "sent": True, "expires_at": isoformat_z(expires)},
    )


async def confirm_password_reset(
    session: AsyncSession, *, token: str, password: str, actor: Actor
) -> None:
    """Set a new password from a reset link (single use); every session is revoked."""
    now = utcnow()
    row = await session.scalar(
        select(PasswordReset)
        .where(PasswordReset.token_hash == hash_token(token))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise InvalidToken(field="token")
    user = await _lock_user(session, row.user_id)
    if user.status != UserStatus.ACTIVE:
        raise InvalidToken(field="token")
    check_password(password, user.email, "password")
    user.password_hash = hash_password(password)
    user.password_changed_at = user.updated_at = now
    user.failed_login_count = 0
    user.locked_until = None
    row.used_at = now
    await _expire_password_resets(session, user.id)
    revoked = await revoke_user_sessions(session, user.id, "password_reset")
    await audit.record(
        session,
        _user_actor(actor, user),
        "password_reset_completed",
        RESOURCE,
        user.id,
        after={"sessions_revoked": revoked},
    )


# --------------------------------------------------------------------------- TOTP


async def totp_enroll(
    session: AsyncSession, principal: Principal, *, actor: Actor
) -> tuple[str, str]:
    """Draw a new (pending) TOTP secret; ``totp_confirm`` enables it. Returns (secret, uri)."""
    user = await _lock_user(session, principal.user_id)
    if user.totp_enabled:
        raise TotpAlreadyEnabled()
    secret = totp.new_secret()
    user.totp_secret = secret
    user.totp_last_step = None
    user.updated_at = utcnow()
    await audit.record(session, actor, "totp_enrolled", RESOURCE, user.id)
    return secret, totp.provisioning_uri(secret, user.email)


async def totp_confirm(
    session: AsyncSession, principal: Principal, *, code: str, actor: Actor
) -> User:
    user = await _lock_user(session, principal.user_id)
    if user.totp_enabled:
        raise TotpAlreadyEnabled()
    if not user.totp_secret:
        raise TotpNotEnrolled()
    check = totp.verify(user.totp_secret, code, utcnow(), user.totp_last_step)
    if not check.ok:
        raise TotpInvalid(field="code")
    user.totp_enabled = True
    user.totp_last_step = check.step
    user.updated_at = utcnow()
    await audit.record(session, actor, "totp_confirmed", RESOURCE, user.id)
    return user


async def reset_totp(
    session: AsyncSession, *, user_id: uuid.UUID, actor: Actor, reason: str
) -> User:
    """Staff (``users:manage``) turn off a user's two-factor authentication, e.g. after a lost
    phone: the secret is deleted, every session of the user is revoked, the user is told by
    email and sets it up again after signing in with their password.

    Nobody resets their own (another administrator must); only a super admin resets a super
    admin's. ``totp_not_enabled`` when there is nothing to reset.
    """
    if actor.id == user_id:
        raise CannotModifySelf("Ask another administrator to reset your two-factor authentication")
    user = await _lock_user(session, user_id)
    if user.role == StaffRole.SUPER_ADMIN:
        await _require_super_admin(session, actor)
    if not user.totp_enabled and not user.totp_secret:
        raise TotpNotEnabled()
    was_enabled = user.totp_enabled
    user.totp_enabled = False
    user.totp_secret = None
    user.totp_last_step = None
    user.updated_at = utcnow()
    revoked = await revoke_user_sessions(session, user.id, "totp_reset")
    await queue_email(
        session, to=user.email, template="totp_reset", context={"name": user.name, "reason": reason}
    )
    await audit.record(
        session,
        actor,
        "totp_reset",
        RESOURCE,
        user.id,
        before={"totp_enabled": was_enabled},
        after={"totp_enabled": False, "reason": reason, "sessions_revoked": revoked},
    )
    return user


# --------------------------------------------------------------------------- users


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise UserNotFound()
    return user


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == normalize_email(email)))


@dataclass(frozen=True)
class UserFilter:
    role: str | None = None
    entity_role: str | None = None
    entity_id: uuid.UUID | None = None
    status: str | None = None
    search: str | None = None


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered_users(f: UserFilter) -> Select[User]:
    stmt = select(User)
    conditions: list[ColumnElement[bool]] = []
    if f.role:
        conditions.append(User.role == f.role)
    if f.entity_role:
        conditions.append(User.entity_role == f.entity_role)
    if f.entity_id:
        conditions.append(User.entity_id == f.entity_id)
    if f.status:
        conditions.append(User.status == f.status)
    if f.search:
        pattern = f"%{_escape_like(f.search)}%"
        conditions.append(
            User.email.ilike(pattern, escape="\\") | User.name.ilike(pattern, escape="\\")
        )
    return stmt.where(*conditions) if conditions else stmt


_USER_COLUMNS = User.__table__.c


async def list_users(
    session: AsyncSession, f: UserFilter, page: PageParams
) -> tuple[list[User], str | None]:
    """Newest first, keyset-paged on (created_at, id)."""
    stmt = keyset_page(
        _filtered_users(f),
        [_USER_COLUMNS.created_at, _USER_COLUMNS.id],
        page,
        descending=True,
        parse=[datetime.fromisoformat, uuid.UUID],
    )
    rows = (await session.scalars(stmt)).all()
    return build_page(rows, page, lambda u: [u.created_at, u.id])


async def _insert_user(session: AsyncSession, user: User) -> None:
    try:
        async with session.begin_nested():
            session.add(user)
            await session.flush()
    except IntegrityError as exc:
        raise EmailTaken() from exc


async def create_staff_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    name: str,
    role: str,
    actor: Actor,
) -> User:
    """Create an active staff user with a password (admin API, ``niha create-admin``, seed)."""
    email = normalize_email(email)
    try:
        role = StaffRole(role)
    except ValueError as exc:
        raise Unprocessable(f"role: unknown staff role {role!r}", field="role") from exc
    if role == StaffRole.SUPER_ADMIN:
        await _require_super_admin(session, actor)
    check_password(password, email, "password")
    if await find_user_by_email(session, email) is not None:
        raise EmailTaken()
    now = utcnow()
    user = User(
        id=new_id(),
        email=email,
        name=name.strip() or email,
        role=role.value,
        status=UserStatus.ACTIVE.value,
        password_hash=hash_password(password),
        password_changed_at=now,
        totp_enabled=False,
        failed_login_count=0,
        created_at=now,
        updated_at=now,
    )
    await _insert_user(session, user)
    await audit.record(
        session, actor, "user_created", RESOURCE, user.id, after=_user_snapshot(user)
    )
    return user


async def create_entity_owner(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    name: str,
    actor: Actor,
) -> User:
    """Create an active client user who will own the entity it sets up next, with a
    password (the demo seed; real clients arrive by invitation)."""
    email = normalize_email(email)
    check_password(password, email, "password")
    if await find_user_by_email(session, email) is not None:
        raise EmailTaken()
    now = utcnow()
    user = User(
        id=new_id(),
        email=email,
        name=name.strip() or email,
        role=None,
        entity_id=None,
        entity_role=EntityRole.OWNER.value,
        status=UserStatus.ACTIVE.value,
        password_hash=hash_password(password),
        password_changed_at=now,
        totp_enabled=False,
        failed_login_count=0,
        created_at=now,
        updated_at=now,
    )
    await _insert_user(session, user)
    await audit.record(
        session, actor, "user_created", RESOURCE, user.id, after=_user_snapshot(user)
    )
    return user


async def create_admin(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    name: str = "Administrator",
    actor: Actor | None = None,
) -> User:
    """Create a super admin (``niha create-admin``, the demo seed)."""
    return await create_staff_user(
        session,
        email=email,
        password=password,
        name=name,
        role=StaffRole.SUPER_ADMIN,
        actor=actor or Actor.system("cli"),
    )


@dataclass(frozen=True)
class InvitationInfo:
    email: str
    name: str
    role: str | None
    entity_role: str | None
    expires_at: datetime


async def invite_user(
    session: AsyncSession,
    settings: Settings,
    *,
    email: str,
    name: str,
    role: str | None = None,
    entity_role: str | None = None,
    entity_id: uuid.UUID | None = None,
    actor: Actor,
) -> tuple[User, InvitationInfo]:
    """Invite a staff user (``role``) or an entity member (``entity_role``, ``entity_id``).

    The user is created with status ``invited`` (no password) and gets a single-use link valid
    ``invitation_ttl_hours``. Inviting an address that is still only invited re-sends a fresh
    link (older links stop working); any other existing user -> 409 ``email_taken``.
    """
    if (role is None) == (entity_role is None):
        raise Unprocessable("Give exactly one of role or entity_role", field="role")
    if role is not None:
        role = StaffRole(role).value
        if role == StaffRole.SUPER_ADMIN:
            await _require_super_admin(session, actor)
        entity_id = None
    if entity_role is not None:
        entity_role = EntityRole(entity_role).value
    email = normalize_email(email)
    now = utcnow()
    user = await session.scalar(
        select(User)
        .where(User.email == email)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if user is not None and user.status != UserStatus.INVITED:
        raise EmailTaken()
    if user is None:
        user = User(
            id=new_id(),
            email=email,
            name=name.strip() or email,
            role=role,
            entity_id=entity_id,
            entity_role=entity_role,
            status=UserStatus.INVITED.value,
            totp_enabled=False,
            failed_login_count=0,
            created_at=now,
            updated_at=now,
        )
        await _insert_user(session, user)
    else:
        user.name, user.role, user.entity_role = name.strip() or email, role, entity_role
        user.entity_id, user.updated_at = entity_id, now
        await _revoke_invitations(session, user.id)
    token = new_token()
    expires = now + timedelta(hours=settings.invitation_ttl_hours)
    session.add(
        Invitation(
            id=new_id(),
            user_id=user.id,
            token_hash=hash_token(token),
            invited_by=actor.id,
            created_at=now,
            expires_at=expires,
        )
    )
    await session.flush()
    inviter = (
        await session.scalar(select(User.name).where(User.id == actor.id)) if actor.id else None
    )
    await queue_email(
        session,
        to=user.email,
        template="invitation",
        context={
            "name": user.name,
            "link": f"{settings.public_url.rstrip('/')}/invite/{token}",
            "expires_at": expires,
            "invited_by": inviter or actor.email or "Niha",
        },
    )
    await audit.record(
        session,
        actor,
        "user_invited",
        RESOURCE,
        user.id,
        after={**_user_snapshot(user), "expires_at": isoformat_z(expires)},
    )
    return user, InvitationInfo(user.email, user.name, user.role, user.entity_role, expires)


async def _open_invitation(
    session: AsyncSession, token: str, *, for_update: bool
) -> tuple[Invitation, User]:
    stmt = select(Invitation).where(Invitation.token_hash == hash_token(token))
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    invitation = await session.scalar(stmt)
    if invitation is None:
        raise InvitationNotFound()
    user = await session.get(
        User, invitation.user_id, with_for_update=for_update, populate_existing=for_update
    )
    if user is None:
        raise InvitationNotFound()
    if invitation.accepted_at is not None:
        raise InvitationUsed()
    if invitation.revoked_at is not None or user.status != UserStatus.INVITED:
        raise InvitationRevoked()
    if invitation.expires_at <= utcnow():
        raise InvitationExpired()
    return invitation, user


async def get_invitation(session: AsyncSession, token: str) -> InvitationInfo:
    invitation, user = await _open_invitation(session, token, for_update=False)
    return InvitationInfo(user.email, user.name, user.role, user.entity_role, invitation.expires_at)


async def accept_invitation(
    session: AsyncSession,
    *,
    token: str,
    password: str,
    name: str | None,
    actor: Actor,
) -> User:
    """Set the password of an invited user and activate them (single use)."""
    invitation, user = await _open_invitation(session, token, for_update=True)
    check_password(password, user.email, "password")
    now = utcnow()
    if name and name.strip():
        user.name = name.strip()
    user.password_hash = hash_password(password)
    user.password_changed_at = user.updated_at = now
    user.status = UserStatus.ACTIVE.value
    invitation.accepted_at = now
    await _revoke_invitations(session, user.id)
    await audit.record(
        session,
        _user_actor(actor, user),
        "invitation_accepted",
        RESOURCE,
        user.id,
        after={"invitation_id": str(invitation.id)},
    )
    return user


async def update_user(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    actor: Actor,
    role: str | None = None,
    entity_role: str | None = None,
    status: str | None = None,
) -> User:
    """Change a user's role / entity role / status (staff with ``users:manage``).

    Nobody changes their own role or status; only a super admin grants super_admin or changes
    a super admin. Disabling revokes every session of the user at once (and any pending
    invitation). Enabling an invited-then-disabled user (no password yet) puts them back to
    ``invited``: they need a new invitation.
    """
    if actor.id == user_id:
        raise CannotModifySelf()
    user = await _lock_user(session, user_id)
    if user.role == StaffRole.SUPER_ADMIN or role == StaffRole.SUPER_ADMIN:
        await _require_super_admin(session, actor)
    now = utcnow()
    if role is not None and role != user.role:
        if user.role is None:
            raise RoleKindMismatch("This user is an entity member; change entity_role instead")
        before = user.role
        user.role, user.updated_at = StaffRole(role).value, now
        await audit.record(
            session,
            actor,
            "role_changed",
            RESOURCE,
            user.id,
            before={"role": before},
            after={"role": user.role},
        )
    if entity_role is not None and entity_role != user.entity_role:
        if user.entity_role is None:
            raise RoleKindMismatch("This user is staff; change role instead")
        before = user.entity_role
        user.entity_role, user.updated_at = EntityRole(entity_role).value, now
        await audit.record(
            session,
            actor,
            "role_changed",
            RESOURCE,
            user.id,
            before={"entity_role": before},
            after={"entity_role": user.entity_role},
        )
    if status is not None:
        status = UserStatus(status).value
        if status == UserStatus.INVITED:
            raise Unprocessable("status: only active or disabled may be set", field="status")
        if status == UserStatus.DISABLED and user.status != UserStatus.DISABLED:
            before = user.status
            user.status, user.updated_at = status, now
            revoked = await revoke_user_sessions(session, user.id, "user_disabled")
            await _revoke_invitations(session, user.id)
            await audit.record(
                session,
                actor,
                "user_disabled",
                RESOURCE,
                user.id,
                before={"status": before},
                after={"status": user.status, "sessions_revoked": revoked},
            )
        elif status == UserStatus.ACTIVE and user.status == UserStatus.DISABLED:
            user.status = (
                UserStatus.ACTIVE.value if user.password_hash else UserStatus.INVITED.value
            )
            user.updated_at = now
            user.failed_login_count, user.locked_until = 0, None
            await audit.record(
                session,
                actor,
                "user_enabled",
                RESOURCE,
                user.id,
                before={"status": "disabled"},
                after={"status": user.status},
            )
    await session.flush()
    return user


async def attach_to_entity(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    entity_id: uuid.UUID,
    entity_role: str,
    actor: Actor,
) -> User:
    """Make an entity member (not staff) a member of ``entity_id`` with ``entity_role`` — the
    onboarding domain calls this when an invited owner creates their entity."""
    user = await _lock_user(session, user_id)
    if user.role is not None:
        raise RoleKindMismatch("Staff users cannot belong to an entity")
    before = {"entity_id": str(user.entity_id) if user.entity_id else None}
    user.entity_id, user.entity_role = entity_id, EntityRole(entity_role).value
    user.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor,
        "user_attached_to_entity",
        RESOURCE,
        user.id,
        before=before,
        after={"entity_id": str(entity_id), "entity_role": user.entity_role},
    )
    return user
