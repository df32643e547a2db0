"""Staff journeys: TOTP enrolment and sign-in with a code; the audit log."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import (
    api_create_staff,
    api_invite,
    api_login,
    create_admin,
    field,
    fill_sign_in,
    look,
    sign_in,
    sign_out,
    wait_for_link,
)

TOTP_ADMIN = "tariq.totp@niha.example"
AUDIT_ADMIN = "ava.audit@niha.example"


@pytest.fixture(scope="module")
def admins(live_server: LiveServer) -> None:
    create_admin(live_server, TOTP_ADMIN, "Tariq Totp")
    token = api_login(live_server, TOTP_ADMIN)
    api_create_staff(live_server, token, AUDIT_ADMIN, "Ava Audit", "admin")


def _wrong_code(secret: str) -> str:
    """A well-formed code that is valid at no step the server accepts right now."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    near = {totp.at(now + d) for d in (-60, -30, 0, 30, 60)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in near)


def test_admin_enrols_totp_then_signs_in_with_a_code(
    admins: None, page: Any, live_server: LiveServer
) -> None:
    sign_in(page, TOTP_ADMIN)
    # Staff without TOTP are told, on every page, to set it up.
    banner = page.get_by_role("status").filter(has_text="Two-factor authentication is not set up")
    expect(banner).to_be_visible()
    banner.get_by_role("link", name="Set it up now").click()
    expect(page).to_have_url(re.compile(r"/admin/security$"))
    expect(page.get_by_role("heading", name="Security", exact=True)).to_be_visible()
    look(page, "30-admin-security")

    page.get_by_role("button", name="Set up authenticator app").click()
    secret_box = page.get_by_test_id("totp-secret")
    expect(secret_box).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    look(page, "31-admin-totp-enrol")
    secret = re.sub(r"\s+", "", secret_box.inner_text())
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret

    # A wrong code is refused with a message next to the field.
    code_input = field(page, "6-digit code")
    code_input.fill(_wrong_code(secret))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("That code is not valid.", exact=False)).to_be_visible()

    code_input.fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("Two-factor authentication is on")).to_be_visible()
    expect(page.get_by_text("Your account is protected with an authenticator app.")).to_be_visible()
    look(page, "32-admin-totp-on")
    sign_out(page)

    # Email + password, then the TOTP step.
    fill_sign_in(page, TOTP_ADMIN, "Blue-Harbour-Lantern-2024")
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    code = field(page, "Authentication code")
    expect(code).to_be_focused()
    look(page, "33-login-totp-step")

    code.fill(_wrong_code(secret))
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That code is not valid.")
    look(page, "34-login-totp-wrong")

    # The code used to turn TOTP on may not be replayed: take the next 30 s step's code
    # (the server accepts one step either side of its clock).
    code.fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page).to_have_url(re.compile(r"/admin(/|$)"))
    expect(page.get_by_text("Two-factor authentication is not set up")).to_have_count(0)
    page.get_by_role("navigation", name="Backoffice").get_by_role(
        "link", name="Users", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    row = page.get_by_role("row").filter(has_text=TOTP_ADMIN)
    expect(row.get_by_role("cell", name="On", exact=True)).to_be_visible()


def test_audit_log_rows_drawer_timeline_and_export(
    admins: None, page: Any, live_server: LiveServer
) -> None:
    invitee = "ian.invited@client.example"
    token = api_login(live_server, AUDIT_ADMIN)
    api_invite(
        live_server, token, {"email": invitee, "name": "Ian Invited", "entity_role": "viewer"}
    )
    wait_for_link(live_server, invitee, "invite")

    sign_in(page, AUDIT_ADMIN)
    page.get_by_role("navigation", name="Backoffice").get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(re.compile(r"/admin/audit$"))
    table = page.get_by_role("table", name="Audit log entries")
    invited_row = (
        table.get_by_role("row").filter(has_text="user_invited").filter(has_text=AUDIT_ADMIN)
    )
    expect(invited_row).to_have_count(1)
    expect(table.get_by_role("row").filter(has_text="login_succeeded").first).to_be_visible()
    look(page, "40-admin-audit")

    # Detail drawer: who, what, before/after.
    invited_row.get_by_role("button", name=re.compile(r"Details of user_invited")).click()
    drawer = page.get_by_role("dialog", name="user_invited")
    expect(drawer).to_be_visible()
    expect(drawer).to_contain_text(AUDIT_ADMIN)
    expect(drawer.get_by_role("region", name="After")).to_contain_text(invitee)
    look(page, "41-admin-audit-drawer")

    # The resource's timeline.
    drawer.get_by_role("button", name="View history of this user").click()
    timeline = page.get_by_role("list", name="Resource history")
    expect(timeline).to_be_visible()
    expect(timeline.get_by_role("listitem")).to_have_count(1)
    expect(timeline).to_contain_text("user_invited")
    look(page, "42-admin-audit-timeline")
    page.keyboard.press("Escape")
    expect(timeline).to_be_hidden()

    # Filter by action, then export what is shown.
    field(page, "Action").fill("user_invited")
    expect(table.get_by_role("row").filter(has_text="login_succeeded")).to_have_count(0)
    expect(table.get_by_role("row").filter(has_text="user_invited")).to_have_count(1)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv"), download.suggested_filename
    path = download.path()
    assert path is not None
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))
    assert [r["action"] for r in rows] == ["user_invited"]
    assert rows[0]["actor_email"] == AUDIT_ADMIN
    assert invitee in rows[0]["after"]

    # No match: an empty state, not a blank table.
    field(page, "Action").fill("no_such_action")
    expect(page.get_by_text("No audit entries match these filters.")).to_be_visible()
    look(page, "43-admin-audit-empty")


def test_styleguide(admins: None, page: Any) -> None:
    sign_in(page, AUDIT_ADMIN)
    page.get_by_role("navigation", name="Backoffice").get_by_role("link", name="Styleguide").click()
    expect(page).to_have_url(re.compile(r"/admin/styleguide$"))
    expect(page.get_by_role("heading", name="Styleguide", exact=True)).to_be_visible()
    look(page, "44-admin-styleguide")
