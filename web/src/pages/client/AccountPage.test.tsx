import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../App";
import { clientUser, json, mockFetch, renderApp, tokenFor } from "../../test/utils";

const ticker = (instrument: string, last: string) => ({
  instrument,
  certificate_type: instrument.slice(0, 3),
  last,
  bid: null,
  ask: null,
  open_24h: null,
  high_24h: null,
  low_24h: null,
  change_24h: null,
  change_24h_percent: "-1.20",
  volume_24h: 10,
  amount_24h: "0.00",
  trades_24h: 1,
  last_trade_at: null,
  sequence: 1,
  status: "OPEN",
});

describe("Client home", () => {
  it("shows both markets' prices, each leading to its trading page", async () => {
    mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(clientUser)),
      "GET /api/v1/market/EUA-EUR/ticker": () => json(ticker("EUA-EUR", "70.63")),
      "GET /api/v1/market/CEA-EUR/ticker": () => json(ticker("CEA-EUR", "13.98")),
      "GET /api/v1/marketplace/price-history": () => json({ certificate_type: "EUA", interval: "daily", points: [] }),
    });
    renderApp(<AppRoutes />, { route: "/app" });
    const markets = (await screen.findByRole("heading", { name: "Markets" })).closest("section")!;
    expect(await within(markets).findByTestId("EUA-last")).toHaveTextContent("€70.63");
    expect(await within(markets).findByTestId("CEA-last")).toHaveTextContent("€13.98");
    expect(within(markets).getByRole("link", { name: /Trade CEA/ })).toHaveAttribute("href", "/app/trade/CEA-EUR");
  });
});
