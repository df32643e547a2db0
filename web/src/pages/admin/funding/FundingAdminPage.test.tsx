import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../../App";
import type { AdminDeposit, AdminWithdrawal, Hold } from "../../../api/fundingTypes";
import { callsTo, json, mockFetch, problem, renderApp, staffUser, tokenFor } from "../../../test/utils";
import { countdown } from "./AMLHoldsTab";

const deposit: AdminDeposit = {
  id: "0190a0a0-0000-7000-8000-0000000000d1",
  entity_id: "0190a0a0-0000-7000-8000-0000000000e1",
  entity_name: "Acme Carbon GmbH",
  reference_code: "NIHA-7KQ2-9XD4",
  status: "PENDING",
  currency: "EUR",
  amount: "1500.00",
  received_amount: null,
  received_currency: null,
  wire_reference: null,
  bank_account_id: null,
  announced_by: null,
  received_at: null,
  payer_name: null,
  payer_iban: null,
  admin_notes: null,
  confirmed_by: null,
  confirmed_at: null,
  rejection_reason: null,
  decided_by: null,
  decided_at: null,
  hold: null,
  history: [],
  created_at: "2025-03-02T10:00:00Z",
  updated_at: "2025-03-02T10:00:00Z",
};

const withdrawal: AdminWithdrawal = {
  id: "0190a0a0-0000-7000-8000-0000000000f1",
  entity_id: deposit.entity_id,
  entity_name: "Acme Carbon GmbH",
  status: "PROCESSING",
  amount: "400.00",
  currency: "EUR",
  bank_account_id: "0190a0a0-0000-7000-8000-0000000000a1",
  iban: "DE89370400440532013000",
  iban_formatted: "DE89 3704 0044 0532 0130 00",
  swift: "COBADEFFXXX",
  account_name: "Acme Carbon GmbH",
  reason: null,
  requested_by: "0190a0a0-0000-7000-8000-000000000002",
  approved_by: staffUser.id,
  approved_at: "2025-03-02T10:00:00Z",
  completed_by: null,
  completed_at: null,
  wire_reference: null,
  executed_at: null,
  rejection_reason: null,
  decided_by: null,
  history: [],
  created_at: "2025-03-02T09:00:00Z",
  updated_at: "2025-03-02T10:00:00Z",
};

const hold: Hold = {
  id: "0190a0a0-0000-7000-8000-0000000000c1",
  deposit_id: deposit.id,
  deposit_reference_code: deposit.reference_code,
  entity_id: deposit.entity_id,
  entity_name: "Acme Carbon GmbH",
  currency: "EUR",
  amount: "150000.00",
  status: "ACTIVE",
  reasons: ["standard", "large_amount"],
  flags: [{ code: "amount_mismatch", detail: "the amount received differs from the announcement" }],
  flagged: true,
  releases_required: 2,
  releases_given: 1,
  first_release_by: staffUser.id,
  expires_at: new Date(Date.now() + 3 * 3600_000).toISOString(),
  expiring_soon: true,
  extensions: [],
  announced_amount: "140000.00",
  received_at: "2025-03-02T10:00:00Z",
  payer_name: null,
  payer_iban: null,
  released_by: null,
  released_at: null,
  rejection_reason: null,
  rejected_by: null,
  created_at: "2025-03-02T10:00:00Z",
};

function base(extra: Parameters<typeof mockFetch>[0] = {}) {
  return mockFetch({
    "POST /api/v1/auth/refresh": () => json(tokenFor(staffUser)),
    "GET /api/v1/admin/deposits": () => json({ items: [deposit], next_cursor: null }),
    ...extra,
  });
}

