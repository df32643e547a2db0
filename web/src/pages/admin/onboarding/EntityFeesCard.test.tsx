import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../../App";
import type { EntityDetail } from "../../../api/onboarding";
import { callsTo, json, mockFetch, problem, renderApp, staffUser, tokenFor } from "../../../test/utils";
import { entity, ENTITY_ID } from "../../client/onboarding/fixtures";
import type { FeeOverride } from "./EntityFeesCard";

const compliance = { ...staffUser, role: "compliance" as const };
const FEES = `/api/v1/admin/entities/${ENTITY_ID}/fees`;

const detail: EntityDetail = {
  ...entity({ legal_name: "Acme Carbon GmbH", status: "APPROVED", kyc_status: "APPROVED" }),
  members: [],
  documents: [],
  kyc: { required: [], missing: [], checklist: [] },
  history: [],
};

function instrument(symbol: string, name: string) {
  return {
    symbol,
    name,
    base_asset: symbol.split("-")[0]!,
    quote_asset: "EUR",
    tick_size: "0.01",
    lot_size: 1,
    min_quantity: 1,
    max_quantity: 1_000_000,
    price_band_percent: "10.00",
    band_low: null,
    band_high: null,
    reference_price: null,
    last_price: null,
    maker_fee_bps: 5,
    taker_fee_bps: 10,
    fees_from_config: true,
    status: "OPEN" as const,
    status_reason: null,
    sequence: 0,
    updated_at: "2026-01-05T10:00:00Z",
  };
}
const instruments = [instrument("CEA-EUR", "China Emission Allowance / Euro"), instrument("EUA-EUR", "EU Allowance / Euro")];

function override(o: Partial<FeeOverride> = {}): FeeOverride {
  return {
    id: "0190a0a0-0000-7000-8000-0000000000f1",
    entity_id: ENTITY_ID,
    entity_name: "Acme Carbon GmbH",
    instrument: null,
    maker_fee_bps: 2,
    taker_fee_bps: 8,
    reason: "Volume deal 2026",
    created_by: staffUser.id,
    updated_by: staffUser.id,
    created_at: "2026-01-05T10:00:00Z",
    updated_at: "2026-01-05T10:00:00Z",
    ...o,
  };
}

function routes(items: () => FeeOverride[], extra: Parameters<typeof mockFetch>[0] = {}, user = staffUser) {
  return mockFetch({
    "POST /api/v1/auth/refresh": () => json(tokenFor(user)),
    [`GET /api/v1/admin/entities/${ENTITY_ID}`]: () => json(detail),
    "GET /api/v1/admin/fee-overrides": () => json({ items: items(), next_cursor: null }),
    "GET /api/v1/admin/instruments": () => json(instruments),
    ...extra,
  });
}

async function card() {
  const heading = await screen.findByRole("heading", { name: "Trading fees" });
  return within(heading.closest("section")!);
}

