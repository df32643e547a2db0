"""Journeys: an admin invites a client user who sets up the account; small screens; password reset."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import (
    PASSWORD,
    api_login,
    create_admin,
    create_client_user,
    field,
    fill_sign_in,
    look,
    relative,
    sign_in,
    sign_out,
    wait_for_link,
)

ADMIN = "ada.admin@niha.example"
MOBILE = {"width": 375, "height": 740}


@pytest.fixture(scope="module")
def admin(live_server: LiveServer) -> str:
    create_admin(live_server, ADMIN, "Ada Lovelace")
    return ADMIN


def test_admin_invites_a_client_who_sets_up_the_account(
    admin: str, browser: Any, page: Any, live_server: LiveServer
) -> None:
    client_email = "olivia.owner@client.example"

    # The admin signs in and lands in the backoffice.
    page.goto("/login")
    page.get_by_role("heading", name="Sign in to Niha").wait_for()
    look(page, "01-login")
    sign_in(page, admin)
    expect(page).to_have_url(re.compile(r"/admin(/|$)"))
    nav = page.get_by_role("navigation", name="Backoffice")
    nav.get_by_role("link", name="Users", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile(admin))).to_be_visible()
    look(page, "02-admin-users")

    # Users -> Invite user: a client user, owner of their organisation.
    page.get_by_role("button", name="Invite user").click()
    dialog = page.get_by_role("dialog", name="Invite a user")
    expect(dialog).to_be_visible()
    field(dialog, "Email").fill(client_email)
    field(dialog, "Full name").fill("Olivia Owner")
    dialog.get_by_text("Client user", exact=True).click()
    field(dialog, "Entity role").select_option("owner")
    look(page, "03-admin-invite-modal")
    dialog.get_by_role("button", name="Send invitation").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("Invitation sent")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=client_email)
    expect(row).to_be_visible()
    expect(row.get_by_role("cell", name="Invited", exact=True)).to_be_visible()
    look(page, "04-admin-users-invited")

    # The invited user opens the link from the email, in a browser of their own.
    link = wait_for_link(live_server, client_email, "invite")
    assert link.startswith(live_server.url + "/invite/")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 860})
    try:
        guest = context.new_page()
        guest.set_default_timeout(15000)
        guest.goto(relative(link))
        guest.get_by_role("heading", name="Accept your invitation").wait_for()
        expect(guest.get_by_text(client_email).first).to_be_visible()
        expect(field(guest, "Full name")).to_have_value("Olivia Owner")
        look(guest, "05-invite-accept")

        # A password the policy refuses is explained before anything is sent.
        field(guest, "Full name").fill("Olivia Oyelaran-Owner")
        field(guest, "Password").fill("short")
        field(guest, "Confirm password").fill("short")
        guest.get_by_role("button", name="Create account").click()
        expect(guest.get_by_text(re.compile("at least 12 characters"))).to_be_visible()

        field(guest, "Password").fill(PASSWORD)
        field(guest, "Confirm password").fill(PASSWORD)
        guest.get_by_role("button", name="Create account").click()
        expect(guest.get_by_role("heading", name="You're all set")).to_be_visible()
        look(guest, "06-invite-accepted")

        # The link works once.
        guest.goto(relative(link))
        expect(guest.get_by_text("This invitation has already been used")).to_be_visible()

        guest.goto("/login")
        sign_in(guest, client_email)
        expect(guest).to_have_url(re.compile(r"/app$"))
        nav = guest.get_by_role("navigation", name="Main")
        expect(nav).to_be_visible()
        expect(nav.get_by_role("link", name="Account")).to_be_visible()
        expect(guest.get_by_role("heading", name="Welcome, Olivia")).to_be_visible()
        expect(guest.get_by_text("Owner", exact=True)).to_be_visible()
        # No backoffice for a client: /admin sends them home.
        guest.goto("/admin/users")
        expect(guest).to_have_url(re.compile(r"/app$"))
        look(guest, "07-client-account")

        nav.get_by_role("link", name="Security").click()
        expect(guest.get_by_role("heading", name="Security", exact=True)).to_be_visible()
        look(guest, "08-client-security")

        sign_out(guest)
        # Signed out for real: the app shell is gone and a reload does not bring it back.
        guest.goto("/app")
        expect(guest).to_have_url(re.compile(r"/login"))
    finally:
        context.close()

    # The backoffice sees the user active now.
    page.reload()
    row = page.get_by_role("row").filter(has_text=client_email)
    expect(row.get_by_role("cell", name="Active", exact=True)).to_be_visible()


def test_small_screens(admin: str, browser: Any, live_server: LiveServer) -> None:
    client_email = "mobile.trader@client.example"
    create_client_user(
        live_server, api_login(live_server, admin), client_email, "Mo Bile", "trader"
    )

    context = browser.new_context(
        base_url=live_server.url, viewport=MOBILE, is_mobile=True, has_touch=True
    )
    try:
        pg = context.new_page()
        pg.set_default_timeout(15000)
        pg.goto("/login")
        pg.get_by_role("heading", name="Sign in to Niha").wait_for()
        look(pg, "50-mobile-login")

        # Client shell: the top navigation folds into a menu button.
        sign_in(pg, client_email)
        expect(pg.get_by_role("heading", name="Welcome, Mo")).to_be_visible()
        menu = pg.get_by_role("button", name="Open menu")
        expect(menu).to_be_visible()
        expect(pg.get_by_role("link", name="Security")).to_have_count(0)
        _no_horizontal_scroll(pg)
        look(pg, "51-mobile-client-account")
        menu.click()
        expect(pg.get_by_role("button", name="Close menu")).to_be_visible()
        look(pg, "52-mobile-client-menu")
        pg.get_by_role("link", name="Security").click()
        expect(pg).to_have_url(re.compile(r"/app/security$"))
        expect(pg.get_by_role("heading", name="Security", exact=True)).to_be_visible()
        expect(pg.get_by_role("button", name="Close menu")).to_have_count(0)
        _no_horizontal_scroll(pg)
        look(pg, "53-mobile-client-security")
        pg.get_by_role("button", name="Open menu").click()
        sign_out(pg)

        # Backoffice: the sidebar becomes a drawer behind the menu button.
        sign_in(pg, admin)
        expect(pg.get_by_role("navigation", name="Backoffice")).to_have_count(0)
        pg.get_by_role("button", name="Open menu").click()
        drawer_nav = pg.get_by_role("navigation", name="Backoffice")
        expect(drawer_nav).to_be_visible()
        look(pg, "54-mobile-admin-menu")
        drawer_nav.get_by_role("link", name="Users", exact=True).click()
        expect(pg.get_by_role("heading", name="Users", exact=True)).to_be_visible()
        expect(pg.get_by_role("navigation", name="Backoffice")).to_have_count(0)
        _no_horizontal_scroll(pg)
        look(pg, "55-mobile-admin-users")
        pg.get_by_role("button", name="Open menu").click()
        drawer_nav.get_by_role("link", name="Audit log").click()
        expect(pg).to_have_url(re.compile(r"/admin/audit$"))
        expect(pg.get_by_role("heading", name="Audit log")).to_be_visible()
        expect(pg.get_by_role("navigation", name="Backoffice")).to_have_count(0)
        _no_horizontal_scroll(pg)
        look(pg, "56-mobile-admin-audit")
        pg.get_by_role("button", name="Open menu").click()
        sign_out(pg)
    finally:
        context.close()


def _no_horizontal_scroll(pg: Any) -> None:
    # clientWidth stays the screen's width; a mobile browser widens innerWidth to fit the content.
    pg.wait_for_load_state("networkidle")
    overflow = pg.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page is {overflow}px wider than the 375px screen on {pg.url}"


def test_password_reset(admin: str, page: Any, live_server: LiveServer) -> None:
    client_email = "rita.reset@client.example"
    new_password = "Quiet-Meadow-Compass-77"
    create_client_user(
        live_server, api_login(live_server, admin), client_email, "Rita Reset", "viewer"
    )

    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page).to_have_url(re.compile(r"/forgot-password$"))
    page.get_by_role("heading", name="Reset your password").wait_for()
    look(page, "60-forgot-password")
    field(page, "Email").fill(client_email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_text("Check your email")).to_be_visible()
    look(page, "61-forgot-password-sent")

    link = wait_for_link(live_server, client_email, "reset-password")
    page.goto(relative(link))
    page.get_by_role("heading", name="Choose a new password").wait_for()
    look(page, "62-reset-password")
    field(page, "New password").fill(new_password)
    field(page, "Confirm new password").fill(new_password + "x")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("The passwords don't match.")).to_be_visible()
    field(page, "Confirm new password").fill(new_password)
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("Password changed")).to_be_visible()
    look(page, "63-reset-password-done")

    # The old password is gone, the new one works; the link works once.
    page.get_by_role("link", name="Sign in", exact=True).click()
    fill_sign_in(page, client_email, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Email or password is incorrect.")
    sign_in(page, client_email, new_password)
    expect(page.get_by_role("heading", name="Welcome, Rita")).to_be_visible()
    sign_out(page)

    page.goto(relative(link))
    field(page, "New password").fill("Another-Fresh-Secret-88")
    field(page, "Confirm new password").fill("Another-Fresh-Secret-88")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("This reset link can't be used")).to_be_visible()
    look(page, "64-reset-password-used")
