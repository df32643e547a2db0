"""Clear messages when signing in or accepting an invitation goes wrong."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import (
    PASSWORD,
    api_invite,
    api_login,
    create_admin,
    create_client_user,
    fill_sign_in,
    look,
    relative,
    sign_in,
    sql,
    wait_for_link,
)

ADMIN = "eve.errors@niha.example"
WRONG = "Not-The-Right-Password-1"


@pytest.fixture(scope="module")
def admin_token(live_server: LiveServer) -> str:
    create_admin(live_server, ADMIN, "Eve Errors")
    return api_login(live_server, ADMIN)


def _submit_sign_in(page: Any, email_address: str, password: str) -> int:
    """Submit the sign-in form once and wait for the server's answer (its status)."""
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/login")) as answer:
        fill_sign_in(page, email_address, password)
    return int(answer.value.status)


def test_wrong_password_and_unknown_email_say_the_same(
    admin_token: str, page: Any, live_server: LiveServer
) -> None:
    page.goto("/login")
    # Empty form: the fields say what is missing, nothing is sent.
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("Enter your email address.")).to_be_visible()
    expect(page.get_by_text("Enter your password.")).to_be_visible()

    assert _submit_sign_in(page, ADMIN, WRONG) == 401
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Email or password is incorrect.")
    expect(page).to_have_url(re.compile(r"/login$"))
    look(page, "20-login-wrong-password")

    assert _submit_sign_in(page, "nobody-here@niha.example", WRONG) == 401
    expect(alert).to_have_text("Email or password is incorrect.")

    # After a mistake the right password still works.
    sign_in(page, ADMIN)
    expect(page.get_by_role("navigation", name="Backoffice")).to_be_visible()


def test_five_failures_lock_the_account(
    admin_token: str, page: Any, live_server: LiveServer
) -> None:
    victim = "lena.locked@client.example"
    create_client_user(live_server, admin_token, victim, "Lena Locked")

    page.goto("/login")
    for _ in range(5):
        assert _submit_sign_in(page, victim, WRONG) == 401
        expect(page.get_by_role("alert")).to_have_text("Email or password is incorrect.")
    # Locked now: even the right password is refused, with a message that says why.
    assert _submit_sign_in(page, victim, PASSWORD) == 429
    expect(page.get_by_role("alert")).to_have_text(
        "This account is locked after too many failed sign-in attempts. Try again in 15 minutes."
    )
    expect(page).to_have_url(re.compile(r"/login$"))
    look(page, "21-login-locked")


def test_expired_and_unknown_invitations(
    admin_token: str, page: Any, live_server: LiveServer
) -> None:
    invitee = "ezra.expired@client.example"
    api_invite(
        live_server,
        admin_token,
        {"email": invitee, "name": "Ezra Expired", "entity_role": "trader"},
    )
    link = wait_for_link(live_server, invitee, "invite")
    changed = sql(
        live_server,
        "UPDATE identity_invitation SET expires_at = now() - interval '1 hour' "
        "WHERE user_id = (SELECT id FROM identity_user WHERE email = %s)",
        (invitee,),
    )
    assert changed == 1

    page.goto(relative(link))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("This invitation has expired")
    expect(alert).to_contain_text("Ask your contact at Niha to send you a new one.")
    expect(page.get_by_label("Password")).to_have_count(0)
    look(page, "22-invite-expired")

    page.goto("/invite/not-a-real-token")
    expect(page.get_by_role("alert")).to_contain_text("Invitation not found")
    look(page, "23-invite-not-found")
    page.get_by_role("link", name="Go to sign in").click()
    expect(page).to_have_url(re.compile(r"/login$"))

    # A page that does not exist says so, with a way back.
    page.goto("/no-such-page")
    expect(page.get_by_role("heading")).to_contain_text(re.compile("not found", re.I))
    look(page, "24-not-found")
