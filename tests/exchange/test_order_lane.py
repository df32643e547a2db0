"""The order lane answers POST /orders/place exactly as the FastAPI route does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.exchange import lane
from tests.exchange.trading import ok, problem, trader

_VOLATILE = {"id", "created_at", "updated_at", "sequence"}


def _stable(order: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in order.items() if k not in _VOLATILE}


def _spy(monkeypatch: pytest.MonkeyPatch, name: str, what: Any) -> list[str]:
    """Records ``what(result)`` of each call of the lane's ``name`` (or ``what(error)``)."""
    calls: list[str] = []
    real = getattr(lane, name)

    async def spy(*args: Any) -> Any:
        try:
            result = await real(*args)
        except Exception as exc:
            calls.append(what(exc))
            raise
        calls.append(what(result))
        return result

    monkeypatch.setattr(lane, name, spy)
    return calls


@pytest.fixture
def lane_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return _spy(monkeypatch, "place", lambda _: "lane")


async def _declined(*_: Any) -> None:
    """The lane's answer when it leaves a request to the route."""
    return None


async def test_the_lane_and_the_route_give_the_same_reply(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    lane_calls: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    t = await trader(session, settings, eur=10_000_000)
    body = {"certificate_type": "EUA", "order_type": "BUY", "order_kind": "LIMIT",
            "quantity": 3, "price": "50.00", "time_in_force": "GTC"}  # fmt: skip
    url = "/api/v1/orders/place"
    fast = await client.post(url, json=body, headers=t.headers)
    assert lane_calls == ["lane"]
    monkeypatch.setattr(lane.OrderLane, "_serve", _declined)
    routed = await client.post(url, json=body, headers=t.headers)
    assert lane_calls == ["lane"]  # declined: the route answered
    assert fast.status_code == routed.status_code == 201
    assert fast.headers["content-type"] == routed.headers["content-type"]
    assert fast.headers["x-request-id"] and fast.headers["content-security-policy"]
    assert _stable(ok(fast, 201)) == _stable(ok(routed, 201))
    assert list(fast.json()) == list(routed.json())


async def test_an_order_with_an_idempotency_key_is_placed_by_the_lane_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, lane_calls: list[str]
) -> None:
    """A key reaches the lane once the idempotency middleware holds it; the same request
    again is that middleware's replay (not placed again), another one with the key a 422."""
    t = await trader(session, settings, eur=10_000_000)
    body = {"certificate_type": "EUA", "order_type": "BUY", "order_kind": "LIMIT",
            "quantity": 2, "price": "50.00"}  # fmt: skip
    url, headers = "/api/v1/orders/place", {**t.headers, "Idempotency-Key": "mm-1"}
    first = await client.post(url, json=body, headers=headers)
    again = await client.post(url, json=body, headers=headers)
    other = await client.post(url, json={**body, "quantity": 3}, headers=headers)
    assert lane_calls == ["lane"]
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == ok(first, 201)
    problem(other, 422, "idempotency_key_reused")
    placed = await session.scalar(
        text("SELECT count(*) FROM exchange_order WHERE entity_id = :e"), {"e": t.entity_id}
    )
    assert placed == 1


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


_BUY = {"certificate_type": "EUA", "order_type": "BUY", "quantity": 1, "price": "50.00"}


async def _orders(session: AsyncSession, t: Any) -> int:
    return int(
        (
            await session.execute(
                text("SELECT count(*) FROM exchange_order WHERE entity_id = :e"),
                {"e": t.entity_id},
            )
        ).scalar_one()
    )


async def test_a_session_revoked_after_its_first_order_stops_at_once(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, lane_calls: list[str]
) -> None:
    t = await trader(session, settings, eur=1_000_000)
    ok(await client.post("/api/v1/orders/place", json=_BUY, headers=t.headers), 201)
    # The lane remembers the session now; revoke it behind the lane's back.
    await session.execute(
        text("UPDATE identity_session SET revoked_at = now() WHERE user_id = :u"),
        {"u": t.user_id},
    )
    r = await client.post("/api/v1/orders/place", json=_BUY, headers=t.headers)
    problem(r, 401, "not_authenticated")
    assert await _orders(session, t) == 1
    assert lane_calls == ["lane", "lane"]  # the second was refused in its group, then routed


