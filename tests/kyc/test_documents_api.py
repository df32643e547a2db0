"""KYC documents over HTTP: uploads (every bad file refused), files, review, status, the gate."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from niha.config import Settings
from niha.kyc import service as kyc
from niha.kyc.models import KycDocument
from tests.identity.factories import audit_rows
from tests.kyc import samples
from tests.onboarding.helpers import (
    COMPANY_DOCS,
    INDIVIDUAL,
    Client,
    approved_entity,
    create_entity,
    events,
    member,
    new_owner,
    staff,
    submitted_entity,
    upload,
)

UPLOAD = "/api/v1/kyc/documents/upload"


async def owner_with_entity(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> tuple[Client, dict[str, Any]]:
    owner = await new_owner(session, settings)
    return owner, await create_entity(client, owner)


async def test_upload_stores_the_file_under_a_generated_name_with_its_hash(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner, entity = await owner_with_entity(client, session, settings)
    data = samples.pdf("Certificate of incorporation")
    r = await upload(
        client, owner, "company_registration", data, "Handelsregister.pdf", notes=" HRB extract "
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["status"] == "PENDING_REVIEW" and doc["entity_id"] == entity["id"]
    assert (doc["filename"], doc["content_type"], doc["size_bytes"]) == (
        "Handelsregister.pdf",
        "application/pdf",
        len(data),
    )
    assert doc["sha256"] == hashlib.sha256(data).hexdigest()
    assert doc["client_notes"] == "HRB extract"

    row = await session.get(KycDocument, uuid.UUID(doc["id"]))
    assert row is not None
    stored = (settings.storage_dir / row.storage_key).resolve()
    assert stored.is_relative_to(settings.storage_dir.resolve())
    assert stored.read_bytes() == data
    assert "Handelsregister" not in row.storage_key and entity["id"] in row.storage_key
    assert oct(stored.stat().st_mode & 0o777) == "0o600"

    [audit] = await audit_rows(session, "kyc_document_uploaded", doc["id"])
    assert audit.after["sha256"] == doc["sha256"]
    assert [
        e
        for e in await events(session, "backoffice", "kyc_document.uploaded")
        if e.data["document_id"] == doc["id"]
    ]
    r = await client.get("/api/v1/kyc/status", headers=owner.headers)
    assert r.json()["status"] == "IN_PROGRESS"


async def test_magic_bytes_decide_the_type_not_the_name(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner, _ = await owner_with_entity(client, session, settings)
    r = await upload(client, owner, "passport", samples.png(), "passport.pdf", "application/pdf")
    assert r.status_code == 201, r.text
    assert (r.json()["content_type"], r.json()["filename"]) == ("image/png", "passport.png")
    r = await upload(client, owner, "ubo_declaration", samples.pdf(), "ubo.png", "image/png")
    assert r.status_code == 201
    assert (r.json()["content_type"], r.json()["filename"]) == ("application/pdf", "ubo.pdf")
    r = await upload(client, owner, "national_id", samples.jpeg(), "id", "application/octet-stream")
    assert r.status_code == 201
    assert (r.json()["content_type"], r.json()["filename"]) == ("image/jpeg", "id.jpg")


@pytest.mark.parametrize(
    "name,data,filename,status,code",
    [
        (
            "html named .pdf",
            b"<!doctype html><html><script>alert(1)</script></html>",
            "passport.pdf",
            415,
            "unsupported_file_type",
        ),
        ("empty file", b"", "passport.pdf", 422, "empty_file"),
        (
            "gif",
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
            "passport.gif",
            415,
            "unsupported_file_type",
        ),
        (
            "pdf + html polyglot",
            samples.pdf() + b"<html><body><script>x</script></body></html>",
            "p.pdf",
            422,
            "file_rejected",
        ),
        (
            "png + zip polyglot",
            samples.png() + b"PK\x03\x04" + b"\x00" * 30 + b"PK\x05\x06" + b"\x00" * 18,
            "p.png",
            422,
            "file_rejected",
        ),
        (
            "jpeg + html",
            samples.jpeg() + b"<script>alert(document.cookie)</script>",
            "p.jpg",
            422,
            "file_rejected",
        ),
    ],
)
async def test_bad_files_are_refused_with_a_clear_message(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    name: str,
    data: bytes,
    filename: str,
    status: int,
    code: str,
) -> None:
    owner, _ = await owner_with_entity(client, session, settings)
    r = await upload(client, owner, "passport", data, filename)
    assert r.status_code == status, (name, r.text)
    body = r.json()
    assert body["code"] == code and len(body["detail"]) > 10
    assert body["errors"][0]["field"] == "file"
    assert await client.get("/api/v1/kyc/documents/my-documents", headers=owner.headers) is not None
    assert (
        await client.get("/api/v1/kyc/documents/my-documents", headers=owner.headers)
    ).json() == []
    storage = settings.storage_dir / "kyc"
    assert not storage.exists() or not any(p.is_file() for p in storage.rglob("*"))


async def test_size_limit_is_ten_megabytes(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner, _ = await owner_with_entity(client, session, settings)
    limit = settings.kyc_max_upload_bytes
    assert limit == 10 * 1024 * 1024
    r = await upload(client, owner, "passport", samples.padded_pdf(limit + 1))
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "file_too_large" and "10 MB" in r.json()["detail"]
    r = await upload(client, owner, "passport", samples.padded_pdf(limit))
    assert r.status_code == 201, r.text


async def test_oversized_bodies_are_refused_before_parsing(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner, _ = await owner_with_entity(client, session, settings)
    settings.kyc_max_upload_bytes = 1000
    big = samples.padded_pdf(200_000)
    r = await upload(client, owner, "passport", big)
    assert r.status_code == 413 and r.json()["code"] == "file_too_large"

    async def chunks() -> Any:  # no Content-Length: counted while reading
        boundary = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
        yield boundary
        for _ in range(20):
            yield b"0" * 10_000
        yield b"\r\n--b--\r\n"

    r = await client.post(
        UPLOAD,
        content=chunks(),
        headers={**owner.headers, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert r.status_code == 413 and r.json()["code"] == "file_too_large"


async def test_path_traversal_names_stay_inside_the_storage(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner, _ = await owner_with_entity(client, session, settings)
    r = await upload(client, owner, "passport", samples.pdf(), "../../../../etc/cron.d/evil.pdf")
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == "evil.pdf"
    row = await session.get(KycDocument, uuid.UUID(r.json()["id"]))
    assert row is not None
    assert (
        Path(settings.storage_dir, row.storage_key)
        .resolve()
        .is_relative_to(settings.storage_dir.resolve())
    )
    assert not (settings.var_dir / "etc").exists()


async def test_form_validation(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner, _ = await owner_with_entity(client, session, settings)
    r = await upload(client, owner, "selfie")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "document_type"
    r = await upload(client, owner, "passport", notes="x" * 2001)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "client_notes"
    r = await client.post(UPLOAD, data={"document_type": "passport"}, headers=owner.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "file"


async def test_duplicates_and_no_entity(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await new_owner(session, settings)
    r = await upload(client, owner, "passport")
    assert r.status_code == 409 and r.json()["code"] == "entity_required"
    await create_entity(client, owner)
    assert (await upload(client, owner, "passport", samples.pdf("same"))).status_code == 201
    r = await upload(client, owner, "passport", samples.pdf("same"))
    assert r.status_code == 409 and r.json()["code"] == "duplicate_document"
    assert (await upload(client, owner, "ubo_declaration", samples.pdf("same"))).status_code == 201


async def test_download_headers_and_access(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner, entity = await owner_with_entity(client, session, settings)
    data = samples.png()
    doc = (await upload(client, owner, "passport", data, "Pass port.png", "image/png")).json()
    url = f"/api/v1/kyc/documents/{doc['id']}/file"
    r = await client.get(url, headers=owner.headers)
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"] == "image/png"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert (
        "Pass%20port.png" in r.headers["content-disposition"]
        or "Pass port.png" in r.headers["content-disposition"]
    )
    assert "nosniff" in r.headers["x-content-type-options"]
    assert "no-store" in r.headers["cache-control"]

    compliance = await staff(session, settings, "compliance")
    assert (await client.get(url, headers=compliance.headers)).content == data
    operations = await staff(session, settings, "operations")
    r = await client.get(url, headers=operations.headers)
    assert r.status_code == 403
    for role in ["trader", "viewer"]:
        m = await member(session, settings, entity["id"], role)
        assert (await client.get(url, headers=m.headers)).status_code == 403
        r = await client.get("/api/v1/kyc/documents/my-documents", headers=m.headers)
        assert [d["id"] for d in r.json()] == [doc["id"]]


async def test_another_entity_gets_404_for_everything(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    a, _ = await owner_with_entity(client, session, settings)
    b = await new_owner(session, settings)
    await create_entity(client, b, INDIVIDUAL)
    doc = (await upload(client, a, "passport")).json()
    for method, path in [
        ("GET", f"/api/v1/kyc/documents/{doc['id']}/file"),
        ("DELETE", f"/api/v1/kyc/documents/{doc['id']}"),
    ]:
        r = await client.request(method, path, headers=b.headers)
        assert r.status_code == 404 and r.json()["code"] == "document_not_found", (method, path)
    assert (await client.get("/api/v1/kyc/documents/my-documents", headers=b.headers)).json() == []
    status = (await client.get("/api/v1/kyc/status", headers=b.headers)).json()
    assert status["documents"] == [] and status["entity_type"] == "INDIVIDUAL"
    r = await client.get(f"/api/v1/kyc/documents/{uuid.uuid4()}/file", headers=b.headers)
    assert r.status_code == 404


async def test_delete_only_pending_or_rejected(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    reviewer = await staff(session, settings)
    owner, _ = await owner_with_entity(client, session, settings)
    docs = {
        k: (await upload(client, owner, k)).json()
        for k in ["passport", "ubo_declaration", "shareholder_register"]
    }
    await client.post(
        f"/api/v1/admin/kyc/documents/{docs['ubo_declaration']['id']}/approve",
        headers=reviewer.headers,
    )
    await client.post(
        f"/api/v1/admin/kyc/documents/{docs['shareholder_register']['id']}/reject",
        json={"reason": "Unsigned"},
        headers=reviewer.headers,
    )
    row = await session.get(KycDocument, uuid.UUID(docs["passport"]["id"]))
    assert row is not None
    path = settings.storage_dir / row.storage_key
    r = await client.delete(
        f"/api/v1/kyc/documents/{docs['passport']['id']}", headers=owner.headers
    )
    assert r.status_code == 204
    r = await client.delete(
        f"/api/v1/kyc/documents/{docs['shareholder_register']['id']}", headers=owner.headers
    )
    assert r.status_code == 204
    r = await client.delete(
        f"/api/v1/kyc/documents/{docs['ubo_declaration']['id']}", headers=owner.headers
    )
    assert r.status_code == 409 and r.json()["code"] == "document_not_deletable"
    left = (await client.get("/api/v1/kyc/documents/my-documents", headers=owner.headers)).json()
    assert [d["id"] for d in left] == [docs["ubo_declaration"]["id"]]
    r = await client.delete(
        f"/api/v1/kyc/documents/{docs['passport']['id']}", headers=owner.headers
    )
    assert r.status_code == 404
    assert await audit_rows(session, "kyc_document_deleted", docs["passport"]["id"])
    await session.refresh(row)
    assert row.deleted_at is not None  # kept for the record
    assert not path.exists()  # the file goes once the request's transaction has committed


async def test_review_decisions_and_the_queue(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    reviewer = await staff(session, settings)
    owner, entity, docs = await submitted_entity(client, session, settings)
    r = await client.get(
        "/api/v1/admin/kyc/documents",
        params={"status": "PENDING_REVIEW", "entity_id": entity["id"]},
        headers=reviewer.headers,
    )
    queue = r.json()["items"]
    assert [d["document_type"] for d in queue] == COMPANY_DOCS  # oldest first
    assert {d["entity_name"] for d in queue} == {"Acme Carbon GmbH"}

    passport = docs["passport"]["id"]
    base = f"/api/v1/admin/kyc/documents/{passport}"
    r = await client.post(f"{base}/reject", json={"reason": "  "}, headers=reviewer.headers)
    assert r.status_code == 422
    r = await client.post(f"{base}/reject", json={}, headers=reviewer.headers)
    assert r.status_code == 422
    r = await client.post(
        f"{base}/reject", json={"reason": "The photo page is cut off"}, headers=reviewer.headers
    )
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["rejection_reason"]) == (
        "REJECTED",
        "The photo page is cut off",
    )
    assert r.json()["reviewed_by"] == str(reviewer.user.id)
    for action in ["approve", "reject"]:
        r = await client.post(f"{base}/{action}", json={"reason": "x"}, headers=reviewer.headers)
        assert r.status_code == 409 and r.json()["code"] == "invalid_transition"

    status = (await client.get("/api/v1/kyc/status", headers=owner.headers)).json()
    assert status["status"] == "REJECTED" and status["missing"] == ["passport"]
    assert status["comments"] == [
        {
            "scope": "document",
            "text": "The photo page is cut off",
            "document_id": passport,
            "document_type": "passport",
            "created_at": status["comments"][0]["created_at"],
        }
    ]
    note = [
        e
        for e in await events(session, "notifications", "kyc_document.rejected")
        if e.data["document_id"] == passport
    ]
    assert note and str(note[0].entity_id) == entity["id"] and note[0].data["reason"]
    [row] = await audit_rows(session, "kyc_document_rejected", passport)
    assert row.after["reason"] == "The photo page is cut off"

    # re-upload after rejection -> back to SUBMITTED, the old comment disappears
    r = await upload(client, owner, "passport", samples.png(), "passport-new.png", "image/png")
    assert r.status_code == 201
    status = (await client.get("/api/v1/kyc/status", headers=owner.headers)).json()
    assert status["status"] == "SUBMITTED" and status["missing"] == [] and status["comments"] == []

    operations = await staff(session, settings, "operations")
    r = await client.post(
        f"/api/v1/admin/kyc/documents/{r.json()['id']}/approve", headers=operations.headers
    )
    assert r.status_code == 403
    r = await client.get("/api/v1/admin/kyc/documents", headers=operations.headers)
    assert r.status_code == 403
    r = await client.post(
        f"/api/v1/admin/kyc/documents/{uuid.uuid4()}/approve", headers=reviewer.headers
    )
    assert r.status_code == 404


async def test_require_approved_gate(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    reviewer = await staff(session, settings)
    _owner, entity = await approved_entity(client, session, settings, reviewer)
    await kyc.require_approved(session, uuid.UUID(entity["id"]))
    _, pending, _ = await submitted_entity(client, session, settings)
    for entity_id in [None, uuid.uuid4(), uuid.UUID(pending["id"])]:
        with pytest.raises(kyc.KycRequired) as info:
            await kyc.require_approved(session, entity_id)
        assert (info.value.status, info.value.code) == (403, "kyc_required")
    await client.post(
        f"/api/v1/admin/entities/{entity['id']}/suspend",
        json={"reason": "x"},
        headers=reviewer.headers,
    )
    with pytest.raises(kyc.KycRequired):
        await kyc.require_approved(session, uuid.UUID(entity["id"]))


async def test_status_without_entity(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    owner = await new_owner(session, settings)
    r = await client.get("/api/v1/kyc/status", headers=owner.headers)
    assert r.status_code == 200
    assert r.json() == {
        "status": "NOT_STARTED",
        "entity_id": None,
        "entity_type": None,
        "entity_status": None,
        "required": [],
        "missing": [],
        "checklist": [],
        "documents": [],
        "comments": [],
    }
