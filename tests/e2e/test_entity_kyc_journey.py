"""Journey: a prospect asks for access, becomes a client, sets up the entity and passes KYC.

contact form -> staff invites -> the user accepts -> entity wizard -> KYC uploads -> compliance
rejects one document with a reason -> the user re-uploads -> compliance approves the documents
and the entity -> the client sees APPROVED. Every page is screenshotted and checked with axe.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import (
    PASSWORD,
    api_create_staff,
    api_login,
    create_admin,
    field,
    look,
    relative,
    sign_in,
    wait_for_link,
)
from tests.kyc import samples

ADMIN = "sam.super@niha.example"
COMPLIANCE = "carla.compliance@niha.example"
CLIENT = "mei.chen@green-energy.example"
COMPANY = "Green Energy Trading GmbH"
DOCS = {
    # label on the page -> (file name, bytes, mime type)
    "Company registration extract": (
        "handelsregister.pdf",
        samples.pdf("HRB 123456"),
        "application/pdf",
    ),
    "Articles of association": ("articles.pdf", samples.pdf("Articles"), "application/pdf"),
    "Shareholder register": ("shareholders.pdf", samples.pdf("Shareholders"), "application/pdf"),
    "UBO declaration": ("ubo.pdf", samples.pdf("UBO"), "application/pdf"),
    "Passport": ("passport.png", samples.png(360, 240, (120, 90, 60)), "image/png"),
}
REJECTION = "The photo page is cut off; please upload a scan showing all four corners."


@pytest.fixture(scope="module")
def staff(live_server: LiveServer) -> None:
    create_admin(live_server, ADMIN, "Sam Super")
    api_create_staff(
        live_server, api_login(live_server, ADMIN), COMPLIANCE, "Carla Compliance", "compliance"
    )


def _context(browser: Any, live_server: LiveServer) -> Any:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    context.set_default_timeout(15000)
    return context


def _slot(page: Any, label: str) -> Any:
    return (
        page.get_by_role("list", name="Required documents")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("heading", name=label, exact=True))
    )


def _upload(page: Any, label: str) -> None:
    name, data, mime = DOCS[label]
    slot = _slot(page, label)
    slot.get_by_label(re.compile(rf"Upload (a new )?{re.escape(label.lower())}")).set_input_files(
        {"name": name, "mimeType": mime, "buffer": data}
    )
    expect(slot.get_by_text(name)).to_be_visible()
    slot.get_by_role("button", name=re.compile(r"^Upload ")).click()
    expect(slot.get_by_text("Pending", exact=True).first).to_be_visible()


def test_prospect_to_approved_client(
    staff: None, browser: Any, page: Any, live_server: LiveServer
) -> None:
    guest = _context(browser, live_server)
    client = _context(browser, live_server)
    reviewer = _context(browser, live_server)
    try:
        # 1. A prospect finds the landing page and asks for access.
        g = guest.new_page()
        g.goto("/")
        expect(g.get_by_role("heading", level=1)).to_contain_text(
            "EU and China emission allowances"
        )
        look(g, "kyc-01-landing")
        form = g.get_by_role("form", name="Request access")
        field(form, "Full name").fill("Mei Chen")
        field(form, "Work email").fill(CLIENT)
        field(form, "Company").fill(COMPANY)
        field(form, "Country").select_option("DE")
        field(form, "I am interested in").select_option("EUA_AND_CEA")
        field(form, "Message").fill("We buy CEA for our Chinese plants and want to swap into EUA.")
        form.get_by_role("button", name="Request access").click()
        expect(g.get_by_text("Thank you — we have your request")).to_be_visible()
        look(g, "kyc-02-contact-sent")

        # 2. Staff see the request and invite the prospect as the owner of a new entity.
        sign_in(page, ADMIN)
        page.get_by_role("navigation", name="Backoffice").get_by_role(
            "link", name="Contact requests"
        ).click()
        expect(page.get_by_role("heading", name="Contact requests")).to_be_visible()
        row = page.get_by_role("row").filter(has_text=CLIENT)
        expect(row).to_be_visible()
        look(page, "kyc-03-contact-requests")
        row.get_by_role("button", name=re.compile(COMPANY)).click()
        drawer = page.get_by_role("dialog", name=COMPANY)
        expect(drawer.get_by_text("swap into EUA")).to_be_visible()
        drawer.get_by_role("button", name="Invite", exact=True).click()
        look(page, "kyc-04-contact-invite")
        drawer.get_by_role("button", name="Send invitation").click()
        expect(page.get_by_text(f"Invitation sent to {CLIENT}")).to_be_visible()
        expect(drawer.get_by_text("Converted")).to_be_visible()

        # 3. The prospect accepts the invitation and signs in.
        link = wait_for_link(live_server, CLIENT, "invite")
        c = client.new_page()
        c.goto(relative(link))
        expect(field(c, "Full name")).to_have_value("Mei Chen")
        field(c, "Password").fill(PASSWORD)
        field(c, "Confirm password").fill(PASSWORD)
        c.get_by_role("button", name="Create account").click()
        expect(c.get_by_role("heading", name="You're all set")).to_be_visible()
        c.goto("/login")
        sign_in(c, CLIENT)
        expect(c.get_by_text("Verify your organisation")).to_be_visible()
        look(c, "kyc-05-client-home-banner")
        c.get_by_role("link", name="Go to onboarding").click()

        # 4. The entity wizard: type, legal details, address, review (a draft at each step).
        expect(c.get_by_role("heading", name="Onboarding")).to_be_visible()
        look(c, "kyc-06-wizard-type")
        c.get_by_role("radio", name=re.compile("Company")).check()
        c.get_by_role("button", name="Save and continue").click()
        expect(c.get_by_role("heading", name="Legal details")).to_be_visible()
        field(c, "Registered company name").fill(COMPANY)
        field(c, "Company registration number").fill("HRB 123456 B")
        field(c, "Jurisdiction of incorporation").select_option("DE")
        field(c, "Date of incorporation").fill("2015-03-01")
        field(c, "VAT or tax number").fill("DE136695977")  # a wrong check digit first
        c.get_by_role("button", name="Save and continue").click()
        expect(c.get_by_text(re.compile("Not a valid EU VAT number"))).to_be_visible()
        look(c, "kyc-07-wizard-legal-error")
        field(c, "VAT or tax number").fill("DE136695976")
        c.get_by_role("button", name="Save and continue").click()
        expect(c.get_by_role("heading", name="Address & contact")).to_be_visible()
        field(c, "Registered address").fill("Friedrichstrasse 100")
        field(c, "City").fill("Berlin")
        field(c, "Postal code").fill("10117")
        field(c, "Country").select_option("DE")
        field(c, "Website").fill("green-energy.example")
        look(c, "kyc-08-wizard-address")
        c.get_by_role("button", name="Save and continue").click()
        expect(c.get_by_role("heading", name="Review & submit")).to_be_visible()
        expect(c.get_by_text("https://green-energy.example")).to_be_visible()
        look(c, "kyc-09-wizard-review")

        # Submitting before the documents are there lists what is missing.
        c.get_by_role("button", name="Submit for review").click()
        expect(c.get_by_text("Your application is not complete yet")).to_be_visible()
        expect(c.get_by_text("UBO declaration (document)")).to_be_visible()

        # 5. KYC uploads, one per required document.
        c.get_by_role("button", name="Upload documents").click()
        expect(c).to_have_url(re.compile(r"/app/onboarding\?tab=documents$"))
        look(c, "kyc-10-documents-empty")
        for label in DOCS:
            _upload(c, label)
        look(c, "kyc-11-documents-uploaded")
        c.get_by_role("tab", name="Organisation").click()
        c.get_by_role("button", name="Submit for review").click()
        expect(
            c.get_by_text("Our compliance team is reviewing your application.").first
        ).to_be_visible()
        look(c, "kyc-12-submitted")

        # 6. Compliance rejects the passport with a reason.
        r = reviewer.new_page()
        r.goto("/login")
        sign_in(r, COMPLIANCE)
        r.get_by_role("navigation", name="Backoffice").get_by_role(
            "link", name="KYC documents"
        ).click()
        queue = r.get_by_role("table", name="KYC documents")
        expect(queue.get_by_role("row").filter(has_text=COMPANY)).to_have_count(5)
        look(r, "kyc-13-review-queue")
        r.get_by_role("button", name="View Passport passport.png").click()
        viewer = r.get_by_role("dialog", name="Passport")
        expect(viewer.get_by_role("img", name=re.compile("passport.png"))).to_be_visible()
        look(r, "kyc-14-document-viewer")
        viewer.get_by_role("button", name="Reject Passport passport.png").click()
        reject = r.get_by_role("dialog", name="Reject document")
        field(reject, "Reason (shown to the client)").fill(REJECTION)
        reject.get_by_role("button", name="Reject document").click()
        expect(r.get_by_text("Passport rejected")).to_be_visible()

        # 7. The client sees why and uploads a new passport.
        c.reload()
        expect(c.get_by_text(REJECTION).first).to_be_visible()
        c.get_by_role("tab", name=re.compile("Documents")).click()
        slot = _slot(c, "Passport")
        expect(slot.get_by_role("alert")).to_contain_text(REJECTION)
        look(c, "kyc-15-client-rejected")
        DOCS["Passport"] = ("passport-full.png", samples.png(360, 240, (60, 90, 120)), "image/png")
        _upload(c, "Passport")
        expect(
            c.get_by_role("complementary", name="Verification").get_by_text("Submitted")
        ).to_be_visible()

        # 8. Compliance approves every document, then the entity.
        r.get_by_role("navigation", name="Backoffice").get_by_role("link", name="Entities").click()
        r.get_by_role("button", name=re.compile(COMPANY)).click()
        expect(r.get_by_role("heading", name=re.compile(COMPANY))).to_be_visible()
        look(r, "kyc-16-entity-review")
        approve = r.get_by_role("button", name=re.compile(r"^Approve (?!entity)"))
        for left in range(approve.count(), 0, -1):
            approve.first.click()
            expect(approve).to_have_count(left - 1)
        r.get_by_role("button", name="Approve entity").click()
        r.get_by_role("dialog", name="Approve entity").get_by_role(
            "button", name="Approve entity"
        ).click()
        expect(r.get_by_text("Entity approved").first).to_be_visible()
        history = r.get_by_role("list", name="Entity history")
        expect(history).to_contain_text("Document rejected")
        expect(history).to_contain_text(REJECTION)
        look(r, "kyc-17-entity-approved")

        # 9. The client is approved.
        c.reload()
        panel = c.get_by_role("complementary", name="Verification")
        expect(panel.get_by_text("Approved", exact=True).first).to_be_visible()
        expect(panel.get_by_text("5 of 5")).to_be_visible()
        expect(c.get_by_text("Your organisation is verified")).to_be_visible()
        look(c, "kyc-18-client-approved")
        c.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
        expect(c.get_by_role("heading", name="Welcome, Mei")).to_be_visible()
        expect(c.get_by_text("Verify your organisation")).to_have_count(0)
    finally:
        guest.close()
        client.close()
        reviewer.close()
