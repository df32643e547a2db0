"""Two clients trade through the trading page; both see the trade, balances and book live."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import look, sign_in

DEMO_PASSWORD = "Niha-demo-2026!"
SELLER = "anna@nordicsteel.example"
BUYER = "ben@rhinechem.example"


def _open_trading(browser: Any, server: LiveServer, who: str) -> Any:
    context = browser.new_context(base_url=server.url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, who, DEMO_PASSWORD)
    page.goto("/app/trade/EUA-EUR")
    page.get_by_role("heading", name="Order book").wait_for()
    page.get_by_test_id("book-asks").locator("tr").first.wait_for()
    return page


def _place(page: Any, side: str, price: str, quantity: int) -> None:
    panel = page.get_by_role("region", name="Place an order")
    panel.get_by_role("button", name=side, exact=True).click()
    panel.get_by_label("Price (EUR)").fill(price)
    panel.get_by_label(re.compile(r"^Quantity")).fill(str(quantity))
    panel.get_by_role("button", name=re.compile(rf"Preview {side.lower()} order")).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name=f"Place {side.lower()} order").click()
    dialog.wait_for(state="hidden")


def test_two_clients_trade_live(browser: Any, live_server: LiveServer) -> None:
    seeded = live_server.niha("seed-demo")
    assert seeded.returncode == 0, seeded.stderr or seeded.stdout
    book = httpx.get(live_server.url + "/api/v1/market/EUA-EUR/book", timeout=10).json()
    best_ask = int(book["asks"][0]["price"].replace(".", ""))
    best_bid = int(book["bids"][0]["price"].replace(".", ""))
    cents = best_ask - 1  # the new best ask, inside the spread: it rests
    assert cents > best_bid
    price = f"{cents // 100}.{cents % 100:02d}"

    seller = _open_trading(browser, live_server, SELLER)
    buyer = _open_trading(browser, live_server, BUYER)
    before = buyer.get_by_test_id("available-balance").inner_text()

    _place(seller, "Sell", price, 7)
    seller.get_by_text(re.compile(r"Sell 7 EUA placed")).wait_for()
    # The buyer's ladder shows the new best ask without a reload.
    buyer.get_by_test_id("book-asks").get_by_text(price, exact=True).wait_for()
    look(buyer, "trading-buyer-before")

    _place(buyer, "Buy", price, 7)
    buyer.get_by_text(re.compile(r"Buy 7 EUA filled")).wait_for()
    # Both see the trade on the tape and the level gone from the book, live.
    for page in (seller, buyer):
        page.get_by_test_id("recent-trades").get_by_text(price, exact=True).first.wait_for()
        page.get_by_test_id("book-asks").get_by_text(price, exact=True).wait_for(state="detached")
        page.get_by_test_id("last-price").get_by_text(price).wait_for()
    seller.get_by_text(re.compile(r"Sold 7 EUA")).first.wait_for()
    buyer.wait_for_function(
        "before => document.querySelector('[data-testid=available-balance]').innerText !== before",
        arg=before,
    )
    look(seller, "trading-seller-after")
    look(buyer, "trading-buyer-after")
    buyer.goto("/app/marketplace")
    buyer.get_by_role("heading", name="Marketplace").wait_for()
    look(buyer, "marketplace")

    # "Buy now" from the marketplace: IOC at the best ask, after its confirmation.
    buyer.get_by_role("button", name=re.compile(r"EU Allowance \(EUA\)")).click()
    detail = buyer.get_by_role("dialog", name="EU Allowance (EUA)")
    detail.get_by_label(re.compile(r"^Quantity")).fill("1")
    detail.get_by_role("button", name=re.compile(r"^Buy now at")).click()
    confirm = buyer.get_by_role("dialog", name="Confirm buy order")
    confirm.get_by_text("IOC").wait_for()
    confirm.get_by_role("button", name="Place buy order").click()
    buyer.get_by_text("Bought 1 EUA").wait_for()
    confirm.wait_for(state="hidden")

    # Market data and the marketplace are public: a visitor sees them, and is asked to
    # sign in to buy.
    visitor = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    public = visitor.new_page()
    public.set_default_timeout(15000)
    public.goto("/marketplace")
    public.get_by_role("button", name=re.compile(r"EU Allowance \(EUA\)")).click()
    sellers = public.get_by_role("dialog", name="EU Allowance (EUA)")
    sellers.get_by_role("table", name="Available sellers").wait_for()
    sellers.get_by_role("link", name="Sign in to buy").wait_for()
    assert sellers.get_by_role("button", name=re.compile("Buy now")).count() == 0
    look(public, "marketplace-public")
    visitor.close()
