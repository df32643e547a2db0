import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { AppRoutes } from "../../../App";
import type { BankAccount, Deposit } from "../../../api/fundingTypes";
import type { User } from "../../../api/types";
import { FakeSocket } from "../../../test/fakeSocket";
import { callsTo, clientUser, json, mockFetch, problem, renderApp, tokenFor } from "../../../test/utils";

const owner: User = { ...clientUser, entity_role: "owner" };

const balances = (available: string, onHold = "0.00") => ({
  entity_id: owner.entity_id,
  balances: [
    { asset: "CEA", available: "0", reserved: "0", on_hold: "0", settling: "0", total: "0" },
    { asset: "EUA", available: "0", reserved: "0", on_hold: "0", settling: "0", total: "0" },
    { asset: "EUR", available, reserved: "0.00", on_hold: onHold, settling: "0.00", total: available },
  ],
});

const account: BankAccount = {
  id: "0190a0a0-0000-7000-8000-0000000000a1",
  entity_id: owner.entity_id!,
  entity_name: null,
  account_name: "Acme Carbon GmbH",
  iban: "DE89370400440532013000",
  iban_formatted: "DE89 3704 0044 0532 0130 00",
  swift: "COBADEFFXXX",
  bank_name: "Commerzbank",
  country: "DE",
  status: "VERIFIED",
  is_primary: true,
  name_mismatch: false,
  has_proof: true,
  proof_filename: null,
  verification_notes: null,
  verified_at: "2025-03-01T10:00:00Z",
  rejection_reason: null,
  created_at: "2025-03-01T09:00:00Z",
  updated_at: "2025-03-01T10:00:00Z",
};

const pending: Deposit = {
  id: "0190a0a0-0000-7000-8000-0000000000d1",
  reference_code: "NIHA-7KQ2-9XD4",
  status: "PENDING",
  currency: "EUR",
  amount: "1500.00",
  received_amount: null,
  received_currency: null,
  wire_reference: null,
  bank_account_id: null,
  received_at: null,
  expected_release_at: null,
  rejection_reason: null,
  history: [{ status: "PENDING", at: "2025-03-02T10:00:00Z", note: null }],
  wire_instructions: {
    beneficiary: "Niha Markets B.V.",
    iban: "NL91 ABNA 0417 1643 00",
    bic: "ABNANL2A",
    bank_name: "ABN AMRO Bank N.V.",
    bank_address: "Amsterdam",
    reference: "NIHA-7KQ2-9XD4",
    amount: "1500.00",
    currency: "EUR",
    valid_until: "2025-04-01T10:00:00Z",
  },
  created_at: "2025-03-02T10:00:00Z",
  updated_at: "2025-03-02T10:00:00Z",
};

function base(extra: Record<string, Parameters<typeof mockFetch>[0][string]> = {}) {
  return mockFetch({
    "POST /api/v1/auth/refresh": () => json(tokenFor(owner)),
    "GET /api/v1/balances": () => json(balances("2500.00")),
    "GET /api/v1/funding/bank-accounts": () => json({ items: [account], next_cursor: null }),
    "GET /api/v1/funding/deposits/my-deposits": () => json({ items: [], next_cursor: null }),
    ...extra,
  });
}

