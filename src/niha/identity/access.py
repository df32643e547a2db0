"""Permissions, roles and the one place where requests are authorized.

Every route depends on :func:`require` (a permission) or :data:`CurrentPrincipal` (any
logged-in user), or is public — and is listed in :data:`ROUTE_ACCESS`, which a test compares
with the app's routes and exercises with every role.

Adding a domain: add its ``Permission`` members, grant them to roles in
:data:`ROLE_PERMISSIONS` (staff roles get every permission not in ``CLIENT_PERMISSIONS``
according to the rules below; entity roles get only what is listed for them), and add a
``ROUTE_ACCESS`` row for each route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from niha.core.deps import SessionDep, SettingsDep
from niha.core.errors import Forbidden, Unauthorized
from niha.identity.principal import Principal
from niha.identity.roles import EntityRole, StaffRole, UserStatus
from niha.identity.service import principal_from_token

__all__ = [
    "AUTHENTICATED",
    "PUBLIC",
    "ROLE_PERMISSIONS",
    "ROUTE_ACCESS",
    "CurrentPrincipal",
    "EntityRole",
    "OptionalPrincipal",
    "Permission",
    "Principal",
    "StaffRole",
    "UserStatus",
    "current_principal",
    "has_permission",
    "optional_principal",
    "require",
]


class Permission(StrEnum):
    USERS_READ = "users:read"
    USERS_MANAGE = "users:manage"
    AUDIT_READ = "audit:read"
    LEDGER_READ = "ledger:read"
    LEDGER_ADJUST = "ledger:adjust"
    LEDGER_APPROVE = "ledger:approve"
    REPORTS_READ = "reports:read"
    BALANCES_READ = "balances:read"


# Permissions that act *as a client* (on one's own entity). Staff roles never get them
# implicitly; list them for entity roles below.
CLIENT_PERMISSIONS: frozenset[Permission] = frozenset({Permission.BALANCES_READ})
# Staff permissions that only super admins hold.
SUPER_ADMIN_ONLY: frozenset[Permission] = frozenset()

_STAFF_ALL = frozenset(Permission) - CLIENT_PERMISSIONS

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    StaffRole.SUPER_ADMIN: _STAFF_ALL,
    StaffRole.ADMIN: _STAFF_ALL - SUPER_ADMIN_ONLY,
    StaffRole.COMPLIANCE: frozenset(
        {
            Permission.USERS_READ,
            Permission.AUDIT_READ,
            Permission.LEDGER_READ,
            Permission.REPORTS_READ,
        }
    ),
    StaffRole.OPERATIONS: frozenset(
        {
            Permission.USERS_READ,
            Permission.LEDGER_READ,
            Permission.LEDGER_ADJUST,
            Permission.REPORTS_READ,
        }
    ),
    EntityRole.OWNER: frozenset({Permission.BALANCES_READ}),
    EntityRole.TRADER: frozenset({Permission.BALANCES_READ}),
    EntityRole.VIEWER: frozenset({Permission.BALANCES_READ}),
}


def has_permission(principal: Principal, permission: Permission) -> bool:
    role = principal.role or principal.entity_role
    return role is not None and permission in ROLE_PERMISSIONS.get(role, frozenset())


_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/login")


async def optional_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The caller when a valid bearer token is presented, else ``None``."""
    if credentials is None or not credentials.credentials or len(credentials.credentials) > 4096:
        return None
    principal = await principal_from_token(session, settings, credentials.credentials)
    if principal is not None:
        request.state.principal = principal
    return principal


async def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    """Any logged-in user; 401 ``not_authenticated`` otherwise."""
    if principal is None:
        raise Unauthorized(
            "A valid access token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the caller, who must hold ``permission`` (401 / 403 ``forbidden``)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not has_permission(principal, permission):
            raise Forbidden(f"This action requires the {permission.value} permission")
        return principal

    dependency.__name__ = f"require_{permission.name.lower()}"
    return dependency


PUBLIC = "public"
AUTHENTICATED = "authenticated"
WEBSOCKET = "WEBSOCKET"

# (method, path template) -> "public" | "authenticated" | Permission. Every route of the app.
# WebSocket routes use the method "WEBSOCKET"; they authenticate inside the handler.
ROUTE_ACCESS: dict[tuple[str, str], str | Permission] = {
    # service endpoints and docs
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/{full_path:path}"): PUBLIC,  # the web app (SPA fallback)
    (WEBSOCKET, "/api/v1/ws"): PUBLIC,  # public channels; JWT for private ones
    # auth
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/refresh"): PUBLIC,  # the refresh cookie authenticates
    ("POST", "/api/v1/auth/logout"): PUBLIC,  # cookie and/or bearer; idempotent
    ("GET", "/api/v1/auth/me"): AUTHENTICATED,
    ("POST", "/api/v1/auth/password"): AUTHENTICATED,
    ("POST", "/api/v1/auth/password-reset/request"): PUBLIC,
    ("POST", "/api/v1/auth/password-reset/confirm"): PUBLIC,
    ("POST", "/api/v1/auth/totp/enroll"): AUTHENTICATED,
    ("POST", "/api/v1/auth/totp/confirm"): AUTHENTICATED,
    ("GET", "/api/v1/auth/invitations/{token}"): PUBLIC,
    ("POST", "/api/v1/auth/invitations/{token}/accept"): PUBLIC,
    # users (staff)
    ("GET", "/api/v1/admin/users"): Permission.USERS_READ,
    ("POST", "/api/v1/admin/users"): Permission.USERS_MANAGE,
    ("POST", "/api/v1/admin/users/invite"): Permission.USERS_MANAGE,
    ("GET", "/api/v1/admin/users/{user_id}"): Permission.USERS_READ,
    ("PATCH", "/api/v1/admin/users/{user_id}"): Permission.USERS_MANAGE,
    # audit
    ("GET", "/api/v1/admin/audit-logs"): Permission.AUDIT_READ,
    ("GET", "/api/v1/admin/audit-logs/export"): Permission.AUDIT_READ,
    ("GET", "/api/v1/admin/audit-logs/{resource_type}/{resource_id}"): Permission.AUDIT_READ,
    # ledger
    ("GET", "/api/v1/balances"): Permission.BALANCES_READ,
    ("GET", "/api/v1/admin/ledger/balances/{entity_id}"): Permission.LEDGER_READ,
    ("GET", "/api/v1/admin/ledger/accounts"): Permission.LEDGER_READ,
    ("GET", "/api/v1/admin/ledger/transfers"): Permission.LEDGER_READ,
    ("GET", "/api/v1/admin/ledger/adjustments"): Permission.LEDGER_READ,
    ("POST", "/api/v1/admin/ledger/adjustments"): Permission.LEDGER_ADJUST,
    ("GET", "/api/v1/admin/ledger/adjustments/{adjustment_id}"): Permission.LEDGER_READ,
    ("POST", "/api/v1/admin/ledger/adjustments/{adjustment_id}/approve"): Permission.LEDGER_APPROVE,
    ("POST", "/api/v1/admin/ledger/adjustments/{adjustment_id}/reject"): Permission.LEDGER_APPROVE,
    ("GET", "/api/v1/admin/reports/reconciliation"): Permission.REPORTS_READ,
}
