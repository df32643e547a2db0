"""Bank accounts: validation with real IBANs, duplicates, editing, deletion, verification."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from tests.funding.helpers import (
    VALID_IBANS,
    World,
    add_account,
    funded,
    make_world,
    ok,
    problem,
    verified_account,
    verify,
)
from tests.identity.factories import audit_rows
from tests.kyc import samples

URL = "/api/v1/funding/bank-accounts"


def payload(iban: str, swift: str, country: str, name: str = "Acme Carbon GmbH") -> dict[str, str]:
    return {
        "account_name": name,
        "iban": iban,
        "swift": swift,
        "bank_name": "Some Bank",
        "country": country,
    }


async def test_real_ibans_are_accepted_and_one_digit_changed_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    h = world.owner.headers
    for iban, swift, country in VALID_IBANS:
        spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
        body = ok(await client.post(URL, json=payload(spaced, swift, country), headers=h), 201)
        assert body["iban"] == iban and body["status"] == "PENDING_VERIFICATION"
        assert body["country"] == country
        # the same IBAN with one digit changed (the last one) is refused
        last = iban[-1]
        changed = iban[:-1] + ("0" if last != "0" else "1")
        r = await client.post(URL, json=payload(changed, swift, country), headers=h)
        assert r.status_code == 422, (changed, r.text)
        assert r.json()["code"].startswith("invalid_iban"), r.text
        assert r.json()["field"] == "iban"
        check = ok(await client.post(f"{URL}/validate-iban", json={"iban": changed}, headers=h))
        assert check["valid"] is False and check["field"] == "iban"
    listed = ok(await client.get(URL, headers=h))["items"]
    assert len(listed) == len(VALID_IBANS)
    assert [a["is_primary"] for a in listed].count(True) == 1
    assert listed[0]["iban"] == VALID_IBANS[0][0]  # the first one became primary


async def test_validate_iban_for_live_feedback(client: httpx.AsyncClient, world: World) -> None:
    h = world.owner.headers
    r = ok(
        await client.post(
            f"{URL}/validate-iban",
            json={"iban": "de89 3704 0044 0532 0130 00", "swift": "COBADEFFXXX"},
            headers=h,
        )
    )
    assert r["valid"] and r["country"] == "DE" and r["formatted"] == "DE89 3704 0044 0532 0130 00"
    assert r["bank_name"] == "Commerzbank" and r["bic"] == "COBADEFFXXX"
    r = ok(
        await client.post(
            f"{URL}/validate-iban",
            json={"iban": "DE89370400440532013000", "swift": "BNPAFRPP"},
            headers=h,
        )
    )
    assert not r["valid"] and r["code"] == "bic_country_mismatch" and r["field"] == "swift"
    r = ok(await client.post(f"{URL}/validate-iban", json={"iban": ""}, headers=h))
    assert not r["valid"] and r["code"] == "invalid_iban"


@pytest.mark.parametrize(
    ("iban", "swift", "country", "field", "code"),
    [
        ("DE89370400440532013001", "COBADEFF", "DE", "iban", "invalid_iban_checksum"),
        ("ZZ89370400440532013000", "COBADEFF", "DE", "iban", "invalid_iban_country"),
        ("DE893704004405320130", "COBADEFF", "DE", "iban", "invalid_iban_length"),
        ("DE89370400440532013000", "COBA", "DE", "swift", "invalid_bic"),
        ("DE89370400440532013000", "BNPAFRPP", "DE", "swift", "bic_country_mismatch"),
        ("DE89370400440532013000", "COBADEFF", "FR", "country", "country_mismatch"),
    ],
)
async def test_bad_bank_details(
    client: httpx.AsyncClient,
    world: World,
    iban: str,
    swift: str,
    country: str,
    field: str,
    code: str,
) -> None:
    r = await client.post(URL, json=payload(iban, swift, country), headers=world.owner.headers)
    body = problem(r, 422, code)
    assert body["field"] == field and body["errors"][0]["field"] == field


async def test_schema_refusals(client: httpx.AsyncClient, world: World) -> None:
    h = world.owner.headers
    base = payload("DE89370400440532013000", "COBADEFF", "DE")
    for bad in (
        {**base, "account_name": ""},
        {**base, "account_name": "x" * 201},
        {**base, "country": "DEU"},
        {**base, "iban": "D" * 65},
        {**base, "account_name": "bad\x00name"},
        {k: v for k, v in base.items() if k != "swift"},
    ):
        problem(await client.post(URL, json=bad, headers=h), 422, "validation_error")


async def test_duplicates_are_refused_and_names_checked(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    first = await add_account(client, world)
    assert first["name_mismatch"] is False
    r = await client.post(
        URL,
        json=payload("DE89 3704 0044 0532 0130 00", "COBADEFF", "DE"),
        headers=world.owner.headers,
    )
    problem(r, 409, "duplicate_bank_account")
    other = await add_account(
        client,
        world,
        iban="GB82WEST12345698765432",
        swift="NWBKGB2L",
        country="GB",
        name="John Smith",
    )
    assert other["name_mismatch"] is True
    # another entity may register the same IBAN (its own record)
    w2 = await make_world(session, settings, legal_name="Acme Carbon GmbH")
    await add_account(client, w2)


async def test_edit_only_unverified_and_delete_rules(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    w = world
    h = w.owner.headers
    a = await add_account(client, w)
    edited = ok(
        await client.put(
            f"{URL}/{a['id']}",
            json=payload("NL91ABNA0417164300", "ABNANL2A", "NL", "Acme Carbon"),
            headers=h,
        )
    )
    assert edited["iban"] == "NL91ABNA0417164300" and edited["status"] == "PENDING_VERIFICATION"
    # rejected -> edit puts it back in the queue
    r = await client.post(
        f"/api/v1/admin/bank-accounts/{a['id']}/reject",
        json={"reason": "Statement unreadable"},
        headers=w.compliance.headers,
    )
    assert ok(r)["status"] == "REJECTED" and ok(r)["rejection_reason"] == "Statement unreadable"
    again = ok(
        await client.put(
            f"{URL}/{a['id']}",
            json=payload("NL91ABNA0417164300", "ABNANL2A", "NL", "Acme Carbon"),
            headers=h,
        )
    )
    assert again["status"] == "PENDING_VERIFICATION" and again["rejection_reason"] is None
    await verify(client, w, a["id"])
    problem(
        await client.put(
            f"{URL}/{a['id']}", json=payload("DE89370400440532013000", "COBADEFF", "DE"), headers=h
        ),
        409,
        "bank_account_not_editable",
    )
    # an open withdrawal to it blocks deletion
    await funded(client, w, "100.00")
    wd = ok(
        await client.post(
            "/api/v1/funding/withdrawals/request",
            json={"amount": "10.00", "bank_account_id": a["id"]},
            headers=h,
        ),
        201,
    )
    problem(await client.delete(f"{URL}/{a['id']}", headers=h), 409, "bank_account_in_use")
    ok(await client.post(f"/api/v1/funding/withdrawals/{wd['id']}/cancel", headers=h))
    r = await client.delete(f"{URL}/{a['id']}", headers=h)
    assert r.status_code == 204, r.text
    assert ok(await client.get(URL, headers=h))["items"] == []
    problem(await client.delete(f"{URL}/{a['id']}", headers=h), 404, "bank_account_not_found")
    assert len(await audit_rows(session, "bank_account_deleted", a["id"])) == 1
    # deleted: the IBAN may be registered again
    await add_account(client, w, iban="NL91ABNA0417164300", swift="ABNANL2A", country="NL")


async def test_primary_account(client: httpx.AsyncClient, world: World) -> None:
    h = world.owner.headers
    a = await add_account(client, world)
    b = await add_account(client, world, iban="NL91ABNA0417164300", swift="ABNANL2A", country="NL")
    assert a["is_primary"] and not b["is_primary"]
    ok(await client.post(f"{URL}/{b['id']}/primary", headers=h))
    items = ok(await client.get(URL, headers=h))["items"]
    assert [(x["id"], x["is_primary"]) for x in items] == [(b["id"], True), (a["id"], False)]
    # deleting the primary hands it to the remaining one
    assert (await client.delete(f"{URL}/{b['id']}", headers=h)).status_code == 204
    items = ok(await client.get(URL, headers=h))["items"]
    assert [(x["id"], x["is_primary"]) for x in items] == [(a["id"], True)]


async def test_other_entities_accounts_are_not_found(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    other = await make_world(session, settings)
    theirs = await add_account(client, other)
    h = world.owner.headers
    body = payload("NL91ABNA0417164300", "ABNANL2A", "NL")
    problem(
        await client.put(f"{URL}/{theirs['id']}", json=body, headers=h),
        404,
        "bank_account_not_found",
    )
    problem(await client.delete(f"{URL}/{theirs['id']}", headers=h), 404, "bank_account_not_found")
    problem(
        await client.post(f"{URL}/{theirs['id']}/primary", headers=h), 404, "bank_account_not_found"
    )
    assert ok(await client.get(URL, headers=h))["items"] == []
    # a viewer reads but cannot add
    problem(await client.post(URL, json=body, headers=world.viewer.headers), 403, "forbidden")
    ok(await client.get(URL, headers=world.viewer.headers))


async def test_staff_verify_with_proof_and_view_it(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    w = world
    a = await add_account(client, w, name="Someone Else Ltd")
    queue = ok(
        await client.get(
            "/api/v1/admin/bank-accounts",
            params={"status": "PENDING_VERIFICATION", "entity_id": str(w.entity_id)},
            headers=w.ops.headers,
        )
    )
    assert [x["id"] for x in queue["items"]] == [a["id"]]
    assert queue["items"][0]["entity_name"] == "Acme Carbon GmbH"
    assert queue["items"][0]["name_mismatch"] is True
    url = f"/api/v1/admin/bank-accounts/{a['id']}/verify"
    # the proof is checked like a KYC file
    r = await client.post(
        url,
        files={"file": ("x.pdf", b"<html>nope</html>", "application/pdf")},
        headers=w.ops.headers,
    )
    problem(r, 415, "unsupported_file_type")
    r = await client.post(
        url, files={"file": ("x.pdf", b"", "application/pdf")}, headers=w.ops.headers
    )
    problem(r, 422, "empty_file")
    problem(await client.post(url, headers=w.ops.headers), 422, "validation_error")
    problem(
        await client.post(
            url,
            files={"file": ("x.pdf", samples.pdf(), "application/pdf")},
            headers=w.owner.headers,
        ),
        403,
        "forbidden",
    )
    done = await verify(client, w, a["id"])
    assert done["status"] == "VERIFIED" and done["has_proof"] and done["verified_at"]
    assert done["verification_notes"] == "Statement matches"
    problem(
        await client.post(
            url, files={"file": ("x.pdf", samples.pdf(), "application/pdf")}, headers=w.ops.headers
        ),
        409,
        "invalid_transition",
    )
    problem(
        await client.post(
            f"/api/v1/admin/bank-accounts/{a['id']}/reject",
            json={"reason": "x"},
            headers=w.ops.headers,
        ),
        409,
        "invalid_transition",
    )
    proof = await client.get(f"/api/v1/admin/bank-accounts/{a['id']}/proof", headers=w.ops.headers)
    assert proof.status_code == 200
    assert proof.headers["content-type"] == "application/pdf"
    assert proof.content.startswith(b"%PDF")
    assert "sandbox" in proof.headers["content-security-policy"]
    problem(
        await client.get(f"/api/v1/admin/bank-accounts/{a['id']}/proof", headers=w.owner.headers),
        403,
        "forbidden",
    )
    verified = ok(
        await client.get(
            "/api/v1/admin/bank-accounts",
            params={"status": "VERIFIED", "entity_id": str(w.entity_id)},
            headers=w.ops.headers,
        )
    )
    assert [x["id"] for x in verified["items"]] == [a["id"]]
    assert len(await audit_rows(session, "bank_account_verified", a["id"])) == 1
    mine = ok(await client.get(URL, headers=w.owner.headers))["items"][0]
    assert mine["status"] == "VERIFIED" and mine["verification_notes"] is None


async def test_unverified_proof_is_not_found(client: httpx.AsyncClient, world: World) -> None:
    a = await add_account(client, world)
    problem(
        await client.get(f"/api/v1/admin/bank-accounts/{a['id']}/proof", headers=world.ops.headers),
        404,
        "bank_account_not_found",
    )
    await verified_account(client, world, iban="NL91ABNA0417164300", swift="ABNANL2A", country="NL")
