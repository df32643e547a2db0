import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../App";
import { tickerFixture } from "../../test/market";
import { callsTo, json, mockFetch, problem, renderApp, staffUser, tokenFor } from "../../test/utils";

describe("Landing page", () => {
  it("shows each market's public prices to a visitor", async () => {
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => problem(401, "invalid_refresh_token"),
      "GET /api/v1/market/EUA-EUR/ticker": () => json(tickerFixture("EUA-EUR", "70.63", "1.66")),
      "GET /api/v1/market/CEA-EUR/ticker": () => json(tickerFixture("CEA-EUR", null)),
      "GET /api/v1/marketplace/price-history": () =>
        json({ certificate_type: "EUA", interval: "daily", points: ["69.10", "69.80", "70.63"].map((close, i) => ({ time: `2026-03-0${i + 1}T00:00:00Z`, open: close, high: close, low: close, close, volume: 1 })) }),
    });
    renderApp(<AppRoutes />, { route: "/" });
    expect(await screen.findByTestId("EUA-last")).toHaveTextContent("€70.63");
    const eua = screen.getByRole("group", { name: "EUA market" });
    expect(eua).toHaveTextContent("+1.66%");
    expect(eua).toHaveTextContent("70.46 / 70.80");
    expect(eua).toHaveTextContent("20,366 t");
    expect(await screen.findByRole("img", { name: /EUA daily closing prices/ })).toBeInTheDocument();
    expect(await screen.findByText("No trades yet.")).toBeInTheDocument();
    // Public data: asked for without a token.
    expect(callsTo(f, "GET /api/v1/market/EUA-EUR/ticker")[0]!.headers.get("authorization")).toBeNull();
  });

  it("explains Niha and sends the contact form", async () => {
    const user = userEvent.setup();
    const f = mockFetch({
      "POST /api/v1/auth/refresh": () => problem(401, "invalid_refresh_token"),
      "POST /api/v1/contact-requests": [
        () =>
          problem(422, "validation_error", {
            errors: [{ field: "country", message: "must be an ISO 3166-1 alpha-2 country code, e.g. DE", code: "value_error" }],
          }),
        () => json({ id: "c1", status: "NEW", created_at: "2026-01-01T00:00:00Z" }, 201),
      ],
    });
    renderApp(<AppRoutes />, { route: "/" });
    expect(await screen.findByRole("heading", { level: 1, name: /EU and China emission allowances/ })).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "EU Allowances" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "China Emission Allowances" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "How to join" })).toBeInTheDocument();

    const form = screen.getByRole("form", { name: "Request access" });
    await user.click(screen.getByRole("button", { name: "Request access" }));
    expect(screen.getByText("Enter your name.")).toBeInTheDocument();
    expect(screen.getByText("Enter a valid email address.")).toBeInTheDocument();
    expect(callsTo(f, "POST /api/v1/contact-requests")).toHaveLength(0);

    await user.type(screen.getByLabelText(/Full name/), "Mei Chen");
    await user.type(screen.getByLabelText(/Work email/), "mei@green.example");
    await user.selectOptions(screen.getByLabelText(/^Country/), "CN");
    await user.selectOptions(screen.getByLabelText(/I am interested in/), "EUA_AND_CEA");
    await user.type(screen.getByLabelText(/^Message/), "CEA to EUA swaps");
    await user.click(screen.getByRole("button", { name: "Request access" }));
    expect(await screen.findByText(/must be an ISO 3166-1 alpha-2 country code/)).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Request access" }));
    expect(await screen.findByText("Thank you — we have your request")).toBeInTheDocument();
    expect(form).not.toBeInTheDocument();
    const sent = callsTo(f, "POST /api/v1/contact-requests");
    expect(await sent[1]!.json()).toEqual({
      name: "Mei Chen",
      email: "mei@green.example",
      company: null,
      country: "CN",
      interest: "EUA_AND_CEA",
      message: "CEA to EUA swaps",
    });
  }, 15_000);

  it("sends signed-in users to their home instead", async () => {
    mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(staffUser)),
      "GET /api/v1/admin/users": () => json({ items: [], next_cursor: null }),
    });
    renderApp(<AppRoutes />, { route: "/" });
    expect(await screen.findByRole("heading", { name: "Users" })).toBeInTheDocument();
  });
});
