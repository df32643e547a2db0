"""Bad input never yields a 500: empty bodies, wrong types, huge strings, invalid emails."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from tests.identity.factories import bearer, make_user, token_for

HUGE = "x" * 100_000

PUBLIC_CASES: list[tuple[str, Any]] = [
    ("/api/v1/auth/login", None),
    ("/api/v1/auth/login", {}),
    ("/api/v1/auth/login", []),
    ("/api/v1/auth/login", "text"),
    ("/api/v1/auth/login", {"email": "not-an-email", "password": "whatever-password"}),
    ("/api/v1/auth/login", {"email": 12, "password": 34}),
    ("/api/v1/auth/login", {"email": "a@example.com", "password": HUGE}),
    ("/api/v1/auth/login", {"email": HUGE + "@example.com", "password": "x"}),
    ("/api/v1/auth/login", {"email": "a@example.com", "password": ""}),
    ("/api/v1/auth/login", {"email": "a@example.com", "password": "p", "totp_code": HUGE}),
    ("/api/v1/auth/login", {"email": "a@example.com", "password": "p", "extra": 1}),
    ("/api/v1/auth/password-reset/request", {}),
    ("/api/v1/auth/password-reset/request", {"email": "nope"}),
    ("/api/v1/auth/password-reset/request", {"email": None}),
    ("/api/v1/auth/password-reset/confirm", {"token": HUGE, "password": "long enough pass"}),
    ("/api/v1/auth/password-reset/confirm", {"token": "t", "password": HUGE}),
    ("/api/v1/auth/password-reset/confirm", {"token": "", "password": "long enough pass"}),
    ("/api/v1/auth/invitations/some-token/accept", {}),
    ("/api/v1/auth/invitations/some-token/accept", {"password": 123}),
    ("/api/v1/auth/invitations/some-token/accept", {"password": "long enough p", "name": HUGE}),
]


@pytest.mark.parametrize(("path", "body"), PUBLIC_CASES)
async def test_public_bad_input_is_a_422_problem(
    client: httpx.AsyncClient, path: str, body: Any
) -> None:
    r = await client.post(path, json=body) if body is not None else await client.post(path)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "validation_error"
    assert problem["errors"] and all("field" in e for e in problem["errors"])


async def test_invalid_json_body(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert r.json()["code"] == "validation_error"


async def test_validation_error_names_the_field(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/auth/login", json={"email": "bad", "password": "p"})
    assert r.json()["errors"][0]["field"] == "email"


async def test_huge_invitation_token_in_path(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/auth/invitations/" + "t" * 500)
    assert r.status_code == 422


async def test_authenticated_bad_input(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin = await make_user(session, role="super_admin")
    auth = bearer(await token_for(session, settings, admin))
    cases: list[tuple[str, str, Any]] = [
        ("POST", "/api/v1/auth/password", {}),
        ("POST", "/api/v1/auth/password", {"current_password": 1, "new_password": []}),
        ("POST", "/api/v1/auth/totp/confirm", {}),
        ("POST", "/api/v1/auth/totp/confirm", {"code": HUGE}),
        ("POST", "/api/v1/admin/users", {}),
        (
            "POST",
            "/api/v1/admin/users",
            {"email": "x@example.com", "name": "", "role": "admin", "password": "long enough pass"},
        ),
        (
            "POST",
            "/api/v1/admin/users",
            {"email": "x@example.com", "name": "X", "role": "king", "password": "long enough pass"},
        ),
        (
            "POST",
            "/api/v1/admin/users",
            {
                "email": "x@example.com",
                "name": HUGE,
                "role": "admin",
                "password": "long enough pass",
            },
        ),
        ("POST", "/api/v1/admin/users/invite", {}),
        ("POST", "/api/v1/admin/users/invite", {"email": "bad", "name": "X", "role": "admin"}),
        ("PATCH", f"/api/v1/admin/users/{admin.id}", {"role": 5}),
        ("PATCH", f"/api/v1/admin/users/{admin.id}", {"status": "deleted"}),
        ("PATCH", f"/api/v1/admin/users/{admin.id}", []),
        ("GET", "/api/v1/admin/users?limit=0", None),
        ("GET", "/api/v1/admin/users?limit=100000", None),
        ("GET", "/api/v1/admin/users?status=gone", None),
        ("GET", "/api/v1/admin/users?entity_id=nope", None),
        ("GET", f"/api/v1/admin/users?search={'s' * 300}", None),
        ("GET", "/api/v1/admin/users/not-a-uuid", None),
    ]
    for method, path, body in cases:
        r = await client.request(method, path, json=body, headers=auth)
        assert r.status_code == 422, (method, path, r.text)
        assert r.json()["code"] == "validation_error"
