"""The ledger's HTTP API: balances, accounts, transfers, adjustments, reconciliation."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.core import clock
from niha.ledger import service
from niha.ledger.core import AccountKey
from niha.ledger.reconcile import reconcile_day
from tests.identity.factories import audit_rows, bearer, make_user, token_for

Headers = dict[str, str]
MakeCaller = Callable[..., Awaitable[tuple[Headers, uuid.UUID]]]

BANK = AccountKey.platform("EUR", "bank")


@pytest.fixture
def caller(session: AsyncSession, settings: Settings) -> MakeCaller:
    async def make(
        role: str | None = None, entity_role: str | None = None, entity_id: uuid.UUID | None = None
    ) -> tuple[Headers, uuid.UUID]:
        user = await make_user(session, role=role, entity_role=entity_role, entity_id=entity_id)
        return bearer(await token_for(session, settings, user)), user.id

    return make


async def fund(session: AsyncSession, entity: uuid.UUID, amount: int, asset: str = "EUR") -> None:
    outside = AccountKey.platform(asset, "bank" if asset == "EUR" else "registry")
    await service.transfer(
        session,
        outside,
        AccountKey.entity(entity, asset, "available"),
        amount,
        kind="deposit",
        key=f"fund:{uuid.uuid4()}",
        reference_type="deposit",
        reference_id=str(entity),
    )


def problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    return body


# --------------------------------------------------------------------------- balances


async def test_my_balances(
    client: httpx.AsyncClient, session: AsyncSession, caller: MakeCaller
) -> None:
    mine, other = uuid.uuid4(), uuid.uuid4()
    await fund(session, mine, 123450)
    await fund(session, mine, 7, "EUA")
    await service.move(session, mine, "EUR", "available", "reserved", 450, kind="r", key="r1")
    await fund(session, other, 999)
    headers, _ = await caller(entity_role="viewer", entity_id=mine)

    r = await client.get("/api/v1/balances", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["entity_id"] == str(mine)
    lines = {line["asset"]: line for line in body["balances"]}
    assert lines["EUR"] == {
        "asset": "EUR",
        "available": "1230.00",
        "reserved": "4.50",
        "on_hold": "0.00",
        "settling": "0.00",
        "total": "1234.50",
    }
    assert lines["EUA"]["available"] == "7" and lines["CEA"]["total"] == "0"

    other_headers, _ = await caller(entity_role="owner", entity_id=other)
    theirs = (await client.get("/api/v1/balances", headers=other_headers)).json()
    assert {line["asset"]: line["total"] for line in theirs["balances"]}["EUR"] == "9.99"


async def test_balances_need_a_client_login(client: httpx.AsyncClient, caller: MakeCaller) -> None:
    problem(await client.get("/api/v1/balances"), 401, "not_authenticated")
    staff, _ = await caller(role="super_admin")
    problem(await client.get("/api/v1/balances", headers=staff), 403, "forbidden")


async def test_staff_reads_an_entity_balances(
    client: httpx.AsyncClient, session: AsyncSession, caller: MakeCaller
) -> None:
    e = uuid.uuid4()
    await fund(session, e, 500)
    staff, _ = await caller(role="compliance")
    r = await client.get(f"/api/v1/admin/ledger/balances/{e}", headers=staff)
    assert r.status_code == 200
    assert {x["asset"]: x["available"] for x in r.json()["balances"]}["EUR"] == "5.00"
    problem(
        await client.get("/api/v1/admin/ledger/balances/nope", headers=staff),
        422,
        "validation_error",
    )
    member, _ = await caller(entity_role="owner", entity_id=e)
    problem(
        await client.get(f"/api/v1/admin/ledger/balances/{e}", headers=member), 403, "forbidden"
    )


# --------------------------------------------------------------------------- accounts & transfers


async def test_accounts_filters_and_pages(
    client: httpx.AsyncClient, session: AsyncSession, caller: MakeCaller
) -> None:
    e = uuid.uuid4()
    await service.open_accounts(session, e)
    await fund(session, e, 250)
    staff, _ = await caller(role="operations")
    url = "/api/v1/admin/ledger/accounts"
    r = await client.get(
        url, params={"owner_id": str(e), "asset": "EUR", "bucket": "available"}, headers=staff
    )
    assert r.status_code == 200, r.text
    [account] = r.json()["items"]
    assert account["balance"] == "2.50" and account["owner_type"] == "entity"

    ids, cursor = [], None
    while True:
        params: dict[str, Any] = {"owner_id": str(e), "limit": 5}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(url, params=params, headers=staff)).json()
        ids += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(ids) == len(set(ids)) == 12

    platform = (
        await client.get(url, params={"owner_type": "platform", "asset": "EUR"}, headers=staff)
    ).json()
    assert {a["bucket"] for a in platform["items"]} == {"bank", "registry", "fees", "suspense"}
    assert next(a for a in platform["items"] if a["bucket"] == "bank")["balance"].startswith("-")

    for bad in (
        {"bucket": "wallet"},
        {"owner_type": "robot"},
        {"owner_id": "x"},
        {"limit": 0},
        {"limit": 201},
    ):
        problem(await client.get(url, params=bad, headers=staff), 422, "validation_error")
    problem(await client.get(url, params={"cursor": "!!!"}, headers=staff), 400, "invalid_cursor")
    problem(await client.get(url), 401, "not_authenticated")
    member, _ = await caller(entity_role="owner", entity_id=e)
    problem(await client.get(url, headers=member), 403, "forbidden")


async def test_transfers_filters_and_pages(
    client: httpx.AsyncClient, session: AsyncSession, caller: MakeCaller
) -> None:
    e = uuid.uuid4()
    for _ in range(3):
        await fund(session, e, 100)
    await service.move(
        session,
        e,
        "EUR",
        "available",
        "reserved",
        30,
        kind="order.reserve",
        key=f"o:{e}",
        reference_type="order",
        reference_id="O-1",
    )
    staff, _ = await caller(role="admin")
    accounts = (
        await client.get(
            "/api/v1/admin/ledger/accounts",
            params={"owner_id": str(e), "bucket": "available"},
            headers=staff,
        )
    ).json()["items"]
    account_id = accounts[0]["id"]
    url = "/api/v1/admin/ledger/transfers"

    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"account_id": account_id, "limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(url, params=params, headers=staff)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 4
    assert [t["id"] for t in seen] == sorted((t["id"] for t in seen), reverse=True)
    assert seen[0]["amount"] == "0.30" and seen[0]["kind"] == "order.reserve"

    by_ref = (
        await client.get(
            url, params={"reference_type": "order", "reference_id": "O-1"}, headers=staff
        )
    ).json()
    assert [t["debit_account_id"] for t in by_ref["items"]] == [account_id]
    by_kind = (
        await client.get(url, params={"account_id": account_id, "kind": "deposit"}, headers=staff)
    ).json()
    assert len(by_kind["items"]) == 3
    now = clock.utcnow()
    future = (
        await client.get(
            url,
            params={
                "account_id": account_id,
                "date_from": (now.replace(year=now.year + 1)).isoformat(),
            },
            headers=staff,
        )
    ).json()
    assert future["items"] == []
    window = (
        await client.get(
            url,
            params={
                "account_id": account_id,
                "date_from": "2000-01-01T00:00:00",
                "date_to": (now.replace(year=now.year + 1)).isoformat(),
            },
            headers=staff,
        )
    ).json()
    assert len(window["items"]) == 4
    for bad in (
        {"date_from": "yesterday"},
        {"account_id": "1"},
        {"kind": "k" * 41},
        {"kind": "a\x00"},
        {"reference_id": "\x00"},
    ):
        problem(await client.get(url, params=bad, headers=staff), 422, "validation_error")


# --------------------------------------------------------------------------- adjustments


async def test_adjustment_four_eyes(
    client: httpx.AsyncClient, session: AsyncSession, caller: MakeCaller
) -> None:
    e = uuid.uuid4()
    requester, requester_id = await caller(role="operations")
    approver, approver_id = await caller(role="admin")
    body = {
        "entity_id": str(e),
        "asset": "EUR",
        "bucket": "available",
        "amount": "150.25",
        "reason": "bank fee refund",
    }

    r = await client.post("/api/v1/admin/ledger/adjustments", json=body, headers=requester)
    assert r.status_code == 201, r.text
    adj = r.json()
    assert (adj["status"], adj["amount"], adj["requested_by"]) == (
        "pending",
        "150.25",
        str(requester_id),
    )
    assert await service.account_balance(session, AccountKey.entity(e, "EUR", "available")) == 0
    assert len(await audit_rows(session, "ledger.adjustment.requested", adj["id"])) == 1

    url = f"/api/v1/admin/ledger/adjustments/{adj['id']}"
    problem(
        await client.post(f"{url}/approve", headers=requester), 403, "forbidden"
    )  # operations may not approve
    self_approver, _ = await caller(role="super_admin")
    own = (
        await client.post("/api/v1/admin/ledger/adjustments", json=body, headers=self_approver)
    ).json()
    problem(
        await client.post(
            f"/api/v1/admin/ledger/adjustments/{own['id']}/approve", headers=self_approver
        ),
        409,
        "same_approver",
    )

    r = await client.post(f"{url}/approve", json={"note": "checked"}, headers=approver)
    assert r.status_code == 200, r.text
    done = r.json()
    assert (done["status"], done["decided_by"], done["decision_note"]) == (
        "approved",
        str(approver_id),
        "checked",
    )
    assert done["batch_id"]
    assert await service.account_balance(session, AccountKey.entity(e, "EUR", "available")) == 15025
    assert await service.account_balance(session, AccountKey.platform("EUR", "suspense")) <= -15025
    [audit] = await audit_rows(session, "ledger.adjustment.approved", adj["id"])
    assert audit.before["status"] == "pending" and audit.after["status"] == "approved"  # type: ignore[index]
    problem(await client.post(f"{url}/approve", headers=approver), 409, "adjustment_not_pending")
    problem(await client.post(f"{url}/reject", headers=approver), 409, "adjustment_not_pending")

    transfers = (
        await client.get(
            "/api/v1/admin/ledger/transfers",
            params={"reference_type": "ledger_adjustment", "reference_id": adj["id"]},
            headers=approver,
        )
    ).json()
    [t] = transfers["items"]
    assert (t["kind"], t["amount"], t["batch_id"]) == ("adjustment", "150.25", done["batch_id"])
    assert (await client.get(url, headers=requester)).json()["status"] == "approved"


async def test_negative_adjustment_needs_funds(
    client: httpx.AsyncClient, session: AsyncSession, caller: MakeCaller
) -> None:
    e = uuid.uuid4()
    await fund(session, e, 5, "EUA")
    requester, _ = await caller(role="operations")
    approver, _ = await caller(role="admin")
    body = {
        "entity_id": str(e),
        "asset": "EUA",
        "bucket": "available",
        "amount": "-7",
        "reason": "double credit",
    }
    adj = (
        await client.post("/api/v1/admin/ledger/adjustments", json=body, headers=requester)
    ).json()
    assert adj["amount"] == "-7"
    url = f"/api/v1/admin/ledger/adjustments/{adj['id']}"
    err = problem(await client.post(f"{url}/approve", headers=approver), 422, "insufficient_funds")
    assert (err["asset"], err["shortfall"]) == ("EUA", "2")
    assert (await client.get(url, headers=approver)).json()["status"] == "pending"

    r = await client.post(f"{url}/reject", json={"note": "wrong amount"}, headers=approver)
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert len(await audit_rows(session, "ledger.adjustment.rejected", adj["id"])) == 1
    problem(await client.post(f"{url}/approve", headers=approver), 409, "adjustment_not_pending")


async def test_adjustment_list_and_lookup(client: httpx.AsyncClient, caller: MakeCaller) -> None:
    e = uuid.uuid4()
    staff, _ = await caller(role="admin")
    ids = []
    for amount in ("1", "2", "3"):
        body = {
            "entity_id": str(e),
            "asset": "EUR",
            "bucket": "on_hold",
            "amount": amount,
            "reason": "r",
        }
        ids.append(
            (
                await client.post("/api/v1/admin/ledger/adjustments", json=body, headers=staff)
            ).json()["id"]
        )
    await client.post(f"/api/v1/admin/ledger/adjustments/{ids[0]}/reject", headers=staff)
    url = "/api/v1/admin/ledger/adjustments"
    pending = (
        await client.get(url, params={"status": "pending", "entity_id": str(e)}, headers=staff)
    ).json()
    assert [a["id"] for a in pending["items"]] == [ids[2], ids[1]]
    first = (await client.get(url, params={"entity_id": str(e), "limit": 2}, headers=staff)).json()
    second = (
        await client.get(
            url,
            params={"entity_id": str(e), "limit": 2, "cursor": first["next_cursor"]},
            headers=staff,
        )
    ).json()
    assert [a["id"] for a in first["items"] + second["items"]] == ids[::-1]
    problem(
        await client.get(url, params={"status": "done"}, headers=staff), 422, "validation_error"
    )
    problem(await client.get(f"{url}/{uuid.uuid4()}", headers=staff), 404, "adjustment_not_found")
    problem(
        await client.post(f"{url}/{uuid.uuid4()}/approve", headers=staff),
        404,
        "adjustment_not_found",
    )
    problem(await client.get(f"{url}/not-a-uuid", headers=staff), 422, "validation_error")


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"amount": "1.234"}, 422, "invalid_amount"),
        ({"amount": "0"}, 422, "invalid_amount"),
        ({"amount": "-0.00"}, 422, "invalid_amount"),
        ({"amount": "abc"}, 422, "invalid_amount"),
        ({"amount": "1e5"}, 422, "invalid_amount"),
        ({"amount": "99999999999999999999"}, 422, "invalid_amount"),
        ({"amount": 1.5}, 422, "validation_error"),
        ({"amount": True}, 422, "validation_error"),
        ({"amount": None}, 422, "validation_error"),
        ({"asset": "EUA", "amount": "1.5"}, 422, "invalid_amount"),
        ({"asset": "USD"}, 422, "unknown_asset"),
        ({"asset": ""}, 422, "validation_error"),
        ({"bucket": "fees"}, 422, "invalid_bucket"),
        ({"bucket": "x" * 17}, 422, "validation_error"),
        ({"reason": ""}, 422, "validation_error"),
        ({"reason": "   "}, 422, "invalid_reason"),
        ({"reason": "x" * 1001}, 422, "validation_error"),
        ({"reason": "nul\x00byte"}, 422, "validation_error"),
        ({"asset": "E\x00"}, 422, "validation_error"),
        ({"entity_id": "nope"}, 422, "validation_error"),
        ({"extra": 1}, 422, "validation_error"),
    ],
)
async def test_adjustment_bad_input(
    client: httpx.AsyncClient, caller: MakeCaller, change: dict[str, Any], status: int, code: str
) -> None:
    staff, _ = await caller(role="admin")
    body = {
        "entity_id": str(uuid.uuid4()),
        "asset": "EUR",
        "bucket": "available",
        "amount": "10.00",
        "reason": "r",
    }
    body.update(change)
    err = problem(
        await client.post("/api/v1/admin/ledger/adjustments", json=body, headers=staff),
        status,
        code,
    )
    if code == "invalid_amount":
        assert err["field"] == "amount"


async def test_adjustment_permissions_and_replay(
    client: httpx.AsyncClient, caller: MakeCaller
) -> None:
    body = {
        "entity_id": str(uuid.uuid4()),
        "asset": "EUR",
        "bucket": "available",
        "amount": "10",
        "reason": "r",
    }
    compliance, _ = await caller(role="compliance")
    problem(
        await client.post("/api/v1/admin/ledger/adjustments", json=body, headers=compliance),
        403,
        "forbidden",
    )
    problem(
        await client.post("/api/v1/admin/ledger/adjustments", json=body), 401, "not_authenticated"
    )
    staff, _ = await caller(role="operations")
    headers = {**staff, "Idempotency-Key": "adj-1"}
    first = await client.post("/api/v1/admin/ledger/adjustments", json=body, headers=headers)
    again = await client.post("/api/v1/admin/ledger/adjustments", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    listed = (
        await client.get(
            "/api/v1/admin/ledger/adjustments",
            params={"entity_id": body["entity_id"]},
            headers=staff,
        )
    ).json()
    assert len(listed["items"]) == 1


# --------------------------------------------------------------------------- reconciliation


async def test_reconciliation_report(
    client: httpx.AsyncClient, session: AsyncSession, caller: MakeCaller
) -> None:
    staff, _ = await caller(role="compliance")
    url = "/api/v1/admin/reports/reconciliation"
    problem(
        await client.get(url, params={"date": "1999-01-01"}, headers=staff),
        404,
        "reconciliation_not_found",
    )
    problem(
        await client.get(url, params={"date": "someday"}, headers=staff), 422, "validation_error"
    )
    await fund(session, uuid.uuid4(), 100)
    today = clock.utcnow().date()
    await reconcile_day(session, today)
    r = await client.get(url, params={"date": today.isoformat()}, headers=staff)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["date"] == today.isoformat() and body["ok"] is True
    assert body["discrepancies"] == [] and body["accounts_checked"] >= 13
    assert {t["asset"] for t in body["totals"]} == {"EUR", "EUA", "CEA"}
    latest = (await client.get(url, headers=staff)).json()
    assert latest["date"] == today.isoformat()
    member, _ = await caller(entity_role="owner")
    problem(await client.get(url, headers=member), 403, "forbidden")