describe("Funding page (client)", { timeout: 30_000 }, () => {
  it("shows the balances per bucket", async () => {
    base();
    renderApp(<AppRoutes />, { route: "/app/funding" });
    expect(await screen.findByRole("heading", { name: "Funding" })).toBeInTheDocument();
    const eur = await screen.findByRole("group", { name: "EUR balances" });
    expect(within(eur).getByTestId("EUR-available")).toHaveTextContent("€2,500.00");
    expect(within(eur).getByTestId("EUR-on_hold")).toHaveTextContent("€0.00");
    expect(screen.queryByRole("group", { name: "EUA balances" })).not.toBeInTheDocument();
  });

  it("announces a deposit, then shows the wire instructions with the reference", async () => {
    const user = userEvent.setup();
    const f = base({ "POST /api/v1/funding/deposits/announce": () => json(pending, 201) });
    renderApp(<AppRoutes />, { route: "/app/funding" });
    await user.click(await screen.findByRole("button", { name: "Deposit funds" }));
    const dialog = await screen.findByRole("dialog", { name: "Deposit funds" });
    await user.type(within(dialog).getByLabelText(/Amount/), "1500.123");
    await user.click(within(dialog).getByRole("button", { name: "Continue" }));
    expect(await within(dialog).findByText("Use at most 2 decimals.")).toBeInTheDocument();
    expect(callsTo(f, "POST /api/v1/funding/deposits/announce")).toHaveLength(0);

    await user.clear(within(dialog).getByLabelText(/Amount/));
    await user.type(within(dialog).getByLabelText(/Amount/), "1,500");
    await user.click(within(dialog).getByRole("button", { name: "Continue" }));
    const instructions = await screen.findByRole("dialog", { name: "Wire instructions" });
    expect(within(instructions).getByTestId("reference-code")).toHaveTextContent("NIHA-7KQ2-9XD4");
    expect(within(instructions).getByRole("button", { name: "Copy payment reference" })).toBeInTheDocument();
    expect(within(instructions).getByRole("button", { name: "Copy IBAN" })).toBeInTheDocument();
    expect(within(instructions).getByText("01 Apr 2025")).toBeInTheDocument(); // wire by then
    const [req] = callsTo(f, "POST /api/v1/funding/deposits/announce");
    expect(await req!.json()).toEqual({ amount: "1500.00", currency: "EUR", bank_account_id: account.id });
  });

  it("updates a deposit's status live from the notifications channel", async () => {
    let status: Deposit = pending;
    base({ "GET /api/v1/funding/deposits/my-deposits": () => json({ items: [status], next_cursor: null }) });
    renderApp(<AppRoutes />, { route: "/app/funding" });
    const table = await screen.findByRole("table", { name: "Your deposits" });
    expect(await within(table).findByText("Pending")).toBeInTheDocument();
    await waitFor(() => expect(FakeSocket.instances.length).toBeGreaterThan(0));
    const sock = FakeSocket.last;
    act(() => {
      sock.open();
      sock.serverSend({ type: "ready" });
    });
    await waitFor(() => expect(sock.ops("subscribe").some((m) => m.channel === "notifications")).toBe(true));
    status = { ...pending, status: "ON_HOLD", received_amount: "1500.00", received_currency: "EUR", wire_instructions: null };
    act(() => {
      sock.serverSend({ type: "event", channel: "notifications", event: "deposit.received", data: {}, ts: "2025-03-02T11:00:00Z" });
    });
    expect(await within(table).findByText("On hold")).toBeInTheDocument();
  });

  it("withdraws at most the available balance, after a confirmation step", async () => {
    const user = userEvent.setup();
    const f = base({
      "POST /api/v1/funding/withdrawals/request": [
        () => problem(422, "insufficient_funds", { detail: "no" }),
        () => json({ id: "w1", status: "PENDING" }, 201),
      ],
      "GET /api/v1/funding/withdrawals/my-withdrawals": () => json({ items: [], next_cursor: null }),
    });
    renderApp(<AppRoutes />, { route: "/app/funding" });
    await screen.findByRole("group", { name: "EUR balances" });
    await user.click(await screen.findByRole("button", { name: "Withdraw" }));
    const dialog = await screen.findByRole("dialog", { name: "Withdraw funds" });
    await user.type(within(dialog).getByLabelText(/Amount/), "2500.01");
    await user.click(within(dialog).getByRole("button", { name: "Review" }));
    expect(await within(dialog).findByText("The amount is more than you have available.")).toBeInTheDocument();

    await user.click(within(dialog).getByRole("button", { name: "Max: the whole available balance" }));
    expect(within(dialog).getByLabelText(/Amount/)).toHaveValue("2500.00");
    await user.click(within(dialog).getByRole("button", { name: "Review" }));
    const confirm = await screen.findByRole("dialog", { name: "Confirm withdrawal" });
    expect(within(confirm).getByText("DE89 3704 0044 0532 0130 00")).toBeInTheDocument();
    await user.click(within(confirm).getByRole("button", { name: "Confirm withdrawal" }));
    // the server refused (the balance moved meanwhile): back to the form with the reason
    expect(await screen.findByText(/Your available balance is lower than this amount/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Review" }));
    await user.click(await screen.findByRole("button", { name: "Confirm withdrawal" }));
    await waitFor(() => expect(callsTo(f, "POST /api/v1/funding/withdrawals/request")).toHaveLength(2));
    expect(await callsTo(f, "POST /api/v1/funding/withdrawals/request")[1]!.json()).toEqual({
      amount: "2500.00",
      currency: "EUR",
      bank_account_id: account.id,
    });
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
  });

  it("checks the IBAN while it is typed and fills in the bank", async () => {
    const user = userEvent.setup();
    const f = base({
      "POST /api/v1/funding/bank-accounts/validate-iban": () =>
        json({ valid: true, iban: "NL91ABNA0417164300", formatted: "NL91 ABNA 0417 1643 00", country: "NL", bank_name: "ABN AMRO BANK N.V.", bic: "ABNANL2A", swift_valid: null }),
      "POST /api/v1/funding/bank-accounts": () => json({ ...account, id: "new", iban: "NL91ABNA0417164300", status: "PENDING_VERIFICATION" }, 201),
    });
    renderApp(<AppRoutes />, { route: "/app/funding?tab=bank-accounts" });
    await user.click(await screen.findByRole("button", { name: "Add bank account" }));
    const dialog = await screen.findByRole("dialog", { name: "Add a bank account" });
    const iban = within(dialog).getByLabelText(/^IBAN/);
    await user.type(iban, "NL91ABNA0417164301");
    expect(await within(dialog).findByText(/check digits don't match/)).toBeInTheDocument();
    await user.clear(iban);
    await user.type(iban, "nl91 abna 0417 1643 00");
    expect(await within(dialog).findByText("IBAN checked")).toBeInTheDocument();
    await waitFor(() => expect(within(dialog).getByLabelText(/Bank name/)).toHaveValue("ABN AMRO BANK N.V."));
    expect(within(dialog).getByLabelText(/BIC/)).toHaveValue("ABNANL2A");
    expect(within(dialog).getByLabelText(/Country/)).toHaveValue("NL");
    await user.type(within(dialog).getByLabelText(/Account holder/), "Acme Carbon GmbH");
    await user.click(within(dialog).getByRole("button", { name: "Add account" }));
    await waitFor(() => expect(callsTo(f, "POST /api/v1/funding/bank-accounts")).toHaveLength(1));
    expect(await callsTo(f, "POST /api/v1/funding/bank-accounts")[0]!.json()).toEqual({
      account_name: "Acme Carbon GmbH",
      iban: "NL91ABNA0417164300",
      swift: "ABNANL2A",
      bank_name: "ABN AMRO BANK N.V.",
      country: "NL",
    });
  });

  it("exports the history as CSV with the filters", async () => {
    const user = userEvent.setup();
    const f = base({
      "GET /api/v1/funding/transactions": (req) =>
        new URL(req.url).searchParams.get("format") === "csv"
          ? new Response("date,type\n", { headers: { "Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="t.csv"' } })
          : json({ items: [], next_cursor: null }),
    });
    URL.createObjectURL = () => "blob:x";
    URL.revokeObjectURL = () => {};
    renderApp(<AppRoutes />, { route: "/app/funding?tab=history" });
    await screen.findByRole("table", { name: "Transaction history" });
    await user.selectOptions(screen.getByLabelText("Type"), "deposit");
    await user.click(screen.getByRole("button", { name: "Export CSV" }));
    await waitFor(() =>
      expect(
        callsTo(f, "GET /api/v1/funding/transactions").some((r) => {
          const q = new URL(r.url).searchParams;
          return q.get("format") === "csv" && q.get("type") === "deposit";
        }),
      ).toBe(true),
    );
  });
});
