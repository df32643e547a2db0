"""Announced deposits whose wire never came expire (``funding.expire_deposit_announcements``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.core import clock
from niha.core.clock import isoformat_z, utcnow
from niha.jobs.registry import JobContext, get_job
from tests.funding.helpers import World, announce, balance, confirm, ok, problem, receipt
from tests.identity.factories import audit_rows
from tests.outbox import stored_events


async def run_expiry_job(session: AsyncSession, settings: Settings, at: datetime) -> None:
    """The hourly job as it runs at ``at`` (the clock goes back afterwards: the test's
    access tokens would have expired by then)."""
    spec = get_job("funding.expire_deposit_announcements")
    assert spec.cron == "23 * * * *"
    ctx = JobContext(session=session, settings=settings, runtime=None, job_id=None, attempts=0)  # type: ignore[arg-type]
    now = utcnow()
    clock.freeze(at)
    try:
        await spec.func(ctx, timestamp=int(at.timestamp()))
    finally:
        clock.freeze(now)


async def mine(client: httpx.AsyncClient, w: World) -> dict[str, dict[str, object]]:
    page = ok(await client.get("/api/v1/funding/deposits/my-deposits", headers=w.owner.headers))
    return {d["id"]: d for d in page["items"]}


async def test_an_announcement_without_a_wire_expires_after_the_configured_days(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    world: World,
    frozen: None,
) -> None:
    w = world
    days = settings.funding_deposit_announcement_days
    start = utcnow()
    clock.freeze(start)
    old = await announce(client, w, "500.00")
    # The client is told by when to wire.
    assert old["wire_instructions"]["valid_until"] == isoformat_z(start + timedelta(days=days))
    received = await announce(client, w, "700.00")
    await confirm(client, w, received["id"], "700.00")
    clock.freeze(start + timedelta(days=10))
    recent = await announce(client, w, "900.00")

    # One second short of the limit: nothing expires.
    await run_expiry_job(session, settings, start + timedelta(days=days, seconds=-1))
    assert (await mine(client, w))[old["id"]]["status"] == "PENDING"

    await run_expiry_job(session, settings, start + timedelta(days=days))
    deposits = await mine(client, w)
    assert deposits[old["id"]]["status"] == "CANCELLED"
    assert deposits[recent["id"]]["status"] == "PENDING"  # announced 10 days later
    assert deposits[received["id"]]["status"] == "ON_HOLD"  # its wire came
    last = deposits[old["id"]]["history"][-1]  # type: ignore[index]
    assert last["status"] == "CANCELLED"
    assert last["note"] == f"No wire arrived within {days} days of the announcement."
    # No money moved: only the received deposit is on hold.
    assert (await balance(session, w.entity_id))["on_hold"] == "700.00"

    (row,) = await audit_rows(session, "deposit_expired", old["id"])
    assert row.actor_id is None and row.actor_email == "deposit-expiry"
    assert row.before is not None and row.before["status"] == "PENDING"
    assert row.after is not None and row.after["status"] == "CANCELLED"
    expired = await stored_events(session, "notifications", "deposit.expired")
    assert [e.data["id"] for e in expired] == [old["id"]]
    assert old["reference_code"] in expired[0].data["message"]
    assert [
        e.data["id"] for e in await stored_events(session, "backoffice", "deposit.expired")
    ] == [old["id"]]

    # Staff can no longer confirm it (a late wire is booked as an unannounced one) ...
    problem(
        await client.post(
            f"/api/v1/admin/deposits/{old['id']}/confirm",
            json=receipt("500.00"),
            headers=w.ops.headers,
        ),
        409,
        "invalid_transition",
    )
    # ... and a second run changes nothing.
    await run_expiry_job(session, settings, start + timedelta(days=days, hours=1))
    assert len(await audit_rows(session, "deposit_expired")) == 1

    await run_expiry_job(session, settings, start + timedelta(days=10 + days))
    assert (await mine(client, w))[recent["id"]]["status"] == "CANCELLED"