describe("Entity trading fees card", () => {
  it("lists the overrides and the standard fees, and adds an override with a reason", async () => {
    const user = userEvent.setup();
    let items = [override()];
    const f = routes(() => items, {
      [`PUT ${FEES}`]: async (req) => {
        const body = (await req.clone().json()) as { instrument: string; maker_fee_bps: number; taker_fee_bps: number; reason: string };
        const created = override({ id: "0190a0a0-0000-7000-8000-0000000000f2", ...body });
        items = [...items, created];
        return json(created, 201);
      },
    });
    renderApp(<AppRoutes />, { route: `/admin/entities/${ENTITY_ID}` });
    const c = await card();
    expect(await c.findByText("All instruments")).toBeInTheDocument();
    expect(c.getByText("Maker 2 bps · Taker 8 bps")).toBeInTheDocument();
    expect(c.getByText(/Volume deal 2026/)).toBeInTheDocument();
    expect(await c.findByText(/EUA-EUR 5 \/ 10 bps/)).toBeInTheDocument();
    const [list] = callsTo(f, "GET /api/v1/admin/fee-overrides");
    expect(new URL(list!.url).searchParams.get("entity_id")).toBe(ENTITY_ID);

    await user.click(c.getByRole("button", { name: "Add override" }));
    const dialog = screen.getByRole("dialog", { name: "Add fee override" });
    await user.selectOptions(within(dialog).getByLabelText("Applies to"), "EUA-EUR");
    await user.type(within(dialog).getByLabelText(/Maker fee/), "0");
    await user.type(within(dialog).getByLabelText(/Taker fee/), "1001");
    await user.click(within(dialog).getByRole("button", { name: "Add override" }));
    // Checked before anything is sent: the fee's range and the reason.
    expect(within(dialog).getByText("At most 1000 bps (10 %)")).toBeInTheDocument();
    expect(within(dialog).getByText(/Say why/)).toBeInTheDocument();
    expect(callsTo(f, `PUT ${FEES}`)).toHaveLength(0);

    await user.clear(within(dialog).getByLabelText(/Taker fee/));
    await user.type(within(dialog).getByLabelText(/Taker fee/), "6");
    await user.type(within(dialog).getByLabelText(/Reason/), "Market maker programme");
    await user.click(within(dialog).getByRole("button", { name: "Add override" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    const [put] = callsTo(f, `PUT ${FEES}`);
    expect(await put!.json()).toEqual({ instrument: "EUA-EUR", maker_fee_bps: 0, taker_fee_bps: 6, reason: "Market maker programme" });
    expect(await screen.findByText("Fees saved for EUA-EUR")).toBeInTheDocument();
    expect(await c.findByText("Maker 0 bps · Taker 6 bps")).toBeInTheDocument();
  });

  it("edits an override, shows the server's field errors, and removes one after confirmation", async () => {
    const user = userEvent.setup();
    let items = [override(), override({ id: "0190a0a0-0000-7000-8000-0000000000f3", instrument: "CEA-EUR", maker_fee_bps: 1, taker_fee_bps: 3 })];
    const f = routes(() => items, {
      [`PUT ${FEES}`]: [
        () => problem(422, "validation_error", { detail: "taker_fee_bps: too high", errors: [{ field: "taker_fee_bps", message: "Input should be less than or equal to 1000" }] }),
        async (req) => {
          const body = (await req.clone().json()) as { maker_fee_bps: number; taker_fee_bps: number };
          items = items.map((o) => (o.instrument === null ? { ...o, ...body } : o));
          return json(items[0]);
        },
      ],
      [`DELETE ${FEES}`]: () => {
        items = items.filter((o) => o.instrument !== "CEA-EUR");
        return new Response(null, { status: 204 });
      },
    });
    renderApp(<AppRoutes />, { route: `/admin/entities/${ENTITY_ID}` });
    const c = await card();
    await user.click(await c.findByRole("button", { name: "Edit fees for All instruments" }));
    const dialog = screen.getByRole("dialog", { name: "Edit fees: All instruments" });
    expect(within(dialog).getByLabelText("Applies to")).toBeDisabled();
    expect(within(dialog).getByLabelText(/Maker fee/)).toHaveValue("2");
    await user.clear(within(dialog).getByLabelText(/Taker fee/));
    await user.type(within(dialog).getByLabelText(/Taker fee/), "9");
    await user.type(within(dialog).getByLabelText(/Reason/), "Renegotiated");
    await user.click(within(dialog).getByRole("button", { name: "Save fees" }));
    expect(await within(dialog).findByText("Input should be less than or equal to 1000")).toBeInTheDocument();
    await user.click(within(dialog).getByRole("button", { name: "Save fees" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    const puts = callsTo(f, `PUT ${FEES}`);
    expect(await puts[1]!.json()).toEqual({ instrument: null, maker_fee_bps: 2, taker_fee_bps: 9, reason: "Renegotiated" });
    expect(await c.findByText("Maker 2 bps · Taker 9 bps")).toBeInTheDocument();

    await user.click(c.getByRole("button", { name: "Remove fees for CEA-EUR" }));
    const confirm = screen.getByRole("alertdialog", { name: "Remove fee override" });
    const remove = within(confirm).getByRole("button", { name: "Remove override" });
    expect(remove).toBeDisabled();
    await user.type(within(confirm).getByLabelText(/Reason/), "Deal ended");
    await user.click(remove);
    await waitFor(() => expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument());
    const [del] = callsTo(f, `DELETE ${FEES}`);
    expect(new URL(del!.url).searchParams.get("instrument")).toBe("CEA-EUR");
    expect(await del!.json()).toEqual({ reason: "Deal ended" });
    await waitFor(() => expect(c.queryByText("CEA-EUR")).not.toBeInTheDocument());
    expect(screen.getByText("Fee override removed for CEA-EUR")).toBeInTheDocument();
  });

  it("is read-only for staff without market:manage", async () => {
    routes(() => [override()], {}, compliance);
    renderApp(<AppRoutes />, { route: `/admin/entities/${ENTITY_ID}` });
    const c = await card();
    expect(await c.findByText("Maker 2 bps · Taker 8 bps")).toBeInTheDocument();
    expect(c.queryByRole("button", { name: "Add override" })).not.toBeInTheDocument();
    expect(c.queryByRole("button", { name: /Edit fees/ })).not.toBeInTheDocument();
    expect(c.queryByRole("button", { name: /Remove fees/ })).not.toBeInTheDocument();
  });

  it("says when there is no override", async () => {
    routes(() => []);
    renderApp(<AppRoutes />, { route: `/admin/entities/${ENTITY_ID}` });
    const c = await card();
    expect(await c.findByText("No override")).toBeInTheDocument();
  });
});
