"""Withdrawals through the API: reservation, four eyes, every transition, refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.core.clock import isoformat_z, utcnow
from niha.ledger.reconcile import reconcile_day
from tests.funding.helpers import (
    World,
    add_account,
    balance,
    funded,
    make_world,
    ok,
    problem,
    verified_account,
)
from tests.identity.factories import audit_rows

REQUEST = "/api/v1/funding/withdrawals/request"
ZERO = {"available": "0.00", "reserved": "0.00", "on_hold": "0.00", "settling": "0.00"}


async def request(
    client: httpx.AsyncClient, w: World, account: dict[str, Any], amount: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        REQUEST,
        json={"amount": amount, "currency": "EUR", "bank_account_id": account["id"], **extra},
        headers=w.owner.headers,
    )


def completion(**extra: Any) -> dict[str, Any]:
    return {"wire_reference": "SEPA-2026-0001", "executed_at": isoformat_z(utcnow()), **extra}


async def test_request_approve_complete(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    w = world
    await funded(client, w, "1000.00")
    account = await verified_account(client, w)
    wd = ok(await request(client, w, account, "400.00", reason="Monthly sweep"), 201)
    assert wd["status"] == "PENDING" and wd["amount"] == "400.00"
    assert wd["iban"] == "DE89 •••• 3000"
    assert await balance(session, w.entity_id) == {
        **ZERO,
        "available": "600.00",
        "reserved": "400.00",
    }

    approved = ok(
        await client.post(
            f"/api/v1/admin/withdrawals/{wd['id']}/approve", headers=w.compliance.headers
        )
    )
    assert approved["status"] == "PROCESSING"
    assert approved["approved_by"] == str(w.compliance.user_id)
    assert [h["status"] for h in approved["history"]] == ["PENDING", "APPROVED", "PROCESSING"]
    assert len(await audit_rows(session, "withdrawal_approved", wd["id"])) == 1
    assert len(await audit_rows(session, "withdrawal_processing", wd["id"])) == 1
    assert await balance(session, w.entity_id) == {
        **ZERO,
        "available": "600.00",
        "reserved": "400.00",
    }

    done = ok(
        await client.post(
            f"/api/v1/admin/withdrawals/{wd['id']}/complete",
            json=completion(),
            headers=w.ops.headers,
        )
    )
    assert done["status"] == "COMPLETED" and done["wire_reference"] == "SEPA-2026-0001"
    assert done["completed_by"] == str(w.ops.user_id)
    assert await balance(session, w.entity_id) == {**ZERO, "available": "600.00"}
    mine = ok(
        await client.get("/api/v1/funding/withdrawals/my-withdrawals", headers=w.owner.headers)
    )
    assert mine["items"][0]["status"] == "COMPLETED"
    assert "approved_by" not in mine["items"][0]
    # nothing else can happen to it
    for action, body in (
        ("approve", None),
        ("reject", {"reason": "x"}),
        ("complete", completion()),
    ):
        r = await client.post(
            f"/api/v1/admin/withdrawals/{wd['id']}/{action}", json=body, headers=w.admin.headers
        )
        problem(r, 409, "invalid_transition")
    problem(
        await client.post(
            f"/api/v1/funding/withdrawals/{wd['id']}/cancel", headers=w.owner.headers
        ),
        409,
        "invalid_transition",
    )
    assert (await reconcile_day(session, utcnow().date())).ok


async def test_the_approver_cannot_complete(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    w = world
    await funded(client, w, "100.00")
    account = await verified_account(client, w)
    wd = ok(await request(client, w, account, "100.00"), 201)
    url = f"/api/v1/admin/withdrawals/{wd['id']}"
    ok(await client.post(f"{url}/approve", headers=w.admin.headers))
    problem(await client.post(f"{url}/approve", headers=w.admin.headers), 409, "invalid_transition")
    problem(
        await client.post(f"{url}/complete", json=completion(), headers=w.admin.headers),
        409,
        "same_approver",
    )
    assert await balance(session, w.entity_id) == {**ZERO, "reserved": "100.00"}
    done = ok(await client.post(f"{url}/complete", json=completion(), headers=w.admin2.headers))
    assert done["status"] == "COMPLETED"
    assert await balance(session, w.entity_id) == ZERO


async def test_complete_before_approval_and_bad_completion(
    client: httpx.AsyncClient, world: World
) -> None:
    w = world
    await funded(client, w, "100.00")
    account = await verified_account(client, w)
    wd = ok(await request(client, w, account, "50.00"), 201)
    url = f"/api/v1/admin/withdrawals/{wd['id']}"
    problem(
        await client.post(f"{url}/complete", json=completion(), headers=w.ops.headers),
        409,
        "invalid_transition",
    )
    ok(await client.post(f"{url}/approve", headers=w.compliance.headers))
    future = completion(executed_at=isoformat_z(utcnow() + timedelta(hours=2)))
    problem(
        await client.post(f"{url}/complete", json=future, headers=w.ops.headers),
        422,
        "invalid_date",
    )
    past = completion(executed_at=isoformat_z(utcnow() - timedelta(days=2)))
    problem(
        await client.post(f"{url}/complete", json=past, headers=w.ops.headers), 422, "invalid_date"
    )
    problem(
        await client.post(f"{url}/complete", json={"wire_reference": ""}, headers=w.ops.headers),
        422,
        "validation_error",
    )
    # operations cannot approve; compliance cannot complete
    problem(
        await client.post(f"{url}/reject", json={"reason": "x"}, headers=w.ops.headers),
        403,
        "forbidden",
    )
    problem(
        await client.post(f"{url}/complete", json=completion(), headers=w.compliance.headers),
        403,
        "forbidden",
    )


async def test_request_over_the_balance_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    w = world
    await funded(client, w, "100.00")
    account = await verified_account(client, w)
    problem(await request(client, w, account, "100.01"), 422, "insufficient_funds")
    assert await balance(session, w.entity_id) == {**ZERO, "available": "100.00"}
    ok(await request(client, w, account, "100.00"), 201)
    problem(await request(client, w, account, "0.01"), 422, "insufficient_funds")
    mine = ok(
        await client.get("/api/v1/funding/withdrawals/my-withdrawals", headers=w.owner.headers)
    )
    assert len(mine["items"]) == 1


async def test_funds_on_hold_cannot_be_withdrawn(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    from tests.funding.helpers import announce, confirm

    w = world
    d = await announce(client, w, "500.00")
    await confirm(client, w, d["id"], "500.00")
    account = await verified_account(client, w)
    problem(await request(client, w, account, "1.00"), 422, "insufficient_funds")


async def test_cancel_and_reject_release_the_funds(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    w = world
    await funded(client, w, "300.00")
    account = await verified_account(client, w)
    a = ok(await request(client, w, account, "100.00"), 201)
    b = ok(await request(client, w, account, "100.00"), 201)
    c = ok(await request(client, w, account, "100.00"), 201)
    assert await balance(session, w.entity_id) == {**ZERO, "reserved": "300.00"}
    cancelled = ok(
        await client.post(f"/api/v1/funding/withdrawals/{a['id']}/cancel", headers=w.owner.headers)
    )
    assert cancelled["status"] == "CANCELLED"
    rejected = ok(
        await client.post(
            f"/api/v1/admin/withdrawals/{b['id']}/reject",
            json={"reason": "Beneficiary bank refused"},
            headers=w.compliance.headers,
        )
    )
    assert (
        rejected["status"] == "REJECTED"
        and rejected["rejection_reason"] == "Beneficiary bank refused"
    )
    # a PROCESSING one can still be rejected (the wire failed), not cancelled by the client
    ok(
        await client.post(
            f"/api/v1/admin/withdrawals/{c['id']}/approve", headers=w.compliance.headers
        )
    )
    problem(
        await client.post(f"/api/v1/funding/withdrawals/{c['id']}/cancel", headers=w.owner.headers),
        409,
        "invalid_transition",
    )
    ok(
        await client.post(
            f"/api/v1/admin/withdrawals/{c['id']}/reject",
            json={"reason": "Wire returned"},
            headers=w.admin.headers,
        )
    )
    assert await balance(session, w.entity_id) == {**ZERO, "available": "300.00"}
    assert (await reconcile_day(session, utcnow().date())).ok


async def test_only_verified_own_accounts_and_kyc(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    w = world
    await funded(client, w, "100.00")
    pending = await add_account(client, w)
    problem(await request(client, w, pending, "10.00"), 409, "bank_account_not_verified")
    other = await make_world(session, settings)
    theirs = await verified_account(client, other)
    problem(await request(client, w, theirs, "10.00"), 404, "bank_account_not_found")
    problem(
        await request(client, w, {"id": "00000000-0000-0000-0000-000000000000"}, "10.00"),
        404,
        "bank_account_not_found",
    )
    r = await client.post(
        REQUEST,
        json={"amount": "10.00", "bank_account_id": pending["id"]},
        headers=w.viewer.headers,
    )
    problem(r, 403, "forbidden")
    unapproved = await make_world(session, settings, status="SUSPENDED", kyc_status="REJECTED")
    r = await client.post(
        REQUEST,
        json={"amount": "10.00", "bank_account_id": pending["id"]},
        headers=unapproved.owner.headers,
    )
    problem(r, 403, "kyc_required")
    staff_user = await client.post(
        REQUEST, json={"amount": "10.00", "bank_account_id": pending["id"]}, headers=w.admin.headers
    )
    problem(staff_user, 403, "forbidden")


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("1.234", "too_many_decimals"),
        ("0.00", "amount_zero"),
        ("-1", "amount_negative"),
        ("10000000.01", "amount_too_large"),
        ("\u0661\u0660", "invalid_amount"),  # Arabic-Indic digits,
    ],
)
async def test_withdrawal_money_is_checked(
    client: httpx.AsyncClient, world: World, amount: str, code: str
) -> None:
    account = await verified_account(client, world)
    problem(await request(client, world, account, amount), 422, code)


async def test_other_entities_withdrawals(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    other = await make_world(session, settings)
    await funded(client, other, "10.00")
    account = await verified_account(client, other)
    theirs = ok(await request(client, other, account, "10.00"), 201)
    problem(
        await client.post(
            f"/api/v1/funding/withdrawals/{theirs['id']}/cancel", headers=world.owner.headers
        ),
        404,
        "withdrawal_not_found",
    )
    mine = ok(
        await client.get("/api/v1/funding/withdrawals/my-withdrawals", headers=world.owner.headers)
    )
    assert mine["items"] == []


async def test_staff_list_filters(client: httpx.AsyncClient, world: World) -> None:
    w = world
    await funded(client, w, "1000.00")
    account = await verified_account(client, w)
    small = ok(await request(client, w, account, "50.00"), 201)
    big = ok(await request(client, w, account, "500.00"), 201)
    ok(
        await client.post(
            f"/api/v1/admin/withdrawals/{big['id']}/approve", headers=w.compliance.headers
        )
    )
    h = w.ops.headers
    base = {"entity_id": str(w.entity_id)}

    async def ids(**params: Any) -> list[str]:
        r = await client.get("/api/v1/admin/withdrawals", params={**base, **params}, headers=h)
        return [x["id"] for x in ok(r)["items"]]

    assert await ids() == [big["id"], small["id"]]
    assert await ids(status="PENDING") == [small["id"]]
    assert await ids(status="PROCESSING") == [big["id"]]
    assert await ids(amount_min="100") == [big["id"]]
    assert await ids(amount_max="100.00") == [small["id"]]
    assert await ids(user_id=str(w.owner.user_id)) == [big["id"], small["id"]]
    assert await ids(user_id=str(w.admin.user_id)) == []
    assert await ids(date_from=isoformat_z(utcnow() + timedelta(hours=1))) == []
    assert await ids(date_to=isoformat_z(utcnow() + timedelta(hours=1))) == [big["id"], small["id"]]
    page = ok(await client.get("/api/v1/admin/withdrawals", params={**base, "limit": 1}, headers=h))
    nxt = ok(
        await client.get(
            "/api/v1/admin/withdrawals",
            params={**base, "limit": 1, "cursor": page["next_cursor"]},
            headers=h,
        )
    )
    assert [x["id"] for x in page["items"] + nxt["items"]] == [big["id"], small["id"]]
    problem(
        await client.get("/api/v1/admin/withdrawals", params={"amount_min": "1.001"}, headers=h),
        422,
        "too_many_decimals",
    )
    problem(
        await client.get("/api/v1/admin/withdrawals", params={"cursor": "zzz"}, headers=h),
        400,
        "invalid_cursor",
    )
    problem(
        await client.get("/api/v1/admin/withdrawals", params={"status": "NOPE"}, headers=h),
        422,
        "validation_error",
    )
    row = ok(await client.get("/api/v1/admin/withdrawals", params=base, headers=h))["items"][0]
    assert row["entity_name"] == "Acme Carbon GmbH" and row["iban"] == "DE89370400440532013000"


async def test_a_replayed_request_reserves_once(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    w = world
    await funded(client, w, "100.00")
    account = await verified_account(client, w)
    headers = {**w.owner.headers, "Idempotency-Key": "withdraw-once-1"}
    body = {"amount": "60.00", "bank_account_id": account["id"]}
    first = await client.post(REQUEST, json=body, headers=headers)
    again = await client.post(REQUEST, json=body, headers=headers)
    assert first.status_code == again.status_code == 201, again.text
    assert again.headers.get("idempotent-replayed") == "true"
    assert first.json()["id"] == again.json()["id"]
    assert await balance(session, w.entity_id) == {
        **ZERO,
        "available": "40.00",
        "reserved": "60.00",
    }
    # the same key for a different request is refused
    other = await client.post(REQUEST, json={**body, "amount": "1.00"}, headers=headers)
    problem(other, 422, "idempotency_key_reused")