// The backoffice bundle is loaded lazily: the first render in a worker takes a few seconds.
describe("Funding (backoffice)", { timeout: 30_000 }, () => {
  it("confirms the receipt of a pending deposit", async () => {
    const user = userEvent.setup();
    const f = base({
      "POST /api/v1/admin/deposits/0190a0a0-0000-7000-8000-0000000000d1/confirm": () =>
        json({ ...deposit, status: "ON_HOLD", hold: { id: hold.id, status: "ACTIVE", flagged: true, expires_at: hold.expires_at } }),
    });
    renderApp(<AppRoutes />, { route: "/admin/funding" });
    await screen.findAllByText("NIHA-7KQ2-9XD4", {}, { timeout: 15_000 });
    await user.click(screen.getByRole("button", { name: "Confirm receipt of NIHA-7KQ2-9XD4" }));
    const dialog = await screen.findByRole("dialog", { name: "Confirm receipt" });
    const amount = within(dialog).getByLabelText(/Amount received/);
    expect(amount).toHaveValue("1500.00");
    await user.clear(amount);
    await user.type(amount, "1400");
    expect(within(dialog).getByText(/the hold will be flagged/)).toBeInTheDocument();
    await user.type(within(dialog).getByLabelText("Payer name"), "Acme Carbon GmbH");
    await user.click(within(dialog).getByRole("button", { name: "Confirm receipt" }));
    await waitFor(() => expect(callsTo(f, "POST /api/v1/admin/deposits/0190a0a0-0000-7000-8000-0000000000d1/confirm")).toHaveLength(1));
    const body = (await callsTo(f, "POST /api/v1/admin/deposits/0190a0a0-0000-7000-8000-0000000000d1/confirm")[0]!.json()) as Record<string, string>;
    expect(body.actual_amount).toBe("1400.00");
    expect(body.payer_name).toBe("Acme Carbon GmbH");
    expect(body.received_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
    expect(await screen.findByText("Receipt confirmed")).toBeInTheDocument();
  });

  it("records a wire that came without an announcement, for a client found by name", async () => {
    const user = userEvent.setup();
    const f = base({
      "GET /api/v1/admin/entities": (req) =>
        json({
          items: new URL(req.url).searchParams.get("search") === "acme" ? [{ id: deposit.entity_id, legal_name: "Acme Carbon GmbH", status: "APPROVED" }] : [],
          next_cursor: null,
        }),
      "POST /api/v1/admin/deposits/record": [
        () => problem(422, "amount_too_large", { detail: "The amount is above the limit.", errors: [{ field: "actual_amount", message: "Too large", code: "amount_too_large" }] }),
        () => json({ ...deposit, reference_code: "NIHA-AB12-CD34", status: "ON_HOLD", hold: { id: hold.id, status: "ACTIVE", flagged: false, expires_at: hold.expires_at } }, 201),
      ],
    });
    renderApp(<AppRoutes />, { route: "/admin/funding" });
    await screen.findAllByText("NIHA-7KQ2-9XD4", {}, { timeout: 15_000 });
    await user.click(screen.getByRole("button", { name: "Record unannounced wire" }));
    const dialog = await screen.findByRole("dialog", { name: "Record unannounced wire" });
    // Nothing chosen yet: the form says what is missing and sends nothing.
    await user.click(within(dialog).getByRole("button", { name: "Record wire" }));
    expect(within(dialog).getByText("Choose the client the wire is for.")).toBeInTheDocument();
    expect(within(dialog).getByText("Enter an amount.")).toBeInTheDocument();
    expect(callsTo(f, "POST /api/v1/admin/deposits/record")).toHaveLength(0);

    await user.type(within(dialog).getByLabelText(/^Client/), "acme");
    await user.click(await within(dialog).findByRole("option", { name: /Acme Carbon GmbH/ }));
    expect(within(dialog).getByText("Acme Carbon GmbH")).toBeInTheDocument();
    await user.type(within(dialog).getByLabelText(/Amount received/), "2500");
    expect(within(dialog).queryByText("Enter an amount.")).not.toBeInTheDocument(); // gone once typed
    expect(within(dialog).queryByText("Choose the client the wire is for.")).not.toBeInTheDocument();
    await user.type(within(dialog).getByLabelText("Payer name"), "Acme Carbon GmbH");
    await user.type(within(dialog).getByLabelText("Reference on the wire"), "INV-77");
    await user.click(within(dialog).getByRole("button", { name: "Record wire" }));
    expect(await within(dialog).findByText("Too large")).toBeInTheDocument(); // the server's field error
    await user.click(within(dialog).getByRole("button", { name: "Record wire" }));
    await waitFor(() => expect(callsTo(f, "POST /api/v1/admin/deposits/record")).toHaveLength(2));
    const body = (await callsTo(f, "POST /api/v1/admin/deposits/record")[1]!.json()) as Record<string, string>;
    expect(body).toMatchObject({ entity_id: deposit.entity_id, actual_amount: "2500.00", actual_currency: "EUR", payer_name: "Acme Carbon GmbH", wire_reference: "INV-77" });
    expect(await screen.findByText("Wire recorded")).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Record unannounced wire" })).not.toBeInTheDocument());
  });

  it("shows compliance the deposit queue without the actions only operations may take", async () => {
    const compliance = { ...staffUser, role: "compliance" as const };
    mockFetch({
      "POST /api/v1/auth/refresh": () => json(tokenFor(compliance)),
      "GET /api/v1/admin/deposits": () => json({ items: [deposit], next_cursor: null }),
    });
    renderApp(<AppRoutes />, { route: "/admin/funding" });
    await screen.findAllByText("NIHA-7KQ2-9XD4", {}, { timeout: 15_000 });
    expect(screen.queryByRole("button", { name: "Confirm receipt of NIHA-7KQ2-9XD4" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Record unannounced wire" })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Details of NIHA-7KQ2-9XD4" })).toBeInTheDocument();
  });

  it("lets no one complete a withdrawal they approved", async () => {
    const other = { ...withdrawal, id: "0190a0a0-0000-7000-8000-0000000000f2", approved_by: "0190a0a0-0000-7000-8000-00000000000b", amount: "90.00" };
    const user = userEvent.setup();
    const f = base({
      "GET /api/v1/admin/withdrawals": () => json({ items: [withdrawal, other], next_cursor: null }),
      "POST /api/v1/admin/withdrawals/0190a0a0-0000-7000-8000-0000000000f2/complete": () => problem(409, "same_approver"),
    });
    renderApp(<AppRoutes />, { route: "/admin/funding?tab=withdrawals" });
    await screen.findAllByText("Acme Carbon GmbH", {}, { timeout: 15_000 });
    expect(screen.getByRole("button", { name: /Complete 400.00/ })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: /Complete 90.00/ }));
    const dialog = await screen.findByRole("dialog", { name: "Complete withdrawal" });
    await user.type(within(dialog).getByLabelText(/Bank wire reference/), "SEPA-1");
    await user.click(within(dialog).getByRole("button", { name: "Mark as sent" }));
    expect(await within(dialog).findByText(/a different colleague must complete it/)).toBeInTheDocument();
    expect(callsTo(f, "POST /api/v1/admin/withdrawals/0190a0a0-0000-7000-8000-0000000000f2/complete")).toHaveLength(1);
  });

  it("shows AML holds with flags, a countdown and the two-person rule", async () => {
    base({ "GET /api/v1/admin/aml/holds": () => json({ items: [hold], next_cursor: null }) });
    renderApp(<AppRoutes />, { route: "/admin/funding?tab=holds" });
    await screen.findByText("Amount differs", {}, { timeout: 15_000 });
    const table = screen.getByRole("table", { name: "AML holds" });
    expect(within(table).getByText("1/2 releases")).toBeInTheDocument();
    expect(within(table).getByText(/^2h \d+m$/)).toBeInTheDocument();
    // this user gave the first release: the second must come from someone else
    expect(within(table).getByRole("button", { name: "Release NIHA-7KQ2-9XD4" })).toBeDisabled();
  });

  it("counts down", () => {
    const now = Date.parse("2025-03-02T10:00:00Z");
    expect(countdown("2025-03-04T14:30:00Z", now)).toBe("2d 4h");
    expect(countdown("2025-03-02T13:12:00Z", now)).toBe("3h 12m");
    expect(countdown("2025-03-02T10:45:10Z", now)).toBe("45m 10s");
    expect(countdown("2025-03-02T09:00:00Z", now)).toBe("expired");
  });
});
