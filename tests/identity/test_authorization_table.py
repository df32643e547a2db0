"""The authorization table covers every route, and every route enforces it.

Data-driven over ``app.routes`` (included routers flattened) and ``ROUTE_ACCESS``: routes added by any domain are
checked automatically — without a token every non-public route answers 401; with a token
of each staff role and each entity role it answers 403 ``forbidden`` exactly when the role
lacks the route's permission. (Path parameters get random values and bodies are empty, so
an allowed role may well get a 404 or 422 — anything but 401, a 403 ``forbidden`` or a 5xx.
Domain refusals with their own 403 code, e.g. ``kyc_required``, count as allowed.)
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import Mount, Route, WebSocketRoute

from niha.config import Settings
from niha.identity.access import (
    AUTHENTICATED,
    PUBLIC,
    ROLE_PERMISSIONS,
    ROUTE_ACCESS,
    WEBSOCKET,
    EntityRole,
    Permission,
    StaffRole,
)
from niha.identity.models import User
from tests.identity.factories import bearer, make_user, token_for

ROLES: list[tuple[str, str]] = [("role", r.value) for r in StaffRole] + [
    ("entity_role", r.value) for r in EntityRole
]


def route_contexts(app: FastAPI) -> list[RouteContext]:
    """Every route of the app, included routers flattened (FastAPI includes them lazily)."""
    return list(iter_route_contexts(app.routes))


def route_keys(ctx: RouteContext) -> set[tuple[str, str]]:
    route, path = ctx.original_route, str(ctx.path)
    if isinstance(route, WebSocketRoute):  # includes FastAPI's APIWebSocketRoute
        return {(WEBSOCKET, path)}
    if isinstance(route, Route):  # includes APIRoute (docs, openapi.json: plain Routes)
        methods = set(ctx.methods or ())
        if "GET" in methods:
            methods.discard("HEAD")  # Starlette adds HEAD to every GET
        return {(m, path) for m in methods}
    if isinstance(route, Mount):
        return {("MOUNT", path)}
    return {(type(route).__name__, path)}


def app_route_keys(app: FastAPI) -> set[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    for ctx in route_contexts(app):
        keys |= route_keys(ctx)
    return keys


def test_every_route_is_listed_and_every_listed_route_exists(app: FastAPI) -> None:
    actual = app_route_keys(app)
    listed = set(ROUTE_ACCESS)
    missing = sorted(actual - listed)
    stale = sorted(listed - actual)
    assert not missing, f"routes missing from identity.access.ROUTE_ACCESS: {missing}"
    assert not stale, f"ROUTE_ACCESS lists routes the app does not have: {stale}"


def test_access_values_and_roles_are_known() -> None:
    for key, access in ROUTE_ACCESS.items():
        assert access in {PUBLIC, AUTHENTICATED} or isinstance(access, Permission), key
    assert set(ROLE_PERMISSIONS) == {r for _, r in ROLES}
    # The documented minimum.
    assert ROLE_PERMISSIONS[StaffRole.SUPER_ADMIN] >= {
        Permission.USERS_READ,
        Permission.USERS_MANAGE,
        Permission.AUDIT_READ,
    }
    assert ROLE_PERMISSIONS[StaffRole.ADMIN] >= {
        Permission.USERS_READ,
        Permission.USERS_MANAGE,
        Permission.AUDIT_READ,
    }
    assert ROLE_PERMISSIONS[StaffRole.COMPLIANCE] >= {Permission.USERS_READ, Permission.AUDIT_READ}
    assert Permission.USERS_MANAGE not in ROLE_PERMISSIONS[StaffRole.COMPLIANCE]
    assert Permission.USERS_READ in ROLE_PERMISSIONS[StaffRole.OPERATIONS]
    assert Permission.USERS_MANAGE not in ROLE_PERMISSIONS[StaffRole.OPERATIONS]
    assert Permission.AUDIT_READ not in ROLE_PERMISSIONS[StaffRole.OPERATIONS]
    for role in EntityRole:
        assert not ROLE_PERMISSIONS[role] & {
            Permission.USERS_READ,
            Permission.USERS_MANAGE,
            Permission.AUDIT_READ,
        }


def _find_route(app: FastAPI, method: str, path: str) -> RouteContext:
    for ctx in route_contexts(app):
        if (method, path) in route_keys(ctx):
            return ctx
    raise AssertionError(f"no route {method} {path}")


def _sample(annotation: Any) -> str:
    if annotation is int:
        return "1"
    if annotation is uuid.UUID:
        return str(uuid.uuid4())
    return "x" + uuid.uuid4().hex[:12]


def concrete_path(ctx: RouteContext, path: str) -> str:
    """``path`` with each ``{param}`` filled with a random value of its declared type."""
    values: dict[str, str] = {}
    if isinstance(ctx.original_route, APIRoute):
        for param in ctx.original_route.dependant.path_params:
            values[param.name] = _sample(param.field_info.annotation)
    for name in getattr(ctx, "param_convertors", None) or {}:
        values.setdefault(name, _sample(None))
    result = path
    for name, value in values.items():
        result = result.replace("{" + name + "}", value)
        for suffix in (":path", ":str", ":int", ":uuid"):
            result = result.replace("{" + name + suffix + "}", value)
    return result


def _allowed(access: str | Permission, role: str) -> bool:
    if access == AUTHENTICATED:
        return True
    assert isinstance(access, Permission)
    return access in ROLE_PERMISSIONS[role]


async def test_every_route_enforces_its_access(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    users: dict[str, User] = {}
    for kind, role in ROLES:
        users[role] = await make_user(session, **{kind: role})  # type: ignore[arg-type]

    failures: list[str] = []
    checked = 0
    for (method, path), access in sorted(ROUTE_ACCESS.items()):
        if access == PUBLIC or method == WEBSOCKET:
            continue
        url = concrete_path(_find_route(app, method, path), path)

        r = await client.request(method, url)
        if r.status_code != 401 or r.json().get("code") != "not_authenticated":
            failures.append(f"{method} {path} without a token -> {r.status_code}")

        r = await client.request(method, url, headers=bearer("not.a.valid-token"))
        if r.status_code != 401:
            failures.append(f"{method} {path} with a bad token -> {r.status_code}")

        for role, user in users.items():
            # A fresh session per call: a route may revoke the caller's session.
            token = await token_for(session, settings, user)
            r = await client.request(method, url, headers=bearer(token))
            code = (
                r.json().get("code")
                if r.headers.get("content-type", "").startswith("application/problem+json")
                else None
            )
            if _allowed(access, role):
                if (
                    r.status_code == 401
                    or r.status_code >= 500
                    or (r.status_code == 403 and code == "forbidden")
                ):
                    failures.append(
                        f"{method} {path} as {role} (allowed) -> {r.status_code} {code}"
                    )
            elif r.status_code != 403 or code != "forbidden":
                failures.append(f"{method} {path} as {role} (refused) -> {r.status_code} {code}")
            checked += 1
    assert not failures, "\n".join(failures)
    assert checked > 0
