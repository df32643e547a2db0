"""Per-entity fee overrides: the pure resolution, the loader and the staff API."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from niha.audit.models import AuditLog
from niha.config import Settings
from niha.core.ids import new_id
from niha.exchange import service
from niha.exchange.fee_schedule import (
    Override,
    fee_schedule,
    instrument_fees,
    resolve,
)
from niha.exchange.fees import Fees
from niha.exchange.models import FeeOverride, Instrument
from tests.funding.helpers import Person, make_entity, ok, person, problem
from tests.outbox import StoredEvent, stored_events

INSTRUMENT_A = uuid.UUID("0192a000-0000-7000-8000-00000000e0a1")
INSTRUMENT_B = uuid.UUID("0192a000-0000-7000-8000-00000000c0a1")

bps = st.integers(0, 1000)
fees_st = st.builds(Fees, bps, bps)


# --------------------------------------------------------------------------- pure


@given(
    base=fees_st,
    specific=st.none() | fees_st,
    general=st.none() | fees_st,
    specific_first=st.booleans(),
)
def test_resolution_order(
    base: Fees, specific: Fees | None, general: Fees | None, specific_first: bool
) -> None:
    overrides = []
    if specific is not None:
        overrides.append(Override(INSTRUMENT_A, specific))
    if general is not None:
        overrides.append(Override(None, general))
    if not specific_first:
        overrides.reverse()
    expected = specific if specific is not None else general if general is not None else base
    assert resolve(base, overrides) == expected
    # Any iterable will do, and resolving never mutates its inputs.
    assert resolve(base, iter(overrides)) == expected


@given(base=fees_st, a=fees_st, b=fees_st, instrument=st.sampled_from([INSTRUMENT_A, None]))
def test_two_overrides_of_one_scope_are_a_bug(
    base: Fees, a: Fees, b: Fees, instrument: uuid.UUID | None
) -> None:
    with pytest.raises(ValueError):
        resolve(base, [Override(instrument, a), Override(instrument, b)])


def test_overrides_for_two_instruments_are_refused() -> None:
    with pytest.raises(ValueError):
        resolve(
            Fees(5, 10), [Override(INSTRUMENT_A, Fees(1, 2)), Override(INSTRUMENT_B, Fees(3, 4))]
        )


@given(maker=st.none() | bps, taker=st.none() | bps, dmaker=bps, dtaker=bps)
def test_instrument_fees_fall_back_to_the_configuration_one_by_one(
    maker: int | None, taker: int | None, dmaker: int, dtaker: int
) -> None:
    settings = cast(Settings, SimpleNamespace(exchange_maker_fee_bps=dmaker,
                                              exchange_taker_fee_bps=dtaker))  # fmt: skip
    inst = Instrument(maker_fee_bps=maker, taker_fee_bps=taker)
    assert instrument_fees(inst, settings) == Fees(
        dmaker if maker is None else maker, dtaker if taker is None else taker
    )


# --------------------------------------------------------------------------- loader


async def _override(
    session: AsyncSession,
    entity_id: uuid.UUID,
    instrument_id: uuid.UUID | None,
    maker: int,
    taker: int,
) -> FeeOverride:
    row = FeeOverride(
        id=new_id(),
        entity_id=entity_id,
        instrument_id=instrument_id,
        maker_fee_bps=maker,
        taker_fee_bps=taker,
        reason="negotiated",
    )
    session.add(row)
    await session.flush()
    return row


async def test_schedule_of_an_instrument(session: AsyncSession, settings: Settings) -> None:
    eua = await service.get_instrument(session, "EUA-EUR")
    cea = await service.get_instrument(session, "CEA-EUR")
    both = (await make_entity(session, legal_name="Both")).id
    general = (await make_entity(session, legal_name="General")).id
    other = (await make_entity(session, legal_name="CEA only")).id
    plain = (await make_entity(session, legal_name="Plain")).id
    await _override(session, both, None, 1, 2)
    await _override(session, both, eua.id, 0, 3)
    await _override(session, general, None, 4, 6)
    await _override(session, other, cea.id, 7, 8)

    schedule = await fee_schedule(session, settings, eua)
    assert schedule.base == Fees(settings.exchange_maker_fee_bps, settings.exchange_taker_fee_bps)
    assert schedule.for_entity(both) == Fees(0, 3)  # the instrument's own beats all-instruments
    assert schedule.for_entity(general) == Fees(4, 6)
    assert schedule.for_entity(other) == schedule.base  # its override is for another instrument
    assert schedule.for_entity(plain) == schedule.base
    assert set(schedule.overrides) == {both, general}

    on_cea = await fee_schedule(session, settings, cea)
    assert on_cea.for_entity(both) == Fees(1, 2)
    assert on_cea.for_entity(other) == Fees(7, 8)

    # The instrument's own fees beat the configuration, field by field.
    eua.maker_fee_bps = 2
    narrowed = await fee_schedule(session, settings, eua, entities=[plain, general])
    assert narrowed.for_entity(plain) == Fees(2, settings.exchange_taker_fee_bps)
    assert narrowed.for_entity(general) == Fees(4, 6)
    with pytest.raises(KeyError):
        narrowed.for_entity(both)  # not loaded: never silently the base fees
    empty = await fee_schedule(session, settings, eua, entities=[])
    assert empty.overrides == {}


async def test_one_all_instruments_override_per_entity(session: AsyncSession) -> None:
    """The unique constraint treats NULL instrument ids as equal (NULLS NOT DISTINCT)."""
    entity_id = (await make_entity(session)).id
    await _override(session, entity_id, None, 1, 2)
    await _override(session, entity_id, INSTRUMENT_A, 1, 2)
    for instrument_id in (None, INSTRUMENT_A):
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await _override(session, entity_id, instrument_id, 3, 4)


# --------------------------------------------------------------------------- API

URL = "/api/v1/admin/entities/{}/fees"
LIST = "/api/v1/admin/fee-overrides"


def _body(instrument: str | None = "EUA-EUR", maker: Any = 2, taker: Any = 7, **more: Any) -> Any:
    return {"instrument": instrument, "maker_fee_bps": maker, "taker_fee_bps": taker,
            "reason": "volume deal Q1", **more}  # fmt: skip


async def _audit(session: AsyncSession, resource_id: str) -> list[AuditLog]:
    rows = await session.scalars(
        select(AuditLog)
        .where(AuditLog.resource_type == "exchange_fee_override")
        .where(AuditLog.resource_id == resource_id)
        .order_by(AuditLog.seq)
    )
    return list(rows)


async def _events(session: AsyncSession, entity_id: uuid.UUID) -> list[StoredEvent]:
    rows = await stored_events(session, "backoffice", prefix="fee_override.")
    return [e for e in rows if e.data.get("entity_id") == str(entity_id)]


async def test_create_update_list_delete(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin = await person(session, settings, role="admin")
    entity = await make_entity(session, legal_name="Deal Maker AG")
    url = URL.format(entity.id)

    created = ok(await client.put(url, json=_body(), headers=admin.headers), 201)
    assert created["entity_id"] == str(entity.id)
    assert created["entity_name"] == "Deal Maker AG"
    assert (created["instrument"], created["maker_fee_bps"], created["taker_fee_bps"]) == (
        "EUA-EUR", 2, 7)  # fmt: skip
    assert created["reason"] == "volume deal Q1"
    assert created["created_by"] == str(admin.user_id)
    assert created["created_at"].endswith("Z")

    # The same scope again replaces it (200); maker may be 0.
    updated = ok(await client.put(url, json=_body(maker=0, taker=4, reason="renegotiated"),
                                  headers=admin.headers))  # fmt: skip
    assert updated["id"] == created["id"]
    assert (updated["maker_fee_bps"], updated["taker_fee_bps"]) == (0, 4)
    # An all-instruments override is a separate row.
    general = ok(await client.put(url, json=_body(None, 1, 3), headers=admin.headers), 201)
    assert general["instrument"] is None and general["id"] != created["id"]

    page = ok(await client.get(LIST, params={"entity_id": str(entity.id)}, headers=admin.headers))
    assert [i["id"] for i in page["items"]] == [general["id"], created["id"]]  # newest first
    assert page["next_cursor"] is None
    only_eua = ok(await client.get(LIST, params={"entity_id": str(entity.id),
                                                 "instrument": "EUA-EUR"}, headers=admin.headers))  # fmt: skip
    assert [i["id"] for i in only_eua["items"]] == [created["id"]]
    only_all = ok(await client.get(LIST, params={"entity_id": str(entity.id), "instrument": "*"},
                                   headers=admin.headers))  # fmt: skip
    assert [i["id"] for i in only_all["items"]] == [general["id"]]
    first = ok(await client.get(LIST, params={"entity_id": str(entity.id), "limit": 1},
                                headers=admin.headers))  # fmt: skip
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = ok(await client.get(LIST, params={"entity_id": str(entity.id), "limit": 1,
                                               "cursor": first["next_cursor"]},
                                 headers=admin.headers))  # fmt: skip
    assert [i["id"] for i in second["items"]] == [created["id"]]
    assert second["next_cursor"] is None
    problem(await client.get(LIST, params={"cursor": "!!"}, headers=admin.headers), 400,
            "invalid_cursor")  # fmt: skip
    problem(await client.get(LIST, params={"instrument": "XYZ-EUR"}, headers=admin.headers), 404,
            "instrument_not_found")  # fmt: skip

    # Delete: a reason is required; the instrument's one, then the all-instruments one.
    r = await client.request("DELETE", url, params={"instrument": "EUA-EUR"},
                             json={"reason": "deal ended"}, headers=admin.headers)  # fmt: skip
    assert r.status_code == 204, r.text
    problem(await client.request("DELETE", url, params={"instrument": "EUA-EUR"},
                                 json={"reason": "deal ended"}, headers=admin.headers),
            404, "fee_override_not_found")  # fmt: skip
    problem(await client.request("DELETE", url, headers=admin.headers), 422, "validation_error")
    r = await client.request("DELETE", url, json={"reason": "deal ended"}, headers=admin.headers)
    assert r.status_code == 204, r.text
    assert (
        await session.scalar(select(FeeOverride).where(FeeOverride.entity_id == entity.id)) is None
    )

    # Audited with before/after, and announced to the backoffice.
    trail = await _audit(session, created["id"])
    assert [a.action for a in trail] == [
        "exchange.fee_override.create",
        "exchange.fee_override.update",
        "exchange.fee_override.delete",
    ]
    assert trail[0].before is None
    assert trail[0].after == {"entity_id": str(entity.id), "instrument": "EUA-EUR",
                              "maker_fee_bps": 2, "taker_fee_bps": 7, "reason": "volume deal Q1"}  # fmt: skip
    assert trail[1].before == trail[0].after
    assert trail[1].after is not None and trail[1].after["maker_fee_bps"] == 0
    assert trail[1].after["reason"] == "renegotiated"
    assert trail[2].before == trail[1].after
    assert trail[2].after == {"deleted": True, "reason": "deal ended"}
    assert all(a.actor_id == admin.user_id for a in trail)
    assert [a.action for a in await _audit(session, general["id"])] == [
        "exchange.fee_override.create",
        "exchange.fee_override.delete",
    ]
    events = await _events(session, entity.id)
    assert [e.event for e in events] == ["fee_override.set"] * 3 + ["fee_override.deleted"] * 2
    assert events[0].data == {"override_id": created["id"], "entity_id": str(entity.id),
                              "instrument": "EUA-EUR", "maker_fee_bps": 2, "taker_fee_bps": 7}  # fmt: skip
    assert events[0].entity_id is None  # a staff channel: not scoped to the client


async def test_validation(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    admin = await person(session, settings, role="admin")
    entity = await make_entity(session)
    url = URL.format(entity.id)
    cases: list[tuple[Any, str]] = [
        (_body(maker=-1), "maker_fee_bps"),
        (_body(taker=1001), "taker_fee_bps"),
        (_body(maker="5"), "maker_fee_bps"),  # no strings for numbers
        (_body(taker=2.5), "taker_fee_bps"),
        (_body(maker=True), "maker_fee_bps"),
        (_body(reason="x"), "reason"),
        (_body(instrument="eua"), "instrument"),
        (_body(extra=1), "extra"),
        ({k: v for k, v in _body().items() if k != "instrument"}, "instrument"),  # explicit null
        ({k: v for k, v in _body().items() if k != "taker_fee_bps"}, "taker_fee_bps"),
    ]
    for body, field in cases:
        err = problem(await client.put(url, json=body, headers=admin.headers), 422,
                      "validation_error")  # fmt: skip
        assert [e["field"] for e in err["errors"]] == [field], (body, err)
    problem(await client.put(URL.format(uuid.uuid4()), json=_body(), headers=admin.headers), 404,
            "entity_not_found")  # fmt: skip
    problem(await client.request("DELETE", URL.format(uuid.uuid4()), json={"reason": "gone"},
                                 headers=admin.headers), 404, "entity_not_found")  # fmt: skip
    err = problem(await client.put(url, json=_body("ABC-EUR"), headers=admin.headers), 404,
                  "instrument_not_found")  # fmt: skip
    assert err["field"] == "instrument"
    problem(await client.put(url, json=_body(reason="   "), headers=admin.headers), 422,
            "unprocessable")  # fmt: skip
    # Boundaries are accepted.
    ok(await client.put(url, json=_body(maker=0, taker=1000), headers=admin.headers), 201)
    # Nothing was written by the refused requests.
    rows = (
        await session.scalars(select(FeeOverride).where(FeeOverride.entity_id == entity.id))
    ).all()
    assert [(r.maker_fee_bps, r.taker_fee_bps) for r in rows] == [(0, 1000)]


async def test_service_refuses_bad_fees_itself(session: AsyncSession) -> None:
    from niha.audit.service import Actor
    from niha.exchange.fee_schedule import InvalidFee, set_override

    entity = await make_entity(session)
    for maker, taker, field in ((-1, 0, "maker_fee_bps"), (0, 1001, "taker_fee_bps")):
        with pytest.raises(InvalidFee) as exc:
            await set_override(session, entity.id, None, maker, taker, "r", Actor.system())
        assert exc.value.extra["field"] == field


async def test_access(client: httpx.AsyncClient, session: AsyncSession, settings: Settings) -> None:
    entity = await make_entity(session)
    url = URL.format(entity.id)
    people: dict[str, Person] = {
        r: await person(session, settings, entity_role=r, entity_id=entity.id)
        for r in ("owner", "trader", "viewer")
    }
    for role in ("compliance", "operations", "super_admin"):
        people[role] = await person(session, settings, role=role)
    for role in ("owner", "trader", "viewer"):
        h = people[role].headers
        problem(await client.get(LIST, headers=h), 403, "forbidden")
        problem(await client.get(LIST, params={"entity_id": str(entity.id)}, headers=h), 403,
                "forbidden")  # fmt: skip
        problem(await client.put(url, json=_body(), headers=h), 403, "forbidden")
        problem(await client.request("DELETE", url, json={"reason": "nope"}, headers=h), 403,
                "forbidden")  # fmt: skip
    # compliance reads (market:read) but does not change fees (market:manage).
    ok(await client.get(LIST, headers=people["compliance"].headers))
    problem(await client.put(url, json=_body(), headers=people["compliance"].headers), 403,
            "forbidden")  # fmt: skip
    ok(await client.put(url, json=_body(), headers=people["operations"].headers), 201)
    ok(await client.put(url, json=_body(), headers=people["super_admin"].headers))
    r = await client.get(LIST)
    assert r.status_code == 401
    assert await session.scalar(select(FeeOverride).where(FeeOverride.entity_id == entity.id))
