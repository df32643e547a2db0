import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../App";
import { tickerFixture } from "../../test/market";
import { clientUser, json, mockFetch, renderApp, tokenFor } from "../../test/utils";

describe("Client home", () => {
  it("shows both markets' prices, each leading to its trading page", async () => {
    mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(clientUser)),
      "GET /api/v1/market/EUA-EUR/ticker": () => json(tickerFixture("EUA-EUR", "70.63", "-1.20")),
      "GET /api/v1/market/CEA-EUR/ticker": () => json(tickerFixture("CEA-EUR", "13.98", "-1.20")),
      "GET /api/v1/marketplace/price-history": () => json({ certificate_type: "EUA", interval: "daily", points: [] }),
    });
    renderApp(<AppRoutes />, { route: "/app" });
    const markets = (await screen.findByRole("heading", { name: "Markets" })).closest("section")!;
    expect(await within(markets).findByTestId("EUA-last")).toHaveTextContent("€70.63");
    expect(await within(markets).findByTestId("CEA-last")).toHaveTextContent("€13.98");
    expect(within(markets).getByRole("link", { name: /Trade CEA/ })).toHaveAttribute("href", "/app/trade/CEA-EUR");
    // Each price says which market it is.
    expect(within(markets).getByRole("heading", { name: "EU Allowance (EUA-EUR)" })).toBeInTheDocument();
    expect(within(markets).getByRole("heading", { name: "China Emission Allowance (CEA-EUR)" })).toBeInTheDocument();
  });
});
