"""The order lane answers POST /orders/place exactly as the FastAPI route does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.exchange import lane
from tests.exchange.trading import ok, problem, trader

_VOLATILE = {"id", "created_at", "updated_at", "sequence"}


def _stable(order: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in order.items() if k not in _VOLATILE}


@pytest.fixture
def lane_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = lane.place

    async def spy(*args: Any) -> Any:
        calls.append("lane")
        return await real(*args)

    monkeypatch.setattr(lane, "place", spy)
    return calls


async def test_the_lane_and_the_route_give_the_same_reply(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, lane_calls: list[str]
) -> None:
    t = await trader(session, settings, eur=10_000_000)
    body = {"certificate_type": "EUA", "order_type": "BUY", "order_kind": "LIMIT",
            "quantity": 3, "price": "50.00", "time_in_force": "GTC"}  # fmt: skip
    url = "/api/v1/orders/place"
    fast = await client.post(url, json=body, headers=t.headers)
    assert lane_calls == ["lane"]
    routed = await client.post(url, json=body, headers={**t.headers, "Idempotency-Key": "k-1"})
    assert lane_calls == ["lane"]  # an Idempotency-Key goes to the route (and its middleware)
    assert fast.status_code == routed.status_code == 201
    assert fast.headers["content-type"] == routed.headers["content-type"]
    assert fast.headers["x-request-id"] and fast.headers["content-security-policy"]
    assert _stable(ok(fast, 201)) == _stable(ok(routed, 201))
    assert list(fast.json()) == list(routed.json())


async def test_domain_errors_are_problems_from_the_lane(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, lane_calls: list[str]
) -> None:
    t = await trader(session, settings, eur=100)
    r = await client.post(
        "/api/v1/orders/place",
        json={"certificate_type": "EUA", "order_type": "BUY", "quantity": 5, "price": "70.00"},
        headers=t.headers,
    )
    body = problem(r, 422, "insufficient_funds")
    assert r.headers["content-type"] == "application/problem+json"
    assert body["asset"] == "EUR" and lane_calls == ["lane"]


@pytest.mark.parametrize(
    ("content", "headers", "status", "code"),
    [
        (b'{"order_type": "BUY", "quantity": 1, "price": "1.00"}', {}, 401, "not_authenticated"),
        (b'{"order_type": "BUY", "quantity": "1", "price": "1.00"}', None, 422, "validation_error"),
        (b'{"order_type": "BUY", "quantity": 1', None, 422, "validation_error"),
        (b"[]", None, 422, "validation_error"),
    ],
)
async def test_what_the_lane_does_not_serve_the_route_answers(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    lane_calls: list[str],
    content: bytes,
    headers: dict[str, str] | None,
    status: int,
    code: str,
) -> None:
    t = await trader(session, settings, eur=10_000)
    sent = {"content-type": "application/json", **(t.headers if headers is None else headers)}
    r = await client.post("/api/v1/orders/place", content=content, headers=sent)
    problem(r, status, code)
    assert lane_calls == []


async def test_a_viewer_is_forbidden_by_the_route(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, lane_calls: list[str]
) -> None:
    viewer = await trader(session, settings, eur=10_000, role="viewer")
    r = await client.post(
        "/api/v1/orders/place",
        json={"certificate_type": "EUA", "order_type": "BUY", "quantity": 1, "price": "1.00"},
        headers=viewer.headers,
    )
    problem(r, 403, "forbidden")
    assert lane_calls == []
