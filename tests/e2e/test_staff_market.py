"""Staff watch and steer the market from the backoffice: the live book, every client's
orders with their names, halt and resume with a reason, cancel on a client's behalf —
each action in the audit log."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveServer, shot
from tests.e2e.helpers import api_login, look, sign_in

DEMO_PASSWORD = "Niha-demo-2026!"
OPERATIONS = "operations@niha.example"
COMPLIANCE = "compliance@niha.example"
ADMIN = "admin@niha.example"
CLIENT = "ben@rhinechem.example"
CLIENT_NAME = "Rhine Chemicals GmbH"
HALT_REASON = "Union Registry outage, deliveries cannot be booked"
RESUME_REASON = "Registry back online"
CANCEL_REASON = "Client phoned: fat-finger price"


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> None:
    done = live_server.niha("seed-demo")
    assert done.returncode == 0, done.stderr or done.stdout


def _api(server: LiveServer, token: str, method: str, path: str, **kw: Any) -> httpx.Response:
    return httpx.request(
        method,
        server.url + path,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
        **kw,
    )


def _cents(price: str) -> int:
    return int(price.replace(".", ""))


def _price(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _open_market(browser: Any, server: LiveServer, who: str, width: int, height: int) -> Any:
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, who, DEMO_PASSWORD)
    return page


def _confirm_reason(page: Any, dialog_name: str, reason: str, button: str) -> None:
    dialog = page.get_by_role("alertdialog", name=dialog_name)
    expect(dialog).to_be_visible()
    # The reason is required: the confirm button says so instead of sending an empty one.
    dialog.get_by_role("button", name=button, exact=True).click()
    expect(dialog.get_by_text("Give a reason of at least 3 characters.")).to_be_visible()
    dialog.get_by_label(re.compile(r"^Reason")).fill(reason)
    dialog.get_by_role("button", name=button, exact=True).click()
    expect(dialog).to_be_hidden()


def test_staff_halt_resume_and_cancel_on_behalf(
    seeded: None, browser: Any, live_server: LiveServer
) -> None:
    client_token = api_login(live_server, CLIENT, DEMO_PASSWORD)
    page = _open_market(browser, live_server, OPERATIONS, 1280, 900)
    nav = page.get_by_role("navigation", name="Backoffice")
    nav.get_by_role("link", name="Market", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/market$"))
    expect(page.get_by_role("heading", name="Market", exact=True)).to_be_visible()
    expect(page.get_by_role("tab", name="EUA-EUR")).to_have_attribute("aria-selected", "true")
    page.get_by_test_id("book-asks").locator("tr").first.wait_for()
    page.get_by_test_id("book-bids").locator("tr").first.wait_for()
    orders = page.get_by_role("table", name="Open orders on EUA-EUR")
    expect(orders.get_by_role("row").nth(1)).to_be_visible()

    # A client bids inside the spread: the staff ladder and the orders table follow, live.
    book = httpx.get(live_server.url + "/api/v1/market/EUA-EUR/book", timeout=10).json()
    best_bid, best_ask = _cents(book["bids"][0]["price"]), _cents(book["asks"][0]["price"])
    assert best_ask - best_bid > 1
    bid = _price(best_bid + 1)
    placed = _api(
        live_server, client_token, "POST", "/api/v1/orders/place",
        json={"certificate_type": "EUA", "order_type": "BUY", "quantity": 3, "price": bid},
    )  # fmt: skip
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    page.get_by_test_id("book-bids").get_by_text(bid, exact=True).wait_for()
    client_row = orders.get_by_role("row").filter(has_text=CLIENT_NAME).filter(has_text=bid)
    expect(client_row).to_have_count(1)
    trades = page.get_by_role("table", name="Trades on EUA-EUR")
    expect(trades.get_by_role("row").nth(1)).to_be_visible()
    look(page, "staff-market-1280")

    # Halt, with a reason behind a confirmation; the client's next order is refused.
    page.get_by_role("button", name="Halt trading").click()
    _confirm_reason(page, "Halt trading on EUA-EUR?", HALT_REASON, "Halt trading")
    status = page.get_by_test_id("instrument-status")
    expect(status).to_have_text("Halted")
    expect(page.get_by_text(HALT_REASON)).to_be_visible()
    expect(page.get_by_role("tab", name=re.compile(r"EUA-EUR"))).to_contain_text("Halted")
    refused = _api(
        live_server, client_token, "POST", "/api/v1/orders/place",
        json={"certificate_type": "EUA", "order_type": "BUY", "quantity": 1, "price": bid},
    )  # fmt: skip
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "market_halted"
    look(page, "staff-market-halted")

    page.get_by_role("button", name="Resume trading").click()
    _confirm_reason(page, "Resume trading on EUA-EUR?", RESUME_REASON, "Resume trading")
    expect(status).to_have_text("Open")
    expect(page.get_by_role("button", name="Halt trading")).to_be_visible()

    # Cancel the client's order on its behalf, with a reason.
    client_row.get_by_role("button", name=re.compile(r"^Cancel order:")).click()
    dialog = page.get_by_role("alertdialog", name="Cancel order on behalf of the client")
    expect(dialog).to_contain_text(CLIENT_NAME)
    shot(page, "staff-market-cancel-dialog")
    _confirm_reason(page, "Cancel order on behalf of the client", CANCEL_REASON, "Cancel order")
    expect(page.get_by_text("Order cancelled")).to_be_visible()
    expect(client_row).to_have_count(0)
    page.get_by_test_id("book-bids").get_by_text(bid, exact=True).wait_for(state="detached")
    mine = _api(live_server, client_token, "GET", f"/api/v1/orders/{order_id}").json()
    assert (mine["status"], mine["reason"], mine["reason_detail"]) == (
        "CANCELLED", "cancelled_by_staff", CANCEL_REASON)  # fmt: skip

    # The audit log has all three, by the operations user.
    admin_token = api_login(live_server, ADMIN, DEMO_PASSWORD)
    inst_log = _api(
        live_server, admin_token, "GET", "/api/v1/admin/audit-logs/exchange_instrument/EUA-EUR"
    ).json()["items"]
    changes = [
        (e["action"], e["actor_email"], e["after"]["status"], e["after"]["status_reason"])
        for e in inst_log
    ]
    assert ("exchange.instrument.update", OPERATIONS, "HALTED", HALT_REASON) in changes
    assert ("exchange.instrument.update", OPERATIONS, "OPEN", RESUME_REASON) in changes
    order_log = _api(
        live_server, admin_token, "GET", f"/api/v1/admin/audit-logs/exchange_order/{order_id}"
    ).json()["items"]
    assert [(e["action"], e["actor_email"], e["after"]["reason"]) for e in order_log] == [
        ("exchange.order.cancel", OPERATIONS, CANCEL_REASON)
    ]
    page.context.close()

    # An admin sees the same entries on the audit log page.
    audit = _open_market(browser, live_server, ADMIN, 1280, 900)
    audit.goto("/admin/audit")
    table = audit.get_by_role("table", name="Audit log entries")
    expect(table.get_by_role("row").filter(has_text="exchange.order.cancel")).to_have_count(1)
    expect(table.get_by_role("row").filter(has_text="exchange.instrument.update")).to_have_count(2)
    audit.context.close()


def test_staff_market_on_a_phone_and_read_only_for_compliance(
    seeded: None, browser: Any, live_server: LiveServer
) -> None:
    page = _open_market(browser, live_server, OPERATIONS, 375, 812)
    page.get_by_role("button", name="Open menu").click()
    page.get_by_role("navigation", name="Backoffice").get_by_role("link", name="Market").click()
    expect(page.get_by_role("heading", name="Market", exact=True)).to_be_visible()
    page.get_by_test_id("book-asks").locator("tr").first.wait_for()
    for name in ("Open orders on EUA-EUR", "Trades on EUA-EUR"):
        expect(page.get_by_role("table", name=name).get_by_role("row").nth(1)).to_be_visible()
    look(page, "staff-market-375")
    page.get_by_role("tab", name="CEA-EUR").click()
    expect(page).to_have_url(re.compile(r"/admin/market\?instrument=CEA-EUR$"))
    page.get_by_test_id("book-asks").locator("tr").first.wait_for()
    expect(page.get_by_role("table", name="Open orders on CEA-EUR")).to_be_visible()
    shot(page, "staff-market-375-cea")
    page.context.close()

    # Compliance holds market:read only: everything visible, nothing to press.
    ro = _open_market(browser, live_server, COMPLIANCE, 1280, 900)
    ro.goto("/admin/market")
    orders = ro.get_by_role("table", name="Open orders on EUA-EUR")
    expect(orders.get_by_role("row").nth(1)).to_be_visible()
    expect(ro.get_by_role("button", name="Halt trading")).to_have_count(0)
    expect(orders.get_by_role("button", name=re.compile(r"^Cancel order"))).to_have_count(0)
    expect(ro.get_by_role("heading", name="Instrument rules")).to_be_visible()
    look(ro, "staff-market-compliance")
    ro.context.close()
