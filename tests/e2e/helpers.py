"""Steps shared by the browser journeys: sign in, read the outbox, look at a page."""

from __future__ import annotations

import email
import re
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.e2e.conftest import LiveServer, check_a11y, shot

PASSWORD = "Blue-Harbour-Lantern-2024"
EMAIL_WAIT_SECONDS = 20.0


def look(page: Any, name: str) -> None:
    """Every page visited: a screenshot for the eye, and axe-core for serious problems."""
    page.wait_for_load_state("networkidle")
    shot(page, name)
    check_a11y(page, name)


def create_admin(server: LiveServer, email_address: str, name: str = "Ada Admin") -> None:
    done = server.niha(
        "create-admin", "--email", email_address, "--password", PASSWORD, "--name", name
    )
    assert done.returncode == 0, done.stderr or done.stdout


def field(scope: Any, label: str) -> Any:
    """The input labelled ``label`` (required fields show a ``*`` after the label text)."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}\s*\*?$"))


def fill_sign_in(page: Any, email_address: str, password: str) -> None:
    if not page.url.endswith("/login") and "/login?" not in page.url:
        page.goto("/login")
    field(page, "Email").fill(email_address)
    field(page, "Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def sign_in(page: Any, email_address: str, password: str = PASSWORD) -> None:
    """Sign in and wait until the app has left the sign-in page."""
    fill_sign_in(page, email_address, password)
    page.wait_for_url(re.compile(r".*/(app|admin)(/.*)?$"))


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_url(re.compile(r".*/login$"))
    page.get_by_role("heading", name="Sign in to Niha").wait_for()


# --------------------------------------------------------------------------- outbox


def _read(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, "email without a text part"
    return str(body.get_content())


def wait_for_link(server: LiveServer, to: str, path: str, *, seen: set[str] | None = None) -> str:
    """The ``/<path>/<token>`` link in the newest email to ``to`` not in ``seen``.

    Email goes out through the delivery job that runs inside ``niha serve``: poll the
    outbox until it shows up.
    """
    pattern = re.compile(rf"https?://\S+/{re.escape(path)}/[A-Za-z0-9_\-]+")
    deadline = time.monotonic() + EMAIL_WAIT_SECONDS
    while True:
        for eml in reversed(server.outbox()):  # newest first (timestamped names)
            if seen is not None and eml.name in seen:
                continue
            message = _read(eml)
            if to.lower() not in str(message["To"]).lower():
                continue
            found = pattern.search(_text(message))
            if found:
                if seen is not None:
                    seen.add(eml.name)
                return found.group(0)
        if time.monotonic() > deadline:
            names = [p.name for p in server.outbox()]
            raise AssertionError(f"no email to {to} with a /{path}/ link in the outbox: {names}")
        time.sleep(0.2)


def relative(link: str) -> str:
    """``http://host:port/invite/abc`` -> ``/invite/abc`` (the page's base_url is the server)."""
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


# --------------------------------------------------------------------------- API shortcuts


def api_login(server: LiveServer, email_address: str, password: str = PASSWORD) -> str:
    reply = httpx.post(
        server.url + "/api/v1/auth/login",
        json={"email": email_address, "password": password},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


def api_invite(server: LiveServer, token: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = httpx.post(
        server.url + "/api/v1/admin/users/invite",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert reply.status_code == 201, reply.text
    data: dict[str, Any] = reply.json()
    return data


def api_create_staff(
    server: LiveServer, token: str, email_address: str, name: str, role: str
) -> None:
    """A staff user with a password, made by a super admin through the API (no CLI start-up)."""
    reply = httpx.post(
        server.url + "/api/v1/admin/users",
        json={"email": email_address, "name": name, "role": role, "password": PASSWORD},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert reply.status_code == 201, reply.text


def create_client_user(
    server: LiveServer, admin_token: str, email_address: str, name: str, entity_role: str = "owner"
) -> None:
    """An active client user, set up through the API (invite + accept) for journeys that need one."""
    api_invite(
        server, admin_token, {"email": email_address, "name": name, "entity_role": entity_role}
    )
    token = relative(wait_for_link(server, email_address, "invite")).rsplit("/", 1)[1]
    reply = httpx.post(
        server.url + f"/api/v1/auth/invitations/{token}/accept",
        json={"password": PASSWORD, "name": name},
        timeout=10,
    )
    assert reply.status_code == 200, reply.text


def sql(server: LiveServer, statement: str, params: tuple[Any, ...] = ()) -> int:
    with psycopg.connect(server.database_url, autocommit=True) as conn:
        cur = conn.execute(statement, params)
        return cur.rowcount
