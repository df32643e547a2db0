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

from niha.core.deps import SettingsDep, get_db
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
    CONTACTS_READ = "contacts:read"
    CONTACTS_MANAGE = "contacts:manage"
    ENTITIES_READ = "entities:read"
    ENTITIES_REVIEW = "entities:review"
    KYC_READ = "kyc:read"
    KYC_REVIEW = "kyc:review"
    KYC_FILES = "kyc:files"  # staff: any entity's KYC files; owners: their own entity's
    ENTITY_READ = "entity:read"  # clients: their own entity, its members and KYC status
    ENTITY_MANAGE = "entity:manage"  # clients: edit/submit their entity, upload KYC, invite
    FUNDING_READ = "funding:read"  # clients: their deposits, withdrawals, bank accounts, history
    FUNDING_MANAGE = "funding:manage"  # clients: announce deposits, withdraw, bank accounts
    FUNDING_OPS_READ = "funding_ops:read"  # staff: every entity's funding queues
    DEPOSITS_MANAGE = "deposits:manage"  # staff: confirm, reject and record deposits
    AML_REVIEW = "aml:review"  # staff: release, extend and reject AML holds
    BANK_ACCOUNTS_VERIFY = "bank_accounts:verify"  # staff: verify or reject bank accounts
    WITHDRAWALS_APPROVE = "withdrawals:approve"  # staff: approve or reject withdrawals
    WITHDRAWALS_EXECUTE = "withdrawals:execute"  # staff: complete (not the approver)
    ORDERS_READ = "orders:read"  # clients: their entity's orders and trades
    ORDERS_WRITE = "orders:write"  # clients: place and cancel their entity's orders
    MARKET_READ = "market:read"  # staff: instruments, books, every order and trade
    MARKET_MANAGE = "market:manage"  # staff: halt/resume, instrument rules, cancel orders
    TRADES_CONFIRM = "trades:confirm"  # staff: confirm block trades


# Permissions that act *as a client* (on one's own entity). Staff roles never get them
# implicitly; list them for entity roles below.
CLIENT_PERMISSIONS: frozenset[Permission] = frozenset(
    {Permission.BALANCES_READ, Permission.ENTITY_READ, Permission.ENTITY_MANAGE}
    | {Permission.FUNDING_READ, Permission.FUNDING_MANAGE}
    | {Permission.ORDERS_READ, Permission.ORDERS_WRITE}
)
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
            Permission.CONTACTS_READ,
            Permission.ENTITIES_READ,
            Permission.ENTITIES_REVIEW,
            Permission.KYC_READ,
            Permission.KYC_REVIEW,
            Permission.KYC_FILES,
            Permission.FUNDING_OPS_READ,
            Permission.AML_REVIEW,
            Permission.BANK_ACCOUNTS_VERIFY,
            Permission.WITHDRAWALS_APPROVE,
            Permission.MARKET_READ,
        }
    ),
    StaffRole.OPERATIONS: frozenset(
        {
            Permission.USERS_READ,
            Permission.LEDGER_READ,
            Permission.LEDGER_ADJUST,
            Permission.REPORTS_READ,
            Permission.CONTACTS_READ,
            Permission.CONTACTS_MANAGE,
            Permission.ENTITIES_READ,
            Permission.FUNDING_OPS_READ,
            Permission.DEPOSITS_MANAGE,
            Permission.BANK_ACCOUNTS_VERIFY,
            Permission.WITHDRAWALS_EXECUTE,
            Permission.MARKET_READ,
            Permission.MARKET_MANAGE,
            Permission.TRADES_CONFIRM,
        }
    ),
    EntityRole.OWNER: frozenset(
        {
            Permission.BALANCES_READ,
            Permission.ENTITY_READ,
            Permission.ENTITY_MANAGE,
            Permission.KYC_FILES,
            Permission.FUNDING_READ,
            Permission.FUNDING_MANAGE,
            Permission.ORDERS_READ,
            Permission.ORDERS_WRITE,
        }
    ),
    EntityRole.TRADER: frozenset(
        {Permission.BALANCES_READ, Permission.ENTITY_READ, Permission.FUNDING_READ}
        | {Permission.ORDERS_READ, Permission.ORDERS_WRITE}
    ),
    EntityRole.VIEWER: frozenset(
        {Permission.BALANCES_READ, Permission.ENTITY_READ, Permission.FUNDING_READ}
        | {Permission.ORDERS_READ}
    ),
}


def has_permission(principal: Principal, permission: Permission) -> bool:
    role = principal.role or principal.entity_role
    return role is not None and permission in ROLE_PERMISSIONS.get(role, frozenset())


_bearer = HTTPBearer(auto_error=False, description="Access token from POST /api/v1/auth/login")


