"""Deposits and AML holds through the API, with the ledger balances checked at each step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.core import clock
from niha.core.clock import isoformat_z, utcnow
from niha.funding import reference, service
from niha.funding.models import DepositReturn
from niha.jobs.registry import JobContext, get_job
from niha.ledger.reconcile import reconcile_day
from tests.funding.helpers import (
    World,
    add_account,
    announce,
    balance,
    confirm,
    hold_of,
    make_world,
    ok,
    problem,
    receipt,
)
from tests.identity.factories import audit_rows
from tests.outbox import StoredEvent, stored_events

ZERO = {"available": "0.00", "reserved": "0.00", "on_hold": "0.00", "settling": "0.00"}


async def events(session: AsyncSession, channel: str, prefix: str) -> list[StoredEvent]:
    return await stored_events(session, channel, prefix=prefix)


async def run_clear_job(session: AsyncSession, settings: Settings) -> None:
    spec = get_job("funding.clear_expired_holds")
    ctx = JobContext(session=session, settings=settings, runtime=None, job_id=None, attempts=0)  # type: ignore[arg-type]
    await spec.func(ctx, timestamp=int(utcnow().timestamp()))


async def test_announce_confirm_hold_clear_with_balances_at_each_step(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    world: World,
    frozen: None,
) -> None:
    w = world
    start = utcnow()
    clock.freeze(start)
    assert await balance(session, w.entity_id) == ZERO

    # 1. the client announces: PENDING, a reference code and wire instructions; no money yet
    d = await announce(client, w, "1500.50", wire_reference="INV-2024-7")
    assert d["status"] == "PENDING"
    assert reference.is_valid(d["reference_code"])
    instr = d["wire_instructions"]
    assert instr["reference"] == d["reference_code"]
    assert instr["iban"] == "NL91 ABNA 0417 1643 00"
    assert instr["amount"] == "1500.50" and instr["currency"] == "EUR"
    assert d["amount"] == "1500.50"
    assert await balance(session, w.entity_id) == ZERO
    mine = ok(await client.get("/api/v1/funding/deposits/my-deposits", headers=w.owner.headers))
    assert [x["id"] for x in mine["items"]] == [d["id"]]
    assert mine["items"][0]["wire_instructions"]["reference"] == d["reference_code"]

    # 2. staff confirm the receipt: ON_HOLD, bank -> on_hold, a hold (first deposit: 72 h)
    staff = await confirm(client, w, d["id"], "1500.50", payer_name="ACME CARBON GMBH")
    assert staff["status"] == "ON_HOLD"
    assert staff["received_amount"] == "1500.50"
    assert staff["hold"]["status"] == "ACTIVE" and staff["hold"]["flagged"] is False
    assert await balance(session, w.entity_id) == {**ZERO, "on_hold": "1500.50"}
    hold = await hold_of(client, w, d["id"])
    assert hold["reasons"] == ["standard", "first_deposit"]
    assert hold["flags"] == []
    assert hold["deposit_reference_code"] == d["reference_code"]
    assert hold["expires_at"] == isoformat_z(start + timedelta(hours=72))
    client_view = ok(
        await client.get("/api/v1/funding/deposits/my-deposits", headers=w.owner.headers)
    )["items"][0]
    assert client_view["status"] == "ON_HOLD"
    assert client_view["expected_release_at"] == hold["expires_at"]
    assert client_view["wire_instructions"] is None
    assert "flags" not in client_view and "admin_notes" not in client_view

    # 3. the job does nothing before expiry ...
    clock.freeze(start + timedelta(hours=71))
    await run_clear_job(session, settings)
    assert (await hold_of(client, w, d["id"]))["status"] == "ACTIVE"
    assert await balance(session, w.entity_id) == {**ZERO, "on_hold": "1500.50"}

    # 4. ... and clears it once expired: on_hold -> available, deposit CLEARED
    clock.freeze(start + timedelta(hours=72, seconds=1))
    await run_clear_job(session, settings)
    hold = await hold_of(client, w, d["id"])
    assert hold["status"] == "CLEARED" and hold["released_by"] is None
    assert await balance(session, w.entity_id) == {**ZERO, "available": "1500.50"}
    r = ok(await client.get("/api/v1/balances", headers=w.owner.headers))
    eur = next(b for b in r["balances"] if b["asset"] == "EUR")
    assert eur["available"] == "1500.50" and eur["on_hold"] == "0.00"
    final = ok(await client.get("/api/v1/funding/deposits/my-deposits", headers=w.owner.headers))[
        "items"
    ][0]
    assert final["status"] == "CLEARED"
    assert [h["status"] for h in final["history"]] == ["PENDING", "ON_HOLD", "CLEARED"]

    # 5. a second run is a no-op (idempotent), audit and events were written
    await run_clear_job(session, settings)
    assert await balance(session, w.entity_id) == {**ZERO, "available": "1500.50"}
    assert len(await audit_rows(session, "deposit_announced", d["id"])) == 1
    assert len(await audit_rows(session, "deposit_confirmed", d["id"])) == 1
    assert len(await audit_rows(session, "aml_hold_released", hold["id"])) == 1
    private = await events(session, "notifications", "deposit.")
    assert [e.event for e in private] == [
        "deposit.announced",
        "deposit.received",
        "deposit.cleared",
    ]
    assert all(e.entity_id == w.entity_id for e in private)
    assert [e.event for e in await events(session, "backoffice", "deposit.")] == [
        "deposit.announced",
        "deposit.received",
        "deposit.cleared",
    ]
    assert (await reconcile_day(session, utcnow().date())).ok


async def test_amount_mismatch_keeps_the_hold_flagged(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    world: World,
    frozen: None,
) -> None:
    w = world
    start = utcnow()
    clock.freeze(start)
    d = await announce(client, w, "1000.00")
    staff = await confirm(client, w, d["id"], "900.00")
    assert staff["hold"]["flagged"] is True
    hold = await hold_of(client, w, d["id"])
    assert [f["code"] for f in hold["flags"]] == ["amount_mismatch"]
    assert hold["announced_amount"] == "1000.00" and hold["amount"] == "900.00"
    # the client sees neither flags nor an expected release date
    mine = ok(await client.get("/api/v1/funding/deposits/my-deposits", headers=w.owner.headers))
    assert mine["items"][0]["expected_release_at"] is None
    private = await events(session, "notifications", "")
    assert private and not any("flag" in str(e.data) or "aml" in e.event for e in private)
    staff_events = [e.event for e in await events(session, "backoffice", "aml_hold.")]
    assert staff_events == ["aml_hold.opened"]

    clock.freeze(start + timedelta(days=10))
    await run_clear_job(session, settings)
    assert (await hold_of(client, w, d["id"]))["status"] == "ACTIVE"
    assert await balance(session, w.entity_id) == {**ZERO, "on_hold": "900.00"}
    flagged = ok(
        await client.get(
            "/api/v1/admin/aml/holds", params={"flagged": "true"}, headers=w.compliance.headers
        )
    )
    assert [h["id"] for h in flagged["items"]] == [hold["id"]]

    # a person releases it
    r = await client.post(
        f"/api/v1/admin/aml/holds/{hold['id']}/release", headers=w.compliance.headers
    )
    assert ok(r)["status"] == "CLEARED"
    assert await balance(session, w.entity_id) == {**ZERO, "available": "900.00"}


async def test_rejecting_a_hold_returns_the_funds(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    w = world
    d = await announce(client, w, "250.00")
    await confirm(
        client, w, d["id"], "250.00", payer_name="Someone Else", payer_iban="GB82WEST12345698765432"
    )
    hold = await hold_of(client, w, d["id"])
    assert {f["code"] for f in hold["flags"]} == {"payer_name_mismatch", "payer_iban_unknown"}
    r = await client.post(
        f"/api/v1/admin/aml/holds/{hold['id']}/reject",
        json={"reason": "Third-party payment"},
        headers=w.compliance.headers,
    )
    body = ok(r)
    assert body["status"] == "REJECTED" and body["rejection_reason"] == "Third-party payment"
    assert await balance(session, w.entity_id) == ZERO
    returned = await session.scalar(
        select(DepositReturn).where(DepositReturn.hold_id == hold["id"])
    )
    assert returned is not None
    assert returned.amount == 25_000 and returned.return_to_iban == "GB82WEST12345698765432"
    mine = ok(await client.get("/api/v1/funding/deposits/my-deposits", headers=w.owner.headers))
    assert mine["items"][0]["status"] == "RETURNED"
    assert mine["items"][0]["rejection_reason"] is None  # no tipping off
    # nothing further can happen to it
    for action in ("release", "reject"):
        r = await client.post(
            f"/api/v1/admin/aml/holds/{hold['id']}/{action}",
            json={"reason": "again"},
            headers=w.compliance.headers,
        )
        problem(r, 409, "invalid_transition")
    assert (await reconcile_day(session, utcnow().date())).ok


async def test_flagged_large_hold_needs_two_different_staff(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    w = world
    d = await announce(client, w, "150000.00")
    await confirm(client, w, d["id"], "150000.01")  # mismatch: flagged
    hold = await hold_of(client, w, d["id"])
    assert hold["releases_required"] == 2 and hold["flagged"]
    url = f"/api/v1/admin/aml/holds/{hold['id']}/release"

    first = ok(await client.post(url, headers=w.admin.headers))
    assert first["status"] == "ACTIVE" and first["releases_given"] == 1
    assert first["first_release_by"] == str(w.admin.user_id)
    assert await balance(session, w.entity_id) == {**ZERO, "on_hold": "150000.01"}

    problem(await client.post(url, headers=w.admin.headers), 409, "same_approver")
    second = ok(await client.post(url, headers=w.compliance.headers))
    assert second["status"] == "CLEARED" and second["released_by"] == str(w.compliance.user_id)
    assert await balance(session, w.entity_id) == {**ZERO, "available": "150000.01"}
    assert len(await audit_rows(session, "aml_hold_release_approved", hold["id"])) == 1


async def test_unflagged_large_hold_needs_one_release(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    w = world
    d = await announce(client, w, "150000.00")
    await confirm(client, w, d["id"], "150000.00")
    hold = await hold_of(client, w, d["id"])
    assert hold["releases_required"] == 1 and not hold["flagged"]
    assert "large_amount" in hold["reasons"]
    r = await client.post(f"/api/v1/admin/aml/holds/{hold['id']}/release", headers=w.admin.headers)
    assert ok(r)["status"] == "CLEARED"


async def test_extend_hold(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World, frozen: None
) -> None:
    w = world
    start = utcnow()
    clock.freeze(start)
    d = await announce(client, w, "10.00")
    await confirm(client, w, d["id"], "10.00")
    hold = await hold_of(client, w, d["id"])
    url = f"/api/v1/admin/aml/holds/{hold['id']}/extend"
    earlier = isoformat_z(start + timedelta(hours=1))
    r = await client.post(url, json={"until": earlier, "reason": "x"}, headers=w.compliance.headers)
    problem(r, 422, "invalid_extension")
    too_far = isoformat_z(start + timedelta(days=400))
    r = await client.post(url, json={"until": too_far, "reason": "x"}, headers=w.compliance.headers)
    problem(r, 422, "invalid_extension")
    until = start + timedelta(days=10)
    r = await client.post(
        url,
        json={"until": isoformat_z(until), "reason": "Source of funds requested"},
        headers=w.compliance.headers,
    )
    body = ok(r)
    assert body["expires_at"] == isoformat_z(until)
    assert body["extensions"][0]["reason"] == "Source of funds requested"
    assert body["extensions"][0]["from"] == hold["expires_at"]
    # the job waits for the new expiry
    clock.freeze(start + timedelta(days=5))
    await run_clear_job(session, settings)
    assert (await hold_of(client, w, d["id"]))["status"] == "ACTIVE"
    clock.freeze(until + timedelta(seconds=1))
    await run_clear_job(session, settings)
    assert (await hold_of(client, w, d["id"]))["status"] == "CLEARED"


async def test_hold_filters(
    client: httpx.AsyncClient, session: AsyncSession, world: World, frozen: None
) -> None:
    w = world
    start = utcnow()
    clock.freeze(start)
    first = await announce(client, w, "10.00")
    await confirm(client, w, first["id"], "10.00")  # first deposit: 72 h
    second = await announce(client, w, "20.00")
    await confirm(client, w, second["id"], "21.00")  # 24 h, flagged
    h = w.compliance.headers
    items = ok(
        await client.get(
            "/api/v1/admin/aml/holds", params={"entity_id": str(w.entity_id)}, headers=h
        )
    )["items"]
    assert [x["deposit_id"] for x in items] == [second["id"], first["id"]]  # soonest first
    soon = ok(
        await client.get(
            "/api/v1/admin/aml/holds",
            params={"expiring_soon": "true", "entity_id": str(w.entity_id)},
            headers=h,
        )
    )["items"]
    assert [x["deposit_id"] for x in soon] == [second["id"]]
    assert soon[0]["expiring_soon"] is True
    unflagged = ok(
        await client.get(
            "/api/v1/admin/aml/holds",
            params={"flagged": "false", "entity_id": str(w.entity_id), "status": "ACTIVE"},
            headers=h,
        )
    )["items"]
    assert [x["deposit_id"] for x in unflagged] == [first["id"]]
    page = ok(
        await client.get(
            "/api/v1/admin/aml/holds",
            params={"limit": 1, "entity_id": str(w.entity_id)},
            headers=h,
        )
    )
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = ok(
        await client.get(
            "/api/v1/admin/aml/holds",
            params={"limit": 1, "entity_id": str(w.entity_id), "cursor": page["next_cursor"]},
            headers=h,
        )
    )
    assert [x["deposit_id"] for x in rest["items"]] == [first["id"]]


async def test_cancel_and_reject_pending_deposits(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    w = world
    d = await announce(client, w, "10.00")
    r = await client.post(f"/api/v1/funding/deposits/{d['id']}/cancel", headers=w.owner.headers)
    assert ok(r)["status"] == "CANCELLED"
    problem(
        await client.post(f"/api/v1/funding/deposits/{d['id']}/cancel", headers=w.owner.headers),
        409,
        "invalid_transition",
    )
    r = await client.post(
        f"/api/v1/admin/deposits/{d['id']}/confirm", json=receipt("10.00"), headers=w.ops.headers
    )
    problem(r, 409, "invalid_transition")

    d2 = await announce(client, w, "20.00")
    r = await client.post(
        f"/api/v1/admin/deposits/{d2['id']}/reject",
        json={"reason": "No wire received within 30 days"},
        headers=w.ops.headers,
    )
    assert ok(r)["status"] == "REJECTED"
    mine = ok(await client.get("/api/v1/funding/deposits/my-deposits", headers=w.owner.headers))
    rejected = next(x for x in mine["items"] if x["id"] == d2["id"])
    assert rejected["rejection_reason"] == "No wire received within 30 days"
    problem(
        await client.post(f"/api/v1/funding/deposits/{d2['id']}/cancel", headers=w.owner.headers),
        409,
        "invalid_transition",
    )
    # a received deposit cannot be cancelled by the client
    d3 = await announce(client, w, "30.00")
    await confirm(client, w, d3["id"], "30.00")
    problem(
        await client.post(f"/api/v1/funding/deposits/{d3['id']}/cancel", headers=w.owner.headers),
        409,
        "invalid_transition",
    )
    pending = ok(
        await client.get(
            "/api/v1/admin/deposits",
            params={"status": "PENDING", "entity_id": str(w.entity_id)},
            headers=w.ops.headers,
        )
    )
    assert pending["items"] == []
    assert await balance(session, w.entity_id) == {**ZERO, "on_hold": "30.00"}


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("10.001", "too_many_decimals"),
        ("0", "amount_zero"),
        ("0.00", "amount_zero"),
        ("-5.00", "amount_negative"),
        ("10000000.01", "amount_too_large"),
        ("1e5", "invalid_amount"),
        ("abc", "invalid_amount"),
        (" ", "invalid_amount"),
    ],
)
async def test_money_is_checked(
    client: httpx.AsyncClient, world: World, amount: str, code: str
) -> None:
    r = await client.post(
        "/api/v1/funding/deposits/announce",
        json={"amount": amount, "currency": "EUR"},
        headers=world.owner.headers,
    )
    body = problem(r, 422, code)
    assert body["field"] == "amount"
    assert body["errors"][0]["field"] == "amount"


async def test_bad_deposit_inputs(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    w = world
    h = w.owner.headers
    url = "/api/v1/funding/deposits/announce"
    problem(await client.post(url, json={"amount": 10.5}, headers=h), 422, "validation_error")
    problem(await client.post(url, json={"amount": 10}, headers=h), 422, "validation_error")
    problem(await client.post(url, json={}, headers=h), 422, "validation_error")
    problem(
        await client.post(url, json={"amount": "10.00", "currency": "USD"}, headers=h),
        422,
        "unsupported_currency",
    )
    problem(
        await client.post(url, json={"amount": "10.00", "extra": 1}, headers=h),
        422,
        "validation_error",
    )
    problem(await client.post(url, json={"amount": "1" * 50}, headers=h), 422, "validation_error")
    # someone else's bank account
    other = await make_world(session, client._transport.app.state.settings)  # type: ignore[attr-defined]
    theirs = await add_account(client, other)
    problem(
        await client.post(
            url, json={"amount": "10.00", "bank_account_id": theirs["id"]}, headers=h
        ),
        404,
        "bank_account_not_found",
    )
    # a viewer may look but not announce
    problem(
        await client.post(url, json={"amount": "10.00"}, headers=w.viewer.headers), 403, "forbidden"
    )
    ok(await client.get("/api/v1/funding/deposits/my-deposits", headers=w.viewer.headers))
    # staff receipt checks
    d = await announce(client, w, "10.00")
    curl = f"/api/v1/admin/deposits/{d['id']}/confirm"
    future = receipt("10.00", at=utcnow() + timedelta(hours=1))
    problem(await client.post(curl, json=future, headers=w.ops.headers), 422, "invalid_date")
    for ancient in (utcnow() - timedelta(days=400), datetime(1, 1, 1, tzinfo=UTC)):
        r = await client.post(curl, json=receipt("10.00", at=ancient), headers=w.ops.headers)
        problem(r, 422, "invalid_date")
    problem(
        await client.post(curl, json=receipt("10.005"), headers=w.ops.headers),
        422,
        "too_many_decimals",
    )
    problem(
        await client.post(curl, json=receipt("10.00", payer_iban="DE00123"), headers=w.ops.headers),
        422,
        "invalid_iban_length",
    )
    # compliance cannot confirm deposits; operations cannot release holds
    problem(await client.post(curl, json=receipt(), headers=w.compliance.headers), 403, "forbidden")
    await confirm(client, w, d["id"], "10.00")
    hold = await hold_of(client, w, d["id"])
    problem(
        await client.post(f"/api/v1/admin/aml/holds/{hold['id']}/release", headers=w.ops.headers),
        403,
        "forbidden",
    )


async def test_other_entities_deposits_are_not_found(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    other = await make_world(session, settings, legal_name="Other Co")
    d = await announce(client, other, "10.00")
    problem(
        await client.post(
            f"/api/v1/funding/deposits/{d['id']}/cancel", headers=world.owner.headers
        ),
        404,
        "deposit_not_found",
    )
    mine = ok(await client.get("/api/v1/funding/deposits/my-deposits", headers=world.owner.headers))
    assert mine["items"] == []
    for url in (
        "/api/v1/admin/deposits/00000000-0000-0000-0000-000000000000/confirm",
        "/api/v1/admin/aml/holds/00000000-0000-0000-0000-000000000000/release",
    ):
        r = await client.post(url, json=receipt(), headers=world.admin.headers)
        assert r.status_code == 404, r.text


async def test_kyc_is_required(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    w = await make_world(session, settings, status="PENDING_REVIEW", kyc_status="SUBMITTED")
    r = await client.post(
        "/api/v1/funding/deposits/announce", json={"amount": "10.00"}, headers=w.owner.headers
    )
    problem(r, 403, "kyc_required")


async def test_unannounced_wire_recorded_by_staff(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    w = world
    body: dict[str, Any] = {
        **receipt("77.00", payer_name="Acme Carbon GmbH"),
        "entity_id": str(w.entity_id),
        "wire_reference": "ACME PAYMENT",
    }
    r = await client.post("/api/v1/admin/deposits/record", json=body, headers=w.ops.headers)
    d = ok(r, 201)
    assert d["status"] == "ON_HOLD" and d["amount"] is None and d["received_amount"] == "77.00"
    assert reference.is_valid(d["reference_code"])
    hold = await hold_of(client, w, d["id"])
    assert "unannounced" in hold["reasons"] and not hold["flagged"]
    assert await balance(session, w.entity_id) == {**ZERO, "on_hold": "77.00"}
    body["entity_id"] = "00000000-0000-0000-0000-000000000000"
    problem(
        await client.post("/api/v1/admin/deposits/record", json=body, headers=w.ops.headers),
        404,
        "entity_not_found",
    )


async def test_high_risk_jurisdiction_and_structuring_flags(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    risky = await make_world(session, settings, jurisdiction="IR", country="IR")
    d = await announce(client, risky, "100.00")
    await confirm(client, risky, d["id"], "100.00")
    hold = await hold_of(client, risky, d["id"])
    assert [f["code"] for f in hold["flags"]] == ["high_risk_jurisdiction"]
    assert "high_risk_jurisdiction" in hold["reasons"]

    w = await make_world(session, settings)
    codes = []
    for amount in ("9500.00", "9800.00", "9900.00"):
        d = await announce(client, w, amount)
        await confirm(client, w, d["id"], amount)
        codes.append([f["code"] for f in (await hold_of(client, w, d["id"]))["flags"]])
    assert codes == [[], [], ["structuring"]]


async def test_service_reports_wire_instructions_from_settings(settings: Settings) -> None:
    from niha.funding.models import Deposit

    announced = datetime(2025, 3, 2, 10, 0, tzinfo=UTC)
    d = Deposit(reference_code="NIHA-7KQ2-9XD4", currency="EUR", created_at=announced)
    w = service.wire_instructions(settings, d, "10.00")
    assert w.reference == "NIHA-7KQ2-9XD4" and w.bic == settings.funding_bank_bic
    days = settings.funding_deposit_announcement_days
    assert w.valid_until == announced + timedelta(days=days)