async def test_a_changed_user_is_decided_afresh_by_the_route(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, lane_calls: list[str]
) -> None:
    t = await trader(session, settings, eur=1_000_000)
    url = "/api/v1/orders/place"

    async def user(change: str) -> None:
        await session.execute(
            text(f"UPDATE identity_user SET {change} WHERE id = :u"), {"u": t.user_id}
        )

    ok(await client.post(url, json=_BUY, headers=t.headers), 201)  # remembered
    await user("entity_role = 'viewer'")
    problem(await client.post(url, json=_BUY, headers=t.headers), 403, "forbidden")
    await user("entity_role = 'trader'")
    ok(await client.post(url, json=_BUY, headers=t.headers), 201)  # looked up, remembered
    await user("name = 'Renamed'")  # changes nothing that matters: the route places it
    ok(await client.post(url, json=_BUY, headers=t.headers), 201)
    assert await _orders(session, t) == 3
    assert lane_calls == ["lane"] * 4


async def test_a_callers_second_order_is_decided_on_what_was_remembered(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    lane_calls: list[str],
    locked_groups: list[int],
) -> None:
    """The checks of the remembered way hold for a caller whose session stands: the
    second order is not decided again under locks."""
    t = await trader(session, settings, eur=1_000_000)
    for _ in range(3):
        ok(await client.post("/api/v1/orders/place", json=_BUY, headers=t.headers), 201)
    assert lane_calls == ["lane"] * 3
    assert len(locked_groups) == 1  # the first only


@pytest.fixture
def lane_cancels(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the lane's cancellations in a group came to: "grouped", "routed" (the route
    went on with it) or "refused" (an error)."""

    def outcome(found: Any) -> str:
        if isinstance(found, Exception):
            return "refused"
        return "routed" if found is None else "grouped"

    return _spy(monkeypatch, "cancel_in_group", outcome)


async def test_a_cancel_from_the_lane_answers_as_the_route_does(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    lane_cancels: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    t = await trader(session, settings, eur=1_000_000)
    first = ok(await client.post("/api/v1/orders/place", json=_BUY, headers=t.headers), 201)
    second = ok(await client.post("/api/v1/orders/place", json=_BUY, headers=t.headers), 201)
    fast = await client.post(f"/api/v1/orders/{first['id']}/cancel", headers=t.headers)
    assert lane_cancels == ["grouped"]
    monkeypatch.setattr(lane.OrderLane, "_cancel", _declined)
    routed = await client.post(f"/api/v1/orders/{second['id']}/cancel", headers=t.headers)
    assert lane_cancels == ["grouped"]  # declined: the route answered
    assert fast.status_code == routed.status_code == 200
    assert fast.headers["content-type"] == routed.headers["content-type"]
    assert fast.headers["x-request-id"] and fast.headers["content-security-policy"]
    assert _stable(ok(fast)) == _stable(ok(routed))
    assert list(fast.json()) == list(routed.json())
    assert ok(fast)["status"] == "CANCELLED"


async def test_what_the_lane_cannot_cancel_the_route_answers(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, lane_cancels: list[str]
) -> None:
    t = await trader(session, settings, eur=1_000_000)
    other = await trader(session, settings, eur=1_000_000)
    viewer = await trader(session, settings, role="viewer")
    order = ok(await client.post("/api/v1/orders/place", json=_BUY, headers=t.headers), 201)
    url = f"/api/v1/orders/{order['id']}/cancel"
    problem(await client.post(url, headers=other.headers), 404, "order_not_found")
    problem(await client.post(url, headers=viewer.headers), 403, "forbidden")
    problem(await client.post(url, headers={}), 401, "not_authenticated")
    bad_id = "/api/v1/orders/not-an-id/cancel"
    problem(await client.post(bad_id, headers=t.headers), 422, "validation_error")
    assert lane_cancels == ["routed"]  # the other entity's; the rest never reached it
    ok(await client.post(url, headers=t.headers))
    assert lane_cancels == ["routed", "grouped"]
    problem(await client.post(url, headers=t.headers), 409, "order_not_cancellable")
    assert lane_cancels == ["routed", "grouped", "routed"]


async def test_a_revoked_session_cannot_cancel_from_the_lane(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, lane_cancels: list[str]
) -> None:
    t = await trader(session, settings, eur=1_000_000)
    order = ok(await client.post("/api/v1/orders/place", json=_BUY, headers=t.headers), 201)
    # The lane remembers the session now; revoke it behind the lane's back.
    await session.execute(
        text("UPDATE identity_session SET revoked_at = now() WHERE user_id = :u"),
        {"u": t.user_id},
    )
    r = await client.post(f"/api/v1/orders/{order['id']}/cancel", headers=t.headers)
    problem(r, 401, "not_authenticated")
    status = await session.execute(
        text("SELECT status FROM exchange_order WHERE id = :i"), {"i": order["id"]}
    )
    assert status.scalar_one() == "OPEN"
    assert lane_cancels == ["refused"]  # by its group (the session); the route said 401