async def optional_principal(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    """The caller when a valid bearer token is presented, else ``None``."""
    if credentials is None or not credentials.credentials or len(credentials.credentials) > 4096:
        return None
    principal = await principal_from_token(get_db(request), settings, credentials.credentials)
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
    ("MOUNT", "/docs-static"): PUBLIC,  # Swagger UI / ReDoc assets, served locally
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
    ("POST", "/api/v1/admin/users/{user_id}/reset-totp"): Permission.USERS_MANAGE,
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
    # onboarding: contact requests
    ("POST", "/api/v1/contact-requests"): PUBLIC,  # rate-limited per IP
    ("GET", "/api/v1/admin/contact-requests"): Permission.CONTACTS_READ,
    ("PATCH", "/api/v1/admin/contact-requests/{request_id}"): Permission.CONTACTS_MANAGE,
    ("POST", "/api/v1/admin/contact-requests/{request_id}/invite"): Permission.CONTACTS_MANAGE,
    # onboarding: entities (clients: their own entity only)
    ("GET", "/api/v1/onboarding/entity"): Permission.ENTITY_READ,
    ("POST", "/api/v1/onboarding/entity"): Permission.ENTITY_MANAGE,
    ("PUT", "/api/v1/onboarding/entity/{entity_id}"): Permission.ENTITY_MANAGE,
    ("POST", "/api/v1/onboarding/entity/{entity_id}/submit"): Permission.ENTITY_MANAGE,
    ("GET", "/api/v1/onboarding/entity/{entity_id}/members"): Permission.ENTITY_READ,
    ("POST", "/api/v1/onboarding/entity/{entity_id}/members"): Permission.ENTITY_MANAGE,
    ("PATCH", "/api/v1/onboarding/entity/{entity_id}/members/{user_id}"): Permission.ENTITY_MANAGE,
    ("GET", "/api/v1/admin/entities"): Permission.ENTITIES_READ,
    ("GET", "/api/v1/admin/entities/{entity_id}"): Permission.ENTITIES_READ,
    ("POST", "/api/v1/admin/entities/{entity_id}/approve"): Permission.ENTITIES_REVIEW,
    ("POST", "/api/v1/admin/entities/{entity_id}/request-changes"): Permission.ENTITIES_REVIEW,
    ("POST", "/api/v1/admin/entities/{entity_id}/suspend"): Permission.ENTITIES_REVIEW,
    ("POST", "/api/v1/admin/entities/{entity_id}/reactivate"): Permission.ENTITIES_REVIEW,
    # kyc (clients: their own entity's documents only)
    ("POST", "/api/v1/kyc/documents/upload"): Permission.ENTITY_MANAGE,
    ("GET", "/api/v1/kyc/documents/my-documents"): Permission.ENTITY_READ,
    ("DELETE", "/api/v1/kyc/documents/{document_id}"): Permission.ENTITY_MANAGE,
    ("GET", "/api/v1/kyc/documents/{document_id}/file"): Permission.KYC_FILES,
    ("GET", "/api/v1/kyc/status"): Permission.ENTITY_READ,
    ("GET", "/api/v1/admin/kyc/documents"): Permission.KYC_READ,
    ("POST", "/api/v1/admin/kyc/documents/{document_id}/approve"): Permission.KYC_REVIEW,
    ("POST", "/api/v1/admin/kyc/documents/{document_id}/reject"): Permission.KYC_REVIEW,
    # funding (clients: their own entity's accounts, deposits, withdrawals and history)
    ("GET", "/api/v1/funding/bank-accounts"): Permission.FUNDING_READ,
    ("POST", "/api/v1/funding/bank-accounts"): Permission.FUNDING_MANAGE,
    ("POST", "/api/v1/funding/bank-accounts/validate-iban"): Permission.FUNDING_READ,
    ("PUT", "/api/v1/funding/bank-accounts/{account_id}"): Permission.FUNDING_MANAGE,
    ("DELETE", "/api/v1/funding/bank-accounts/{account_id}"): Permission.FUNDING_MANAGE,
    ("POST", "/api/v1/funding/bank-accounts/{account_id}/primary"): Permission.FUNDING_MANAGE,
    ("POST", "/api/v1/funding/deposits/announce"): Permission.FUNDING_MANAGE,
    ("GET", "/api/v1/funding/deposits/my-deposits"): Permission.FUNDING_READ,
    ("POST", "/api/v1/funding/deposits/{deposit_id}/cancel"): Permission.FUNDING_MANAGE,
    ("POST", "/api/v1/funding/withdrawals/request"): Permission.FUNDING_MANAGE,
    ("GET", "/api/v1/funding/withdrawals/my-withdrawals"): Permission.FUNDING_READ,
    ("POST", "/api/v1/funding/withdrawals/{withdrawal_id}/cancel"): Permission.FUNDING_MANAGE,
    ("GET", "/api/v1/funding/transactions"): Permission.FUNDING_READ,
    ("GET", "/api/v1/admin/bank-accounts"): Permission.FUNDING_OPS_READ,
    ("POST", "/api/v1/admin/bank-accounts/{account_id}/verify"): Permission.BANK_ACCOUNTS_VERIFY,
    ("POST", "/api/v1/admin/bank-accounts/{account_id}/reject"): Permission.BANK_ACCOUNTS_VERIFY,
    ("GET", "/api/v1/admin/bank-accounts/{account_id}/proof"): Permission.FUNDING_OPS_READ,
    ("GET", "/api/v1/admin/deposits"): Permission.FUNDING_OPS_READ,
    ("POST", "/api/v1/admin/deposits/record"): Permission.DEPOSITS_MANAGE,
    ("POST", "/api/v1/admin/deposits/{deposit_id}/confirm"): Permission.DEPOSITS_MANAGE,
    ("POST", "/api/v1/admin/deposits/{deposit_id}/reject"): Permission.DEPOSITS_MANAGE,
    ("GET", "/api/v1/admin/aml/holds"): Permission.FUNDING_OPS_READ,
    ("POST", "/api/v1/admin/aml/holds/{hold_id}/release"): Permission.AML_REVIEW,
    ("POST", "/api/v1/admin/aml/holds/{hold_id}/extend"): Permission.AML_REVIEW,
    ("POST", "/api/v1/admin/aml/holds/{hold_id}/reject"): Permission.AML_REVIEW,
    ("GET", "/api/v1/admin/withdrawals"): Permission.FUNDING_OPS_READ,
    ("POST", "/api/v1/admin/withdrawals/{withdrawal_id}/approve"): Permission.WITHDRAWALS_APPROVE,
    ("POST", "/api/v1/admin/withdrawals/{withdrawal_id}/reject"): Permission.WITHDRAWALS_APPROVE,
    ("POST", "/api/v1/admin/withdrawals/{withdrawal_id}/complete"): Permission.WITHDRAWALS_EXECUTE,
    # exchange: clients' orders and trades (their own entity's only)
    ("POST", "/api/v1/orders/place"): Permission.ORDERS_WRITE,
    ("GET", "/api/v1/orders/my-orders"): Permission.ORDERS_READ,
    ("GET", "/api/v1/fees"): Permission.ORDERS_READ,
    ("POST", "/api/v1/orders/cancel-all"): Permission.ORDERS_WRITE,
    ("GET", "/api/v1/orders/{order_id}"): Permission.ORDERS_READ,
    ("POST", "/api/v1/orders/{order_id}/cancel"): Permission.ORDERS_WRITE,
    ("GET", "/api/v1/trades/my-trades"): Permission.ORDERS_READ,
    ("POST", "/api/v1/trades/{trade_id}/confirm"): Permission.TRADES_CONFIRM,
    # exchange: staff
    ("GET", "/api/v1/admin/instruments"): Permission.MARKET_READ,
    ("GET", "/api/v1/admin/instruments/{symbol}"): Permission.MARKET_READ,
    ("PATCH", "/api/v1/admin/instruments/{symbol}"): Permission.MARKET_MANAGE,
    ("GET", "/api/v1/admin/market/overview"): Permission.MARKET_READ,
    ("GET", "/api/v1/admin/trades"): Permission.MARKET_READ,
    ("GET", "/api/v1/admin/orders"): Permission.MARKET_READ,
    ("POST", "/api/v1/admin/orders/{order_id}/cancel"): Permission.MARKET_MANAGE,
    # exchange: per-entity fee overrides (staff)
    ("GET", "/api/v1/admin/fee-overrides"): Permission.MARKET_READ,
    ("PUT", "/api/v1/admin/entities/{entity_id}/fees"): Permission.MARKET_MANAGE,
    ("DELETE", "/api/v1/admin/entities/{entity_id}/fees"): Permission.MARKET_MANAGE,
    # market data and marketplace: public, like any exchange's
    ("GET", "/api/v1/market/instruments"): PUBLIC,
    ("GET", "/api/v1/market/tickers"): PUBLIC,
    ("GET", "/api/v1/market/{instrument}/book"): PUBLIC,
    ("GET", "/api/v1/market/{instrument}/trades"): PUBLIC,
    ("GET", "/api/v1/market/{instrument}/candles"): PUBLIC,
    ("GET", "/api/v1/market/{instrument}/ticker"): PUBLIC,
    ("GET", "/api/v1/marketplace/certificates"): PUBLIC,
    ("GET", "/api/v1/marketplace/certificates/{certificate_id}"): PUBLIC,
    ("GET", "/api/v1/marketplace/price-history"): PUBLIC,
    ("GET", "/api/v1/marketplace/statistics"): PUBLIC,
}
