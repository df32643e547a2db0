"""Journey: money in and out.

The client announces a deposit and gets the wire instructions -> staff confirm the wire ->
the client sees it on hold live -> staff release the hold -> the client sees the balance ->
adds a bank account (IBAN checked as typed) -> staff verify it with a proof document -> the
client requests a withdrawal -> one staff member approves it, and may not complete it -> a
second one completes it -> the client sees it COMPLETED and the rows in the CSV export.
Afterwards the ledger reconciles. Every page is screenshotted and checked with axe.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import (
    api_create_staff,
    api_login,
    create_admin,
    create_client_user,
    look,
    sign_in,
)
from tests.kyc import samples

ADMIN = "fiona.funding@niha.example"
OPS = "oscar.ops@niha.example"
CLIENT = "hana.ito@nordwind.example"
COMPANY = "Nordwind Carbon GmbH"
DOCS = [
    "company_registration",
    "articles_of_association",
    "shareholder_register",
    "ubo_declaration",
    "passport",
]


def _api(server: LiveServer, token: str, method: str, path: str, **kw: Any) -> Any:
    reply = httpx.request(
        method,
        server.url + path,
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
        **kw,
    )
    assert reply.status_code < 300, reply.text
    return reply.json() if reply.content else None


@pytest.fixture(scope="module")
def people(live_server: LiveServer) -> None:
    """Staff, and a client whose company passed KYC (set up through the API)."""
    create_admin(live_server, ADMIN, "Fiona Funding")
    admin = api_login(live_server, ADMIN)
    api_create_staff(live_server, admin, OPS, "Oscar Ops", "operations")
    create_client_user(live_server, admin, CLIENT, "Hana Ito")
    client = api_login(live_server, CLIENT)
    entity = _api(
        live_server,
        client,
        "POST",
        "/api/v1/onboarding/entity",
        json={
            "entity_type": "COMPANY",
            "legal_name": COMPANY,
            "registration_number": "HRB 987654",
            "jurisdiction": "DE",
            "address_line1": "Hafenstrasse 5",
            "city": "Hamburg",
            "postal_code": "20457",
            "country": "DE",
            "tax_id": "DE136695976",
            "incorporation_date": "2018-06-01",
        },
    )
    for kind in DOCS:
        _api(
            live_server,
            client,
            "POST",
            "/api/v1/kyc/documents/upload",
            files={"file": (f"{kind}.pdf", samples.pdf(kind), "application/pdf")},
            data={"document_type": kind},
        )
    _api(live_server, client, "POST", f"/api/v1/onboarding/entity/{entity['id']}/submit")
    for doc in _api(live_server, client, "GET", "/api/v1/kyc/documents/my-documents"):
        _api(live_server, admin, "POST", f"/api/v1/admin/kyc/documents/{doc['id']}/approve")
    _api(live_server, admin, "POST", f"/api/v1/admin/entities/{entity['id']}/approve")


def _page(browser: Any, live_server: LiveServer, email: str) -> Any:
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 860},
        accept_downloads=True,
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    sign_in(page, email)
    return page


def _funding_tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def test_deposit_hold_release_bank_account_withdrawal(
    people: None, browser: Any, live_server: LiveServer, tmp_path: Any
) -> None:
    client = _page(browser, live_server, CLIENT)
    admin = _page(browser, live_server, ADMIN)

    # -- the client announces a deposit and gets the wire instructions
    client.get_by_role("navigation", name="Main").get_by_role("link", name="Funding").click()
    expect(client).to_have_url(re.compile(r"/app/funding$"))
    expect(client.get_by_role("heading", name="Funding", exact=True)).to_be_visible()
    eur = client.get_by_role("group", name="EUR balances")
    expect(eur.get_by_test_id("EUR-available")).to_have_text("€0.00")
    look(client, "funding-60-client-funding-empty")
    client.get_by_role("button", name="Deposit funds").first.click()
    dialog = client.get_by_role("dialog", name="Deposit funds")
    dialog.get_by_label(re.compile(r"^Amount")).fill("25000.5")
    look(client, "funding-61-client-deposit-form")
    dialog.get_by_role("button", name="Continue").click()
    instructions = client.get_by_role("dialog", name="Wire instructions")
    reference = instructions.get_by_test_id("reference-code").inner_text().strip()
    assert re.fullmatch(r"NIHA-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}", reference), reference
    expect(instructions.get_by_text("NL91 ABNA 0417 1643 00")).to_be_visible()
    expect(instructions.get_by_role("button", name="Copy payment reference")).to_be_visible()
    look(client, "funding-62-client-wire-instructions")
    instructions.get_by_role("button", name="Done").click()
    deposits = client.get_by_role("table", name="Your deposits")
    row = deposits.get_by_role("row").filter(has_text=reference)
    expect(row.get_by_text("Pending", exact=True)).to_be_visible()

    # -- staff confirm the wire: the client's page shows it on hold, live
    admin.get_by_role("navigation", name="Backoffice").get_by_role("link", name="Funding").click()
    expect(admin).to_have_url(re.compile(r"/admin/funding$"))
    admin.get_by_role("button", name=f"Confirm receipt of {reference}").click()
    confirm = admin.get_by_role("dialog", name="Confirm receipt")
    expect(confirm.get_by_label(re.compile(r"^Amount received"))).to_have_value("25000.50")
    confirm.get_by_label("Payer name").fill(COMPANY)
    look(admin, "funding-63-staff-confirm-receipt")
    confirm.get_by_role("button", name="Confirm receipt").click()
    expect(confirm).to_be_hidden()
    expect(admin.get_by_text("Receipt confirmed")).to_be_visible()
    expect(row.get_by_text("On hold", exact=True)).to_be_visible()  # no reload: WebSocket
    expect(eur.get_by_test_id("EUR-on_hold")).to_have_text("€25,000.50")
    look(client, "funding-64-client-deposit-on-hold")

    # -- staff release the hold: the balance becomes available
    _funding_tab(admin, "AML holds")
    holds = admin.get_by_role("table", name="AML holds")
    hold_row = holds.get_by_role("row").filter(has_text=reference)
    expect(hold_row.get_by_text("None")).to_be_visible()  # no AML flag
    look(admin, "funding-65-staff-aml-holds")
    hold_row.get_by_role("button", name=f"Release {reference}").click()
    release = admin.get_by_role("alertdialog", name="Release the hold?")
    release.get_by_role("button", name="Release funds").click()
    expect(admin.get_by_text("Hold released")).to_be_visible()
    expect(eur.get_by_test_id("EUR-available")).to_have_text("€25,000.50")
    expect(row.get_by_text("Cleared", exact=True)).to_be_visible()
    look(client, "funding-66-client-balance-available")

    # -- the client adds a bank account; the IBAN is checked as it is typed
    _funding_tab(client, "Bank accounts")
    client.get_by_role("button", name="Add bank account").click()
    add = client.get_by_role("dialog", name="Add a bank account")
    add.get_by_label(re.compile(r"^Account holder")).fill(COMPANY)
    iban = add.get_by_label(re.compile(r"^IBAN"))
    iban.fill("DE89 3704 0044 0532 0130 01")
    expect(add.get_by_text("check digits don't match", exact=False)).to_be_visible()
    iban.fill("DE89 3704 0044 0532 0130 00")
    expect(add.get_by_text("IBAN checked")).to_be_visible()
    expect(add.get_by_label(re.compile(r"^Bank name"))).to_have_value("Commerzbank")
    expect(add.get_by_label(re.compile(r"^BIC"))).to_have_value("COBADEFFXXX")
    look(client, "funding-67-client-add-bank-account")
    add.get_by_role("button", name="Add account").click()
    expect(add).to_be_hidden()
    accounts = client.get_by_role("table", name="Your bank accounts")
    expect(accounts.get_by_text("Pending verification")).to_be_visible()

    # -- staff verify it with a proof document
    _funding_tab(admin, "Bank accounts")
    admin.get_by_role("button", name="Verify DE89 3704 0044 0532 0130 00").click()
    verify = admin.get_by_role("dialog", name="Verify bank account")
    proof = tmp_path / "bank-letter.pdf"
    proof.write_bytes(samples.pdf("Commerzbank account confirmation"))
    verify.locator("input[type=file]").set_input_files(str(proof))
    expect(verify.get_by_text("Selected: bank-letter.pdf")).to_be_visible()
    look(admin, "funding-68-staff-verify-bank-account")
    verify.get_by_role("button", name="Verify account").click()
    expect(admin.get_by_text("Bank account verified")).to_be_visible()
    expect(accounts.get_by_text("Verified", exact=True)).to_be_visible()  # live on the client
    admin.get_by_label("Status").select_option("VERIFIED")
    admin.get_by_role("button", name="View proof for DE89 3704 0044 0532 0130 00").click()
    viewer = admin.get_by_role("dialog", name="Proof of bank account")
    expect(viewer.get_by_role("link", name="Open PDF (opens in a new tab)")).to_be_visible()
    look(admin, "funding-69-staff-proof-viewer")
    viewer.get_by_role("button", name="Close").click()

    # -- the client withdraws part of the balance (review, then confirm)
    client.get_by_role("button", name="Withdraw").click()
    withdraw = client.get_by_role("dialog", name="Withdraw funds")
    withdraw.get_by_label(re.compile(r"^Amount")).fill("10000")
    look(client, "funding-70-client-withdraw-form")
    withdraw.get_by_role("button", name="Review").click()
    review = client.get_by_role("dialog", name="Confirm withdrawal")
    expect(review.get_by_text("DE89 3704 0044 0532 0130 00")).to_be_visible()
    review.get_by_role("button", name="Confirm withdrawal").click()
    expect(review).to_be_hidden()
    expect(eur.get_by_test_id("EUR-available")).to_have_text("€15,000.50")
    expect(eur.get_by_test_id("EUR-reserved")).to_have_text("€10,000.00")
    _funding_tab(client, "Withdrawals")
    withdrawals = client.get_by_role("table", name="Your withdrawals")
    expect(withdrawals.get_by_text("Pending", exact=True)).to_be_visible()

    # -- one staff member approves; the same one may not complete it (four eyes)
    _funding_tab(admin, "Withdrawals")
    admin.get_by_role("button", name=f"Approve 10000.00 to {COMPANY}").click()
    admin.get_by_role("alertdialog", name="Approve withdrawal?").get_by_role(
        "button", name="Approve"
    ).click()
    expect(admin.get_by_text("Withdrawal approved")).to_be_visible()
    complete_mine = admin.get_by_role("button", name=f"Complete 10000.00 to {COMPANY}")
    expect(complete_mine).to_be_disabled()
    look(admin, "funding-71-staff-withdrawal-approved")
    expect(withdrawals.get_by_text("Processing", exact=True)).to_be_visible()

    ops = _page(browser, live_server, OPS)
    ops.goto("/admin/funding?tab=withdrawals")
    ops.get_by_role("button", name=f"Complete 10000.00 to {COMPANY}").click()
    complete = ops.get_by_role("dialog", name="Complete withdrawal")
    complete.get_by_label(re.compile(r"^Bank wire reference")).fill("SEPA-2026-000417")
    look(ops, "funding-72-staff-complete-withdrawal")
    complete.get_by_role("button", name="Mark as sent").click()
    expect(ops.get_by_text("Withdrawal completed")).to_be_visible()

    # -- the client sees it COMPLETED, the balance, and the history in the CSV export
    expect(withdrawals.get_by_text("Completed", exact=True)).to_be_visible()
    expect(eur.get_by_test_id("EUR-reserved")).to_have_text("€0.00")
    expect(eur.get_by_test_id("EUR-available")).to_have_text("€15,000.50")
    withdrawals.get_by_role("button", name=re.compile(r"^Details of the withdrawal")).click()
    details = client.get_by_role("dialog", name="Withdrawal")
    expect(details.get_by_text("SEPA-2026-000417")).to_be_visible()
    expect(
        details.get_by_role("list", name="Withdrawal progress").get_by_text("Sent", exact=True)
    ).to_be_visible()
    look(client, "funding-73-client-withdrawal-completed")
    details.get_by_role("button", name="Close").click()
    _funding_tab(client, "History")
    history = client.get_by_role("table", name="Transaction history")
    expect(history.get_by_role("row")).to_have_count(5)  # header + 4 transfers
    look(client, "funding-74-client-history")
    with client.expect_download() as download_info:
        client.get_by_role("button", name="Export CSV").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["type"] for r in rows] == ["withdrawal", "withdrawal", "hold", "deposit"]
    assert rows[0]["status"] == "COMPLETED" and rows[0]["net_change"] == "-10000.00"
    assert rows[-1]["reference"] == reference and rows[-1]["net_change"] == "25000.50"

    for p in (client, admin, ops):
        p.context.close()

    # The ledger reconciles after the journey.
    today = datetime.now(UTC).date().isoformat()
    done = live_server.niha("reconcile", "--date", today)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK" in done.stdout + done.stderr
